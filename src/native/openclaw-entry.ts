/**
 * Native OpenClaw plugin entry: `openclaw [--profile NAME] migrate-machine export|import|check ...`.
 *
 * The real host is commander-based. It loads this file (from a throwaway snapshot copy) to collect
 * CLI registrations; `api.rootDir` is the real install dir with our dependencies. This file stays
 * free of dependencies so help listings stay fast, and hands the raw argv to the oclif commands
 * loaded from `api.rootDir` (see run-native.ts), after leaving the host's own context for them.
 *
 * The host strips its root options (--profile, --dev) wherever they appear and applies them itself:
 * they are never seen here and must not be defined on the command.
 */
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type {NativeHostContext} from '../lib/host/native-bridge.js'
import type {MigrationProvider} from './migration-contract.js'
import type * as MigrationProviderModule from './migration-provider.js'
import type * as RunNative from './run-native.js'

export const PLUGIN_ID = 'migrate-machine'
export const ROOT_COMMAND = 'migrate-machine'
export const MIGRATION_PROVIDER_ID = 'openclaw'
const DESCRIPTION = 'Move this OpenClaw gateway to another machine: export, import, check (plugin-migrate)'

/** The parts of the host's plugin API this entry touches (OpenClawPluginApi, 2026.9). */
export type HostCommand = {
  action(fn: (args: string[]) => Promise<void> | void): HostCommand
  allowExcessArguments(allow?: boolean): HostCommand
  allowUnknownOption(allow?: boolean): HostCommand
  argument(name: string, description?: string): HostCommand
  command(name: string): HostCommand
  description(text: string): HostCommand
  helpOption(flags: boolean | string): HostCommand
}

export type HostPluginApi = {
  id?: string
  registerCli: (
    registrar: (ctx: {program: HostCommand}) => Promise<void> | void,
    opts?: {descriptors?: Array<{description: string; hasSubcommands: boolean; name: string}>},
  ) => void
  /** OpenClaw 2026.9+: `openclaw migrate <id>` providers; absent on older hosts. */
  registerMigrationProvider?: (provider: MigrationProvider) => void
  registrationMode?: string
  rootDir?: string
  runtime: {state: {resolveStateDir: () => string}; version?: string}
}

/** The package dir holding dist/ and oclif.manifest.json: the host's install dir, else next to this file. */
export function packageRoot(api: Pick<HostPluginApi, 'rootDir'>): string {
  if (api.rootDir && fs.existsSync(path.join(api.rootDir, 'package.json'))) return api.rootDir
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
}

/** The running host's version: its plugin runtime, else the package.json of the running `openclaw.mjs`. */
export function hostVersionOf(api: Pick<HostPluginApi, 'runtime'>, script = process.argv[1]): null | string {
  try {
    const v = api.runtime.version
    if (typeof v === 'string' && /^\d/.test(v)) return v
  } catch {
    // the runtime proxy throws outside command actions
  }

  try {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(path.dirname(fs.realpathSync(script)), 'package.json'), 'utf8'),
    ) as {name?: string; version?: string}
    if (pkg.name === 'openclaw' && typeof pkg.version === 'string') return pkg.version
  } catch {
    // not started from an installed openclaw package
  }

  return null
}

/** The running host's command, version and profile (the runtime is not asked: it may be unavailable while registering). */
export function hostInfo(
  api: HostPluginApi,
  env: NodeJS.ProcessEnv = process.env,
): Omit<NativeHostContext, 'stateDir'> {
  return {
    configPath: env.OPENCLAW_CONFIG_PATH ? path.resolve(env.OPENCLAW_CONFIG_PATH) : undefined,
    // Chained commands (doctor, gateway ...) run with the host's own executable, script and env.
    hostCommand: {args: process.argv[1] ? [process.argv[1]] : [], file: process.execPath},
    hostVersion: hostVersionOf(api),
    profile: env.OPENCLAW_PROFILE || null,
  }
}

/** What the host knows about itself; only valid inside a command action (the runtime is live then). */
export function nativeContext(api: HostPluginApi, env: NodeJS.ProcessEnv = process.env): NativeHostContext {
  return {...hostInfo(api, env), stateDir: api.runtime.state.resolveStateDir()}
}

/** Loads the provider's implementation from the install dir only when the host calls it (listing stays cheap). */
function migrationProvider(api: HostPluginApi): MigrationProvider {
  const load = async () =>
    (await import(
      pathToFileURL(path.join(packageRoot(api), 'dist', 'native', 'migration-provider.js')).href
    )) as typeof MigrationProviderModule
  const host = () => hostInfo(api)

  return {
    async apply(ctx, plan) {
      return (await load()).applyArchive(ctx, plan, host())
    },
    description: 'Import an archive made by `openclaw migrate-machine export` on another machine (plugin-migrate).',
    async detect(ctx) {
      return (await load()).detectArchive(ctx)
    },
    id: MIGRATION_PROVIDER_ID,
    label: 'OpenClaw (another machine)',
    async plan(ctx) {
      return (await load()).planArchive(ctx, host())
    },
  }
}

const entry = {
  description: DESCRIPTION,
  id: PLUGIN_ID,
  name: 'OpenClaw Migrate',
  register(api: HostPluginApi): void {
    if (typeof api.registerMigrationProvider === 'function') api.registerMigrationProvider(migrationProvider(api))
    api.registerCli(
      ({program}) => {
        program
          .command(ROOT_COMMAND)
          .description(DESCRIPTION)
          .helpOption(false)
          .allowUnknownOption(true)
          .allowExcessArguments(true)
          .argument('[args...]')
          .action(async (args: string[]) => {
            const root = packageRoot(api)
            const {runNative} = (await import(
              pathToFileURL(path.join(root, 'dist', 'native', 'run-native.js')).href
            )) as typeof RunNative
            await runNative({args: args ?? [], context: nativeContext(api), root})
          })
      },
      {descriptors: [{description: DESCRIPTION, hasSubcommands: true, name: ROOT_COMMAND}]},
    )
  },
}

export default entry
