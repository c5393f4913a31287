/**
 * The oclif side of the native OpenClaw plugin face. Loaded from the plugin's install dir (not the
 * host's snapshot copy of the entry), so `@oclif/core`, the commands and the native bridge are one
 * set of module instances.
 */
import {Config, flush, run} from '@oclif/core'
import path from 'node:path'

import {NATIVE_PREFIX, reportError, withRewrittenHelp} from '../lib/cli-face.js'
import {type NativeHostContext, setNativeHostContext} from '../lib/host/native-bridge.js'
import {canonicalStateDir, hostHome} from '../lib/host/state-rules.js'
import {standaloneArgv} from '../standalone.js'

export const NATIVE_BIN = NATIVE_PREFIX
const VERBS = ['export', 'import', 'check', 'push'] as const

function isHelpRequest(args: string[]): boolean {
  const [first] = args
  return first === undefined || first === '--help' || first === '-h' || first === 'help'
}

/**
 * Maps the raw argv the host passes (after `migrate-machine`) onto our oclif ids. The host
 * strips --profile/--dev, so for import and check (whose target profile otherwise defaults to the
 * archive's) the host's profile is passed on: `openclaw --profile P migrate-machine import` imports into P.
 */
export function nativeArgv(args: string[], context: NativeHostContext, env: NodeJS.ProcessEnv = process.env): string[] {
  const argv = standaloneArgv(args)
  const [topic, verb] = argv
  if (topic !== 'migrate') return ['migrate', ...args]
  const explicit = argv.some((a) => /^--(profile|dev|state-dir|all-profiles)(=|$)/.test(a))
  const help = argv.some((a) => a === '--help' || a === '-h')
  if ((verb === 'import' || verb === 'check') && !explicit && !help && context.profile) {
    let canonical: boolean
    try {
      canonical = path.resolve(context.stateDir) === canonicalStateDir(context.profile, hostHome(env))
    } catch {
      canonical = false
    }

    if (canonical) return [...argv, '--profile', context.profile]
  }

  return argv
}

/** Help for `openclaw migrate-machine`: the oclif topic help speaks of `openclaw-migrate migrate`. */
function rootHelp(config: Config): string {
  const rows = VERBS.map((verb) => {
    const command = config.findCommand(`migrate:${verb}`)
    const summary = (command?.summary ?? command?.description ?? '').split('\n', 1)[0]
    return `  ${verb.padEnd(7)} ${summary}`
  })
  return [
    'Move an OpenClaw gateway (state, credentials, sessions, channel logins, workspaces) to another machine and prove the move worked.',
    '',
    'USAGE',
    `  $ openclaw [--profile NAME | --dev] migrate-machine COMMAND [FLAGS]`,
    '',
    'COMMANDS',
    ...rows,
    '',
    "Run `openclaw migrate-machine COMMAND --help` for its flags. The host's --profile/--dev choose the profile.",
    `The same commands run without the host as \`openclaw-migrate COMMAND\` (plugin ${config.name} ${config.version}).`,
    '',
  ].join('\n')
}

export type NativeRunRequest = {
  args: string[]
  context: NativeHostContext
  /** The installed package dir (api.rootDir): package.json, dist/, oclif.manifest.json. */
  root: string
}

export async function runNative(request: NativeRunRequest): Promise<void> {
  const {args, context, root} = request
  setNativeHostContext(context)
  const argv = nativeArgv(args, context)
  try {
    if (isHelpRequest(args) && !VERBS.includes(args[1] as (typeof VERBS)[number])) {
      const config = await Config.load(root)
      process.stdout.write(rootHelp(config))
      return
    }

    if (args[0] === '--version' || args[0] === '-v') {
      const config = await Config.load(root)
      process.stdout.write(`${config.name} ${config.version} (OpenClaw ${context.hostVersion ?? 'unknown'})\n`)
      return
    }

    const help = argv.includes('--help') || argv.includes('-h')
    const go = () => run(argv, root)
    await (help ? withRewrittenHelp(process.stdout, NATIVE_BIN, go) : go())
    await flush()
  } catch (error) {
    // Inside the host: set the exit code, never exit the host's process.
    await reportError(error, argv, NATIVE_BIN, (code) => {
      process.exitCode = code
    })
  } finally {
    setNativeHostContext(undefined)
  }
}
