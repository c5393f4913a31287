/**
 * End to end from the OLD machines users really have: OpenClaw 2026.4.1 (all JSON), 2026.6.6
 * (SQLite state DB, JSON sessions, lock under /tmp) and 2026.8.2 (SQLite throughout), each run on
 * Node 22 together with the standalone tool, moved into a 2026.9.6 home on Node 24.
 *
 * Machine A (profile work) gets its state through the old host: setup, a mock model, a second
 * agent whose workspace is outside the state dir, agent turns, a running `gateway run`, a user
 * cron job added through it. A is exported with `--stop-gateway` by the standalone bin on Node 22
 * (the old host on PATH); B is onboarded by 2026.9.6 (`setup --baseline`) and imports the archive;
 * then B is checked through 2026.9.6's own commands.
 *
 * OPENCLAW_E2E_OLD_HOSTS=2026.4.1,2026.6.6 picks the source versions ("none" skips the suite).
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {E2E_OPENCLAW_VERSION} from './host-version.js'
import {readJson, sha256} from './support/inspect.js'
import {type MockLlm, startMockLlm} from './support/mock-llm.js'
import {ensureNode, NODE22, sharedStandalone} from './support/node-versions.js'
import {CACHE_DIR, ensureHost, freePort, type Host, Machine, PROFILE} from './support/openclaw.js'
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
import {observe, renderSummary, saveSummary, timing} from './support/summary.js'

const DEFAULT_SOURCES = ['2026.4.1', '2026.6.6', '2026.8.2']
const SOURCES = (process.env.OPENCLAW_E2E_OLD_HOSTS ?? DEFAULT_SOURCES.join(','))
  .split(',')
  .map((v) => v.trim())
  .filter((v) => v && v !== 'none')
/** Packaging bugs of old releases that a user works around by hand (see openclaw-facts). */
const EXTRA_PACKAGES: Record<string, string[]> = {'2026.4.1': ['@aws-sdk/client-bedrock']}

const suiteStarted = Date.now()
let runRoot = ''
let node22 = ''
let target: Host
let runJs = ''
let mock: MockLlm
let failures = 0

function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number)
  const b = min.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

function sessionsOf(data: any): Array<{agentId: string; key: string; sessionId: string}> {
  return ((data?.sessions ?? []) as any[])
    .map((x) => ({agentId: String(x.agentId ?? ''), key: String(x.key), sessionId: String(x.sessionId)}))
    .sort((a, b) => a.key.localeCompare(b.key))
}

function cronJobsOf(data: any): any[] {
  if (Array.isArray(data)) return data
  for (const key of ['jobs', 'items', 'cron']) if (Array.isArray(data?.[key])) return data[key]
  return []
}

function treeFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, {withFileTypes: true})) {
      if (e.name === '.git') continue
      const abs = path.join(d, e.name)
      if (e.isDirectory()) walk(abs, path.join(rel, e.name))
      else if (e.isFile()) out.set(path.join(rel, e.name), sha256(fs.readFileSync(abs)))
    }
  }

  if (fs.existsSync(dir)) walk(dir, '')
  return out
}

/** Like Machine.ocJson, but older hosts print some JSON on stderr. */
async function ocAnyJson(machine: Machine, args: string[], timeoutMs = 300_000): Promise<{data: any}> {
  const r = await machine.ocOk(args, timeoutMs)
  const data = parseJson(r.stdout) ?? parseJson(r.stderr)
  if (data === null) throw new Error(`${machine.label}: openclaw ${args.join(' ')} printed no JSON: ${describeRun(r)}`)
  return {data}
}

/**
 * A gateway command of the old host. 2026.4's CLI is a device its own gateway must pair first
 * ("pairing required"); the host's `devices approve --latest` approves it locally on loopback.
 */
async function ocGatewayJson(machine: Machine, args: string[]): Promise<{data: any}> {
  try {
    return await ocAnyJson(machine, args)
  } catch (error) {
    if (!/pairing required/i.test(String(error))) throw error
    await machine.ocOk(['devices', 'approve', '--latest', '--json'])
    return ocAnyJson(machine, args)
  }
}

/** Our --json output: the one envelope `{command, ok, exitCode, result, error, warnings}`, flattened for the checks below. */
function resultOf(r: RunResult): any {
  const envelope = parseJson(r.stdout)
  return envelope ? {...envelope.result, error: envelope.error, ok: envelope.ok} : null
}

function mergeConfig(file: string, patch: (config: any) => void): void {
  const config = readJson(file)
  patch(config)
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n', {mode: 0o600})
}

describe(`old hosts on Node 22 → OpenClaw ${E2E_OPENCLAW_VERSION} on Node 24`, () => {
  before(async function () {
    if (SOURCES.length === 0) this.skip()
    runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-old-'))
    setCommandLog(path.join(runRoot, 'commands.log'))
    let t = Date.now()
    node22 = await ensureNode(NODE22)
    timing('setup', `node@${NODE22}`, Date.now() - t)
    t = Date.now()
    target = await ensureHost(E2E_OPENCLAW_VERSION)
    timing('setup', `openclaw@${target.version}`, Date.now() - t)
    t = Date.now()
    runJs = (await sharedStandalone(fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-tool-')))).runJs
    timing('setup', 'npm pack + install <tgz>', Date.now() - t)
    mock = await startMockLlm()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failures++
  })

  after(async () => {
    if (!runRoot) return
    const stopped = await stopAllTracked()
    await mock?.close()
    const text = renderSummary(Date.now() - suiteStarted, [
      `sources ${SOURCES.join(', ')} on Node ${NODE22} → OpenClaw ${E2E_OPENCLAW_VERSION} on Node ${process.version}; run dir ${runRoot}${failures === 0 && !process.env.OPENCLAW_E2E_KEEP ? ' (removed)' : ' (kept)'}`,
      ...(stopped.length > 0 ? [`stopped at the end: ${stopped.join('; ')}`] : []),
    ])
    process.stdout.write(text)
    saveSummary(path.join(CACHE_DIR, 'e2e-old-hosts-summary.txt'), text)
    setCommandLog(null)
    if (failures === 0 && !process.env.OPENCLAW_E2E_KEEP) fs.rmSync(runRoot, {force: true, recursive: true})
  })

  for (const version of SOURCES) {
    describe(`from OpenClaw ${version} (Node 22)`, () => {
      const face = version
      const done = new Set<string>()
      let A: Machine
      let B: Machine
      let dir = ''
      let archive = ''
      let passphraseFile = ''
      let port = 0
      let gatewayA: undefined | {exit: Promise<null | number>; pid: number}
      let gatewayBPid: null | number = null
      let cronJobId = ''
      let researchWorkspace = ''
      let mainWorkspace = ''
      let seen: {
        cron: any[]
        mainWs: Map<string, string>
        researchWs: Map<string, string>
        sessions: Array<{agentId: string; key: string; sessionId: string}>
      }

      function need(this: Mocha.Context, ...steps: string[]) {
        const missing = steps.filter((x) => !done.has(x))
        if (missing.length > 0) {
          observe(face, this.test?.title ?? '?', false, `not run: ${missing.join(', ')} failed`)
          this.skip()
        }
      }

      /** The standalone bin on Node 22, with the old host's `openclaw` on PATH (the old machine). */
      function tool(machine: Machine, nodeBin: string, args: string[]): Promise<RunResult> {
        return runProcess(nodeBin, [runJs, ...args, '--profile', PROFILE], {env: machine.env, timeoutMs: 600_000})
      }

      before(async () => {
        dir = ensureDir(path.join(runRoot, version))
        const t = Date.now()
        const source = await ensureHost(version, {extraPackages: EXTRA_PACKAGES[version], node: node22})
        timing(face, source.installed ? 'install host' : 'host cache', Date.now() - t)
        A = new Machine(source, path.join(dir, 'old', 'home-alpha'), `${version}/A`)
        B = new Machine(target, path.join(dir, 'new-machine', 'users', 'beta-home'), `${version}/B`)
        passphraseFile = path.join(dir, 'passphrase.txt')
        fs.writeFileSync(passphraseFile, `e2e passphrase ${version} ${Date.now()}\n`, {mode: 0o600})
        archive = path.join(ensureDir(path.join(dir, 'out')), `work-${version}.tar.gz.age`)
      })

      after(async () => {
        for (const pid of [gatewayA?.pid, gatewayBPid, A?.lockedGatewayPid(), B?.lockedGatewayPid()])
          if (pid) await stopPid(pid)
      })

      it('A: old host builds real state (setup, mock model, 2nd agent outside, turns, gateway, cron add)', async () => {
        const t0 = Date.now()
        await A.ocOk(versionAtLeast(version, '2026.7.0') ? ['setup', '--baseline'] : ['setup'])
        port = await freePort()
        // The host's own commands for what they cover; the model provider is merged in as a user edits JSON.
        mergeConfig(A.configPath, (config) => {
          config.models = {
            mode: 'merge',
            providers: {
              mock: {
                api: 'openai-completions',
                apiKey: `sk-e2e-${sha256(version + Math.random()).slice(0, 24)}`,
                baseUrl: mock.baseUrl,
                models: [
                  {
                    contextWindow: 32_000,
                    cost: {cacheRead: 0, cacheWrite: 0, input: 0, output: 0},
                    id: 'mock-model',
                    input: ['text'],
                    maxTokens: 1024,
                    name: 'Mock',
                    reasoning: false,
                  },
                ],
              },
            },
          }
          config.agents ??= {}
          config.agents.defaults ??= {}
          config.agents.defaults.model = {primary: 'mock/mock-model'}
          config.gateway = {
            ...config.gateway,
            auth: {mode: 'token', token: `e2e-gateway-token-${sha256(version + Date.now()).slice(0, 32)}`},
            bind: 'loopback',
            mode: 'local',
            port,
          }
        })
        mainWorkspace = String(readJson(A.configPath).agents?.defaults?.workspace)
        researchWorkspace = path.join(A.home, 'projects', 'research-ws')
        const added = await ocAnyJson(A, [
          'agents',
          'add',
          'research',
          '--workspace',
          researchWorkspace,
          '--non-interactive',
          '--json',
        ])
        expect(added.data.workspace).to.equal(researchWorkspace)
        fs.writeFileSync(path.join(mainWorkspace, 'MEMORY.md'), '# Memory\n\n- Project Falcon ships in December.\n')
        fs.writeFileSync(path.join(researchWorkspace, 'MEMORY.md'), '# Research memory\n\n- Sources: arXiv.\n')
        // 2026.4 prints the turn's JSON on stderr.
        const turn = await A.ocOk(
          ['agent', '--local', '--agent', 'main', '-m', 'hello from the old machine', '--json', '--timeout', '120'],
          300_000,
        )
        expect(turn.stdout + turn.stderr).to.contain('mock reply')

        const gw = await A.startGateway(port, path.join(dir, 'gateway-a.log'))
        gatewayA = {exit: gw.exit, pid: gw.pid}
        expect(gw.ready, `gateway A did not become ready (see ${path.join(dir, 'gateway-a.log')})`).to.equal(true)
        const cron = await ocGatewayJson(A, [
          'cron',
          'add',
          '--name',
          'nightly-report',
          '--cron',
          '0 4 * * *',
          '--agent',
          'main',
          '--message',
          'Summarize yesterday',
          '--json',
        ])
        cronJobId = String(cron.data.id ?? cron.data.job?.id)
        await ocGatewayJson(A, ['agent', '--agent', 'research', '-m', 'hello research', '--json', '--timeout', '120'])
        const cronList = await ocGatewayJson(A, ['cron', 'list', '--json'])
        const sessions = await ocAnyJson(A, ['sessions', '--all-agents', '--json'])
        seen = {
          cron: cronJobsOf(cronList.data),
          mainWs: new Map(),
          researchWs: new Map(),
          sessions: sessionsOf(sessions.data),
        }
        expect(seen.cron.map((j) => j.id)).to.include(cronJobId)
        expect(seen.sessions.length).to.be.greaterThan(1)
        observe(
          face,
          'A: state built',
          true,
          `gateway pid ${gw.pid} ready after ${(gw.ms / 1000).toFixed(1)}s (lock pid ${gw.lockPid ?? 'not under the state dir'}); cron job ${cronJobId}; ${seen.sessions.length} sessions (${seen.sessions.map((x) => x.key).join(', ')}); workspaces ${path.relative(A.home, mainWorkspace)} + ${path.relative(A.home, researchWorkspace)}; layout: ${fs.existsSync(A.stateDb) ? 'state/openclaw.sqlite' : 'no state DB'}`,
        )
        timing(face, 'build A', Date.now() - t0)
        done.add('A')
      })

      it('check on Node 22 (old machine) runs and reports the running gateway', async function () {
        need.call(this, 'A')
        const r = await tool(A, node22, ['check', '--json'])
        const data = resultOf(r)
        const items = (data?.checks ?? []) as any[]
        const gateway = items.find((c) => c.id === 'gateway')
        const node = items.find((c) => c.id === 'node')
        observe(
          face,
          'check (old machine, Node 22)',
          r.code === 0 && gateway?.status === 'warn' && node?.status === 'ok',
          `exit ${r.code}; host ${data?.context?.hostVersion}; gateway [${gateway?.status}] ${gateway?.message}; node [${node?.status}] ${node?.message}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(gateway?.status, 'a running gateway is reported (export --stop-gateway stops it)').to.equal('warn')
        expect(node?.status).to.equal('ok')
      })

      it('export --stop-gateway with the standalone bin on Node 22 stops the old gateway and writes the archive', async function () {
        need.call(this, 'A')
        const r = await tool(A, node22, [
          'export',
          '--stop-gateway',
          '--passphrase-file',
          passphraseFile,
          '-o',
          archive,
          '--json',
        ])
        timing(face, 'export (Node 22)', r.ms)
        const data = resultOf(r)
        const gatewayExit = await Promise.race([gatewayA!.exit, sleep(15_000).then(() => 'still running' as const)])
        const counts = data?.profiles?.[0]?.counts
        observe(
          face,
          'export --stop-gateway (Node 22)',
          r.code === 0 && !alive(gatewayA!.pid),
          `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s; gateway ${JSON.stringify(data?.gateway)}; process exit ${gatewayExit}; ${data?.entries} entries; counts ${JSON.stringify(counts)}; host ${data?.context?.hostVersion}; node ${data?.manifest?.tool?.node ?? NODE22}${r.code === 0 ? '' : `; error ${JSON.stringify(data?.error)}`}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        expect(data?.gateway?.stopped).to.equal(true)
        expect(alive(gatewayA!.pid), 'gateway A still alive after export').to.equal(false)
        if (counts) {
          expect(counts.sessions, 'manifest session count = sessions the host listed').to.equal(seen.sessions.length)
          expect(counts.agents, 'manifest agent count').to.equal(2)
          expect(counts.cronJobs, 'manifest cron job count').to.equal(seen.cron.length)
        }

        seen.mainWs = treeFiles(mainWorkspace)
        seen.researchWs = treeFiles(researchWorkspace)
        done.add('export')
      })

      it('check ARCHIVE on Node 22 verifies it', async function () {
        need.call(this, 'export')
        const r = await tool(A, node22, ['check', archive, '--passphrase-file', passphraseFile, '--json'])
        const data = resultOf(r)
        observe(face, 'check ARCHIVE (Node 22)', r.code === 0, `exit ${r.code}; ok=${data?.ok}`)
        expect(r.code, describeRun(r)).to.equal(0)
      })

      it(`B: ${E2E_OPENCLAW_VERSION} setup --baseline, then import --start-gateway exits 0`, async function () {
        need.call(this, 'export')
        await B.ocOk(['setup', '--baseline'])
        const r = await tool(B, process.execPath, [
          'import',
          archive,
          '--passphrase-file',
          passphraseFile,
          '--start-gateway',
          '--json',
        ])
        timing(face, 'import (Node 24)', r.ms)
        const data = resultOf(r)
        fs.writeFileSync(path.join(dir, 'import.json'), r.stdout)
        for (let i = 0; i < 30 && !B.lockedGatewayPid(); i++) await sleep(1000)
        gatewayBPid = B.lockedGatewayPid()
        if (gatewayBPid) trackPid(gatewayBPid, `${face}/B gateway`)
        const steps = ((data?.chain?.steps ?? []) as any[]).map(
          (x) => `${x.step}=${x.skipped ? 'skipped' : x.ok ? 'ok' : 'FAILED'}(${x.exitCode ?? '-'})`,
        )
        observe(
          face,
          'import --start-gateway',
          r.code === 0,
          `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s; versions ${JSON.stringify(data?.versions)}; verification ${data?.verification?.ok}; chain ${steps.join(', ')}${r.code === 0 ? '' : `; error ${JSON.stringify(data?.error ?? data?.verification)}`}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
        done.add('import')
      })

      it('config validate and doctor --lint are clean on the new host', async function () {
        need.call(this, 'import')
        const v = await B.oc(['config', 'validate', '--json'])
        const lint = await B.oc(['doctor', '--lint', '--json', '--severity-min', 'error'])
        const lintData = parseJson(lint.stdout)
        observe(
          face,
          'config validate + doctor --lint',
          v.code === 0 && lint.code === 0,
          `validate exit ${v.code} valid=${parseJson(v.stdout)?.valid}; lint exit ${lint.code} ok=${lintData?.ok} findings ${JSON.stringify((lintData?.findings ?? []).map((f: any) => f.checkId))}`,
        )
        expect(v.code, describeRun(v)).to.equal(0)
        expect(lint.code, describeRun(lint)).to.equal(0)
      })

      it('the gateway answers RPC', async function () {
        need.call(this, 'import')
        const status = await B.waitGatewayReady(Number(readJson(B.configPath).gateway?.port), {timeoutMs: 90_000})
        const data = parseJson(status.status?.stdout ?? '')
        observe(face, 'gateway RPC', status.ready, `rpc.ok=${data?.rpc?.ok} after ${(status.ms / 1000).toFixed(1)}s`)
        expect(status.ready, describeRun(status.status ?? ({} as RunResult))).to.equal(true)
      })

      it('sessions, the cron job and both workspaces are visible through the new host', async function () {
        need.call(this, 'import')
        const sessions = sessionsOf((await B.ocJson(['sessions', '--all-agents', '--json'])).data)
        const missing = seen.sessions.filter((b) => !sessions.some((a) => a.sessionId === b.sessionId))
        const cron = cronJobsOf((await B.ocJson(['cron', 'list', '--json'])).data)
        const job = cron.find((j) => j.id === cronJobId)
        const config = readJson(B.configPath)
        const agents: any[] = config.agents?.list ?? []
        // 2026.9's doctor moves agents.list to keyed agents.entries.
        const researchAt = String(
          config.agents?.entries?.research?.workspace ?? agents.find((a) => a.id === 'research')?.workspace ?? '',
        )
        const mainAt = String(config.agents?.defaults?.workspace ?? '')
        // The new host migrates its own bootstrap files (AGENTS/TOOLS/HEARTBEAT.md, .openclaw/ state):
        // those may differ; every other file (the user's notes) must be there byte for byte.
        const hostOwned = (rel: string) => /^(AGENTS|TOOLS|HEARTBEAT|BOOTSTRAP)\.md$|^\.openclaw\//.test(rel)
        const diff = (a: Map<string, string>, b: Map<string, string>) =>
          [...a].filter(([rel, sha]) => !hostOwned(rel) && b.get(rel) !== sha).map(([rel]) => rel)
        const mainDiff = diff(seen.mainWs, treeFiles(mainAt))
        const researchDiff = diff(seen.researchWs, treeFiles(researchAt))
        observe(
          face,
          'sessions, cron, workspaces',
          missing.length === 0 && Boolean(job) && mainDiff.length + researchDiff.length === 0,
          `${sessions.length} sessions (before ${seen.sessions.length}), missing ${missing.length}; cron ${job ? `"${job.name}" ${JSON.stringify(job.schedule)}` : 'MISSING'} of ${cron.length}; main ws ${path.relative(B.home, mainAt)} (${seen.mainWs.size} files, differ ${mainDiff.length}: ${mainDiff.slice(0, 3).join(', ')}); research ws ${path.relative(B.home, researchAt)} (${seen.researchWs.size} files, differ ${researchDiff.length})`,
        )
        expect(missing).to.deep.equal([])
        expect(job, `cron job ${cronJobId}`).to.not.equal(undefined)
        expect(mainAt.startsWith(B.home) && researchAt.startsWith(B.home)).to.equal(true)
        expect(treeFiles(mainAt).get('MEMORY.md')).to.equal(seen.mainWs.get('MEMORY.md'))
        expect(treeFiles(researchAt).get('MEMORY.md')).to.equal(seen.researchWs.get('MEMORY.md'))
        expect(mainDiff).to.deep.equal([])
        expect(researchDiff).to.deep.equal([])
      })

      it('check --against the archive says ready', async function () {
        need.call(this, 'import')
        const r = await tool(B, process.execPath, [
          'check',
          '--against',
          archive,
          '--passphrase-file',
          passphraseFile,
          '--json',
        ])
        const data = resultOf(r)
        const notOk = ((data?.checks ?? []) as any[]).filter((i) => i.status !== 'ok')
        observe(
          face,
          'check --against',
          r.code === 0,
          `exit ${r.code}; not ok: ${notOk.map((i) => `${i.id}[${i.status}]: ${i.message}`).join(' | ') || 'none'}`,
        )
        expect(r.code, describeRun(r)).to.equal(0)
      })
    })
  }
})
