/**
 * `push` end to end with the real OpenClaw (host-version.ts) on both machines, through a real sshd
 * on 127.0.0.1 between two local users (test/support/sshd.ts), as issue 14 asks: push with the
 * gateway running, the downtime printed, the new gateway answers, the old one is stopped and cannot
 * start again on the retired state.
 *
 * Old machine (user ...o): state built through the host itself (support/source-state.ts, as the
 * migrate-machine suite does) and its `gateway run` running. New machine (user ...n): onboarded with
 * `setup --baseline`, the same OpenClaw and `openclaw-migrate` (this checkout's bin/dev.js, so the
 * current code) on the PATH its ssh logins get. The old user runs `openclaw-migrate push newbox
 * --profile work --start-gateway`. Needs root (useradd, sshd) and openssh-server; skipped otherwise.
 */
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {chownTree, ensureUser, type LocalUser, removeUser, sshdUnavailable, TestSshd} from '../support/sshd.js'
import {E2E_OPENCLAW_VERSION} from './host-version.js'
import {hashTree, readJson, rows, scanDb, sha256File} from './support/inspect.js'
import {type MockLlm, startMockLlm} from './support/mock-llm.js'
import {CACHE_DIR, ensureHost, freePort, type Host, Machine, PROFILE, REPO_ROOT} from './support/openclaw.js'
import {
  alive,
  describeRun,
  parseJson,
  runProcess,
  type RunResult,
  setCommandLog,
  stopAllTracked,
  stopGroup,
  trackPid,
} from './support/proc.js'
import {buildSourceState, captureSourceFiles} from './support/source-state.js'
import {configSecrets, cronJobsOf, deviceKeySha, diffTrees, sessionsOf, short} from './support/state-facts.js'
import {observe, renderSummary, saveSummary, timing} from './support/summary.js'

const ALIAS = 'newbox'
// Fresh users every run: a user whose processes still run cannot be re-homed.
const TAG = randomBytes(2).toString('hex')
const FACE = 'push'
const DEV_BIN = path.join(REPO_ROOT, 'bin', 'dev.js')

/** Pids of live processes owned by uid (from /proc): what is left of a user the suite created. */
function processesOf(uid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return fs.statSync(`/proc/${n}`).uid === uid
      } catch {
        return false
      }
    })
    .map(Number)
}

/** The pid in `<dir>/tmp/openclaw-<uid>/gateway.state.lock` of any uid, alive or not, or null without a lock. */
function lockOf(stateDir: string): null | {alive: boolean; pid: number} {
  const tmp = path.join(stateDir, 'tmp')
  for (const name of fs.existsSync(tmp) ? fs.readdirSync(tmp) : []) {
    try {
      const {pid} = readJson<{pid?: number}>(path.join(tmp, name, 'gateway.state.lock'))
      if (typeof pid === 'number') return {alive: alive(pid), pid}
    } catch {}
  }

  return null
}

/** Files under dir not owned by uid. */
function notOwnedBy(dir: string, uid: number): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name)
      if (fs.lstatSync(p).uid !== uid) out.push(path.relative(dir, p))
      if (e.isDirectory()) walk(p)
    }
  }

  walk(dir)
  return out
}

describe(`push over ssh end to end: OpenClaw ${E2E_OPENCLAW_VERSION} on both machines, gateways running`, () => {
  const why = sshdUnavailable()
  const suiteStarted = Date.now()
  const done = new Set<string>()
  let runRoot = ''
  let host: Host
  let mock: MockLlm
  let sshd: TestSshd
  let failures = 0
  const users: LocalUser[] = []
  let oldUser: LocalUser
  let newUser: LocalUser
  let A: Machine
  let B: Machine
  let built: Awaited<ReturnType<typeof buildSourceState>>
  let baselineConfigSha = ''
  let push: RunResult
  let downtime = ''
  let retired = ''
  let retiredTree = new Map<string, string>()
  const leftOver: string[] = []

  function need(this: Mocha.Context, ...steps: string[]) {
    const missing = steps.filter((x) => !done.has(x))
    if (missing.length > 0) {
      observe(FACE, this.test?.title ?? '?', false, `not run: ${missing.join(', ')} failed`)
      this.skip()
    }
  }

  /** This checkout's tool as the old user, on the old machine's PATH (the real openclaw first). */
  function tool(args: string[]): Promise<RunResult> {
    return runProcess(process.execPath, [DEV_BIN, ...args], {
      cwd: A.home,
      env: A.env,
      timeoutMs: 600_000,
      user: oldUser,
    })
  }

  before(async function () {
    if (why) this.skip()
    runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-push-'))
    // The two users reach their homes (and the patch file the old one's config is built from) through it.
    fs.chmodSync(runRoot, 0o755)
    setCommandLog(path.join(runRoot, 'commands.log'))
    let t = Date.now()
    host = await ensureHost(E2E_OPENCLAW_VERSION)
    timing('setup', host.installed ? 'host install' : 'host cache', Date.now() - t)
    mock = await startMockLlm()
    t = Date.now()
    sshd = new TestSshd(path.join(runRoot, 'sshd'))
    await sshd.start([`ocp${TAG}*`])
    oldUser = ensureUser(`ocp${TAG}o`, path.join(runRoot, 'old', 'home-alpha'))
    users.push(oldUser)
    newUser = ensureUser(`ocp${TAG}n`, path.join(runRoot, 'new-machine', 'users', 'beta-home'))
    users.push(newUser)
    chownTree(oldUser.home, oldUser)
    chownTree(newUser.home, newUser)
    // What `npm install -g @openclaw/plugin-migrate` puts on the new machine's PATH, running this checkout's code.
    const newBin = path.join(runRoot, 'new-machine', 'bin')
    fs.mkdirSync(newBin, {recursive: true})
    fs.writeFileSync(
      path.join(newBin, 'openclaw-migrate'),
      `#!/bin/sh\nexec "${process.execPath}" "${DEV_BIN}" "$@"\n`,
      {
        mode: 0o755,
      },
    )
    A = new Machine(host, oldUser.home, 'push/old', oldUser)
    B = new Machine(host, newUser.home, 'push/new', newUser)
    sshd.authorize(oldUser, newUser, ALIAS)
    // The environment an ssh login there gets: the real openclaw and the tool on PATH, like a user's shell profile.
    sshd.setEnvironment(newUser, {
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      PATH: [newBin, host.binDir, path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      npm_config_cache: path.join(newUser.home, '.npm'),
    })
    timing('setup', 'sshd + users', Date.now() - t)
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failures++
  })

  after(async () => {
    if (!runRoot) return
    // Every gateway either machine ran, with its process group: the old one (if push left it), the
    // one push started there, and whatever a lock names (also in the retired copy).
    const stopped: string[] = []
    const pids = new Set<number>()
    for (const pid of [built?.gateway.pid, built?.gateway.lockPid]) if (pid) pids.add(pid)
    for (const dir of [A?.stateDir, B?.stateDir, retired].filter(Boolean)) {
      const lock = lockOf(dir)
      if (lock?.alive) pids.add(lock.pid)
    }

    for (const pid of pids) stopped.push(`pid ${pid}: ${await stopGroup(pid)}`)
    stopped.push(...(await stopAllTracked()))
    // Anything else the two users still run was started by this suite (ssh sessions, a stray worker).
    for (const u of users)
      for (const pid of processesOf(u.uid)) {
        leftOver.push(`${u.name} pid ${pid}`)
        await stopGroup(pid, 5000)
      }

    sshd?.stop()
    for (const u of users) removeUser(u.name)
    await mock?.close()
    const text = renderSummary(Date.now() - suiteStarted, [
      `OpenClaw ${host?.version ?? E2E_OPENCLAW_VERSION} on both machines, Node ${process.version}, sshd on 127.0.0.1:${sshd?.port}; run dir ${runRoot}${failures === 0 && !process.env.OPENCLAW_E2E_KEEP ? ' (removed)' : ' (kept)'}`,
      `stopped at the end: ${stopped.join('; ') || 'nothing'}; left over from the users: ${leftOver.join(', ') || 'nothing'}`,
    ])
    process.stdout.write(text)
    saveSummary(path.join(CACHE_DIR, 'e2e-push-summary.txt'), text)
    if (push)
      fs.writeFileSync(path.join(CACHE_DIR, 'e2e-push-output.txt'), `${push.stdout}\n--- stderr\n${push.stderr}`)
    setCommandLog(null)
    if (failures === 0 && !process.env.OPENCLAW_E2E_KEEP) fs.rmSync(runRoot, {force: true, recursive: true})
  })

  it('old machine: real state through the host, its gateway running; new machine: onboarded, the tool on PATH', async () => {
    let t = Date.now()
    built = await buildSourceState(A, {dir: runRoot, label: FACE, mock})
    timing(FACE, 'build old', Date.now() - t)
    const gw = built.gateway
    observe(
      FACE,
      'old: state built, gateway run',
      true,
      `user ${oldUser.name}; gateway pid ${gw.pid}${gw.lockPid && gw.lockPid !== gw.pid ? ` (lock pid ${gw.lockPid})` : ''} on loopback:${built.port}, RPC after ${(gw.ms / 1000).toFixed(1)}s; cron job ${built.cronJobId}; ${built.before.sessions.length} sessions (${built.before.sessions.map((x) => x.key).join(', ')})`,
    )
    t = Date.now()
    await B.ocOk(['setup', '--baseline'])
    baselineConfigSha = sha256File(B.configPath)
    timing(FACE, 'onboard new', Date.now() - t)
    // What B must hold: A as it is now (nothing writes the workspaces or credentials while the gateway idles).
    captureSourceFiles(A, built.before)
    done.add('machines')
  })

  it('push newbox --start-gateway: exit 0, sent ahead while the gateway ran, then only what changed; downtime printed', async function () {
    need.call(this, 'machines')
    push = await tool(['push', ALIAS, '--profile', PROFILE, '--start-gateway'])
    timing(FACE, 'push', push.ms)
    const text = `${push.stdout}\n${push.stderr}`
    downtime = /gateway down for (\d+(?:\.\d+)?) s/.exec(text)?.[1] ?? ''
    const ahead = /Sent .* ahead while the gateway here kept running[^\n]*/.exec(text)?.[0] ?? ''
    const named = /Then, gateway stopped: (\d+) unchanged files named[^\n]*/.exec(text)
    if (downtime) timing(FACE, 'downtime printed', Number(downtime) * 1000)
    const gatewayB = B.lockedGatewayPid()
    if (gatewayB) trackPid(gatewayB, 'push/new gateway (started by push --start-gateway)')
    observe(
      FACE,
      'push --start-gateway',
      push.code === 0 && Boolean(downtime && ahead && named),
      `exit ${push.code} in ${(push.ms / 1000).toFixed(1)}s; "${ahead}"; "${named?.[0] ?? 'no named line'}"; gateway down for ${downtime || '?'} s`,
    )
    expect(push.code, describeRun(push)).to.equal(0)
    expect(downtime, 'no "gateway down for N s"').to.match(/^\d+(\.\d+)?$/)
    expect(ahead, 'no "Sent … ahead" line').to.not.equal('')
    expect(Number(named?.[1] ?? 0), 'no "N unchanged files named" line').to.be.greaterThan(0)
    expect(push.stderr).to.include(`[${ALIAS}] verified`)
    // What went ahead was moved into place: the store there is empty.
    expect(fs.readdirSync(path.join(B.home, '.openclaw-migrate', 'push-seeds'))).to.deep.equal([])
    done.add('push')
  })

  it('old machine: gateway stopped, state moved aside to .moved-to-newbox-<UTC>; `gateway run` does not come up on it', async function () {
    need.call(this, 'push')
    const exit = await Promise.race([built.gateway.exit, sleep(15_000).then(() => 'still running' as const)])
    const asides = fs.readdirSync(A.home).filter((n) => n.startsWith(`.openclaw-${PROFILE}.moved-to-${ALIAS}-`))
    retired = asides.length === 1 ? path.join(A.home, asides[0]) : ''
    expect(alive(built.gateway.pid), 'the old gateway still runs').to.equal(false)
    expect(fs.existsSync(A.stateDir), `${A.stateDir} is still there`).to.equal(false)
    expect(asides).to.have.length(1)
    expect(asides[0]).to.match(new RegExp(String.raw`^\.openclaw-${PROFILE}\.moved-to-${ALIAS}-\d{8}T\d{6}Z$`))
    const lockBefore = lockOf(retired)
    expect(lockBefore?.alive ?? false, 'a live gateway lock in the retired copy').to.equal(false)
    retiredTree = hashTree(retired)

    // The user (or a login script) starts the gateway again as before: it must not find the retired state.
    const port = await freePort()
    const again = await A.oc(['gateway', 'run', '--bind', 'loopback', '--port', String(port)], 120_000)
    const said = `${again.stdout}\n${again.stderr}`.trim().split('\n').at(-1) ?? ''
    const afterTree = hashTree(retired)
    const changed = diffTrees(retiredTree, afterTree)
    const added = [...afterTree.keys()].filter((k) => !retiredTree.has(k))
    const lockAfter = lockOf(retired)
    observe(
      FACE,
      'old: retired',
      true,
      `gateway pid ${built.gateway.pid} exited (${exit}); ${A.stateDir} gone; aside ${asides[0]} (${retiredTree.size} files), lock there ${lockBefore ? `pid ${lockBefore.pid} ${lockBefore.alive ? 'ALIVE' : 'dead'}` : 'none'}`,
    )
    observe(
      FACE,
      'old: gateway run again',
      again.code !== 0 &&
        !fs.existsSync(A.stateDir) &&
        changed.changed.length + changed.missing.length + added.length === 0,
      `exit ${again.code}${again.timedOut ? ' (timed out: it came up)' : ''} in ${(again.ms / 1000).toFixed(1)}s: "${said}"; ${A.stateDir} ${fs.existsSync(A.stateDir) ? 'CREATED' : 'not created'}; retired copy changed ${short(changed.changed)}, missing ${changed.missing.length}, added ${short(added)}; lock there ${lockAfter ? `pid ${lockAfter.pid}` : 'none'}`,
    )
    expect(again.timedOut, `gateway run came up: ${describeRun(again)}`).to.equal(false)
    expect(again.code, describeRun(again)).to.not.equal(0)
    expect(said).to.match(/Missing config/)
    expect(fs.existsSync(A.stateDir), 'gateway run created a fresh state dir').to.equal(false)
    expect({...changed, added}).to.deep.equal({added: [], changed: [], missing: []})
    expect(lockAfter?.alive ?? false).to.equal(false)
    // The push record that `push --restore-source` reads names this copy.
    const records = fs.readdirSync(path.join(A.home, '.openclaw-migrate', 'pushed')).filter((n) => n.endsWith('.json'))
    expect(records).to.have.length(1)
    const record = readJson(path.join(A.home, '.openclaw-migrate', 'pushed', records[0]))
    expect(record.moves).to.deep.equal([{from: A.stateDir, to: retired}])
    expect(record.host).to.equal(ALIAS)
  })

  it('new machine: its gateway answers RPC; config valid; sessions, cron, workspaces and credentials there; no old paths', async function () {
    need.call(this, 'push')
    const port = Number(readJson(B.configPath).gateway?.port)
    const status = await B.gatewayStatus(port)
    const rpc = parseJson(status.stdout)
    const lock = lockOf(B.stateDir)
    observe(
      FACE,
      'new: gateway status --require-rpc',
      status.code === 0 && rpc?.rpc?.ok === true,
      `exit ${status.code}, rpc.ok=${rpc?.rpc?.ok}, version ${rpc?.gateway?.version ?? rpc?.rpc?.server?.version}, port ${port}, lock pid ${lock?.pid} (${lock?.alive ? 'alive' : 'dead'}) owned by ${newUser.name}`,
    )
    expect(status.code, describeRun(status)).to.equal(0)
    expect(rpc?.rpc?.ok).to.equal(true)
    expect(lock?.alive).to.equal(true)

    const validate = await B.oc(['config', 'validate', '--json'])
    expect(validate.code, describeRun(validate)).to.equal(0)
    expect(parseJson(validate.stdout)?.valid).to.equal(true)

    const {before, cronJobId} = built
    const cron = cronJobsOf((await B.ocJson(['cron', 'list', '--json'])).data)
    const job = cron.find((j) => j.id === cronJobId)
    const storeKey = rows<{store_key: string}>(
      B.stateDb,
      'SELECT store_key FROM cron_jobs WHERE job_id = ?',
      cronJobId,
    )[0]?.store_key
    const sessions = sessionsOf((await B.ocJson(['sessions', '--all-agents', '--json'])).data)
    const missingSessions = before.sessions.filter(
      (b) => !sessions.some((a) => a.key === b.key && a.sessionId === b.sessionId && a.agentId === b.agentId),
    )
    const config = readJson(B.configPath)
    const mainWs = String(config.agents?.defaults?.workspace)
    const researchWs = String(
      config.agents?.entries?.research?.workspace ??
        config.agents?.list?.find?.((a: any) => a.id === 'research')?.workspace,
    )
    const main = diffTrees(before.mainWs, hashTree(mainWs))
    const research = diffTrees(before.researchWs, fs.existsSync(researchWs) ? hashTree(researchWs) : new Map())
    const secrets = configSecrets(B.configPath)
    const credsFile = path.join(B.stateDir, 'credentials', 'whatsapp', 'default', 'creds.json')
    const same = {
      apiKey: secrets.apiKey === before.apiKey,
      creds: fs.existsSync(credsFile) && sha256File(credsFile) === before.creds,
      device: deviceKeySha(B.stateDb) === before.deviceKeySha,
      token: secrets.gatewayToken === before.gatewayToken,
    }
    const configHits = fs.readFileSync(B.configPath, 'utf8').split(A.home).length - 1
    const dbHits = scanDb(B.stateDb, A.home)
    const foreign = notOwnedBy(B.stateDir, newUser.uid)
    const onboarded = fs.readdirSync(B.home).filter((n) => n.startsWith(`.openclaw-${PROFILE}.pre-migrate-`))
    const onboardedSha = onboarded.length === 1 ? sha256File(path.join(B.home, onboarded[0], 'openclaw.json')) : ''
    observe(
      FACE,
      'new: state',
      Boolean(job) && missingSessions.length === 0 && Object.values(same).every(Boolean),
      `config valid; cron ${cronJobId} ${job ? `"${job.name}"` : 'MISSING'} (store_key ${storeKey}); ${sessions.length} sessions (before ${before.sessions.length}), missing ${missingSessions.length}; workspaces ${path.relative(B.home, mainWs)} (${before.mainWs.size} files, missing ${main.missing.length}, changed ${main.changed.length}) + ${path.relative(B.home, researchWs)} (${before.researchWs.size} files, missing ${research.missing.length}, changed ${research.changed.length}); secrets ${JSON.stringify(same)}; old HOME in config ${configHits}×, in state DB ${dbHits.length} cells; not owned by ${newUser.name}: ${short(foreign)}; onboarding copy ${onboarded.join(', ') || 'none'}`,
    )
    expect(job, `cron job ${cronJobId} missing`).to.not.equal(undefined)
    expect(storeKey).to.equal(path.join(B.stateDir, 'cron', 'jobs.json'))
    expect(missingSessions).to.deep.equal([])
    expect(mainWs).to.equal(path.join(B.stateDir, path.relative(A.stateDir, before.mainWorkspace)))
    expect(researchWs).to.equal(path.join(B.home, path.relative(A.home, before.researchWorkspace)))
    expect(main).to.deep.equal({changed: [], missing: []})
    expect(research).to.deep.equal({changed: [], missing: []})
    expect(same).to.deep.equal({apiKey: true, creds: true, device: true, token: true})
    expect((fs.statSync(credsFile).mode & 0o777).toString(8)).to.equal('600')
    expect(configHits, 'old HOME in openclaw.json').to.equal(0)
    expect(dbHits, 'old HOME in state/openclaw.sqlite').to.deep.equal([])
    expect(foreign, `files in ${B.stateDir} not owned by ${newUser.name}`).to.deep.equal([])
    expect(onboardedSha, 'the onboarded state there was moved aside').to.equal(baselineConfigSha)
  })
})
