/**
 * The `openclaw` migration provider's plan mapping: a real archive of a generated home, opened by
 * the import engine (dry run, then a real import into another home without a host), mapped onto the
 * host's preview items. The real host runs the provider end to end in test/e2e/migrate-provider.test.ts.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {ourCommand, setCommandPrefix} from '../../src/lib/cli-face.js'
import {planHostChain} from '../../src/lib/host/chain-plan.js'
import {resolveHostContext} from '../../src/lib/host/host-context.js'
import {type ImportOutcome, runImport} from '../../src/lib/operations/import-operation.js'
import {type MigrationProviderContext, summarizeItems} from '../../src/native/migration-contract.js'
import {
  failedResult,
  GATEWAY_NOT_STARTED,
  MAX_REBASE_ITEMS,
  planFromOutcome,
  resultFromOutcome,
  SECRETS_NEEDED,
} from '../../src/native/migration-items.js'
import {applyArchive, backupLine, KEYS_HINT, PASSPHRASE_ENV, planArchive} from '../../src/native/migration-provider.js'
import {
  type ExportedSource,
  onboardedStateDir,
  PASSPHRASE,
  standardSource,
  targetHome,
} from '../support/import-fixtures.js'

async function importInto(src: ExportedSource, home: string, dryRun: boolean): Promise<ImportOutcome> {
  const env = {...process.env, HOME: home}
  const context = await resolveHostContext({env, noBinary: true, profile: 'work'})
  return runImport({
    allowDowngrade: false,
    context,
    doctor: false,
    dryRun,
    async getKeys() {
      return {passphrase: PASSPHRASE}
    },
    maps: [],
    noHost: true,
    profile: 'work',
    restart: false,
    rewriteWorkspacePaths: false,
    source: src.encrypted!,
    startGateway: false,
    stopGateway: false,
  })
}

describe('migration provider `openclaw`: the import engine in the host vocabulary', function () {
  this.timeout(300_000)
  let src: ExportedSource
  let target: ReturnType<typeof targetHome>
  let dry: ImportOutcome

  before(async () => {
    src = await standardSource()
    target = targetHome('dana')
    onboardedStateDir(target.home)
    dry = await importInto(src, target.home, true)
  })

  after(() => {
    target?.cleanup()
  })

  it('previews every root, secret group, move aside, rewrite, plugin and manual step, with the host summary', () => {
    const plan = planFromOutcome(dry, {archive: src.encrypted!, includeSecrets: true})
    const ids = (prefix: string) => plan.items.filter((i) => i.id.startsWith(prefix))
    const stateDir = path.join(target.home, '.openclaw-work')
    expect(plan.providerId).to.equal('openclaw')
    expect(plan.source).to.equal(src.encrypted)
    expect(plan.target).to.equal(stateDir)
    expect(plan.summary).to.deep.equal(summarizeItems(plan.items))
    // One item per archived root, from its path on the old machine to its place under this home.
    expect(ids('root:').map((i) => i.source)).to.have.members(src.manifest.roots.map((r: any) => r.sourcePath))
    for (const item of ids('root:')) expect(item.target!.startsWith(target.home + path.sep), item.id).to.equal(true)
    expect(ids('root:').find((i) => i.target === stateDir)?.sensitive).to.equal(true)
    // Secrets by kind, channel logins one per channel: all sensitive, counted by the host.
    const channels = new Set(
      (src.manifest.secrets as Array<{path: string}>)
        .map((s) => /\/credentials\/([^/]+)\/./.exec(s.path)?.[1])
        .filter(Boolean),
    )
    expect(ids('auth:channel-').length).to.equal(channels.size).and.to.be.greaterThan(0)
    expect([...ids('secret:'), ...ids('auth:')].every((i) => i.sensitive && i.status === 'planned')).to.equal(true)
    expect(plan.summary.sensitive).to.be.greaterThan(channels.size)
    // The onboarded state dir is moved aside, never deleted.
    expect(ids('aside:').map((i) => [i.source, i.kind, i.action])).to.deep.equal([[stateDir, 'archive', 'archive']])
    // The rewrites the engine made in the staged copy, each at its final place.
    expect(ids('rebase:').map((i) => i.target)).to.have.members(dry.rebase.rewrites.map((r) => r.file))
    expect(ids('rebase:').length).to.be.greaterThan(0)
    expect(ids('plugin:').map((i) => i.id)).to.have.members(
      src.manifest.profiles.flatMap((p: any) => p.plugins.map((x: any) => `plugin:${x.id}`)),
    )
    expect(ids('manual:').every((i) => i.status === 'skipped' && i.kind === 'manual')).to.equal(true)
    expect(plan.nextSteps).to.deep.equal(dry.manualSteps)
    expect(plan.metadata).to.include({archiveId: dry.manifest.archiveId, verified: true})
    const text = JSON.stringify(plan)
    for (const secret of src.g.secrets) expect(text).to.not.contain(secret)
  })

  it('without --include-secrets nothing is planned, and the preview says why first', () => {
    const plan = planFromOutcome(dry, {archive: src.encrypted!, includeSecrets: false})
    expect(plan.summary.planned).to.equal(0)
    expect(plan.items.filter((i) => i.kind !== 'manual' && i.status === 'skipped').length).to.be.greaterThan(0)
    expect(plan.items.filter((i) => i.reason === 'needs --include-secrets').length).to.be.greaterThan(0)
    expect(plan.warnings?.[0]).to.equal(SECRETS_NEEDED)
  })

  it("the host's preview names no flag of the import the host does not have (--start-gateway)", () => {
    const stateDir = path.join(target.home, '.openclaw-work')
    // The chain as the provider asks for it: doctor and restart, never --start-gateway.
    const plannedChain = planHostChain({
      configPath: path.join(stateDir, 'openclaw.json'),
      doctor: true,
      home: target.home,
      hostVersion: '2026.9.6',
      plugins: [],
      profile: 'work',
      restart: true,
      sourceVersion: '2026.9.6',
      startGateway: false,
      stateDir,
    })
    const plan = planFromOutcome({...dry, plannedChain}, {archive: src.encrypted!, includeSecrets: true})
    const start = plan.items.find((i) => i.id === 'host:gateway-start')
    expect(start).to.include({reason: GATEWAY_NOT_STARTED, status: 'skipped'})
    expect(plan.items.filter((i) => i.id.startsWith('host:')).map((i) => i.id)).to.include('host:gateway-restart')
    expect(JSON.stringify(plan.items)).to.not.contain('--start-gateway')
  })

  it('a long list of rewrites ends in one summary item', () => {
    const many = Array.from({length: MAX_REBASE_ITEMS + 5}, (_, i) => ({...dry.rebase.rewrites[0], rel: `x/${i}.json`}))
    const plan = planFromOutcome(
      {...dry, rebase: {...dry.rebase, rewrites: many}},
      {archive: src.encrypted!, includeSecrets: true},
    )
    const rebase = plan.items.filter((i) => i.id.startsWith('rebase:'))
    expect(rebase).to.have.length(MAX_REBASE_ITEMS + 1)
    expect(rebase.at(-1)).to.include({id: 'rebase:more-files'})
    expect(rebase.at(-1)!.details).to.deep.include({files: 5})
  })

  it('a failed import: every planned item skipped, one error with the code and what to do', () => {
    const plan = planFromOutcome(dry, {archive: src.encrypted!, includeSecrets: true})
    const failed = failedResult(plan, {
      code: 'TARGET_GATEWAY_RUNNING',
      exitCode: 5,
      message: 'A gateway is running.',
      suggestions: ['Stop it first.'],
    })
    expect(failed.summary.errors).to.equal(1)
    expect(failed.summary.planned).to.equal(0)
    expect(failed.items.at(-1)).to.include({id: 'import:target-gateway-running', kind: 'host', status: 'error'})
    expect(failed.items.at(-1)!.reason).to.equal('A gateway is running. Stop it first.')
    expect(failed.items.at(-1)!.details).to.deep.equal({code: 'TARGET_GATEWAY_RUNNING', exitCode: 5})
  })

  it('the applied import reports every planned item migrated and the verification', async () => {
    const home = targetHome('erin')
    try {
      onboardedStateDir(home.home)
      const applied = await importInto(src, home.home, false)
      const result = resultFromOutcome(applied, {archive: src.encrypted!, includeSecrets: true})
      expect(result.items.filter((i) => i.status === 'error')).to.deep.equal([])
      expect(result.summary.planned).to.equal(0)
      expect(result.items.find((i) => i.id === 'verify:target')?.status).to.equal('migrated')
      expect(result.items.filter((i) => i.id.startsWith('root:')).every((i) => i.status === 'migrated')).to.equal(true)
      const aside = result.items.find((i) => i.id.startsWith('aside:'))!
      expect(fs.existsSync(aside.target!)).to.equal(true)
      expect(fs.readFileSync(path.join(aside.target!, 'MARKER'), 'utf8')).to.equal('onboarded before the import\n')
    } finally {
      home.cleanup()
    }
  })

  it('a wrong passphrase: the error says how the host takes one ($OPENCLAW_MIGRATE_PASSPHRASE), not --passphrase-file', async () => {
    // A copy under another name: the provider keeps keys per archive path for the rest of the process.
    const copy = path.join(target.root, 'wrong-passphrase.tar.gz.age')
    fs.copyFileSync(src.encrypted!, copy)
    const saved = process.env[PASSPHRASE_ENV]
    process.env[PASSPHRASE_ENV] = 'not the passphrase of this archive'
    try {
      const error = await planArchive(
        {
          logger: {error() {}, info() {}, warn() {}},
          source: copy,
          stateDir: path.join(target.home, '.openclaw-work'),
        },
        {hostVersion: null, profile: 'work'},
      ).then(
        () => null,
        (error_: unknown) => error_ as Error,
      )
      expect(error?.message).to.contain('wrong passphrase')
      expect(error?.message).to.contain(KEYS_HINT)
      // Hints and the report written inside OpenClaw name the command as typed there.
      expect(ourCommand('import --undo')).to.equal('openclaw migrate-machine import --undo')
      setCommandPrefix('openclaw-migrate')
      expect(error?.message).to.not.contain('--passphrase-file')
    } finally {
      if (saved === undefined) delete process.env[PASSPHRASE_ENV]
      else process.env[PASSPHRASE_ENV] = saved
    }
  })

  describe('apply refuses before touching anything, and reports where the host looks', () => {
    const host = {hostVersion: null, profile: 'work'}
    function hostCtx(home: string, extra: Partial<MigrationProviderContext>): MigrationProviderContext {
      const logged: string[] = []
      return {
        logger: {error: (m) => logged.push(m), info: (m) => logged.push(m), warn: (m) => logged.push(m)},
        reportDir: path.join(home, '.openclaw-work', 'migration', 'openclaw', '2026-11-25T10-00-00.000Z'),
        source: src.encrypted,
        stateDir: path.join(home, '.openclaw-work'),
        ...extra,
      }
    }

    it('without --include-secrets: nothing imported, one error, the report in the (untouched) state dir', async () => {
      const plan = planFromOutcome(dry, {archive: src.encrypted!, includeSecrets: false})
      const ctx = hostCtx(target.home, {includeSecrets: false})
      const before = fs.readdirSync(target.home).toSorted()
      const result = await applyArchive(ctx, plan, host)
      expect(result.summary.errors).to.equal(1)
      expect(result.items.at(-1)!.message).to.contain('--include-secrets')
      expect(result.reportDir).to.equal(ctx.reportDir)
      const report = JSON.parse(fs.readFileSync(path.join(ctx.reportDir!, 'report.json'), 'utf8'))
      expect(report.result.summary.errors).to.equal(1)
      expect(report).to.include({backupPath: null, reportDir: ctx.reportDir})
      const text = fs.readFileSync(path.join(ctx.reportDir!, 'report.txt'), 'utf8')
      expect(text.split('\n', 1)[0]).to.equal(backupLine(undefined))
      expect(text).to.contain('Nothing was imported.').and.to.contain('--include-secrets')
      expect(fs.readdirSync(target.home).toSorted()).to.deep.equal(before)
    })

    it("refuses when the host's backup lies inside a place the import moves aside", async () => {
      const plan = planFromOutcome(dry, {archive: src.encrypted!, includeSecrets: true})
      const stateDir = path.join(target.home, '.openclaw-work')
      const ctx = hostCtx(target.home, {backupPath: path.join(stateDir, 'backup.tar.gz'), includeSecrets: true})
      const result = await applyArchive(ctx, plan, host)
      expect(result.backupPath).to.equal(ctx.backupPath)
      expect(result.items.at(-1)).to.include({id: 'import:usage', status: 'error'})
      expect(result.items.at(-1)!.reason).to.contain('--backup-output')
      expect(fs.readdirSync(target.home).filter((n) => n.includes('.pre-migrate-'))).to.deep.equal([])
      // The report names the host's backup (the host's own record of it may end up in a state moved aside).
      expect(JSON.parse(fs.readFileSync(path.join(ctx.reportDir!, 'report.json'), 'utf8')).backupPath).to.equal(
        ctx.backupPath,
      )
      const text = fs.readFileSync(path.join(ctx.reportDir!, 'report.txt'), 'utf8')
      expect(
        text.startsWith(`Backup made by OpenClaw before this migration: ${ctx.backupPath}\n\nNothing was imported: `),
      ).to.equal(true)
    })
  })
})
