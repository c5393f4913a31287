import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, makeRemote, resultOf, rmrf, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {runInProcess as runCli} from '../support/in-process.js'

type CheckJson = {
  checks: Array<{fix?: string; id: string; message: string; status: 'ok' | 'problem' | 'warn'}>
  context: {sources: Record<string, null | string>; stateDir: string}
  ready: boolean
}

describe('migrate check (source readiness)', function () {
  this.timeout(60_000)
  let root: string
  let home: string
  let g: GeneratedHome

  before(() => {
    root = tmpDir('check')
    home = path.join(root, 'home')
    fs.mkdirSync(home)
    g = generateHome({home, sessions: 2})
  })

  after(() => {
    for (const db of g?.holders ?? []) db.close()
    rmrf(root)
  })

  it('a generated home is ready: exit 0, one line per check, "Ready."', async () => {
    const result = await runCli(['check', '--profile', 'work'], {home})
    expect(result.code, describeRun(result)).to.equal(0)
    expect(result.out).to.include(`Export readiness of ${g.stateDir}`)
    // Ready, and the warnings (no OpenClaw installed here, a symlink leaving the roots) are counted.
    expect(result.out).to.match(/^Ready, with 2 warnings above\.$/m)
    expect(result.out).to.not.match(/^\s+FIX /m)
    expect(result.out).to.include('The gateway is not running')
  })

  it('--json has the shape {ready, checks[]} with an entry for each area', async () => {
    const result = await runCli(['check', '--profile', 'work', '--json'], {home})
    expect(result.code, describeRun(result)).to.equal(0)
    const report = resultOf<CheckJson>(result)
    expect(report.ready).to.equal(true)
    expect(report.checks).to.be.an('array').that.is.not.empty
    for (const c of report.checks) {
      expect(c.id).to.be.a('string')
      expect(c.message).to.be.a('string').and.not.equal('')
      expect(c.status).to.be.oneOf(['ok', 'warn', 'problem'])
    }

    const ids = new Set(report.checks.map((c) => c.id))
    for (const id of [
      'state-dir',
      'host',
      'config',
      'remote-mode',
      'workspaces',
      'gateway',
      'ownership',
      'secret-modes',
      'secrets',
      'free-space',
    ])
      expect(ids.has(id), id).to.equal(true)
    expect(report.checks.filter((c) => c.status === 'problem')).to.deep.equal([])
    expect(report.context.stateDir).to.equal(g.stateDir)
    expect(report.context.sources.stateDir).to.equal('builtin')
  })

  it('a world-readable secret (.env 644) is a problem: exit 1 and a `chmod 600` fix naming the file', async () => {
    const env = path.join(g.stateDir, '.env')
    fs.chmodSync(env, 0o644)
    try {
      const human = await runCli(['check', '--profile', 'work'], {home})
      expect(human.code, describeRun(human)).to.equal(1)
      const fixLine = human.out.split('\n').find((l) => l.includes('chmod 600'))
      expect(fixLine, human.out).to.be.a('string').and.include(env)
      expect(human.out).to.include('Not ready: 1 problem to fix first.')
      const json = resultOf<CheckJson>(await runCli(['check', '--profile', 'work', '--json'], {home}))
      expect(json.ready).to.equal(false)
      const problem = json.checks.find((c) => c.status === 'problem')!
      expect(problem.id).to.equal('secret-modes')
      expect(problem.fix).to.equal(`chmod 600 ${env}`)
    } finally {
      fs.chmodSync(env, 0o600)
    }
  })

  it('a running gateway is a warning (export needs --stop-gateway), not a blocker', async () => {
    const lock = path.join(g.stateDir, 'tmp', `openclaw-${process.getuid?.() ?? 0}`, 'gateway.state.lock')
    const original = fs.readFileSync(lock)
    let child: ChildProcess | undefined
    try {
      child = spawn('sleep', ['300'], {stdio: 'ignore'})
      fs.writeFileSync(lock, JSON.stringify({pid: child.pid, port: 18_789}))
      const result = await runCli(['check', '--profile', 'work', '--json'], {home})
      expect(result.code, describeRun(result)).to.equal(0)
      const gateway = resultOf<CheckJson>(result).checks.find((c) => c.id === 'gateway')!
      expect(gateway.status).to.equal('warn')
      expect(gateway.message).to.include(String(child.pid))
      expect(gateway.fix).to.include('--stop-gateway')
    } finally {
      child?.kill('SIGKILL')
      fs.writeFileSync(lock, original)
    }
  })

  it('remote mode is a problem: exit 1', async () => {
    const remoteHome = path.join(root, 'remote-home')
    fs.mkdirSync(remoteHome)
    const remote = generateHome({home: remoteHome, sessions: 1, walPending: false})
    makeRemote(remote.configPath)
    const [human, json] = await Promise.all([
      runCli(['check', '--profile', 'work'], {home: remoteHome}),
      runCli(['check', '--profile', 'work', '--json'], {home: remoteHome}),
    ])
    expect(human.code, describeRun(human)).to.equal(1)
    expect(human.out).to.include('remote mode')
    expect(json.code).to.equal(1)
    const report = resultOf<CheckJson>(json)
    expect(report.ready).to.equal(false)
    const problem = report.checks.find((c) => c.id === 'remote-mode')!
    expect(problem.status).to.equal('problem')
    expect(problem.fix).to.include('gateway host')
  })

  it('a missing state dir is a problem: exit 1', async () => {
    const empty = path.join(root, 'empty-home')
    fs.mkdirSync(empty)
    const result = await runCli(['check', '--profile', 'work', '--json'], {home: empty})
    expect(result.code, describeRun(result)).to.equal(1)
    const report = resultOf<CheckJson>(result)
    expect(report.ready).to.equal(false)
    expect(report.checks.find((c) => c.status === 'problem')!.message).to.include(path.join(empty, '.openclaw-work'))
  })

  it('warns about a legacy ~/.clawdbot next to the profile in use', async () => {
    const legacy = path.join(home, '.clawdbot')
    fs.mkdirSync(legacy)
    fs.writeFileSync(path.join(legacy, 'clawdbot.json'), '{}')
    try {
      const result = await runCli(['check', '--profile', 'work', '--json'], {home})
      expect(result.code, describeRun(result)).to.equal(0)
      const warn = resultOf<CheckJson>(result).checks.find((c) => c.id === 'legacy-dir')!
      expect(warn.status).to.equal('warn')
      expect(warn.message).to.include(legacy)
    } finally {
      rmrf(legacy)
    }
  })
})
