/**
 * Issue 3, "done when": after activation the import hands over to OpenClaw itself, in order,
 * for the imported profile: config validate → doctor --fix → doctor --lint → plugin reinstalls →
 * gateway restart → gateway status, and prints the exact start command when no service manager
 * can restart the gateway. Driven (a) through a recording stand-in `openclaw` executable on PATH
 * and (b) through the fixture oclif host, where the host's own commands run in-process.
 */
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {type CliResult, describeRun, parseJson, pathWithoutOpenClaw, resultOf} from '../support/cli.js'
import {
  diffSnapshots,
  type ExportedSource,
  findStaging,
  onboardedStateDir,
  snapshotHome,
  standardSource,
  targetHome,
} from '../support/import-fixtures.js'
import {runInProcess as runCli} from '../support/in-process.js'
import {createOclifHost, linkPlugin, type OclifHost} from '../support/oclif-host.js'
import {installStandInOpenClaw, type StandInOpenClaw} from '../support/stand-in-openclaw.js'

/** The calls a host resolution makes before anything else (asked of the binary for the profile). */
const CONTEXT_CALLS = new Set(['--version', 'config file --json', 'database ownership status --json'])

type Scenario = {
  before: Map<string, string>
  home: string
  result: CliResult
  root: string
  standIn: null | StandInOpenClaw
}

describe('import chaining into OpenClaw', function () {
  this.timeout(120_000)
  let src: ExportedSource
  const cleanups: Array<() => void> = []

  before(async () => {
    src = await standardSource()
  })

  after(() => {
    for (const c of cleanups) c()
  })

  describe('(a) a stand-in `openclaw` executable on PATH', () => {
    const scenarios: Record<string, Scenario> = {}
    let plugins: Array<{id: string; spec: null | string}>

    /** Starts one import in a fresh target home (with what onboarding leaves) and a stand-in of this version. */
    async function scenario(
      name: string,
      args: string[],
      options: {host?: boolean; version?: string} = {},
    ): Promise<void> {
      const t = targetHome(name)
      cleanups.push(t.cleanup)
      onboardedStateDir(t.home)
      const standIn =
        options.host === false ? null : installStandInOpenClaw(path.join(t.root, 'standin'), {version: options.version})
      const before = snapshotHome(t.home)
      const env = {PATH: standIn ? `${standIn.binDir}:${pathWithoutOpenClaw()}` : pathWithoutOpenClaw()}
      const result = await runCli(['import', src.plain, '--accept-placement', ...args], {env, home: t.home})
      scenarios[name] = {before, home: t.home, result, root: t.root, standIn}
    }

    before(async () => {
      plugins = src.manifest.profiles[0].plugins
      await Promise.all([
        scenario('full', []),
        scenario('skips', ['--no-doctor', '--no-restart', '--json']),
        scenario('old', ['--json'], {version: '2026.8.1'}),
        scenario('downgrade', ['--allow-downgrade', '--json'], {version: '2026.8.1'}),
        scenario('missing', ['--json'], {host: false}),
        scenario('nohost', ['--no-host', '--json'], {host: false}),
        scenario('dry', ['--dry-run', '--json']),
      ])
    })

    /** The chain: every call after the host resolution and the pre-write gateway probe. */
    function chainCalls(s: Scenario) {
      const calls = s.standIn!.calls()
      return calls.slice(calls.findIndex((c) => c.command === 'config validate --json'))
    }

    it('runs config validate → plugin installs → doctor --fix → doctor --lint → gateway restart → gateway status, each with --profile work', () => {
      const s = scenarios.full
      expect(s.result.code, describeRun(s.result)).to.equal(0)
      const calls = s.standIn!.calls()
      const chain = chainCalls(s)
      expect(chain.map((c) => c.command)).to.deep.equal([
        'config validate --json',
        // Reinstalled before doctor --fix, which then finishes their deferred state migrations (real host 2026.9.6).
        ...plugins.filter((p) => p.spec).map((p) => `plugins install ${p.spec} --force --accept-capabilities`),
        'doctor --fix --non-interactive',
        'doctor --lint --json --severity-min error',
        'gateway restart',
        'gateway status --json --timeout 3000',
      ])
      expect(plugins.filter((p) => p.spec).length, 'the fixture records installed plugins').to.be.greaterThan(0)
      // Before the chain: only the host's answers about itself, and a probe of the onboarded state's gateway.
      expect(
        calls
          .slice(0, calls.length - chain.length)
          .map((c) => c.command)
          .filter((c) => !CONTEXT_CALLS.has(c)),
      ).to.deep.equal(['gateway status --json --timeout 3000'])
      for (const c of calls) {
        // The host resolution follows the import's own flags (none here); everything for the target names its profile.
        if (!CONTEXT_CALLS.has(c.command)) expect(c.profile, c.argv.join(' ')).to.equal('work')
        // The host's --profile sets the env itself: nothing may point it at another state dir.
        expect(c.env, c.argv.join(' ')).to.not.have.any.keys('OPENCLAW_STATE_DIR', 'OPENCLAW_CONFIG_PATH')
      }
    })

    it('a dry run lists the OpenClaw commands the import runs, as typed, in the same order, and runs none of them', () => {
      const {dry} = scenarios
      expect(dry.result.code, describeRun(dry.result)).to.equal(0)
      const planned = resultOf(dry.result).plannedChain as Array<{
        command: string
        skipped: null | string
        when: null | string
      }>
      // Without --start-gateway, `gateway run` is only printed for the user; everything else runs as listed.
      const runs = planned.filter((s) => !s.skipped).map((s) => s.command)
      expect(runs.every((c) => c.startsWith('openclaw --profile work '))).to.equal(true)
      expect(runs.map((c) => c.slice('openclaw --profile work '.length))).to.deep.equal(
        chainCalls(scenarios.full).map((c) => c.command),
      )
      expect(planned.find((s) => s.step === 'gateway start')?.command).to.equal('openclaw --profile work gateway run')
      const calls = dry.standIn!.calls().map((c) => c.command)
      expect(calls.filter((c) => !CONTEXT_CALLS.has(c) && !c.startsWith('gateway status'))).to.deep.equal([])
    })

    it('prints the exact start command when the gateway service cannot be restarted', () => {
      const {out} = scenarios.full.result
      expect(out).to.include('\n  - Start the gateway: openclaw --profile work gateway run\n')
      // Honest statuses: no service manager is a skip with the host's words, not an "ok" nor a failure.
      expect(out).to.match(
        /^ {2}skipped +gateway restart.* — no service manages this gateway: Gateway service disabled\./m,
      )
      expect(out).to.match(
        /^ {2}warning +gateway status.* — not running: start it with `openclaw --profile work gateway run`/m,
      )
      expect(out).to.not.match(/FAILED/)
      for (const step of ['config validate', 'doctor --fix', 'doctor --lint'])
        expect(out).to.match(new RegExp(`^ {2}ok +${step}`, 'm'))
      // Not the last two lines glued with " | ": the doctor's own last line.
      expect(out).to.match(/^ {2}ok +doctor --fix.* — Doctor complete\.$/m)
      // The verification passed before OpenClaw was asked anything.
      expect(out).to.match(/^Ready[.,]/m)
    })

    it('--no-doctor and --no-restart skip those steps (plugins are still reinstalled)', () => {
      const s = scenarios.skips
      expect(s.result.code, describeRun(s.result)).to.equal(0)
      expect(chainCalls(s).map((c) => c.command)).to.deep.equal([
        'config validate --json',
        ...plugins.filter((p) => p.spec).map((p) => `plugins install ${p.spec} --force --accept-capabilities`),
      ])
      const out = resultOf(s.result)
      const steps = Object.fromEntries(out.chain.steps.map((st: any) => [st.step, st.skipped ?? 'ran']))
      expect(steps).to.include({
        'config validate': 'ran',
        'doctor --fix': '--no-doctor',
        'doctor --lint': '--no-doctor',
        'gateway restart': '--no-restart',
      })
      expect(steps).to.not.have.key('gateway status')
      expect(out.chain.startCommand).to.equal('openclaw --profile work gateway run')
      expect(out.manualSteps[0]).to.equal('Start the gateway: openclaw --profile work gateway run')
    })

    it('refuses an OpenClaw older than the state (HOST_TOO_OLD, exit 5) and writes nothing', () => {
      const s = scenarios.old
      expect(s.result.code, describeRun(s.result)).to.equal(5)
      const {error} = parseJson(s.result)
      expect(error.code).to.equal('HOST_TOO_OLD')
      expect(error.message).to.include('2026.8.1').and.include('2026.9.6')
      expect(diffSnapshots(s.before, snapshotHome(s.home))).to.deep.equal([])
      expect(findStaging(s.root)).to.deep.equal([])
      expect(
        s
          .standIn!.calls()
          .map((c) => c.command)
          .filter((c) => !CONTEXT_CALLS.has(c)),
      ).to.deep.equal([])
    })

    it('--allow-downgrade imports into the older OpenClaw anyway, and says so', () => {
      const s = scenarios.downgrade
      expect(s.result.code, describeRun(s.result)).to.equal(0)
      const out = resultOf(s.result)
      expect(out.versions).to.deep.equal({downgrade: true, installed: '2026.8.1', source: '2026.9.6'})
      expect(out.chain.ok).to.equal(true)
      expect(chainCalls(s)[0].command).to.equal('config validate --json')
      expect(fs.existsSync(path.join(s.home, '.openclaw-work', 'state', 'openclaw.sqlite'))).to.equal(true)
    })

    it('without openclaw on PATH: HOST_MISSING (exit 5) and nothing written, unless --no-host', () => {
      const s = scenarios.missing
      expect(s.result.code, describeRun(s.result)).to.equal(5)
      expect(parseJson(s.result).error.code).to.equal('HOST_MISSING')
      expect(diffSnapshots(s.before, snapshotHome(s.home))).to.deep.equal([])
      expect(findStaging(s.root)).to.deep.equal([])

      const n = scenarios.nohost
      expect(n.result.code, describeRun(n.result)).to.equal(0)
      const out = resultOf(n.result)
      expect(out.chain).to.equal(null)
      expect(out.versions).to.deep.equal({downgrade: false, installed: null, source: '2026.9.6'})
      expect(out.verification.ok).to.equal(true)
    })
  })

  describe('(b) through the fixture oclif host', () => {
    let host: OclifHost
    let gateway: ChildProcess
    let result: {code: null | number; stderr: string; stdout: string}

    before(async () => {
      host = createOclifHost()
      cleanups.push(() => {
        host.cleanup()
      })
      const link = await linkPlugin(host)
      expect(link.code, link.stderr).to.equal(0)
      // Stands in for the gateway the host's restart brings up, so `gateway status` answers at once.
      gateway = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
      host.clearLog()
      // The host roots its profiles at FIXTURE_HOST_STATE_ROOT: make that this HOME, where the import puts them.
      // --allow-downgrade: the fixture calls itself 2026.9.6-fixture, a pre-release of the 2026.9.6 that wrote the state.
      result = await host.run(
        ['migrate', 'import', src.encrypted!, '--passphrase-file', src.passFile, '--allow-downgrade'],
        {
          env: {FIXTURE_HOST_GATEWAY_PID: String(gateway.pid), FIXTURE_HOST_STATE_ROOT: host.home},
          timeoutMs: 60_000,
        },
      )
    })

    after(() => {
      gateway?.kill('SIGKILL')
    })

    it('`openclaw migrate import <archive> --passphrase-file f` runs the host doctor and gateway restart in-process', () => {
      expect(result.code, `${result.stdout}\n${result.stderr}`).to.equal(0)
      const state = path.join(host.home, '.openclaw-work')
      const log = host.readLog().filter((l) => !l.command.startsWith('hook:'))
      expect(log.map((l) => `${l.command} ${l.argv.join(' ')}`)).to.deep.equal([
        'config:validate --json --profile work',
        'doctor --fix --non-interactive --profile work',
        'doctor --lint --json --severity-min error --profile work',
        'gateway:restart --profile work',
        'gateway:status --json --timeout 3000 --profile work',
      ])
      const {pid} = host.readLog().find((l) => l.command === 'hook:openclaw:resolve-context')!
      for (const l of log) {
        expect(l.pid, 'same process as the plugin: config.runCommand').to.equal(pid)
        expect(l.stateDir).to.equal(state)
        expect(l.env).to.include({OPENCLAW_PROFILE: 'work', OPENCLAW_STATE_DIR: state})
      }

      expect(fs.existsSync(path.join(state, 'openclaw.json'))).to.equal(true)
      expect(result.stdout).to.match(/^ {2}ok +doctor --fix/m)
      expect(result.stdout).to.match(/^ {2}ok +gateway restart/m)
      expect(result.stdout).to.match(/^ {2}ok +gateway status.* — gateway answers/m)
      // No openclaw executable here: plugin reinstalls are left to the user, said so.
      expect(result.stdout).to.match(/^ {2}skipped +reinstall plugin/m)
      expect(result.stdout).to.not.include('Start the gateway:')
    })
  })
})
