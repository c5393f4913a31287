/**
 * `openclaw migrate openclaw --from ARCHIVE`: our migration provider inside the real OpenClaw's own
 * `migrate` (list → preview → core's verified backup → apply → report), end to end.
 *
 * Machine A is not built again: migrate-machine.test.ts (native face, which runs first) hands over
 * its exported archive and what A held (support/state-facts.ts). Machine C, under yet another
 * absolute HOME, is onboarded with `setup --baseline`, gets the plugin, and imports through the
 * provider. Then the same assertions as the migrate-machine suite: config valid, lint clean,
 * gateway answers, cron/sessions/workspaces/credentials present, no path of A left, onboarding
 * state moved aside, `check --against` ready; plus where core's backup and report ended up.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {E2E_OPENCLAW_VERSION} from './host-version.js'
import {hashTree, readJson, rows, scanDb, sha256File} from './support/inspect.js'
import {CACHE_DIR, ensureHost, freePort, type Host, Machine, PROFILE} from './support/openclaw.js'
import {describeRun, ensureDir, parseJson, runProcess, type RunResult, stopAllTracked, stopPid} from './support/proc.js'
import {
  configSecrets,
  cronJobsOf,
  deviceKeySha,
  diffTrees,
  releaseSharedArchive,
  sessionsOf,
  type SharedArchive,
  sharedArchive,
} from './support/state-facts.js'
import {observe, renderSummary, saveSummary, timing} from './support/summary.js'

const FACE = 'provider'
const started = Date.now()

describe(`openclaw migrate openclaw (migration provider) against OpenClaw ${E2E_OPENCLAW_VERSION}`, () => {
  let host: Host
  let shared: SharedArchive
  let runRoot = ''
  let C: Machine
  let workDir = ''
  let baselineConfigSha = ''
  let plan: any
  let result: any
  let gatewayPid: null | number = null
  let passphraseFile = ''
  let restoredTgz = false
  const done = new Set<string>()
  let failures = 0
  let ran = false

  function need(this: Mocha.Context, ...steps: string[]) {
    const missing = steps.filter((x) => !done.has(x))
    if (missing.length > 0) {
      observe(FACE, this.test?.title ?? '?', false, `not run: ${missing.join(', ')} failed`)
      this.skip()
    }
  }

  /** `openclaw --profile work migrate …` run from a dir of C's own (core writes its backup to the cwd). */
  function migrate(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return runProcess(process.execPath, [host.script, '--profile', PROFILE, 'migrate', ...args], {
      cwd: workDir,
      env: {...C.env, ...env},
      timeoutMs: 900_000,
    })
  }

  before(async () => {
    const handed = sharedArchive()
    if (!handed)
      throw new Error(
        'No archive from machine A: this suite reuses the native face of migrate-machine.test.ts. Run it after that file: `npm run test:e2e`, or alone with OPENCLAW_E2E_FACES=native mocha --config test/e2e/.mocharc.json test/e2e/migrate-machine.test.ts test/e2e/migrate-provider.test.ts`.',
      )
    shared = handed
    ran = true
    host = await ensureHost(E2E_OPENCLAW_VERSION)
    runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-provider-'))
    C = new Machine(host, path.join(runRoot, 'machine-c', 'home', 'gamma-user'), `${FACE}/C`)
    workDir = ensureDir(path.join(C.home, 'Downloads'))
    // A installed the plugin from this tarball and its install record names the path: put the tarball back
    // there (the suite that built A removed its run dir), as on a machine that has the package where A had it.
    if (!fs.existsSync(shared.tgzInstalledFrom)) {
      ensureDir(path.dirname(shared.tgzInstalledFrom))
      fs.copyFileSync(shared.tgz, shared.tgzInstalledFrom)
      restoredTgz = true
    }

    passphraseFile = path.join(runRoot, 'passphrase.txt')
    fs.writeFileSync(passphraseFile, shared.passphrase + '\n', {mode: 0o600})
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failures++
  })

  after(async () => {
    if (gatewayPid) await stopPid(gatewayPid)
    const pid = C?.lockedGatewayPid()
    if (pid) await stopPid(pid)
    await stopAllTracked()
    if (!ran) return // before() refused: no run, and the last summary in the cache stays as it was
    const text = renderSummary(Date.now() - started, [
      `provider suite: OpenClaw ${host?.version}, run dir ${runRoot}${failures === 0 && !process.env.OPENCLAW_E2E_KEEP ? ' (removed)' : ' (kept)'}`,
    ])
    process.stdout.write(text)
    saveSummary(path.join(CACHE_DIR, 'e2e-last-summary-provider.txt'), text)
    if (failures === 0 && !process.env.OPENCLAW_E2E_KEEP) {
      fs.rmSync(runRoot, {force: true, recursive: true})
      if (restoredTgz) fs.rmSync(path.dirname(shared.tgzInstalledFrom), {force: true, recursive: true})
      releaseSharedArchive()
    }
  })

  it('C: onboarding (`setup --baseline`) and the plugin; `openclaw migrate list` shows the provider', async () => {
    const t0 = Date.now()
    await C.ocOk(['setup', '--baseline'])
    await C.ocOk(['plugins', 'install', `npm-pack:${shared.tgz}`, '--force', '--accept-capabilities'], 300_000)
    baselineConfigSha = sha256File(C.configPath)
    timing(FACE, 'onboard C + plugin', Date.now() - t0)
    const text = await C.ocOk(['migrate', 'list'])
    const json = await C.ocJson<{providers: Array<{description?: string; id: string; label: string}>}>([
      'migrate',
      'list',
      '--json',
    ])
    const line = text.stdout.split('\n').find((l) => l.startsWith('openclaw\t'))
    observe(
      FACE,
      'migrate list',
      Boolean(line),
      `${line ?? 'no openclaw line'} (of ${json.data.providers.map((p) => p.id).join(', ')})`,
    )
    expect(line).to.match(/^openclaw\tOpenClaw \(another machine\)/)
    expect(json.data.providers.find((p) => p.id === 'openclaw')?.label).to.equal('OpenClaw (another machine)')
    done.add('C')
  })

  it('`migrate openclaw --from A.age --dry-run --json` prints the verified plan and writes nothing', async function () {
    need.call(this, 'C')
    const r = await migrate(['openclaw', '--from', shared.archive, '--dry-run', '--json'], {
      OPENCLAW_MIGRATE_PASSPHRASE: shared.passphrase,
    })
    timing(FACE, 'dry run', r.ms)
    plan = parseJson(r.stdout)
    fs.writeFileSync(path.join(runRoot, 'plan.json'), r.stdout)
    const items = (plan?.items ?? []) as any[]
    const byId = (prefix: string) => items.filter((i) => String(i.id).startsWith(prefix))
    const state = items.find((i) => i.id === `root:${PROFILE}.state`)
    observe(
      FACE,
      'dry run --json',
      r.code === 0 && plan?.providerId === 'openclaw',
      `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s; ${JSON.stringify(plan?.summary)}; ${items.length} items: ${items.map((i) => `${i.id}[${i.status}${i.sensitive ? ',sensitive' : ''}]`).join(' ')}; warnings ${JSON.stringify(plan?.warnings?.slice(0, 2))}`,
    )
    expect(r.code, describeRun(r)).to.equal(0)
    expect(plan.providerId).to.equal('openclaw')
    expect(plan.source).to.equal(shared.archive)
    expect(plan.target).to.equal(C.stateDir)
    expect(state?.target).to.equal(C.stateDir)
    expect(state?.source).to.equal(shared.aStateDir)
    expect(byId('root:').map((i) => i.target)).to.include(
      path.join(C.home, path.relative(shared.aHome, shared.before.researchWorkspace)),
    )
    expect(byId('aside:').map((i) => i.source)).to.include(C.stateDir)
    expect(byId('rebase:').length).to.be.greaterThan(0)
    expect(byId('plugin:').map((i) => i.id)).to.include('plugin:migrate-machine')
    expect(byId('auth:channel-whatsapp')[0]?.sensitive).to.equal(true)
    expect(plan.summary.sensitive).to.be.greaterThan(0)
    // Without --include-secrets nothing is planned: the state moves whole or not at all.
    expect(plan.summary.planned).to.equal(0)
    expect(plan.warnings[0]).to.contain('--include-secrets')
    expect(plan.metadata.verified).to.equal(true)
    // Nothing written: no backup, no aside, the onboarded config untouched, no secret in the output.
    expect(fs.readdirSync(workDir)).to.deep.equal([])
    expect(fs.readdirSync(C.home).filter((n) => n.includes('.pre-migrate-'))).to.deep.equal([])
    expect(sha256File(C.configPath)).to.equal(baselineConfigSha)
    expect(r.stdout).to.not.contain(shared.before.apiKey)
    expect(r.stdout).to.not.contain(shared.passphrase)
    done.add('plan')
  })

  it("a failing migration ends non-zero with the host's JSON: wrong passphrase (nothing written), no --include-secrets (backup and report kept)", async function () {
    need.call(this, 'plan')
    const wrong = await migrate(['openclaw', '--from', shared.archive, '--yes', '--include-secrets', '--json'], {
      OPENCLAW_MIGRATE_PASSPHRASE: 'not the passphrase of this archive',
    })
    const wrongJson = parseJson(wrong.stdout)
    const nothingWritten = fs.readdirSync(workDir).length === 0 && sha256File(C.configPath) === baselineConfigSha
    const refused = await migrate(['openclaw', '--from', shared.archive, '--yes', '--json'], {
      OPENCLAW_MIGRATE_PASSPHRASE: shared.passphrase,
    })
    timing(FACE, 'failing runs', wrong.ms + refused.ms)
    const failed = parseJson(refused.stdout)
    const error = ((failed?.items ?? []) as any[]).find((i) => i.status === 'error')
    const backup = String(failed?.backupPath ?? '')
    const reportDir = String(failed?.reportDir ?? '')
    observe(
      FACE,
      'failing runs --json',
      wrong.code === 1 && refused.code === 1,
      `wrong passphrase: exit ${wrong.code}, ${JSON.stringify(wrongJson)}, nothing written ${nothingWritten}; without --include-secrets: exit ${refused.code}, ${JSON.stringify(failed?.summary)}, ${error?.id}: ${error?.message}; backup ${backup}; report ${reportDir}`,
    )
    expect(wrong.code, describeRun(wrong)).to.equal(1)
    expect(wrongJson?.ok).to.equal(false)
    expect(wrongJson?.error?.message).to.contain('wrong passphrase').and.to.contain('OPENCLAW_MIGRATE_PASSPHRASE')
    expect(nothingWritten).to.equal(true)
    expect(wrong.stdout + wrong.stderr).to.not.contain(shared.passphrase)
    expect(refused.code, describeRun(refused)).to.equal(1)
    expect(failed?.summary?.errors).to.equal(1)
    expect(error).to.include({id: 'import:usage', kind: 'host'})
    expect(error?.message).to.contain('--include-secrets')
    // Core made its backup before calling apply: it stays in the cwd; the report, in the untouched state, names it.
    expect(path.dirname(backup)).to.equal(workDir)
    expect(reportDir.startsWith(path.join(C.stateDir, 'migration', 'openclaw') + path.sep)).to.equal(true)
    expect(readJson(path.join(reportDir, 'report.json')).backupPath).to.equal(backup)
    expect(sha256File(C.configPath)).to.equal(baselineConfigSha)
    expect(fs.readdirSync(C.home).filter((n) => n.includes('.pre-migrate-'))).to.deep.equal([])
  })

  it('`migrate openclaw --from A.age --yes --include-secrets --json` imports: backup outside, report in the imported state', async function () {
    need.call(this, 'plan')
    const r = await migrate(['openclaw', '--from', shared.archive, '--yes', '--include-secrets', '--json'], {
      OPENCLAW_MIGRATE_PASSPHRASE: shared.passphrase,
    })
    timing(FACE, 'apply', r.ms)
    fs.writeFileSync(path.join(runRoot, 'apply.json'), r.stdout)
    fs.writeFileSync(path.join(runRoot, 'apply.stderr'), r.stderr)
    result = parseJson(r.stdout)
    const items = (result?.items ?? []) as any[]
    const asides = fs.readdirSync(C.home).filter((n) => n.startsWith(`.openclaw-${PROFILE}.pre-migrate-`))
    const aside = asides.length === 1 ? path.join(C.home, asides[0]) : ''
    const backup = String(result?.backupPath ?? '')
    const reportDir = String(result?.reportDir ?? '')
    observe(
      FACE,
      'apply --yes --json',
      r.code === 0 && result?.summary?.errors === 0,
      `exit ${r.code} in ${(r.ms / 1000).toFixed(1)}s; ${JSON.stringify(result?.summary)}; ${items.map((i) => `${i.id}[${i.status}]`).join(' ')}`,
    )
    observe(
      FACE,
      'core backup + report',
      fs.existsSync(backup) && fs.existsSync(path.join(reportDir, 'report.json')),
      `backup ${backup} (${fs.existsSync(backup) ? fs.statSync(backup).size : 'missing'} bytes); report ${reportDir}: ${fs.existsSync(reportDir) ? fs.readdirSync(reportDir).join(', ') : 'missing'}; aside ${asides.join(', ') || 'none'}`,
    )
    expect(r.code, describeRun(r)).to.equal(0)
    expect(result.summary.errors).to.equal(0)
    expect(items.find((i) => i.id === 'verify:target')?.status).to.equal('migrated')
    expect(items.find((i) => i.id === 'host:doctor-lint')?.status).to.equal('migrated')
    expect(items.find((i) => i.id === 'plugin:migrate-machine')?.status).to.be.oneOf(['migrated', 'skipped'])
    // Core's backup: written before apply, in the cwd, and neither moved aside nor inside the imported state.
    expect(path.dirname(backup)).to.equal(workDir)
    expect(fs.statSync(backup).size).to.be.greaterThan(0)
    // The report: at the path core printed, which is now inside the imported (live) state dir.
    expect(reportDir.startsWith(C.stateDir + path.sep)).to.equal(true)
    expect(readJson(path.join(reportDir, 'report.json')).result.summary.errors).to.equal(0)
    // …and names core's backup: core's own record of it (backup_runs) went aside with the onboarded state.
    expect(readJson(path.join(reportDir, 'report.json')).backupPath).to.equal(backup)
    expect(fs.readFileSync(path.join(reportDir, 'report.txt'), 'utf8').split('\n', 1)[0]).to.equal(
      `Backup made by OpenClaw before this migration: ${backup}`,
    )
    expect(fs.existsSync(path.join(aside, path.relative(C.stateDir, reportDir)))).to.equal(false)
    expect(asides).to.have.length(1)
    expect(sha256File(path.join(aside, 'openclaw.json'))).to.equal(baselineConfigSha)
    expect(r.stdout + fs.readFileSync(path.join(reportDir, 'report.json'), 'utf8')).to.not.contain(shared.before.apiKey)
    done.add('import')
  })

  it('the gateway (started as the result says) answers RPC on loopback', async function () {
    need.call(this, 'import')
    const start = ((result?.nextSteps ?? []) as string[]).find((s) => s.startsWith('Start the gateway:'))
    const port = Number(readJson(C.configPath).gateway?.port ?? (await freePort()))
    const gw = await C.startGateway(port, path.join(runRoot, 'gateway-c.log'))
    gatewayPid = gw.pid
    const status = await C.gatewayStatus(port)
    const data = parseJson(status.stdout)
    observe(
      FACE,
      'gateway status --require-rpc',
      gw.ready && data?.rpc?.ok === true,
      `next step "${start}"; ready after ${(gw.ms / 1000).toFixed(1)}s, rpc.ok=${data?.rpc?.ok}`,
    )
    expect(start).to.equal(`Start the gateway: openclaw --profile ${PROFILE} gateway run`)
    expect(gw.ready).to.equal(true)
    expect(data?.rpc?.ok).to.equal(true)
  })

  it('config valid, doctor --lint clean', async function () {
    need.call(this, 'import')
    const v = await C.oc(['config', 'validate', '--json'])
    const lint = await C.oc(['doctor', '--lint', '--json', '--severity-min', 'error'])
    observe(
      FACE,
      'config validate + lint',
      v.code === 0 && lint.code === 0,
      `validate exit ${v.code} ${v.stdout.trim().slice(0, 120)}; lint exit ${lint.code} ${lint.stdout.trim().slice(0, 160)}`,
    )
    expect(v.code, describeRun(v)).to.equal(0)
    expect(parseJson(v.stdout)?.valid).to.equal(true)
    expect(lint.code, describeRun(lint)).to.equal(0)
    expect(parseJson(lint.stdout)?.ok).to.equal(true)
  })

  it('cron job, sessions, workspaces and credentials are there', async function () {
    need.call(this, 'import')
    const {before} = shared
    const cron = cronJobsOf((await C.ocJson(['cron', 'list', '--json'])).data)
    const storeKey = rows<{store_key: string}>(
      C.stateDb,
      'SELECT store_key FROM cron_jobs WHERE job_id = ?',
      shared.cronJobId,
    )[0]?.store_key
    const sessions = sessionsOf((await C.ocJson(['sessions', '--all-agents', '--json'])).data)
    const missing = before.sessions.filter((b) => !sessions.some((a) => a.key === b.key && a.sessionId === b.sessionId))
    const config = readJson(C.configPath)
    const mainWs = String(config.agents?.defaults?.workspace)
    const researchWs = String(
      config.agents?.list?.find?.((a: any) => a.id === 'research')?.workspace ??
        config.agents?.entries?.research?.workspace,
    )
    const main = diffTrees(before.mainWs, hashTree(mainWs))
    const research = diffTrees(before.researchWs, fs.existsSync(researchWs) ? hashTree(researchWs) : new Map())
    const secrets = configSecrets(C.configPath)
    const creds = sha256File(path.join(C.stateDir, 'credentials', 'whatsapp', 'default', 'creds.json'))
    observe(
      FACE,
      'state survived',
      missing.length === 0 && main.missing.length + research.missing.length === 0,
      `cron ${shared.cronJobId} ${cron.some((j) => j.id === shared.cronJobId) ? 'listed' : 'MISSING'} (store_key ${storeKey}); sessions ${sessions.length}/${before.sessions.length}, missing ${missing.length}; workspaces ${path.relative(C.home, mainWs)} (${before.mainWs.size} files, missing ${main.missing.length}) + ${path.relative(C.home, researchWs)} (${before.researchWs.size}, missing ${research.missing.length}); creds ${creds === before.creds ? '=' : '≠'} A`,
    )
    expect(cron.map((j) => j.id)).to.include(shared.cronJobId)
    expect(storeKey).to.equal(path.join(C.stateDir, 'cron', 'jobs.json'))
    expect(missing).to.deep.equal([])
    expect(mainWs.startsWith(C.stateDir)).to.equal(true)
    expect(researchWs).to.equal(path.join(C.home, path.relative(shared.aHome, before.researchWorkspace)))
    expect(main).to.deep.equal({changed: [], missing: []})
    expect(research).to.deep.equal({changed: [], missing: []})
    expect({apiKey: secrets.apiKey, creds, device: deviceKeySha(C.stateDb), token: secrets.gatewayToken}).to.deep.equal(
      {
        apiKey: before.apiKey,
        creds: before.creds,
        device: before.deviceKeySha,
        token: before.gatewayToken,
      },
    )
  })

  it('no path of HOME A is left in openclaw.json or state/openclaw.sqlite', function () {
    need.call(this, 'import')
    const configHits = fs.readFileSync(C.configPath, 'utf8').split(shared.aHome).length - 1
    const dbHits = scanDb(C.stateDb, shared.aHome)
    observe(
      FACE,
      'no HOME A paths',
      configHits === 0 && dbHits.length === 0,
      `openclaw.json ${configHits} hits; state DB ${dbHits.length} cells`,
    )
    expect(configHits).to.equal(0)
    expect(dbHits).to.deep.equal([])
  })

  it('`migrate-machine check --against` the archive is ready (the plugin came back with the state)', async function () {
    need.call(this, 'import')
    const plugin = ((result?.items ?? []) as any[]).find((i) => i.id === 'plugin:migrate-machine')
    // A reinstall the import could not do (no such package here) is the user's next step: do it the same way.
    if (plugin?.status !== 'migrated')
      await C.ocOk(['plugins', 'install', `npm-pack:${shared.tgz}`, '--force', '--accept-capabilities'], 300_000)
    const r = await C.oc(
      ['migrate-machine', 'check', '--against', shared.archive, '--passphrase-file', passphraseFile, '--json'],
      600_000,
    )
    const data = parseJson(r.stdout)
    const notOk = ((data?.checks ?? []) as any[]).filter((i) => i.status !== 'ok')
    observe(
      FACE,
      'check --against',
      r.code === 0 && data?.ok === true,
      `plugin ${plugin?.status} by the import; exit ${r.code}, ok=${data?.ok}, not ok: ${notOk.map((i) => `${i.id}: ${i.message}`).join(' | ') || 'none'}`,
    )
    expect(r.code, describeRun(r)).to.equal(0)
    expect(data?.ok).to.equal(true)
  })
})
