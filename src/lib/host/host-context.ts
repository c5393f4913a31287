import type {Config} from '@oclif/core'

import path from 'node:path'

import {MigrateError} from '../errors.js'
import {expandHome, isInside} from '../util/paths.js'
import {getNativeHostContext} from './native-bridge.js'
import {locateOpenClaw, OpenClawBinary} from './openclaw-binary.js'
import {
  defaultConfigPath,
  hostHome,
  type ProfileSelection,
  type ResolvedLocation,
  resolveWithBuiltinRules,
  validateProfileName,
} from './state-rules.js'

/**
 * The hook an oclif host implements so that this plugin reuses the host's own profile and
 * state-dir resolution. Contract (documented in the README):
 *   event:  "openclaw:resolve-context"
 *   input:  {profile?: string, dev?: boolean}
 *   result: {stateDir: string, configPath?: string, profile?: string | null, hostVersion?: string | null}
 */
export const RESOLVE_CONTEXT_HOOK = 'openclaw:resolve-context'

export type ResolveContextHookResult = {
  configPath?: string
  hostVersion?: null | string
  profile?: null | string
  stateDir: string
}

export type ContextSource = 'builtin' | 'flag' | 'oclif-hook' | 'openclaw-binary' | 'openclaw-plugin'

export type HostContext = {
  binary: null | OpenClawBinary
  configPath: string
  home: string
  /** How host commands are run: through the oclif host, or through the `openclaw` executable. */
  hostKind: 'binary' | 'none' | 'oclif' | 'openclaw-plugin'
  hostVersion: null | string
  profile: null | string
  /** Which source answered each field. */
  sources: {
    configPath: ContextSource
    hostVersion: ContextSource | null
    profile: ContextSource
    stateDir: ContextSource
  }
  stateDir: string
  warnings: string[]
}

export type ResolveOptions = ProfileSelection & {
  config?: Config
  env?: NodeJS.ProcessEnv
  /** Skip asking the `openclaw` executable (tests, --no-host). */
  noBinary?: boolean
  openclawBin?: string
  stateDir?: string
}

export function profileArgs(selection: ProfileSelection): string[] {
  if (selection.dev) return ['--dev']
  if (selection.profile) return ['--profile', selection.profile]
  return []
}

async function askOclifHost(
  config: Config | undefined,
  selection: ProfileSelection,
): Promise<null | ResolveContextHookResult> {
  if (!config) return null
  const hasImplementation = config.getPluginsList().some((p) => p.hooks?.[RESOLVE_CONTEXT_HOOK]?.length)
  if (!hasImplementation) return null
  const outcome = await config.runHook(RESOLVE_CONTEXT_HOOK, {dev: Boolean(selection.dev), profile: selection.profile})
  const answer = outcome.successes
    .map((s) => s.result as ResolveContextHookResult | undefined)
    .find((r) => r && typeof r.stateDir === 'string')
  if (!answer && outcome.failures.length > 0) {
    throw new MigrateError(
      'HOST_COMMAND_FAILED',
      `The host's ${RESOLVE_CONTEXT_HOOK} hook failed: ${outcome.failures[0].error.message}`,
      {
        suggestions: ['Pass --state-dir to bypass the host resolution.'],
      },
    )
  }

  return answer ?? null
}

type BinaryAnswer = {
  configPath: null | string
  hostVersion: null | string
  stateDir: null | string
}

async function askBinary(binary: OpenClawBinary): Promise<BinaryAnswer> {
  const [config, database, hostVersion] = await Promise.all([
    binary.json<{path?: string}>(['config', 'file', '--json'], {timeoutMs: 60_000}),
    binary.json<{databasePath?: string}>(['database', 'ownership', 'status', '--json'], {timeoutMs: 60_000}),
    binary.version(),
  ])
  const databasePath = database.data?.databasePath
  return {
    configPath: config.data?.path ?? null,
    // databasePath is <stateDir>/state/openclaw.sqlite
    stateDir: databasePath ? path.dirname(path.dirname(databasePath)) : null,
    hostVersion,
  }
}

/**
 * Resolves {stateDir, configPath, profile, hostVersion} from the best available authority:
 * --state-dir flag > oclif host hook > native OpenClaw plugin API > `openclaw` executable > built-in rules.
 */
export async function resolveHostContext(options: ResolveOptions): Promise<HostContext> {
  const env = options.env ?? process.env
  if (options.profile) validateProfileName(options.profile)
  if (options.profile && options.dev)
    throw new MigrateError('USAGE', '--profile and --dev select different state dirs; pass only one.')
  const selection: ProfileSelection = {dev: options.dev, profile: options.profile}
  const home = hostHome(env)
  const warnings: string[] = []
  const explicitStateDir = options.stateDir ? path.resolve(expandHome(options.stateDir, home)) : null
  let builtin: ResolvedLocation
  try {
    builtin = resolveWithBuiltinRules(selection, env)
  } catch (error) {
    // --state-dir overrides every other resolution, so it also settles an ambiguous ~/.openclaw + ~/.clawdbot pair.
    if (!explicitStateDir || !(error instanceof MigrateError && error.code === 'AMBIGUOUS_STATE')) throw error
    builtin = {
      configPath: defaultConfigPath(explicitStateDir),
      home,
      profile: selection.dev ? 'dev' : (selection.profile ?? null),
      stateDir: explicitStateDir,
      warnings: [],
    }
  }

  const binaryFile = options.noBinary ? null : locateOpenClaw(options.openclawBin, env)
  const binary = binaryFile ? new OpenClawBinary(binaryFile, profileArgs(selection), env) : null
  const native = getNativeHostContext()

  let context: HostContext | undefined
  const hook = await askOclifHost(options.config, selection)
  if (hook) {
    context = {
      stateDir: path.resolve(expandHome(hook.stateDir, home)),
      configPath: hook.configPath
        ? path.resolve(expandHome(hook.configPath, home))
        : path.join(path.resolve(expandHome(hook.stateDir, home)), 'openclaw.json'),
      profile: hook.profile === undefined ? builtin.profile : hook.profile,
      hostVersion: hook.hostVersion ?? null,
      home,
      sources: {
        stateDir: 'oclif-hook',
        configPath: 'oclif-hook',
        profile: 'oclif-hook',
        hostVersion: hook.hostVersion ? 'oclif-hook' : null,
      },
      hostKind: 'oclif',
      binary,
      warnings,
    }
  } else if (native) {
    context = {
      stateDir: native.stateDir,
      configPath: native.configPath ?? builtin.configPath,
      profile: native.profile,
      hostVersion: native.hostVersion,
      home,
      sources: {
        stateDir: 'openclaw-plugin',
        configPath: native.configPath ? 'openclaw-plugin' : 'builtin',
        profile: 'openclaw-plugin',
        hostVersion: native.hostVersion ? 'openclaw-plugin' : null,
      },
      hostKind: 'openclaw-plugin',
      binary: native.hostCommand
        ? new OpenClawBinary(native.hostCommand.file, [...native.hostCommand.args, ...profileArgs(selection)], env)
        : binary,
      warnings,
    }
  } else if (binary) {
    const answer = await askBinary(binary)
    if (answer.stateDir || answer.configPath) {
      const stateDir = answer.stateDir ?? builtin.stateDir
      context = {
        stateDir,
        configPath: answer.configPath ?? builtin.configPath,
        profile: builtin.profile,
        hostVersion: answer.hostVersion,
        home,
        sources: {
          stateDir: answer.stateDir ? 'openclaw-binary' : 'builtin',
          configPath: answer.configPath ? 'openclaw-binary' : 'builtin',
          profile: 'builtin',
          hostVersion: answer.hostVersion ? 'openclaw-binary' : null,
        },
        hostKind: 'binary',
        binary,
        warnings,
      }
      if (answer.stateDir && path.resolve(answer.stateDir) !== builtin.stateDir) {
        warnings.push(
          `The host resolves the state dir to ${answer.stateDir}, not ${builtin.stateDir}; using the host's answer.`,
        )
      }
    } else {
      warnings.push(`${binary.file} did not report its state dir; using built-in rules.`)
    }
  }

  context ??= {
    stateDir: builtin.stateDir,
    configPath: builtin.configPath,
    profile: builtin.profile,
    hostVersion: binary ? await binary.version() : null,
    home,
    sources: {
      stateDir: 'builtin',
      configPath: 'builtin',
      profile: 'builtin',
      hostVersion: binary ? 'openclaw-binary' : null,
    },
    hostKind: binary ? 'binary' : 'none',
    binary,
    warnings,
  }
  warnings.push(...builtin.warnings.filter((w) => !warnings.includes(w)))

  if (explicitStateDir) {
    const explicit = explicitStateDir
    const configFollowsState = isInside(context.configPath, context.stateDir) && !env.OPENCLAW_CONFIG_PATH
    context.stateDir = explicit
    context.sources.stateDir = 'flag'
    if (configFollowsState) {
      context.configPath = defaultConfigPath(explicit)
      context.sources.configPath = 'flag'
    }
  }

  if (!isInside(context.configPath, context.stateDir)) {
    warnings.push(
      `The config ${context.configPath} lives outside the state dir ${context.stateDir}; it is exported as its own root.`,
    )
  }

  return context
}
