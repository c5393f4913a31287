/**
 * The native plugin face without the host: what the entry registers, what it must not touch while
 * the host only collects CLI metadata, and how it maps the host's argv onto our oclif commands.
 * (The real host runs it end to end in migrate-machine.test.ts.)
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {NativeHostContext} from '../../src/lib/host/native-bridge.js'

import {rewriteHelp} from '../../src/lib/cli-face.js'
import entry, {
  type HostCommand,
  type HostPluginApi,
  hostVersionOf,
  MIGRATION_PROVIDER_ID,
  nativeContext,
  PLUGIN_ID,
  ROOT_COMMAND,
} from '../../src/native/openclaw-entry.js'
import {NATIVE_BIN, nativeArgv} from '../../src/native/run-native.js'
import {REPO_ROOT} from './support/openclaw.js'

function fakeProgram() {
  const calls: Array<[string, unknown[]]> = []
  let action: ((args: string[]) => unknown) | undefined
  const command: HostCommand = new Proxy({} as HostCommand, {
    get(_, name: string) {
      return (...args: unknown[]) => {
        calls.push([name, args])
        if (name === 'action') action = args[0] as (a: string[]) => unknown
        return command
      }
    },
  })
  return {action: () => action, calls, program: command}
}

/** The host's runtime throws on any access while it only collects metadata (registrationMode "cli-metadata"). */
const throwingRuntime = new Proxy(
  {},
  {
    get() {
      throw new Error('runtime is not available in cli-metadata mode')
    },
  },
) as HostPluginApi['runtime']

describe('native OpenClaw plugin entry (no host)', () => {
  it('registers one root command, migrate-machine, with help off and raw argv, without touching the runtime', () => {
    const registered: Array<{descriptors?: unknown[]; registrar?: (ctx: {program: HostCommand}) => unknown}> = []
    const api: HostPluginApi = {
      registerCli: (registrar, opts) => registered.push({descriptors: opts?.descriptors, registrar}),
      registrationMode: 'cli-metadata',
      rootDir: REPO_ROOT,
      runtime: throwingRuntime,
    }
    entry.register(api)
    expect(registered).to.have.length(1)
    expect(registered[0].descriptors).to.deep.equal([
      {description: entry.description, hasSubcommands: true, name: ROOT_COMMAND},
    ])
    const fake = fakeProgram()
    registered[0].registrar!({program: fake.program})
    const names = fake.calls.map(([n]) => n)
    expect(fake.calls[0]).to.deep.equal(['command', [ROOT_COMMAND]])
    expect(fake.calls).to.deep.include.members([
      ['helpOption', [false]],
      ['allowUnknownOption', [true]],
      ['allowExcessArguments', [true]],
      ['argument', ['[args...]']],
    ])
    // The host owns --profile/--dev (it strips them wherever they appear): never define options.
    expect(names).to.not.include('option')
    expect(fake.action()).to.be.a('function')
  })

  it('registers the `openclaw` migration provider (when the host has the API) without touching the runtime', () => {
    const providers: Array<Parameters<NonNullable<HostPluginApi['registerMigrationProvider']>>[0]> = []
    const api: HostPluginApi = {
      registerCli() {},
      registerMigrationProvider: (provider) => providers.push(provider),
      registrationMode: 'discovery',
      rootDir: REPO_ROOT,
      runtime: throwingRuntime,
    }
    entry.register(api)
    expect(providers.map((p) => [p.id, p.label])).to.deep.equal([[MIGRATION_PROVIDER_ID, 'OpenClaw (another machine)']])
    expect(providers[0].plan).to.be.a('function')
    expect(providers[0].apply).to.be.a('function')
    // An older host without the API still gets its CLI.
    expect(() => {
      entry.register({...api, registerMigrationProvider: undefined})
    }).to.not.throw()
  })

  it('openclaw.plugin.json, package.json and the entry agree', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'openclaw.plugin.json'), 'utf8'))
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'))
    expect(manifest.id).to.equal(PLUGIN_ID)
    expect(entry.id).to.equal(PLUGIN_ID)
    expect(manifest.configSchema).to.deep.equal({additionalProperties: false, properties: {}, type: 'object'})
    expect(manifest.cliCommands).to.deep.equal([
      {description: entry.description, hasSubcommands: true, name: ROOT_COMMAND},
    ])
    expect(manifest.activation).to.deep.equal({onCommands: [ROOT_COMMAND], onStartup: false})
    expect(manifest.contracts).to.deep.equal({migrationProviders: [MIGRATION_PROVIDER_ID]})
    expect(pkg.openclaw.extensions).to.deep.equal(['./dist/native/openclaw-entry.js'])
    expect(pkg.files).to.include.members(['bin', 'dist', 'oclif.manifest.json', 'openclaw.plugin.json'])
  })

  it('takes the host context from the runtime (inside the action) and the env the host set', () => {
    const api = {
      registerCli() {},
      rootDir: REPO_ROOT,
      runtime: {state: {resolveStateDir: () => '/h/.openclaw-work'}, version: '2026.9.6'},
    } as HostPluginApi
    const context = nativeContext(api, {
      OPENCLAW_CONFIG_PATH: '/h/.openclaw-work/openclaw.json',
      OPENCLAW_PROFILE: 'work',
    })
    expect(context).to.deep.include({
      configPath: '/h/.openclaw-work/openclaw.json',
      hostVersion: '2026.9.6',
      profile: 'work',
      stateDir: '/h/.openclaw-work',
    })
    expect(context.hostCommand).to.deep.equal({args: [process.argv[1]], file: process.execPath})
  })

  it('falls back to the running openclaw package for the host version', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-native-'))
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({name: 'openclaw', version: '2026.10.2'}))
      fs.writeFileSync(path.join(dir, 'openclaw.mjs'), '')
      expect(hostVersionOf({runtime: throwingRuntime}, path.join(dir, 'openclaw.mjs'))).to.equal('2026.10.2')
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({name: 'something-else', version: '1.0.0'}))
      expect(hostVersionOf({runtime: throwingRuntime}, path.join(dir, 'openclaw.mjs'))).to.equal(null)
    } finally {
      fs.rmSync(dir, {force: true, recursive: true})
    }
  })

  it('maps the host argv onto the oclif commands, passing the host profile on to import and check', () => {
    const home = '/home/u'
    const env = {HOME: home}
    const ctx = (profile: null | string, stateDir: string): NativeHostContext => ({
      hostVersion: '2026.9.6',
      profile,
      stateDir,
    })
    const work = ctx('work', `${home}/.openclaw-work`)
    expect(nativeArgv([], work, env)).to.deep.equal(['migrate', '--help'])
    expect(nativeArgv(['--help'], work, env)).to.deep.equal(['migrate', '--help'])
    expect(nativeArgv(['help', 'import'], work, env)).to.deep.equal(['migrate', 'import', '--help'])
    expect(nativeArgv(['export', '--json', '-o', 'x'], work, env)).to.deep.equal([
      'migrate',
      'export',
      '--json',
      '-o',
      'x',
    ])
    expect(nativeArgv(['import', 'a.age'], work, env)).to.deep.equal([
      'migrate',
      'import',
      'a.age',
      '--profile',
      'work',
    ])
    expect(nativeArgv(['check', '--against', 'a.age'], work, env)).to.deep.equal([
      'migrate',
      'check',
      '--against',
      'a.age',
      '--profile',
      'work',
    ])
    expect(nativeArgv(['import', 'a.age', '--state-dir', '/x'], work, env)).to.deep.equal([
      'migrate',
      'import',
      'a.age',
      '--state-dir',
      '/x',
    ])
    expect(nativeArgv(['import', '--help'], work, env)).to.deep.equal(['migrate', 'import', '--help'])
    // OPENCLAW_PROFILE alone does not move the state dir: then the host's dir is not that profile's.
    expect(nativeArgv(['import', 'a.age'], ctx('work', `${home}/.openclaw`), env)).to.deep.equal([
      'migrate',
      'import',
      'a.age',
    ])
    expect(nativeArgv(['import', 'a.age'], ctx(null, `${home}/.openclaw`), env)).to.deep.equal([
      'migrate',
      'import',
      'a.age',
    ])
    expect(nativeArgv(['frobnicate'], work, env)).to.deep.equal(['migrate', 'frobnicate'])
  })

  it('names commands in help the way they were typed', () => {
    expect(rewriteHelp('USAGE\n  $ openclaw-migrate migrate export [--json]\n', NATIVE_BIN)).to.equal(
      'USAGE\n  $ openclaw migrate-machine export [--json]\n',
    )
  })
})
