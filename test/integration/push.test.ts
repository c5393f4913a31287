/**
 * `push` between two local users through a real sshd on 127.0.0.1: the old machine's user runs
 * the push (its ~/.ssh/config names the new machine), the new machine's user runs the tool that
 * ssh starts there. Both sides use the stand-in openclaw, whose `gateway run` holds the real lock
 * file, so "the gateway is running" is a live process on each side.
 */
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {
  cliEnv,
  type CliResult,
  describeRun,
  DEV_BIN,
  parseJson,
  pathWithoutOpenClaw,
  rmrf,
  tmpDir,
} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {snapshotHome} from '../support/import-fixtures.js'
import {chownTree, ensureUser, type LocalUser, removeUser, sshdUnavailable, TestSshd} from '../support/sshd.js'
import {installStandInOpenClaw, type StandInOpenClaw} from '../support/stand-in-openclaw.js'

// Fresh users for every pair of machines: a user whose processes still run cannot be re-homed.
const TAG = randomBytes(2).toString('hex')
const ALIAS = 'newbox'

type Machines = {
  g: GeneratedHome
  neu: LocalUser
  newOpenClaw: StandInOpenClaw
  old: LocalUser
  oldOpenClaw: StandInOpenClaw
  root: string
}

function lockPid(stateDir: string, user: LocalUser): null | number {
  const lock = path.join(stateDir, 'tmp', `openclaw-${user.uid}`, 'gateway.state.lock')
  try {
    const {pid} = JSON.parse(fs.readFileSync(lock, 'utf8')) as {pid: number}
    process.kill(pid, 0)
    return pid
  } catch {
    return null
  }
}

/**
 * What a gateway and SQLite leave by themselves: the gateway's lock (tmp/), its log when push starts
 * it again, and the -wal/-shm side files of the export's read-only snapshot connection.
 */
const ignoreTmp = (rel: string) =>
  rel.split(path.sep).includes('tmp') || rel.endsWith('logs/gateway-migrate.log') || /\.sqlite-(wal|shm)$/.test(rel)

function expectSameTree(after: Map<string, string>, before: Map<string, string>): void {
  const changed = [...new Set([...after.keys(), ...before.keys()])].filter((k) => after.get(k) !== before.get(k))
  expect(changed.map((k) => `${k}: ${before.get(k) ?? '-'} -> ${after.get(k) ?? '-'}`)).to.deep.equal([])
}

describe('push over ssh (real sshd on 127.0.0.1, two local users)', function () {
  this.timeout(300_000)
  const why = sshdUnavailable()
  let base: string
  let sshd: TestSshd
  const gateways: ChildProcess[] = []
  const started: Array<{stateDir: string; user: LocalUser}> = []
  const users: string[] = []

  before(async function () {
    if (why) this.skip()
    base = tmpDir('push')
    fs.chmodSync(base, 0o755)
    sshd = new TestSshd(path.join(base, 'sshd'))
    await sshd.start([`ocm${TAG}*`])
  })

  after(() => {
    for (const {stateDir, user} of started) {
      const pid = lockPid(stateDir, user)
      if (pid) process.kill(pid, 'SIGTERM')
    }

    for (const g of gateways) g.kill('SIGTERM')
    sshd?.stop()
    for (const u of users) removeUser(u)
    rmrf(base)
  })

  function machines(name: string, options: {newEnv?: Record<string, string>; newVersion?: string} = {}): Machines {
    const root = path.join(base, name)
    const n = users.length / 2
    users.push(`ocm${TAG}${n}o`, `ocm${TAG}${n}n`)
    const old = ensureUser(`ocm${TAG}${n}o`, path.join(root, 'old', 'home', 'alice'))
    const neu = ensureUser(`ocm${TAG}${n}n`, path.join(root, 'new', 'home', 'bob'))
    const g = generateHome({home: old.home, profile: 'work', walPending: false})
    for (const h of g.holders) h.close()
    const oldOpenClaw = installStandInOpenClaw(path.join(root, 'old', 'tools'))
    const newOpenClaw = installStandInOpenClaw(path.join(root, 'new', 'tools'), {version: options.newVersion})
    // What `npm install -g @openclaw/plugin-migrate` puts on the new machine's PATH.
    fs.writeFileSync(
      path.join(newOpenClaw.binDir, 'openclaw-migrate'),
      `#!/bin/sh\nexec ${process.execPath} ${DEV_BIN} "$@"\n`,
      {mode: 0o755},
    )
    chownTree(path.join(root, 'old'), old)
    chownTree(path.join(root, 'new'), neu)
    sshd.authorize(old, neu, ALIAS)
    sshd.setEnvironment(neu, {
      NO_COLOR: '1',
      PATH: `${newOpenClaw.binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      ...options.newEnv,
    })
    return {g, neu, newOpenClaw, old, oldOpenClaw, root}
  }

  function envFor(m: Machines, user: LocalUser, openclaw: StandInOpenClaw): NodeJS.ProcessEnv {
    return cliEnv({env: {PATH: `${openclaw.binDir}:${pathWithoutOpenClaw()}`}, home: user.home})
  }

  /** `openclaw --profile work gateway run` as that user, detached like a user's terminal would leave it. */
  async function startGateway(user: LocalUser, openclaw: StandInOpenClaw, stateDir: string): Promise<number> {
    const child = spawn(openclaw.file, ['--profile', 'work', 'gateway', 'run'], {
      detached: true,
      env: cliEnv({env: {PATH: `${openclaw.binDir}:/usr/bin:/bin`}, home: user.home}),
      gid: user.gid,
      stdio: 'ignore',
      uid: user.uid,
    })
    gateways.push(child)
    started.push({stateDir, user})
    for (let i = 0; i < 100; i++) {
      const pid = lockPid(stateDir, user)
      if (pid) return pid
      await new Promise((r) => setTimeout(r, 100))
    }

    throw new Error(`the stand-in gateway on ${stateDir} did not start`)
  }

  function runAs(m: Machines, args: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [DEV_BIN, ...args], {
        cwd: m.old.home,
        env: envFor(m, m.old, m.oldOpenClaw),
        gid: m.old.gid,
        stdio: ['ignore', 'pipe', 'pipe'],
        uid: m.old.uid,
      })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (c: Buffer) => out.push(c))
      child.stderr.on('data', (c: Buffer) => err.push(c))
      child.on('error', reject)
      child.on('close', (code, signal) => {
        const stdout = Buffer.concat(out)
        resolve({code, err: Buffer.concat(err).toString(), out: stdout.toString(), signal, stdout})
      })
    })
  }

  const newState = (m: Machines) => path.join(m.neu.home, '.openclaw-work')

  it('moves the state, starts the gateway there, prints the downtime and retires this copy; --restore-source puts it back', async () => {
    const m = machines('success')
    const before = snapshotHome(m.old.home, {ignore: ignoreTmp})
    const oldPid = await startGateway(m.old, m.oldOpenClaw, m.g.stateDir)
    const result = await runAs(m, ['push', ALIAS, '--profile', 'work', '--start-gateway'])
    started.push({stateDir: newState(m), user: m.neu}) // the gateway push started there: stopped after the suite
    expect(result.code, describeRun(result)).to.equal(0)
    expect(result.out).to.match(/gateway down for \d+\.\d s/)
    expect(result.out).to.match(/Sent .* ahead while the gateway here kept running/)
    expect(result.out).to.match(/Then, gateway stopped: [1-9]\d* unchanged files named/)
    expect(result.err).to.include(`[${ALIAS}] verified`)
    // What went ahead was moved into place: the store there is gone.
    expect(fs.readdirSync(path.join(m.neu.home, '.openclaw-migrate', 'push-seeds'))).to.deep.equal([])
    // Old: gateway stopped, state moved aside under a name that says where it went.
    expect(lockPid(m.g.stateDir, m.old)).to.equal(null)
    expect(() => process.kill(oldPid, 0)).to.throw()
    expect(fs.existsSync(m.g.stateDir)).to.equal(false)
    const aside = fs.readdirSync(m.old.home).filter((n) => n.startsWith('.openclaw-work.moved-to-newbox-'))
    expect(aside).to.have.length(1)
    expect(aside[0]).to.match(/^\.openclaw-work\.moved-to-newbox-\d{8}T\d{6}Z$/)
    // No second gateway can start on the retired copy.
    const again = await runOpenClaw(m.old, m.oldOpenClaw, ['--profile', 'work', 'gateway', 'run'])
    expect(again.code).to.equal(1)
    expect(lockPid(path.join(m.old.home, aside[0]), m.old)).to.equal(null)
    // New: the state is there, owned by the new user, and its gateway answers.
    const cfg = fs.statSync(path.join(newState(m), 'openclaw.json'))
    expect(cfg.uid).to.equal(m.neu.uid)
    expect(lockPid(newState(m), m.neu)).to.be.a('number')
    expect(m.newOpenClaw.calls().map((c) => c.command)).to.include.members([
      'doctor --fix --non-interactive',
      'gateway run',
    ])

    const restored = await runAs(m, ['push', '--restore-source', '--profile', 'work'])
    expect(restored.code, describeRun(restored)).to.equal(0)
    expect(restored.out).to.include(`Restored ${m.g.stateDir}`)
    expectSameTree(
      snapshotHome(m.old.home, {ignore: (rel) => ignoreTmp(rel) || rel.startsWith('.openclaw-migrate')}),
      before,
    )
    const twice = await runAs(m, ['push', '--restore-source', '--profile', 'work', '--json'])
    expect(twice.code).to.equal(4)
    expect(parseJson(twice).error.code).to.equal('RESTORE_NOTHING')
  })

  it('stops at the preflight when the new machine refuses: nothing changes on either side, the old gateway keeps running', async () => {
    const m = machines('refused', {newVersion: '2026.1.0'})
    // Onboarding there already created the target profile, and its gateway runs.
    fs.mkdirSync(newState(m), {mode: 0o700})
    fs.writeFileSync(path.join(newState(m), 'openclaw.json'), '{gateway: {mode: "local"}}\n', {mode: 0o600})
    chownTree(newState(m), m.neu)
    const newPid = await startGateway(m.neu, m.newOpenClaw, newState(m))
    const oldPid = await startGateway(m.old, m.oldOpenClaw, m.g.stateDir)
    const oldBefore = snapshotHome(m.old.home, {ignore: ignoreTmp})
    const newBefore = snapshotHome(m.neu.home, {ignore: ignoreTmp})
    const result = await runAs(m, ['push', ALIAS, '--profile', 'work', '--json'])
    expect(result.code, describeRun(result)).to.equal(5)
    const {error} = parseJson(result)
    expect(error.code).to.equal('REMOTE_REFUSED')
    expect(error.details.problems.map((p: {code: string}) => p.code)).to.have.members([
      'TARGET_GATEWAY_RUNNING',
      'HOST_TOO_OLD',
    ])
    expect(lockPid(m.g.stateDir, m.old)).to.equal(oldPid)
    expect(lockPid(newState(m), m.neu)).to.equal(newPid)
    expectSameTree(snapshotHome(m.old.home, {ignore: ignoreTmp}), oldBefore)
    expectSameTree(snapshotHome(m.neu.home, {ignore: ignoreTmp}), newBefore)
  })

  it('rolls both sides back when the import there fails after activation: old gateway running again, new machine undone', async () => {
    const m = machines('remote-fails', {newEnv: {STANDIN_OPENCLAW_FAIL: 'doctor --fix'}})
    const oldBefore = snapshotHome(m.old.home, {ignore: ignoreTmp})
    const oldPid = await startGateway(m.old, m.oldOpenClaw, m.g.stateDir)
    const result = await runAs(m, ['push', ALIAS, '--profile', 'work', '--start-gateway', '--json'])
    expect(result.code, describeRun(result)).to.equal(5)
    const {error} = parseJson(result)
    expect(error.code).to.equal('REMOTE_IMPORT_FAILED')
    expect(error.message).to.include('doctor --fix failed')
    expect(error.message).to.include('This machine is as it was before the push. Its gateway was started again')
    const pid = lockPid(m.g.stateDir, m.old)
    expect(pid).to.be.a('number').and.not.equal(oldPid)
    expectSameTree(snapshotHome(m.old.home, {ignore: ignoreTmp}), oldBefore)
    // New: nothing at the target any more; the imported copy stepped aside by the journal's undo.
    expect(fs.existsSync(newState(m))).to.equal(false)
    const undone = fs.readdirSync(m.neu.home).filter((n) => n.startsWith('.openclaw-work.undone-'))
    expect(undone).to.have.length(1)
    // The gateway the import started there was stopped before the undo moved its state away.
    expect(m.newOpenClaw.calls().map((c) => c.command)).to.include('gateway run')
    expect(lockPid(path.join(m.neu.home, undone[0]), m.neu)).to.equal(null)
    expect(fs.readdirSync(path.join(m.neu.home, '.openclaw-migrate', 'push-seeds'))).to.deep.equal([])
  })

  it('a failure while sending ahead changes nothing: the gateway here never stopped', async () => {
    const m = machines('ahead-fails')
    // The new machine cannot keep what is sent ahead: its tool dir is a file.
    fs.writeFileSync(path.join(m.neu.home, '.openclaw-migrate'), 'not a dir\n')
    chownTree(path.join(m.neu.home, '.openclaw-migrate'), m.neu)
    const oldPid = await startGateway(m.old, m.oldOpenClaw, m.g.stateDir)
    const oldBefore = snapshotHome(m.old.home, {ignore: ignoreTmp})
    const newBefore = snapshotHome(m.neu.home, {ignore: ignoreTmp})
    const result = await runAs(m, ['push', ALIAS, '--profile', 'work', '--json'])
    expect(result.code, describeRun(result)).to.equal(5)
    const {error} = parseJson(result)
    expect(error.code).to.equal('REMOTE_IMPORT_FAILED')
    expect(error.message).to.include('the gateway here kept running')
    expect(lockPid(m.g.stateDir, m.old)).to.equal(oldPid)
    expectSameTree(snapshotHome(m.old.home, {ignore: ignoreTmp}), oldBefore)
    expectSameTree(snapshotHome(m.neu.home, {ignore: ignoreTmp}), newBefore)
  })

  it('--keep-source --one-phase leaves this copy in place with its gateway stopped; an unreachable host changes nothing', async () => {
    const m = machines('keep')
    await startGateway(m.old, m.oldOpenClaw, m.g.stateDir)
    const unreachable = await runAs(m, ['push', ALIAS, '--profile', 'work', '-p', '1', '--json'])
    expect(unreachable.code, describeRun(unreachable)).to.equal(5)
    expect(parseJson(unreachable).error.code).to.equal('SSH_FAILED')
    expect(lockPid(m.g.stateDir, m.old)).to.be.a('number')

    const result = await runAs(m, ['push', ALIAS, '--profile', 'work', '--keep-source', '--one-phase', '--json'])
    expect(result.code, describeRun(result)).to.equal(0)
    const out = parseJson(result).result
    expect(out.sentAhead).to.equal(null)
    expect(out.withheld).to.equal(0)
    expect(out.keptSource).to.equal(true)
    expect(out.retired).to.equal(null)
    expect(out.gateway).to.deep.equal({stopped: true, wasRunning: true})
    expect(out.downtimeMs).to.equal(null)
    expect(out.remote.entries).to.be.greaterThan(10)
    expect(fs.existsSync(path.join(m.g.stateDir, 'openclaw.json'))).to.equal(true)
    expect(lockPid(m.g.stateDir, m.old)).to.equal(null)
    expect(fs.existsSync(path.join(newState(m), 'openclaw.json'))).to.equal(true)
  })
})

function runOpenClaw(user: LocalUser, openclaw: StandInOpenClaw, args: string[]): Promise<{code: null | number}> {
  return new Promise((resolve) => {
    const child = spawn(openclaw.file, args, {
      env: cliEnv({env: {PATH: `${openclaw.binDir}:/usr/bin:/bin`}, home: user.home}),
      gid: user.gid,
      stdio: 'ignore',
      uid: user.uid,
    })
    const timer = setTimeout(() => child.kill('SIGTERM'), 10_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code})
    })
  })
}
