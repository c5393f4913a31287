import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, makeRemote, parseJson, resultOf, rmrf, tarCat, tarNames, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {runInProcess as runCli} from '../support/in-process.js'

function lockFile(stateDir: string): string {
  return path.join(stateDir, 'tmp', `openclaw-${process.getuid?.() ?? 0}`, 'gateway.state.lock')
}

describe('migrate export refusals', function () {
  this.timeout(60_000)
  let root: string
  let out: string

  before(() => {
    root = tmpDir('refuse')
    out = path.join(root, 'out')
    fs.mkdirSync(out)
  })

  after(() => {
    rmrf(root)
  })

  describe('a running gateway (live pid in the state lock)', () => {
    let home: string
    let g: GeneratedHome
    let gateway: ChildProcess | undefined
    let exited: Promise<{code: null | number; signal: NodeJS.Signals | null}>

    beforeEach(() => {
      home = fs.mkdtempSync(path.join(root, 'home-'))
      g = generateHome({home, sessions: 1})
      // A stand-in whose command line is the gateway's (`node …/openclaw.mjs gateway run`): only such a pid is signalled.
      const script = path.join(home, 'openclaw.mjs')
      fs.writeFileSync(script, 'setTimeout(() => {}, 300_000)\n')
      gateway = spawn(process.execPath, [script, 'gateway', 'run'], {stdio: 'ignore'})
      exited = new Promise((resolve) =>
        gateway!.once('exit', (code, signal) => {
          resolve({code, signal})
        }),
      )
      expect(gateway.pid).to.be.a('number')
      fs.writeFileSync(
        lockFile(g.stateDir),
        JSON.stringify({configPath: g.configPath, pid: gateway.pid, port: 18_789, stateDir: g.stateDir}),
      )
    })

    afterEach(() => {
      if (gateway && gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL')
      for (const db of g?.holders ?? []) db.close()
    })

    it('refuses with GATEWAY_RUNNING (exit 4) and leaves the gateway alone', async () => {
      const archive = path.join(out, 'live.tar.gz')
      const result = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive, '--json'], {
        cwd: out,
        home,
      })
      expect(result.code, describeRun(result)).to.equal(4)
      const {error} = parseJson(result)
      expect(error.code).to.equal('GATEWAY_RUNNING')
      expect(error.message).to.include(String(gateway!.pid))
      expect(error.suggestions.join(' ')).to.include('--stop-gateway')
      expect(fs.existsSync(archive)).to.equal(false)
      expect(gateway!.exitCode).to.equal(null)
      expect(() => process.kill(gateway!.pid!, 0)).to.not.throw()
    })

    it('--dry-run reports the running gateway instead of refusing', async () => {
      const result = await runCli(['export', '--profile', 'work', '--dry-run', '--json'], {cwd: out, home})
      expect(result.code, describeRun(result)).to.equal(0)
      const {result: plan, warnings} = parseJson(result)
      expect(plan.gateway).to.deep.equal({pid: gateway!.pid, running: true})
      expect(warnings.join('\n')).to.include('--stop-gateway')
    })

    it('--stop-gateway without a host binary SIGTERMs the pid from the lock, then exports', async () => {
      const archive = path.join(out, 'stopped.tar.gz')
      const result = await runCli(['export', '--profile', 'work', '--no-encrypt', '--stop-gateway', '-o', archive], {
        cwd: out,
        home,
      })
      expect(result.code, describeRun(result)).to.equal(0)
      expect(await exited).to.deep.equal({code: null, signal: 'SIGTERM'})
      expect(result.out).to.include('stopped').and.include(`SIGTERM to pid ${gateway!.pid}`)
      expect(tarNames(archive)[0]).to.equal('manifest.json')
    })

    it('--stop-gateway never signals a pid the lock names that is not an OpenClaw gateway', async () => {
      const other = spawn('sleep', ['300'], {stdio: 'ignore'})
      try {
        fs.writeFileSync(
          lockFile(g.stateDir),
          JSON.stringify({configPath: g.configPath, pid: other.pid, port: 18_789, stateDir: g.stateDir}),
        )
        const archive = path.join(out, 'not-signalled.tar.gz')
        const result = await runCli(
          ['export', '--profile', 'work', '--no-encrypt', '--stop-gateway', '-o', archive, '--json'],
          {cwd: out, home},
        )
        expect(result.code, describeRun(result)).to.equal(6)
        expect(parseJson(result).error.code).to.equal('GATEWAY_STOP_FAILED')
        expect(parseJson(result).error.message).to.include('not provably an OpenClaw gateway')
        expect(other.exitCode).to.equal(null)
        expect(() => process.kill(other.pid!, 0)).to.not.throw()
        expect(fs.existsSync(archive)).to.equal(false)
      } finally {
        other.kill('SIGKILL')
      }
    })

    it('--stop-gateway --json reports the stop in the result and the manifest', async () => {
      const archive = path.join(out, 'stopped-json.tar.gz')
      const result = await runCli(
        ['export', '--profile', 'work', '--no-encrypt', '--stop-gateway', '-o', archive, '--json'],
        {cwd: out, home},
      )
      expect(result.code, describeRun(result)).to.equal(0)
      const summary = resultOf(result)
      expect(summary.gateway).to.deep.equal({method: `SIGTERM to pid ${gateway!.pid}`, stopped: true, wasRunning: true})
      expect(JSON.parse(tarCat(archive, 'manifest.json').toString('utf8')).gateway).to.deep.equal({
        stopped: true,
        wasRunning: true,
      })
      expect((await exited).signal).to.equal('SIGTERM')
    })
  })

  it('a stale lock (dead pid) is not a running gateway', async () => {
    const home = fs.mkdtempSync(path.join(root, 'home-'))
    const g = generateHome({home, sessions: 1, walPending: false})
    // The generator's lock names pid 999999999, which does not exist.
    expect(fs.existsSync(lockFile(g.stateDir))).to.equal(true)
    const result = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', path.join(out, 'stale.tar.gz')], {
      cwd: out,
      home,
    })
    expect(result.code, describeRun(result)).to.equal(0)
  })

  it('remote mode: REMOTE_MODE (exit 4) with the advice to migrate the gateway host', async () => {
    const home = fs.mkdtempSync(path.join(root, 'home-'))
    const g = generateHome({home, sessions: 1, walPending: false})
    makeRemote(g.configPath)
    const archive = path.join(out, 'remote.tar.gz')
    const json = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive, '--json'], {
      cwd: out,
      home,
    })
    expect(json.code, describeRun(json)).to.equal(4)
    const {error} = parseJson(json)
    expect(error.code).to.equal('REMOTE_MODE')
    expect(error.message).to.include('remote').and.include('wss://gateway.example.net:18789')
    expect(error.suggestions.join(' ')).to.include('migrate the gateway host')
    const human = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {cwd: out, home})
    expect(human.code).to.equal(4)
    expect(human.err).to.include('remote mode')
    expect(fs.existsSync(archive)).to.equal(false)
  })

  it('a missing state dir: STATE_NOT_FOUND (exit 4), also for a --profile that does not exist', async () => {
    const home = fs.mkdtempSync(path.join(root, 'empty-home-'))
    const [plain, profiled, flagged] = await Promise.all([
      runCli(['export', '--no-encrypt', '--json', '-o', path.join(out, 'none.tar.gz')], {cwd: out, home}),
      runCli(['export', '--profile', 'ghost', '--no-encrypt', '--json', '-o', path.join(out, 'none.tar.gz')], {
        cwd: out,
        home,
      }),
      runCli(['export', '--state-dir', path.join(home, 'nowhere'), '--dry-run', '--json'], {cwd: out, home}),
    ])
    for (const [result, dir] of [
      [plain, path.join(home, '.openclaw')],
      [profiled, path.join(home, '.openclaw-ghost')],
      [flagged, path.join(home, 'nowhere')],
    ] as const) {
      expect(result.code, describeRun(result)).to.equal(4)
      const {error} = parseJson(result)
      expect(error.code).to.equal('STATE_NOT_FOUND')
      expect(error.message).to.include(dir)
    }

    expect(fs.readdirSync(home)).to.deep.equal([])
    expect(fs.existsSync(path.join(out, 'none.tar.gz'))).to.equal(false)
  })
})
