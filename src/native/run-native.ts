/**
 * The oclif side of the native OpenClaw plugin face. Loaded from the plugin's install dir (not the
 * host's snapshot copy of the entry), so @oclif/core, the commands and the native bridge are one
 * set of module instances.
 */
import {Config, Errors, flush, run} from '@oclif/core'
import {Exit, handle} from '@oclif/core/handle'
import path from 'node:path'

import {type NativeHostContext, setNativeHostContext} from '../lib/host/native-bridge.js'
import {canonicalStateDir, hostHome} from '../lib/host/state-rules.js'
import {standaloneArgv} from '../standalone.js'

export const NATIVE_BIN = 'openclaw migrate-machine'
const VERBS = ['export', 'import', 'check'] as const

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
    let canonical = false
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
    const summary = (command?.summary ?? command?.description ?? '').split('\n')[0]
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

/** Rewrites oclif's usage lines (`openclaw-migrate migrate export`) to the command the user typed. */
export function rewriteHelp(text: string, bin: string): string {
  return text.replaceAll(`${bin} migrate `, `${NATIVE_BIN} `).replaceAll(`${bin} migrate\n`, `${NATIVE_BIN}\n`)
}

async function withRewrittenHelp<T>(stream: NodeJS.WriteStream, bin: string, fn: () => Promise<T>): Promise<T> {
  const write = stream.write
  stream.write = function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return (write as (c: string, ...r: unknown[]) => boolean).call(stream, rewriteHelp(text, bin), ...rest)
  } as typeof stream.write
  try {
    return await fn()
  } finally {
    stream.write = write
  }
}

/** oclif's error printing (pretty message, suggestions, exit code), but setting process.exitCode instead of exiting the host. */
async function report(error: unknown, argv: string[]): Promise<void> {
  const err = error instanceof Error ? error : new Error(String(error))
  if (err instanceof Errors.ExitError) {
    process.exitCode = err.oclif.exit ?? 0
    return
  }

  const exit = Exit.exit
  const processArgv = process.argv
  Exit.exit = ((code = 0) => {
    process.exitCode = code
  }) as typeof Exit.exit
  // handle() re-renders usage from process.argv.slice(2) for parse errors.
  process.argv = [processArgv[0], processArgv[1], ...argv]
  try {
    // Parse errors print the command's usage: name the command the way it was typed.
    await withRewrittenHelp(process.stderr, 'openclaw-migrate', () => handle(err))
  } finally {
    Exit.exit = exit
    process.argv = processArgv
  }
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
    await (help ? withRewrittenHelp(process.stdout, 'openclaw-migrate', go) : go())
    await flush()
  } catch (error) {
    await report(error, argv)
  } finally {
    setNativeHostContext(undefined)
  }
}
