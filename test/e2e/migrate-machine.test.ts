/**
 * End to end against the real OpenClaw (version in host-version.ts), for both faces of the tool:
 *   standalone  `openclaw-migrate export|import|check` (npm install of the packed tarball)
 *   native      `openclaw --profile work migrate-machine export|import|check` (openclaw plugins install npm-pack:<tgz>)
 *
 * Machine A (HOME A, profile work) gets real state through the host itself: config set/patch, an agent
 * with a workspace outside the state dir, an agent turn against a local mock model, a running
 * gateway, a cron job added through it; files only where the host has no command (memory files,
 * a channel credential). A is exported with --stop-gateway; machine B (another absolute HOME) is
 * onboarded with `setup --baseline` and imports with --start-gateway. Then B is checked with the
 * host's own commands and by reading its files and SQLite.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {E2E_OPENCLAW_VERSION} from './host-version.js'
import {hashTree, readJson, rows, scanDb, sha256File} from './support/inspect.js'
import {type MockLlm, startMockLlm} from './support/mock-llm.js'
import {CACHE_DIR, ensureHost, type Host, Machine, PROFILE} from './support/openclaw.js'
import {
  alive,
  describeRun,
  ensureDir,
  parseJson,
  runProcess,
  type RunResult,
  setCommandLog,
  stopAllTracked,
  stopPid,
  trackPid,
} from './support/proc.js'
import {buildSourceState, captureSourceFiles} from './support/source-state.js'
import {
  configSecrets,
  cronJobsOf,
  deviceKeySha,
  diffTrees,
  sessionsOf,
  shareArchive,
  short,
  type StateBefore,
} from './support/state-facts.js'
import {observe, renderSummary, saveSummary, timing} from './support/summary.js'
import {installStandalone, type Packed, packTool, REQUIRED_IN_TARBALL} from './support/tool.js'

type FaceName = 'native' | 'standalone'
const FACES: FaceName[] = (process.env.OPENCLAW_E2E_FACES?.split(',').map((f) => f.trim()) as
  FaceName[] | undefined) ?? ['standalone', 'native']

const suiteStarted = Date.now()
let runRoot = ''
let host: Host
let packed: Packed
let standaloneRunJs = ''
let mock: MockLlm
let failures = 0

function summaryFile(): string {
  return path.join(CACHE_DIR, 'e2e-last-summary.txt')
}

/** Paths differ in length and depth between the machines, so a missed rewrite cannot go unnoticed. */
type Scenario = {
  A: Machine
  archive: string
  B: Machine
  before: StateBefore
  cronJobId?: string
  dir: string
  done: Set<string>
  exportJson?: any
  face: FaceName
  gatewayA?: {exit: Promise<null | number>; pid: number}
  gatewayBPid?: null | number
  importJson?: any
  passphraseFile: string
  portA: number
}

function migrate(s: Scenario, machine: Machine, args: string[]): Promise<RunResult> {
  if (s.face === 'standalone')
    return runProcess(process.execPath, [standaloneRunJs, ...args, '--profile', PROFILE], {
      env: machine.env,
      timeoutMs: 600_000,
    })
  return machine.oc(['migrate-machine', ...args], 600_000)
}

describe(`openclaw-migrate end to end against OpenClaw ${E2E_OPENCLAW_VERSION}`, () => {
  before(async () => {
    runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-'))
    setCommandLog(path.join(runRoot, 'commands.log'))
    let t = Date.now()
    host = await ensureHost(E2E_OPENCLAW_VERSION)
    observe(
      'setup',
      'host install',
      true,
      `${host.installed ? 'installed' : 'reused cached'} openclaw@${host.version} at ${host.dir} (${(host.installMs / 1000).toFixed(1)}s)`,
    )
    timing('setup', host.installed ? 'host install' : 'host cache', Date.now() - t)
    t = Date.now()
    packed = await packTool(path.join(runRoot, 'pack'))
    const missing = REQUIRED_IN_TARBALL.filter((f) => !packed.files.includes(f))
    observe(
      'setup',
      'npm pack',
      missing.length === 0,
      `${path.basename(packed.tgz)}: ${packed.files.length} files${missing.length > 0 ? `, MISSING ${missing.join(', ')}` : ', has dist/, bin/run.js, oclif.manifest.json, openclaw.plugin.json'}`,
    )
    expect(missing, 'files missing from the packed tarball').to.deep.equal([])
    timing('setup', 'npm pack', Date.now() - t)
    if (FACES.includes('standalone')) {
      t = Date.now()
      standaloneRunJs = (await installStandalone(packed.tgz, path.join(runRoot, 'standalone-install'))).runJs
      timing('setup', 'npm install <tgz>', Date.now() - t)
    }

    mock = await startMockLlm()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failures++
  })

  after(async () => {
    const stopped = await stopAllTracked()
    await mock?.close()
    const header = [
      `OpenClaw ${host?.version ?? E2E_OPENCLAW_VERSION}, Node ${process.version}, run dir ${runRoot}${failures === 0 && !process.env.OPENCLAW_E2E_KEEP ? ' (removed)' : ' (kept)'}`,
      ...(stopped.length > 0 ? [`stopped at the end: ${stopped.join('; ')}`] : []),
    ]
    const text = renderSummary(Date.now() - suiteStarted, header)
    process.stdout.write(text)
    saveSummary(summaryFile(), text)
    setCommandLog(null)
    if (failures === 0 && !process.env.OPENCLAW_E2E_KEEP && runRoot) fs.rmSync(runRoot, {force: true, recursive: true})
  })

  for (const face of FACES) {
    describe(`${face} face`, () => {
      const s = {done: new Set<string>(), face} as Scenario

      function need(this: Mocha.Context, ...steps: string[]) {
        const missing = steps.filter((x) => !s.done.has(x))
        if (missing.length > 0) {
          observe(face, this.test?.title ?? '?', false, `not run: ${missing.join(', ')} failed`)
          this.skip()
        }
      }

      before(() => {
        s.dir = ensureDir(path.join(runRoot, face))
        s.A = new Machine(host, path.join(s.dir, 'a', 'home-alpha'), `${face}/A`)
        s.B = new Machine(host, path.join(s.dir, 'machine-b', 'users', 'beta-home'), `${face}/B`)
        s.passphraseFile = path.join(s.dir, 'passphrase.txt')
        fs.writeFileSync(s.passphraseFile, `e2e passphrase for ${face} ${Date.now()}\n`, {mode: 0o600})
        s.archive = path.join(s.dir, 'out', `work-${face}.tar.gz.age`)
        ensureDir(path.dirname(s.archive))
      })

      after(async () => {
        // Every gateway this face started, by PID, whatever happened.
        for (const pid of [s.gatewayA?.pid, s.gatewayBPid, s.A?.lockedGatewayPid(), s.B?.lockedGatewayPid()])
          if (pid) await stopPid(pid)
      })

      it('A: builds real state through the host (setup, config set, agents add, agent turn, gateway, cron add)', async () => {
        const {A} = s
        const t0 = Date.now()
        const built = await buildSourceState(A, {
          async afterConfig() {
            if (face !== 'native') return
            const r = await A.ocOk(
              ['plugins', 'install', `npm-pack:${packed.tgz}`, '--force', '--accept-capabilities'],
              300_000,
            )
            observe(
              face,
              'A: plugins install',
              true,
              `${(r.ms / 1000).toFixed(1)}s: ${r.stdout.split('\n').find((l) => l.startsWith('Installed plugin')) ?? r.stdout.trim().split('\n').at(-2)}`,
            )
          },
          dir: s.dir,
          label: face,
          mock,
        })
        s.portA = built.port
        s.gatewayA = {exit: built.gateway.exit, pid: built.gateway.pid}
        s.cronJobId = built.cronJobId
        s.before = built.before
        const gw = built.gateway
        observe(
          face,
          'A: gateway run',
          true,
          `pid ${gw.pid}${gw.lockPid && gw.lockPid !== gw.pid ? ` (lock pid ${gw.lockPid})` : ''}, loopback:${s.portA}, RPC ready after ${(gw.ms / 1000).toFixed(1)}s`,
        )
        observe(
          face,
          'A: state built',
          true,
          `user cron job ${s.cronJobId} (of ${s.before.cron.length} listed), ${s.before.sessions.length} sessions (${s.before.sessions.map((x) => x.key).join(', ')}), workspaces ${path.relative(A.home, s.before.mainWorkspace)} + ${path.relative(A.home, s.before.researchWorkspace)}, mock model answered ${mock.requests} requests`,
        )
        timing(face, 'build A', Date.now() - t0)
        s.done.add('A')
      })

      if (face === 'native') {
        it('`openclaw --profile work migrate-machine --help` shows our help; root help lists the command', async function () {
          need.call(this, 'A')
          const [help, exportHelp, root] = await Promise.all([
            s.A.oc(['migrate-machine', '--help']),
            s.A.oc(['migrate-machine', 'export', '--help']),
            s.A.oc(['--help']),
          ])
          const listed = root.stdout
            .split('\n')
            .find((l) => l.includes('migrate-machine'))
            ?.trim()
          const ok =
            help.code === 0 &&
            help.stdout.includes('migrate-machine COMMAND') &&
            /^\s+import\s/m.test(help.stdout) &&
            exportHelp.code === 0 &&
            exportHelp.stdout.includes('$ openclaw migrate-machine export') &&
            Boolean(listed)
          observe(
            face,
            'migrate-machine --help',
            ok,
            `exit ${help.code} in ${(help.ms / 1000).toFixed(1)}s: "${help.stdout
              .split('\n')
              .find((l) => l.includes('$ openclaw'))
              ?.trim()}"; export --help usage "${exportHelp.stdout
              .split('\n')
              .find((l) => l.includes('$ openclaw'))
              ?.trim()}"; root help: "${listed}"`,
          )
          expect(help.code, describeRun(help)).to.equal(0)
          expect(help.stdout).to.include('migrate-machine COMMAND')
          expect(exportHelp.stdout).to.include('$ openclaw migrate-machine export')
          expect(listed, 'openclaw --help does not list migrate-machine').to.be.a('string')
        })
      }

      it('export --stop-gateway stops the real gateway (SIGTERM to the lock-file pid) and writes an encrypted archive', async function () {
        need.call(this, 'A')
        const {A} = s
        const r = await migrate(s, A, [
          'export',
          '--stop-gateway',
          '--passphrase-file',
          s.passphraseFile,
          '-o',
          s.archive,
          '--json',
        ])
        timing(face, 'export', r.ms)
        const data = parseJson(r.stdout)?.result
        s.exportJson = data
        const gatewayExit = await Promise.race([s.gatewayA!.exit, sleep(15_000).then(() => 'still running' as const)])
        const head = fs.existsSync(s.archive) ? fs.readFileSync(s.archive).subarray(0, 22).toString('latin1') : ''
        const counts = data?.profiles?.[0]?.counts
        const ok =
          r.code === 0 &&
          data?.gateway?.stopped === true &&
          !alive(s.gatewayA!.pid) &&
          head.startsWith('age-encryption.org/v1')
        observe(
          face,
          'export --stop-gateway',
          ok,
          `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s; gateway ${JSON.stringify(data?.gateway)}; gateway process exit code ${gatewayExit}; archive ${data?.archiveBytes} bytes, ${data?.entries} entries, header "${head.trim()}"; counts ${JSON.stringify(counts)}; host ${data?.context?.hostVersion ?? JSON.stringify(data?.context)}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.gateway?.wasRunning).to.equal(true)
        expect(data?.gateway?.stopped).to.equal(true)
        expect(alive(s.gatewayA!.pid), 'gateway A still alive after export').to.equal(false)
        expect(head).to.match(/^age-encryption\.org\/v1/)
        // Counts in the manifest against what the host itself reported.
        if (counts) {
          expect(counts.sessions, 'manifest session count').to.equal(s.before.sessions.length)
          expect(counts.agents, 'manifest agent count').to.equal(2)
        }

        // The source of truth for every later comparison: A as exported (its gateway is stopped now).
        captureSourceFiles(A, s.before)
        s.done.add('export')
        // The provider suite (migrate-provider.test.ts) imports this same archive through `openclaw migrate openclaw`.
        if (face === 'native')
          shareArchive({
            aHome: A.home,
            aStateDir: A.stateDir,
            archive: s.archive,
            before: s.before,
            cronJobId: s.cronJobId!,
            passphraseFile: s.passphraseFile,
            tgz: packed.tgz,
          })
      })

      it('B: fresh `setup --baseline` (onboarding), then import --start-gateway', async function () {
        need.call(this, 'export')
        const {B} = s
        const t0 = Date.now()
        await B.ocOk(['setup', '--baseline'])
        if (face === 'native')
          await B.ocOk(['plugins', 'install', `npm-pack:${packed.tgz}`, '--force', '--accept-capabilities'], 300_000)
        // What onboarding left (plus, for the native face, the plugin's config entry): it must survive, moved aside.
        s.before.baselineConfigSha = sha256File(B.configPath)
        s.before.baselineAgentsMdSha = sha256File(path.join(B.stateDir, 'workspace', 'AGENTS.md'))
        timing(face, 'onboard B', Date.now() - t0)
        const r = await migrate(s, B, [
          'import',
          s.archive,
          '--passphrase-file',
          s.passphraseFile,
          '--start-gateway',
          '--json',
        ])
        timing(face, 'import', r.ms)
        const data = parseJson(r.stdout)?.result
        s.importJson = data
        for (let i = 0; i < 30 && !B.lockedGatewayPid(); i++) await sleep(1000)
        s.gatewayBPid = B.lockedGatewayPid()
        if (s.gatewayBPid) trackPid(s.gatewayBPid, `${face}/B gateway (started by import --start-gateway)`)
        const steps = ((data?.chain?.steps ?? []) as any[]).map(
          (x) => `${x.step}=${x.skipped ? 'skipped' : x.ok ? 'ok' : 'FAILED'}(${x.exitCode ?? '-'})`,
        )
        observe(
          face,
          'import --start-gateway',
          r.code === 0,
          `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s; versions ${JSON.stringify(data?.versions)}; rebased ${data?.rebase?.rewrites?.length ?? '?'} files; verification ${data?.verification?.ok}; chain ${steps.join(', ')}; gateway pid ${s.gatewayBPid}`,
        )
        fs.writeFileSync(path.join(s.dir, 'import.json'), r.stdout)
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.versions?.downgrade).to.equal(false)
        s.done.add('import')
      })

      it('config validate passes', async function () {
        need.call(this, 'import')
        const r = await s.B.oc(['config', 'validate', '--json'])
        const data = parseJson(r.stdout)
        observe(
          face,
          'config validate',
          r.code === 0 && data?.valid === true,
          `exit ${r.code}, valid=${data?.valid}, warnings ${JSON.stringify(data?.warnings ?? [])}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.valid).to.equal(true)
      })

      it('doctor --lint --severity-min error finds nothing', async function () {
        need.call(this, 'import')
        const r = await s.B.oc(['doctor', '--lint', '--json', '--severity-min', 'error'])
        const data = parseJson(r.stdout)
        observe(
          face,
          'doctor --lint',
          r.code === 0 && data?.ok === true,
          `exit ${r.code}, ok=${data?.ok}, checksRun=${data?.checksRun}, findings ${JSON.stringify((data?.findings ?? []).map((f: any) => f.checkId))}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.ok).to.equal(true)
      })

      it('the gateway runs on loopback and answers RPC', async function () {
        need.call(this, 'import')
        const port = Number(readJson(s.B.configPath).gateway?.port)
        const r = await s.B.gatewayStatus(port)
        const data = parseJson(r.stdout)
        const listener = data?.port?.listeners?.[0]
        observe(
          face,
          'gateway status --require-rpc',
          r.code === 0 && data?.rpc?.ok === true,
          `exit ${r.code}, rpc.ok=${data?.rpc?.ok}, version ${data?.gateway?.version ?? data?.rpc?.server?.version}, listener ${listener?.address} pid ${listener?.pid} (lock pid ${s.gatewayBPid})`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.rpc?.ok).to.equal(true)
        expect(String(listener?.address ?? '127.0.0.1')).to.match(/^127\.0\.0\.1:|^\[?::1\]?:|^localhost:/)
      })

      it('the cron job survived (cron list and the DB row, store_key rebased)', async function () {
        need.call(this, 'import')
        const r = await s.B.ocJson(['cron', 'list', '--json'])
        const after = cronJobsOf(r.data)
        const job = after.find((j) => j.id === s.cronJobId)
        const beforeJob = s.before.cron.find((j) => j.id === s.cronJobId)
        const dbRows = rows<{job_id: string; name: string; store_key: string}>(
          s.B.stateDb,
          'SELECT job_id, name, store_key FROM cron_jobs WHERE job_id = ?',
          s.cronJobId!,
        )
        const same =
          job &&
          beforeJob &&
          job.name === beforeJob.name &&
          JSON.stringify(job.schedule) === JSON.stringify(beforeJob.schedule) &&
          JSON.stringify(job.payload) === JSON.stringify(beforeJob.payload)
        observe(
          face,
          'cron job',
          Boolean(same) && dbRows[0]?.store_key?.startsWith(s.B.stateDir),
          `cron list: ${after.length} jobs (before ${s.before.cron.length}); ${s.cronJobId} ${job ? `"${job.name}" ${JSON.stringify(job.schedule)} enabled=${job.enabled}` : 'MISSING'}; DB store_key ${dbRows[0]?.store_key ?? 'no row'}`,
        )
        expect(job, `cron job ${s.cronJobId} missing from cron list`).to.not.equal(undefined)
        expect(same, 'cron job differs').to.equal(true)
        expect(dbRows[0]?.store_key).to.equal(path.join(s.B.stateDir, 'cron', 'jobs.json'))
      })

      it('the sessions survived', async function () {
        need.call(this, 'import')
        const r = await s.B.ocJson(['sessions', '--all-agents', '--json'])
        const after = sessionsOf(r.data)
        const stores = ((r.data?.stores ?? []) as any[]).map((x) => String(x.path))
        const missing = s.before.sessions.filter(
          (b) => !after.some((a) => a.key === b.key && a.sessionId === b.sessionId && a.agentId === b.agentId),
        )
        observe(
          face,
          'sessions',
          missing.length === 0,
          `${after.length} sessions after (before ${s.before.sessions.length}): ${after.map((x) => `${x.key}/${x.sessionId.slice(0, 8)}`).join(', ')}; missing ${missing.length}; stores under B: ${stores.every((p) => p.startsWith(s.B.home))}`,
        )
        expect(missing).to.deep.equal([])
        expect(stores.filter((p) => p.includes(s.A.home))).to.deep.equal([])
      })

      it('workspace files are there, byte for byte, at the new paths', async function () {
        need.call(this, 'import')
        const config = readJson(s.B.configPath)
        const mainWs = String(config.agents?.defaults?.workspace)
        const researchWs = String(
          config.agents?.entries?.research?.workspace ??
            config.agents?.list?.find?.((a: any) => a.id === 'research')?.workspace,
        )
        const expectedMain = path.join(s.B.stateDir, path.relative(s.A.stateDir, s.before.mainWorkspace))
        const expectedResearch = path.join(s.B.home, path.relative(s.A.home, s.before.researchWorkspace))
        const main = diffTrees(s.before.mainWs, hashTree(mainWs))
        const research = diffTrees(s.before.researchWs, fs.existsSync(researchWs) ? hashTree(researchWs) : new Map())
        const ok =
          mainWs === expectedMain &&
          researchWs === expectedResearch &&
          main.missing.length + main.changed.length + research.missing.length + research.changed.length === 0
        observe(
          face,
          'workspace files',
          ok,
          `main ${mainWs === expectedMain ? 'at' : 'NOT at'} ${path.relative(s.B.home, mainWs)}: ${s.before.mainWs.size} files, missing ${main.missing.length}, changed ${short(main.changed)}; research ${researchWs === expectedResearch ? 'at' : 'NOT at'} ${path.relative(s.B.home, researchWs)}: ${s.before.researchWs.size} files, missing ${research.missing.length}, changed ${short(research.changed)}`,
        )
        expect(mainWs).to.equal(expectedMain)
        expect(researchWs).to.equal(expectedResearch)
        expect(main).to.deep.equal({changed: [], missing: []})
        expect(research).to.deep.equal({changed: [], missing: []})
      })

      it('credentials are there and identical (channel login file, API key, gateway token, device key)', async function () {
        need.call(this, 'import')
        const credsFile = path.join(s.B.stateDir, 'credentials', 'whatsapp', 'default', 'creds.json')
        const creds = fs.existsSync(credsFile) ? sha256File(credsFile) : 'missing'
        const mode = fs.existsSync(credsFile) ? (fs.statSync(credsFile).mode & 0o777).toString(8) : '-'
        const secrets = configSecrets(s.B.configPath)
        const device = deviceKeySha(s.B.stateDb)
        const same = {
          apiKey: secrets.apiKey === s.before.apiKey,
          creds: creds === s.before.creds,
          device: device === s.before.deviceKeySha,
          token: secrets.gatewayToken === s.before.gatewayToken,
        }
        observe(
          face,
          'credentials',
          Object.values(same).every(Boolean) && mode === '600',
          `creds.json sha ${creds.slice(0, 12)} (mode ${mode}) ${same.creds ? '=' : '≠'} A; apiKey ${same.apiKey ? '=' : '≠'}; gateway token ${same.token ? '=' : '≠'}; device private key ${same.device ? '=' : '≠'} (${device === 'none' ? 'none' : device.slice(0, 12)})`,
        )
        expect(same).to.deep.equal({apiKey: true, creds: true, device: true, token: true})
        expect(mode).to.equal('600')
      })

      it('no path of HOME A is left in openclaw.json or state/openclaw.sqlite', async function () {
        need.call(this, 'import')
        const needle = s.A.home
        const configHits = fs.readFileSync(s.B.configPath, 'utf8').split(needle).length - 1
        const dbHits = scanDb(s.B.stateDb, needle)
        const agentDbs = fs
          .readdirSync(path.join(s.B.stateDir, 'agents'))
          .map((a) => path.join(s.B.stateDir, 'agents', a, 'agent', 'openclaw-agent.sqlite'))
          .filter((f) => fs.existsSync(f))
        const agentHits = agentDbs.flatMap((db) =>
          scanDb(db, needle, []).map((h) => `${path.basename(path.dirname(path.dirname(db)))}:${h.cell}×${h.count}`),
        )
        const other = ['openclaw.json.bak', 'openclaw.json.bak.1']
          .map((f) => path.join(s.B.stateDir, f))
          .filter((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes(needle))
          .map((f) => path.basename(f))
        observe(
          face,
          'no HOME A paths',
          configHits === 0 && dbHits.length === 0,
          `openclaw.json: ${configHits} hits; state DB (all text cells except diagnostic_events): ${dbHits.length === 0 ? '0 hits' : dbHits.map((h) => `${h.cell}×${h.count} e.g. "${h.sample}"`).join('; ')}; agent DBs (info): ${agentHits.length === 0 ? '0 hits' : agentHits.join(', ')}; .bak files with A paths (info): ${other.join(', ') || 'none'}`,
        )
        expect(configHits, 'HOME A in openclaw.json').to.equal(0)
        expect(dbHits, 'HOME A in state/openclaw.sqlite').to.deep.equal([])
      })

      it('the onboarding-created state dir was moved aside, not lost', async function () {
        need.call(this, 'import')
        const asides = fs.readdirSync(s.B.home).filter((n) => n.startsWith(`.openclaw-${PROFILE}.pre-migrate-`))
        const aside = asides.length > 0 ? path.join(s.B.home, asides[0]) : null
        const configSha =
          aside && fs.existsSync(path.join(aside, 'openclaw.json'))
            ? sha256File(path.join(aside, 'openclaw.json'))
            : 'missing'
        const agentsMd =
          aside && fs.existsSync(path.join(aside, 'workspace', 'AGENTS.md'))
            ? sha256File(path.join(aside, 'workspace', 'AGENTS.md'))
            : 'missing'
        const reported = ((s.importJson?.movedAside ?? []) as Array<{aside: string; target: string}>).map(
          (m) => `${path.basename(m.target)} → ${path.basename(m.aside)}`,
        )
        const ok =
          asides.length === 1 && configSha === s.before.baselineConfigSha && agentsMd === s.before.baselineAgentsMdSha
        observe(
          face,
          'onboarding dir moved aside',
          ok,
          `${asides.join(', ') || 'none'}; its openclaw.json ${configSha === s.before.baselineConfigSha ? '= the onboarded one' : '≠ the onboarded one'}, workspace/AGENTS.md ${agentsMd === s.before.baselineAgentsMdSha ? 'kept' : 'LOST'}; import reported ${reported.join(', ') || 'nothing'}`,
        )
        expect(asides).to.have.length(1)
        expect(configSha).to.equal(s.before.baselineConfigSha)
        expect(agentsMd).to.equal(s.before.baselineAgentsMdSha)
      })

      it('check --against the archive passes', async function () {
        need.call(this, 'import')
        const r = await migrate(s, s.B, [
          'check',
          '--against',
          s.archive,
          '--passphrase-file',
          s.passphraseFile,
          '--json',
        ])
        const envelope = parseJson(r.stdout)
        const data = {...envelope?.result, ok: envelope?.ok}
        const items = (data?.checks ?? []) as Array<{id: string; message: string; status: string}>
        const notOk = items.filter((i) => i.status !== 'ok')
        observe(
          face,
          'check --against',
          r.code === 0 && data?.ok === true,
          `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s, ok=${data?.ok}; ${items.length} checks, not ok: ${notOk.map((i) => `${i.id}[${i.status}]: ${i.message}`).join(' | ') || 'none'}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.ok).to.equal(true)
      })
    })
  }
})
