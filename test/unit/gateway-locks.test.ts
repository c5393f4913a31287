import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {configHash, findGatewayLocks, isGatewayArgv, proveGatewayPid} from '../../src/lib/host/gateway-locks.js'

/** A real process whose command line is `node <dir>/openclaw.mjs gateway run` (or anything else). */
async function startProcess(dir: string, script: string, args: string[]): Promise<ChildProcess> {
  const file = path.join(dir, script)
  fs.writeFileSync(file, 'setTimeout(() => {}, 60_000)\n')
  const child = spawn(process.execPath, [file, ...args], {stdio: 'ignore'})
  for (let i = 0; i < 50 && !fs.existsSync(`/proc/${child.pid}/cmdline`); i++) await sleep(20)
  // The cmdline switches from the parent's to the child's at exec.
  for (let i = 0; i < 100 && !fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes(script); i++)
    await sleep(20)
  return child
}

/** A process that renames itself like the OpenClaw gateway (`process.title = 'openclaw'`). */
async function startTitled(dir: string): Promise<ChildProcess> {
  const file = path.join(dir, 'titled.mjs')
  fs.writeFileSync(file, "process.title = 'openclaw'\nsetTimeout(() => {}, 60_000)\n")
  const child = spawn(process.execPath, [file], {stdio: 'ignore'})
  for (let i = 0; i < 200; i++) {
    await sleep(20)
    try {
      if (fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() === 'openclaw') break
    } catch {}
  }

  return child
}

describe('gateway locks of every host version', () => {
  let root: string
  let stateDir: string
  let configPath: string
  const children: ChildProcess[] = []
  const legacyFiles: string[] = []

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-locks-'))
    stateDir = path.join(root, '.openclaw-work')
    configPath = path.join(stateDir, 'openclaw.json')
    fs.mkdirSync(stateDir, {recursive: true})
    fs.writeFileSync(configPath, '{}')
  })

  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL')
    for (const f of legacyFiles.splice(0)) fs.rmSync(f, {force: true})
    fs.rmSync(root, {force: true, recursive: true})
  })

  it('finds the 2026.8+ state lock and the pre-2026.7 lock in the system tmp dir, only when they name our config', () => {
    const uid = process.getuid!()
    const lockDir = path.join(stateDir, 'tmp', `openclaw-${uid}`)
    fs.mkdirSync(lockDir, {recursive: true})
    fs.writeFileSync(
      path.join(lockDir, 'gateway.state.lock'),
      JSON.stringify({configPath, pid: 4242, port: 18_789, stateDir}),
    )
    const legacy = path.join(os.tmpdir(), `openclaw-${uid}`, `gateway.${configHash(configPath)}.lock`)
    fs.mkdirSync(path.dirname(legacy), {recursive: true})
    fs.writeFileSync(legacy, JSON.stringify({configPath, createdAt: new Date().toISOString(), pid: 4343}))
    legacyFiles.push(legacy)
    // A lock in our state dir whose content names another config: evidence of a gateway, never a pid to signal.
    fs.writeFileSync(
      path.join(lockDir, 'gateway.other.lock'),
      JSON.stringify({configPath: '/elsewhere/openclaw.json', pid: 4444}),
    )
    // A lock in the system tmp dir that names another config is not ours at all.
    const foreign = path.join(os.tmpdir(), `openclaw-${uid}`, `gateway.${configHash('/x/openclaw.json')}.lock`)
    fs.writeFileSync(foreign, JSON.stringify({configPath: '/x/openclaw.json', pid: 4545}))
    legacyFiles.push(foreign)
    const locks = findGatewayLocks(stateDir, configPath)
    expect(locks.map((l) => [path.basename(l.file), l.pid, l.namesUs]).sort()).to.deep.equal([
      [`gateway.${configHash(configPath)}.lock`, 4343, true],
      ['gateway.other.lock', 4444, false],
      ['gateway.state.lock', 4242, true],
    ])
  })

  it('recognises a gateway command line the way the host does', () => {
    expect(
      isGatewayArgv(['node', '/x/node_modules/openclaw/openclaw.mjs', '--profile', 'work', 'gateway', 'run']),
    ).to.equal(true)
    expect(isGatewayArgv(['/usr/local/bin/openclaw', 'gateway'])).to.equal(true)
    expect(isGatewayArgv(['node', '/x/openclaw.mjs', 'agent', '-m', 'gateway'])).to.equal(true)
    expect(isGatewayArgv(['sleep', '30'])).to.equal(false)
    expect(isGatewayArgv(['node', '/x/other.mjs', 'gateway'])).to.equal(false)
  })

  it('proves a live `openclaw.mjs gateway run` pid, and refuses any other process a lock names', async function () {
    if (!fs.existsSync('/proc/self/cmdline')) this.skip()
    const gateway = await startProcess(root, 'openclaw.mjs', ['gateway', 'run'])
    const other = await startProcess(root, 'notes.mjs', ['gateway'])
    children.push(gateway, other)
    const lock = {configPath, file: 'x', namesUs: true, pid: gateway.pid!, port: null, startTime: null, stateDir}
    expect(proveGatewayPid(lock).proven).to.equal(true)
    const wrong = proveGatewayPid({...lock, pid: other.pid!})
    expect(wrong.proven).to.equal(false)
    expect(wrong.reason).to.match(/not provably an OpenClaw gateway/)
    // A recorded start time that does not match: the pid was reused by another process.
    const reused = proveGatewayPid({...lock, startTime: 1})
    expect(reused.proven).to.equal(false)
    expect(reused.reason).to.match(/reused/)
    // A gateway that set process.title: only its recorded start time can vouch for it.
    const titled = await startTitled(root)
    children.push(titled)
    const titledLock = {...lock, pid: titled.pid!}
    expect(proveGatewayPid(titledLock).proven, 'a bare title without a start time').to.equal(false)
    const stat = fs.readFileSync(`/proc/${titled.pid}/stat`, 'utf8')
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 20)[19])
    expect(proveGatewayPid({...titledLock, startTime}).proven).to.equal(true)
    expect(proveGatewayPid({...titledLock, startTime: startTime + 1}).proven).to.equal(false)
    expect(proveGatewayPid({...lock, namesUs: false}).proven, 'a lock that does not name us').to.equal(false)
    gateway.kill('SIGKILL')
    await new Promise((resolve) => gateway.once('exit', resolve))
    expect(proveGatewayPid(lock).proven).to.equal(false)
  })
})
