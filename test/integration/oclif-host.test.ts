/**
 * The plugin inside an oclif host: test/fixtures/oclif-host is a small `openclaw` CLI (plain ESM,
 * `@oclif/plugin-plugins`, the `openclaw:resolve-context` hook, doctor / gateway / config validate).
 * The repo is linked into it with `plugins link`, and `openclaw migrate ...` runs through the host's
 * own bin, so context resolution goes through the host's hook and host commands through
 * config.runCommand. The hook roots its state dirs at FIXTURE_HOST_STATE_ROOT, not HOME, so the
 * hook's answer can't be confused with the plugin's built-in rules.
 */
import {Config} from '@oclif/core'
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {HostCommands} from '../../src/lib/host/host-commands.js'
import {resolveHostContext} from '../../src/lib/host/host-context.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {
  createOclifHost,
  envelopeOf,
  FIXTURE_HOST_ROOT,
  FIXTURE_HOST_VERSION,
  type HostLogLine,
  linkPlugin,
  type OclifHost,
  REPO_ROOT,
  resultOf,
} from '../support/oclif-host.js'

type ContextJson = {
  configPath: string
  hostVersion: null | string
  profile: null | string
  sources: {configPath: string; hostVersion: null | string; profile: string; stateDir: string}
  stateDir: string
}

const hookCalls = (log: HostLogLine[]) => log.filter((l) => l.command === 'hook:openclaw:resolve-context')

describe('oclif host: the plugin linked into a fixture `openclaw` CLI', function () {
  this.timeout(60_000)
  let host: OclifHost
  let work: GeneratedHome

  before(async () => {
    host = createOclifHost()
    const link = await linkPlugin(host)
    expect(link.code, link.stderr).to.equal(0)
    // Generated where the host's hook says the `work` profile lives: <state root>/.openclaw-work.
    work = generateHome({home: host.stateRoot, profile: 'work'})
  })

  after(() => {
    for (const holder of work?.holders ?? []) holder.close()
    host?.cleanup()
  })

  beforeEach(() => {
    host.clearLog()
  })

  it('links the repo as a user plugin in the host data dir under the temp HOME', async () => {
    const pjson = JSON.parse(fs.readFileSync(path.join(host.dataDir, 'package.json'), 'utf8'))
    expect(pjson.oclif.plugins).to.deep.include({
      name: '@openclaw/plugin-migrate',
      root: path.resolve(REPO_ROOT),
      type: 'link',
    })
    const list = await host.run(['plugins'])
    expect(list.code, list.stderr).to.equal(0)
    // plugin-plugins shows @openclaw/plugin-migrate by its friendly name (the host's scope is openclaw).
    expect(list.stdout).to.include(
      `migrate ${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version} (link) ${path.resolve(REPO_ROOT)}`,
    )
  })

  it('shows `migrate export` and `migrate check` in the host help', async () => {
    const help = await host.run(['migrate', '--help'])
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.match(/openclaw migrate COMMAND/)
    expect(help.stdout).to.match(/migrate check\b/)
    expect(help.stdout).to.match(/migrate export\b/)
  })

  it('export --dry-run --json takes the state dir from the host hook', async () => {
    const result = await host.run(['migrate', 'export', '--dry-run', '--json', '--profile', 'work'])
    expect(result.code, result.stderr).to.equal(0)
    const plan = resultOf<{
      context: ContextJson
      dryRun: boolean
      profiles: Array<{stateDir: string}>
      totals: {files: number}
    }>(result)
    expect(plan.dryRun).to.equal(true)
    expect(plan.context.sources).to.deep.equal({
      configPath: 'oclif-hook',
      hostVersion: 'oclif-hook',
      profile: 'oclif-hook',
      stateDir: 'oclif-hook',
    })
    expect(plan.context.stateDir).to.equal(work.stateDir)
    expect(plan.context.configPath).to.equal(work.configPath)
    expect(plan.context.hostVersion).to.equal(FIXTURE_HOST_VERSION)
    expect(plan.context.profile).to.equal('work')
    // The built-in rules would have said HOME/.openclaw-work, which does not exist.
    expect(plan.context.stateDir.startsWith(host.home)).to.equal(false)
    expect(plan.profiles.map((p) => p.stateDir)).to.deep.equal([work.stateDir])
    expect(plan.totals.files).to.be.greaterThan(10)
  })

  it('passes --profile work to the hook (and the hook alone picks the dir)', async () => {
    const result = await host.run(['migrate', 'export', '--dry-run', '--json', '--profile', 'work'])
    expect(result.code, result.stderr).to.equal(0)
    const calls = hookCalls(host.readLog())
    expect(calls).to.have.length(1)
    expect(calls[0].input).to.deep.equal({dev: false, profile: 'work'})
    expect(calls[0].result?.stateDir).to.equal(work.stateDir)
    expect(path.basename(resultOf<{context: ContextJson}>(result).context.stateDir)).to.equal('.openclaw-work')
  })

  it('check --json runs the host gateway status in-process for the same profile, keeping its output off stdout', async () => {
    const result = await host.run(['migrate', 'check', '--json', '--profile', 'work'])
    // ready or not (exit 0/1), stdout must be exactly one JSON document: ours.
    expect(result.code, result.stderr).to.be.oneOf([0, 1])
    const check = resultOf<{
      checks: Array<{id: string; message: string; status: string}>
      context: ContextJson
      ready: boolean
    }>(result)
    expect(check.context.sources.stateDir).to.equal('oclif-hook')
    expect(check.context.stateDir).to.equal(work.stateDir)
    expect(check.checks.find((c) => c.id === 'gateway')).to.include({status: 'ok'})

    const log = host.readLog()
    const status = log.filter((l) => l.command === 'gateway:status')
    expect(status, JSON.stringify(log)).to.have.length(1)
    // config.runCommand in the same process as the hook: the host command got the profile's env.
    expect(status[0].pid).to.equal(hookCalls(log)[0].pid)
    expect(status[0].argv).to.include('--json')
    expect(status[0].env.OPENCLAW_STATE_DIR).to.equal(work.stateDir)
    expect(status[0].env.OPENCLAW_PROFILE).to.equal('work')
    expect(status[0].stateDir).to.equal(work.stateDir)
  })

  it('honours the host-global form `openclaw --profile work migrate check`', async () => {
    const result = await host.run(['--profile', 'work', 'migrate', 'check', '--json'])
    expect(result.code, result.stderr).to.be.oneOf([0, 1])
    const check = resultOf<{context: ContextJson}>(result)
    expect(check.context.sources.stateDir).to.equal('oclif-hook')
    expect(check.context.stateDir).to.equal(work.stateDir)
    expect(hookCalls(host.readLog())[0].input).to.deep.equal({dev: false, profile: null})
  })

  describe('with a gateway the host reports as running', () => {
    let gateway: ChildProcess

    before(() => {
      gateway = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
    })

    after(() => {
      gateway.kill('SIGKILL')
    })

    it('export --dry-run sees it through the host status probe (returned data, not stdout)', async () => {
      const result = await host.run(['migrate', 'export', '--dry-run', '--json', '--profile', 'work'], {
        env: {FIXTURE_HOST_GATEWAY_PID: String(gateway.pid)},
      })
      expect(result.code, result.stderr).to.equal(0)
      const {result: plan, warnings} = envelopeOf<{gateway: {pid: null | number; running: boolean}}>(result)
      expect(plan!.gateway).to.deep.equal({pid: gateway.pid, running: true})
      expect(warnings.join('\n')).to.match(/--stop-gateway/)
      expect(host.readLog().filter((l) => l.command === 'gateway:status')).to.have.length(1)
    })
  })

  describe('HostCommands in the oclif host path (in-process Config of the fixture host)', () => {
    let config: Config
    const saved: Record<string, string | undefined> = {}

    before(async () => {
      for (const k of [
        'FIXTURE_HOST_LOG',
        'FIXTURE_HOST_STATE_ROOT',
        'FIXTURE_HOST_FAIL',
        'OPENCLAW_STATE_DIR',
        'OPENCLAW_PROFILE',
        'OPENCLAW_CONFIG_PATH',
      ])
        saved[k] = process.env[k]
      process.env.FIXTURE_HOST_LOG = host.logFile
      process.env.FIXTURE_HOST_STATE_ROOT = host.stateRoot
      delete process.env.FIXTURE_HOST_FAIL
      // userPlugins: false: don't read any plugin list from the real data dir.
      config = await Config.load({root: FIXTURE_HOST_ROOT, userPlugins: false})
    })

    after(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    })

    async function workContext() {
      return resolveHostContext({config, env: {...process.env, HOME: host.home}, noBinary: true, profile: 'work'})
    }

    it('resolves the context through the hook and runs the fixture doctor via config.runCommand', async () => {
      const context = await workContext()
      expect(context.hostKind).to.equal('oclif')
      expect(context.sources.stateDir).to.equal('oclif-hook')
      expect(context.stateDir).to.equal(work.stateDir)

      const commands = new HostCommands(context, config)
      for (const id of ['doctor', 'gateway:restart', 'gateway:stop', 'gateway:status', 'config:validate'])
        expect(commands.hasOclifCommand(id), id).to.equal(true)
      const exitCodeBefore = process.exitCode
      const result = await commands.run('doctor', ['--fix', '--non-interactive', '--json'])
      expect(result).to.include({exitCode: 0, via: 'oclif'})
      expect(result.command).to.equal('openclaw doctor --fix --non-interactive --json')
      expect(result.data).to.include({fixed: true, ok: true, stateDir: work.stateDir})
      // The nested command's JSON was captured, not printed into the test runner's stdout.
      expect(JSON.parse(result.stdout)).to.deep.equal(result.data)

      const doctor = host.readLog().filter((l) => l.command === 'doctor')
      expect(doctor).to.have.length(1)
      expect(doctor[0].pid).to.equal(process.pid)
      expect(doctor[0].argv).to.deep.equal(['--fix', '--non-interactive', '--json'])
      expect(doctor[0].env).to.include({
        OPENCLAW_CONFIG_PATH: work.configPath,
        OPENCLAW_PROFILE: 'work',
        OPENCLAW_STATE_DIR: work.stateDir,
      })
      // ...and the profile env is put back afterwards.
      expect(process.env.OPENCLAW_STATE_DIR).to.equal(saved.OPENCLAW_STATE_DIR)
      expect(process.exitCode).to.equal(exitCodeBefore)
    })

    it('reports a failing host command by exit code without leaving process.exitCode set', async () => {
      const context = await workContext()
      const commands = new HostCommands(context, config)
      const exitCodeBefore = process.exitCode
      process.env.FIXTURE_HOST_FAIL = 'config:validate'
      try {
        const json = await commands.run('config:validate', ['--json'])
        expect(json.exitCode).to.equal(1)
        expect(json.data).to.deep.include({ok: false, valid: false})
        const plain = await commands.run('config:validate', [])
        expect(plain.exitCode).to.equal(1)
        expect(plain.stderr).to.match(/told to fail/)
      } finally {
        delete process.env.FIXTURE_HOST_FAIL
      }

      expect(process.exitCode).to.equal(exitCodeBefore)
      const ok = await commands.run('config:validate', ['--json'])
      expect(ok.exitCode).to.equal(0)
      expect(ok.data).to.deep.equal({path: work.configPath, valid: true, warnings: []})
    })

    it('keeps the return value and the exit code of a command that returns data but exits non-zero', async () => {
      const context = await workContext()
      const missing = {
        ...context,
        configPath: path.join(host.dir, 'nowhere', 'openclaw.json'),
        stateDir: path.join(host.dir, 'nowhere'),
      }
      const result = await new HostCommands(missing, config).run('doctor', ['--lint', '--json'])
      expect(result.exitCode).to.equal(1)
      expect(result.data).to.deep.include({ok: false, schemaVersion: 1})
    })
  })
})
