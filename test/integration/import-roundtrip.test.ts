/**
 * Issue 3, "done when": export on machine A (home /…/home/alice), import on machine B
 * (/…/home/bob, a different absolute path and user name) through the real CLI, and prove the
 * result file by file: byte-identical except the files the import says it rebased, paths rebased
 * in the config (formatting kept) and in SQLite (derived keys follow), modes, the profile kept,
 * what onboarding left moved aside and brought back by --undo, and `check --against` agreeing.
 */
import {expect} from 'chai'
import JSON5 from 'json5'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {type CliResult, describeRun, pathWithoutOpenClaw, resultOf, rmrf} from '../support/cli.js'
import {
  compareWithSource,
  diffSnapshots,
  type ExportedSource,
  exportedSource,
  findStaging,
  journals,
  onboardedStateDir,
  sha256,
  siblings,
  snapshotHome,
  standardSource,
  targetHome,
} from '../support/import-fixtures.js'
import {runInProcess as runCli} from '../support/in-process.js'
import {installStandInOpenClaw, type StandInOpenClaw} from '../support/stand-in-openclaw.js'

const STAMP = /^\d{8}T\d{6}Z$/

function expectOk(result: CliResult): void {
  expect(result.code, describeRun(result)).to.equal(0)
}

/** A private copy of a database, so reading it cannot touch the imported tree (no -wal/-shm there). */
function openCopy(file: string, scratch: string): DatabaseSync {
  fs.mkdirSync(scratch, {recursive: true})
  const copy = path.join(scratch, `${path.basename(file)}-${Math.random().toString(36).slice(2)}`)
  fs.copyFileSync(file, copy)
  // A live source database keeps part of its content in the WAL: copy it along.
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`)
  return new DatabaseSync(copy)
}

function rows<T = any>(db: DatabaseSync, sql: string): T[] {
  return db.prepare(sql).all() as T[]
}

describe('import roundtrip: alice → bob, real CLI', function () {
  this.timeout(120_000)
  let src: ExportedSource
  let outside: ExportedSource
  const homes: Array<{cleanup: () => void}> = []
  const scratch: string[] = []

  // Target machines, one per scenario; the imports run in parallel in before().
  let bob: {home: string; root: string}
  let bobMarker: string
  let bobResult: CliResult
  let bobOut: any
  let dry: {before: Map<string, string>; home: string; result: CliResult; root: string; tmp: string}
  let rewrite: {home: string; result: CliResult}
  let hosted: {home: string; result: CliResult; standIn: StandInOpenClaw}
  let mapped: {home: string; newPlace: string; oldPlace: string; result: CliResult}

  before(async () => {
    // The --map source: its research agentDir lives outside the home, under <root>/srv.
    const outsidePromise = exportedSource('agentdir-outside-home', {
      prepare(g, root) {
        const place = path.join(root, 'srv', 'agents', 'research')
        fs.mkdirSync(path.dirname(place), {recursive: true})
        fs.renameSync(g.externalAgentDir, place)
        const text = fs.readFileSync(g.configPath, 'utf8')
        fs.writeFileSync(g.configPath, text.replace(`agentDir: "${g.externalAgentDir}"`, `agentDir: "${place}"`))
      },
      spec: {walPending: false},
      user: 'olga',
    })
    ;[src, outside] = await Promise.all([standardSource(), outsidePromise])

    const t = (user: string) => {
      const h = targetHome(user)
      homes.push(h)
      return h
    }

    bob = t('bob')
    bobMarker = `onboarding of bob at ${Date.now()}\n`
    onboardedStateDir(bob.home, 'work', bobMarker)

    const carol = t('carol')
    onboardedStateDir(carol.home)
    const dryTmp = path.join(carol.root, 'tmp')
    fs.mkdirSync(dryTmp)
    const dryBefore = snapshotHome(carol.home)

    const dave = t('dave')
    const erin = t('erin')
    const standIn = installStandInOpenClaw(path.join(erin.root, 'standin'))
    onboardedStateDir(erin.home)
    const frank = t('frank')
    const oldPlace = path.join(outside.root, 'srv', 'agents', 'research')
    const newPlace = path.join(frank.home, 'agent-state', 'research')

    const results = await Promise.all([
      runCli(['import', src.encrypted!, '--passphrase-file', src.passFile, '--no-host', '--json'], {home: bob.home}),
      runCli(['import', src.plain, '--dry-run', '--no-host', '--accept-placement', '--json'], {
        env: {TMPDIR: dryTmp},
        home: carol.home,
      }),
      runCli(['import', src.plain, '--no-host', '--rewrite-workspace-paths', '--accept-placement', '--json'], {
        home: dave.home,
      }),
      runCli(['import', src.plain, '--accept-placement', '--json'], {
        env: {PATH: `${standIn.binDir}:${pathWithoutOpenClaw()}`},
        home: erin.home,
      }),
      runCli(
        ['import', outside.plain, '--no-host', '--map', `${oldPlace}=${newPlace}`, '--accept-placement', '--json'],
        {home: frank.home},
      ),
    ])
    ;[bobResult] = results
    expectOk(bobResult)
    bobOut = resultOf(bobResult)
    dry = {...carol, before: dryBefore, result: results[1], tmp: dryTmp}
    rewrite = {home: dave.home, result: results[2]}
    hosted = {home: erin.home, result: results[3], standIn}
    mapped = {home: frank.home, newPlace, oldPlace, result: results[4]}
  })

  after(() => {
    for (const h of homes) h.cleanup()
    for (const s of scratch) rmrf(s)
  })

  describe('encrypted archive, --no-host, onto a state dir onboarding created', () => {
    it('keeps the profile: the state goes to ~/.openclaw-work of the new home, everything else under it', () => {
      expect(bobOut.profiles).to.deep.equal([
        {
          configPath: path.join(bob.home, '.openclaw-work', 'openclaw.json'),
          source: 'work',
          stateDir: path.join(bob.home, '.openclaw-work'),
          target: 'work',
        },
      ])
      const byKind = Object.fromEntries(bobOut.targets.map((t: any) => [t.root, t.target]))
      expect(byKind).to.deep.equal({
        'work.agentDir.research': path.join(bob.home, 'agent-homes', 'research'),
        'work.include': path.join(bob.home, 'shared-config', 'models.json5'),
        'work.state': path.join(bob.home, '.openclaw-work'),
        'work.workspace.research': path.join(bob.home, 'projects', 'research-notes'),
      })
      for (const t of bobOut.targets) expect(t.sourcePath.startsWith(`${src.g.home}/`), t.sourcePath).to.equal(true)
      expect(bobOut.source.home).to.equal(src.g.home)
      expect(bobOut.chain).to.equal(null)
      expect(bobOut.verification.ok, JSON.stringify(bobOut.verification.checks)).to.equal(true)
    })

    it('every file is byte-identical to the source except the config and the SQLite databases it rebased', () => {
      const rewritten: string[] = bobOut.rebase.rewrites.map((r: any) => r.file)
      const {compared} = compareWithSource(src, bobOut.targets, new Set(rewritten))
      expect(compared).to.be.greaterThan(45)
      const state = path.join(bob.home, '.openclaw-work')
      expect(rewritten.map((f) => path.relative(state, f)).sort()).to.deep.equal([
        'agents/main/agent/openclaw-agent.sqlite',
        'agents/research/agent/openclaw-agent.sqlite',
        'openclaw.json',
        'openclaw.json.bak',
        'openclaw.json.bak.1',
        'state/openclaw.sqlite',
      ])
      expect(Object.fromEntries(bobOut.rebase.rewrites.map((r: any) => [r.rel, r.kind]))).to.deep.equal({
        'agents/main/agent/openclaw-agent.sqlite': 'sqlite',
        'agents/research/agent/openclaw-agent.sqlite': 'sqlite',
        'openclaw.json': 'config',
        'openclaw.json.bak': 'config',
        'openclaw.json.bak.1': 'config',
        'state/openclaw.sqlite': 'sqlite',
      })
      expect(bobOut.rebase.remaining).to.deep.equal([])
      // Regenerable paths were not carried over, no staging dir is left.
      for (const p of ['tmp', 'cache', 'logs', 'npm', 'plugin-skills', 'extensions/local-tools/node_modules'])
        expect(fs.existsSync(path.join(state, p)), p).to.equal(false)
      expect(findStaging(bob.root)).to.deep.equal([])
    })

    it('rebases the config paths and changes nothing else in it: comments and quoting kept', () => {
      const aText = fs.readFileSync(src.g.configPath, 'utf8')
      const bText = fs.readFileSync(path.join(bob.home, '.openclaw-work', 'openclaw.json'), 'utf8')
      // A minimal diff: exactly the old home replaced by the new one, byte for byte elsewhere.
      expect(bText).to.equal(aText.replaceAll(src.g.home, bob.home))
      expect(bText).to.include('// OpenClaw config (JSON5)')
      expect(bText).to.include('// hand-written, single-quoted: the rebase must keep the quoting')
      expect(bText).to.include(`workspace: '${path.join(bob.home, 'projects', 'research-notes')}'`)
      const config = JSON5.parse(bText)
      const state = path.join(bob.home, '.openclaw-work')
      expect(config.agents.defaults.workspace).to.equal(path.join(state, 'workspace'))
      expect(config.agents.entries.main).to.include({
        agentDir: path.join(state, 'agents', 'main', 'agent'),
        workspace: path.join(state, 'workspace'),
      })
      expect(config.agents.entries.research).to.include({
        agentDir: path.join(bob.home, 'agent-homes', 'research'),
        workspace: path.join(bob.home, 'projects', 'research-notes'),
      })
      expect(config.$include).to.deep.equal(['./channels.json5', path.join(bob.home, 'shared-config', 'models.json5')])
      expect(config.plugins.installs['voice-call'].installPath).to.equal(
        path.join(state, 'npm', 'projects', 'voice-call'),
      )
      // The .bak ring is rebased too: a restore from it must not bring the old machine's paths back.
      expect(fs.readFileSync(path.join(state, 'openclaw.json.bak'), 'utf8')).to.equal(
        aText.replaceAll(src.g.home, bob.home),
      )
    })

    it('rebases the state database: cron store keys, agent DB paths, workspace paths and their sha256 keys', () => {
      const dir = path.join(bob.root, 'scratch')
      scratch.push(dir)
      const db = openCopy(path.join(bob.home, '.openclaw-work', 'state', 'openclaw.sqlite'), dir)
      const src2 = openCopy(path.join(src.g.stateDir, 'state', 'openclaw.sqlite'), dir)
      try {
        const state = path.join(bob.home, '.openclaw-work')
        const store = path.join(state, 'cron', 'jobs.json')
        expect(rows(db, 'SELECT DISTINCT store_key FROM cron_jobs')).to.deep.equal([{store_key: store}])
        expect(rows(db, 'SELECT job_id FROM cron_jobs ORDER BY job_id').map((r) => r.job_id)).to.deep.equal([
          'heartbeat-main',
          'job-morning',
        ])
        // The receipt still pending in the source's WAL came along, rebased too.
        expect(rows(db, 'SELECT receipt_id, store_key FROM cron_run_receipts ORDER BY receipt_id')).to.deep.equal([
          {receipt_id: 'r-1', store_key: store},
          {receipt_id: 'r-pending', store_key: store},
        ])
        expect(rows(db, 'SELECT store_key, content FROM cron_job_scratch')).to.deep.equal([
          {content: 'remember the garden', store_key: store},
        ])
        expect(rows(db, 'SELECT agent_id, path FROM agent_databases ORDER BY agent_id')).to.deep.equal([
          {agent_id: 'main', path: 'agents/main/agent/openclaw-agent.sqlite'},
          {agent_id: 'research', path: path.join(state, 'agents', 'research', 'agent', 'openclaw-agent.sqlite')},
        ])
        const workspaces = rows(
          db,
          'SELECT workspace_key, workspace_path FROM workspace_setup_state ORDER BY workspace_path',
        )
        expect(workspaces.map((w) => w.workspace_path)).to.deep.equal(
          [path.join(state, 'workspace'), path.join(bob.home, 'projects', 'research-notes')].sort(),
        )
        for (const w of workspaces) expect(w.workspace_key, w.workspace_path).to.equal(sha256(w.workspace_path))
        const hashes = rows(
          db,
          'SELECT workspace_key, filename FROM workspace_generated_bootstrap_hashes ORDER BY workspace_key',
        )
        expect(hashes.map((h) => h.workspace_key).sort()).to.deep.equal(workspaces.map((w) => w.workspace_key).sort())
        expect(rows(db, 'PRAGMA foreign_key_check')).to.deep.equal([])
        for (const a of rows(
          db,
          'SELECT alias_key, alias_path, workspace_key, workspace_path FROM workspace_path_aliases',
        )) {
          expect(a.alias_key).to.equal(sha256(a.alias_path))
          expect(a.workspace_key).to.equal(sha256(a.workspace_path))
        }

        // History is left alone: the diagnostic event still names the old machine's paths.
        expect(rows(db, 'SELECT id, payload_json FROM diagnostic_events')).to.deep.equal(
          rows(src2, 'SELECT id, payload_json FROM diagnostic_events'),
        )
        expect(rows(db, 'SELECT payload_json FROM diagnostic_events')[0].payload_json).to.include(src.g.home)
        // ...and it is the only place the old home is still mentioned.
        const mentions: string[] = []
        for (const {name} of rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")) {
          for (const c of rows(db, `SELECT name FROM pragma_table_info('${name}')`)) {
            const {n} = rows(
              db,
              `SELECT count(*) AS n FROM "${name}" WHERE typeof("${c.name}") = 'text' AND instr("${c.name}", '${src.g.home}') > 0`,
            )[0]
            if (n > 0) mentions.push(`${name}.${c.name}`)
          }
        }

        expect(mentions).to.deep.equal(['diagnostic_events.payload_json'])
        // Secrets survive the rewrite untouched.
        expect(rows(db, 'SELECT private_key_pem FROM device_identities')).to.deep.equal(
          rows(src2, 'SELECT private_key_pem FROM device_identities'),
        )
      } finally {
        db.close()
        src2.close()
      }
    })

    it('rebases session rows in the agent databases and keeps every session', () => {
      const dir = path.join(bob.root, 'scratch')
      const db = openCopy(
        path.join(bob.home, '.openclaw-work', 'agents', 'research', 'agent', 'openclaw-agent.sqlite'),
        dir,
      )
      try {
        const nodes = rows(db, 'SELECT entry_json FROM session_nodes').map((r) => JSON.parse(r.entry_json))
        expect(nodes).to.have.length(4)
        for (const n of nodes) expect(n.workspaceDir).to.equal(path.join(bob.home, 'projects', 'research-notes'))
        expect(rows(db, "SELECT count(*) AS n FROM session_windows WHERE session_id = 'pending-window'")[0].n).to.equal(
          1,
        )
      } finally {
        db.close()
      }
    })

    it('sets the modes: dirs 0700, secrets (.env, credentials, openclaw.json, databases) 0600', () => {
      const state = path.join(bob.home, '.openclaw-work')
      const mode = (p: string) => (fs.statSync(path.join(state, p)).mode & 0o777).toString(8)
      for (const p of [
        '.env',
        'openclaw.json',
        'secrets.json',
        'config-journal-fingerprint.key',
        'credentials/oauth.json',
        'credentials/telegram/default.json',
        'credentials/whatsapp/default/creds.json',
        'state/openclaw.sqlite',
      ])
        expect(mode(p), p).to.equal('600')
      for (const p of ['', 'credentials', 'credentials/whatsapp/default', 'state', 'agents/main/agent'])
        expect(mode(p), p || '.').to.equal('700')
      for (const f of fs.readdirSync(path.join(state, 'credentials', 'whatsapp', 'default')))
        expect(mode(`credentials/whatsapp/default/${f}`), f).to.equal('600')
      // Not a secret: workspace notes keep their archived 0644.
      expect(
        (fs.statSync(path.join(bob.home, 'projects', 'research-notes', 'MEMORY.md')).mode & 0o777).toString(8),
      ).to.equal('644')
      expect((fs.statSync(path.join(bob.home, 'projects', 'research-notes')).mode & 0o777).toString(8)).to.equal('700')
    })

    it('moved what onboarding created aside to ~/.openclaw-work.pre-migrate-<stamp>, marker inside', () => {
      expect(bobOut.movedAside).to.have.length(1)
      const [moved] = bobOut.movedAside
      expect(moved.target).to.equal(path.join(bob.home, '.openclaw-work'))
      expect(path.dirname(moved.aside)).to.equal(bob.home)
      const stamp = path.basename(moved.aside).replace('.openclaw-work.pre-migrate-', '')
      expect(stamp).to.match(STAMP)
      expect(fs.readFileSync(path.join(moved.aside, 'MARKER'), 'utf8')).to.equal(bobMarker)
      expect(fs.existsSync(path.join(bob.home, '.openclaw-work', 'MARKER'))).to.equal(false)
      expect(siblings(bob.home, /pre-migrate/)).to.deep.equal([path.basename(moved.aside)])
      expect(journals(bob.home).map((j) => j.state)).to.deep.equal(['activated'])
    })

    it('ends with what is left to do by hand: stop the old gateway, check the channels whose logins moved', () => {
      const channels = bobOut.manualSteps.find((m: string) => m.startsWith('Check your channels'))
      expect(channels, bobOut.manualSteps.join('\n')).to.be.a('string')
      expect(
        channels
          .match(/^Check your channels \(([^)]*)\)/)[1]
          .split(', ')
          .sort(),
      ).to.deep.equal(['telegram', 'whatsapp'])
      expect(
        bobOut.manualSteps.some((m: string) =>
          m.startsWith('On the OLD machine, stop its gateway for good (`openclaw --profile work gateway stop`)'),
        ),
      ).to.equal(true)
    })

    it('check --against exits 0 on the imported machine, --json ok true', async () => {
      const result = await runCli(['check', '--against', src.encrypted!, '--passphrase-file', src.passFile, '--json'], {
        home: bob.home,
      })
      expectOk(result)
      const check = resultOf(result)
      expect(check.ready, JSON.stringify(check.checks, null, 1)).to.equal(true)
      const byId = Object.fromEntries(check.checks.map((c: any) => [c.id, c.status]))
      expect(byId).to.include({counts: 'ok', files: 'ok', modes: 'ok', 'old-paths': 'ok', ownership: 'ok'})
      expect(check.targets.find((t: any) => t.rootId === 'work.state').target).to.equal(
        path.join(bob.home, '.openclaw-work'),
      )
    })

    it('check --against accepts what a running gateway adds since, and reports a lost session', async () => {
      const state = path.join(bob.home, '.openclaw-work')
      const db = path.join(state, 'agents', 'main', 'agent', 'openclaw-agent.sqlite')
      const note = path.join(bob.home, 'projects', 'research-notes', 'written-after-import.md')
      const pristine = fs.readFileSync(db)
      const run = () =>
        runCli(['check', '--against', src.encrypted!, '--passphrase-file', src.passFile, '--json'], {home: bob.home})
      const countsOf = (r: CliResult) => resultOf(r).checks.find((c: any) => c.id === 'counts')
      try {
        // What the gateway on the new machine does next: a cron run opens a session, an agent writes a note.
        const added = new DatabaseSync(db)
        added
          .prepare('INSERT INTO session_nodes VALUES (?, ?, ?, ?)')
          .run('agent:main:cron:after-import', 'after-import', '{}', Date.now())
        added.close()
        fs.writeFileSync(note, 'new\n')
        const grown = await run()
        expectOk(grown)
        expect(countsOf(grown).status).to.equal('ok')
        expect(countsOf(grown).message).to.match(
          /more since the import: sessions \d+ \(archive: \d+\), workspace files of research \d+ \(archive: \d+\)/,
        )

        // A session that vanished is a loss, whatever else grew.
        const lost = new DatabaseSync(db)
        const removed = lost
          .prepare(
            "DELETE FROM session_nodes WHERE session_key <> 'agent:main:cron:after-import' AND rowid = (SELECT min(rowid) FROM session_nodes WHERE session_key <> 'agent:main:cron:after-import')",
          )
          .run()
        lost.prepare("DELETE FROM session_nodes WHERE session_key = 'agent:main:cron:after-import'").run()
        lost.close()
        expect(Number(removed.changes)).to.equal(1)
        const short = await run()
        expect(short.code).to.equal(1)
        expect(countsOf(short)).to.include({status: 'problem'})
        expect(countsOf(short).message).to.match(/sessions (\d+) \(archive: (\d+)\)/)
        const [, now, archived] = countsOf(short).message.match(/sessions (\d+) \(archive: (\d+)\)/)
        expect(Number(now)).to.equal(Number(archived) - 1)
      } finally {
        fs.writeFileSync(db, pristine)
        for (const f of [`${db}-wal`, `${db}-shm`, note]) fs.rmSync(f, {force: true})
      }
    })

    it('import checks files by place, type and size (hashed as written); check --against re-hashes and finds a same-size change', async () => {
      const files = bobOut.verification.checks.find((c: any) => c.id === 'files')
      expect(files.status).to.equal('ok')
      expect(files.message).to.match(
        /^\d+ files in place, hashed against the archive as they were written, \d+ rebased on purpose\.$/,
      )
      const note = path.join(bob.home, 'projects', 'research-notes', 'MEMORY.md')
      const pristine = fs.readFileSync(note)
      const changed = Buffer.from(pristine)
      changed[0] ^= 0x20
      try {
        fs.writeFileSync(note, changed)
        const result = await runCli(
          ['check', '--against', src.encrypted!, '--passphrase-file', src.passFile, '--json'],
          {home: bob.home},
        )
        expect(result.code).to.equal(1)
        const differ = resultOf(result).checks.find((c: any) => c.id === 'files-differ')
        expect(differ, result.out).to.include({status: 'problem'})
        expect(differ.message).to.equal(`1 file(s) differ from the archive, e.g. ${note}.`)
      } finally {
        fs.writeFileSync(note, pristine)
      }
    })

    it('import --undo brings the onboarded dir back and keeps the imported copy as .undone-<stamp>', async () => {
      const imported = sha256(fs.readFileSync(path.join(bob.home, '.openclaw-work', 'openclaw.json')))
      const result = await runCli(['import', '--undo', '--json'], {home: bob.home})
      expectOk(result)
      const undo = resultOf(result)
      expect(undo.archiveId).to.equal(bobOut.archiveId)
      expect(fs.readFileSync(path.join(bob.home, '.openclaw-work', 'MARKER'), 'utf8')).to.equal(bobMarker)
      expect(siblings(bob.home, /pre-migrate/)).to.deep.equal([])
      const undone = siblings(bob.home, /^\.openclaw-work\.undone-/)
      expect(undone).to.have.length(1)
      expect(undone[0].replace('.openclaw-work.undone-', '')).to.match(STAMP)
      expect(sha256(fs.readFileSync(path.join(bob.home, undone[0], 'openclaw.json')))).to.equal(imported)
      // Roots that did not exist before step aside too; nothing is deleted.
      expect(fs.existsSync(path.join(bob.home, 'projects', 'research-notes'))).to.equal(false)
      expect(siblings(path.join(bob.home, 'projects'), /^research-notes\.undone-/)).to.have.length(1)
      expect(undo.restored.map((r: any) => r.target).sort()).to.deep.equal(
        bobOut.targets.map((t: any) => t.target).sort(),
      )
      expect(journals(bob.home).map((j) => j.state)).to.deep.equal(['undone'])
    })
  })

  it('--dry-run writes nothing and lists the targets, the move aside and the rewrites', () => {
    expectOk(dry.result)
    const plan = resultOf(dry.result)
    expect(plan.dryRun).to.equal(true)
    expect(diffSnapshots(dry.before, snapshotHome(dry.home))).to.deep.equal([])
    // Its private staging lived in TMPDIR and is gone (tsx keeps its compile cache there too).
    expect(fs.readdirSync(dry.tmp).filter((n) => !n.startsWith('tsx-'))).to.deep.equal([])
    expect(plan.targets.map((t: any) => t.target).sort()).to.deep.equal(
      [
        path.join(dry.home, '.openclaw-work'),
        path.join(dry.home, 'agent-homes', 'research'),
        path.join(dry.home, 'projects', 'research-notes'),
        path.join(dry.home, 'shared-config', 'models.json5'),
      ].sort(),
    )
    expect(plan.movedAside).to.have.length(1)
    expect(plan.movedAside[0].target).to.equal(path.join(dry.home, '.openclaw-work'))
    expect(path.basename(plan.movedAside[0].aside).replace('.openclaw-work.pre-migrate-', '')).to.match(STAMP)
    expect(plan.rebase.rewrites.map((r: any) => r.rel).sort()).to.deep.equal([
      'agents/main/agent/openclaw-agent.sqlite',
      'agents/research/agent/openclaw-agent.sqlite',
      'openclaw.json',
      'openclaw.json.bak',
      'openclaw.json.bak.1',
      'state/openclaw.sqlite',
    ])
    for (const r of plan.rebase.rewrites) expect(r.file.startsWith(`${dry.home}/`), r.file).to.equal(true)
    expect(plan.verification).to.equal(null)
  })

  it('--rewrite-workspace-paths also rewrites MEMORY.md in both workspaces', () => {
    expectOk(rewrite.result)
    const out = resultOf(rewrite.result)
    const state = path.join(rewrite.home, '.openclaw-work')
    const memories = [
      path.join(state, 'workspace', 'MEMORY.md'),
      path.join(rewrite.home, 'projects', 'research-notes', 'MEMORY.md'),
    ]
    expect(
      out.rebase.rewrites
        .filter((r: any) => r.kind === 'workspace')
        .map((r: any) => r.file)
        .sort(),
    ).to.deep.equal([...memories].sort())
    expect(out.rebase.workspaceMentions).to.deep.equal([])
    expect(fs.readFileSync(memories[0], 'utf8')).to.equal(`# Memory\n\n- Lives at ${path.join(state, 'workspace')}\n`)
    expect(fs.readFileSync(memories[1], 'utf8')).to.equal(
      `# Memory\n\n- Lives at ${path.join(rewrite.home, 'projects', 'research-notes')}\n`,
    )
    // Without the flag (bob), the mention is reported and the file is left as it was.
    expect(bobOut.rebase.workspaceMentions.map((m: any) => path.basename(m.file))).to.deep.equal([
      'MEMORY.md',
      'MEMORY.md',
    ])
    expect(fs.readFileSync(path.join(src.g.externalWorkspace, 'USER.md'), 'utf8')).to.equal(
      fs.readFileSync(path.join(rewrite.home, 'projects', 'research-notes', 'USER.md'), 'utf8'),
    )
  })

  it('--map places a root that lived outside the old home, and the config follows', () => {
    expect(mapped.result.code, describeRun(mapped.result)).to.equal(0)
    const out = resultOf(mapped.result)
    const agentDir = out.targets.find((t: any) => t.root === 'work.agentDir.research')
    expect(agentDir).to.include({sourcePath: mapped.oldPlace, target: mapped.newPlace})
    expect(agentDir.why).to.match(/--map/)
    const config = JSON5.parse(fs.readFileSync(path.join(mapped.home, '.openclaw-work', 'openclaw.json'), 'utf8'))
    expect(config.agents.entries.research.agentDir).to.equal(mapped.newPlace)
    expect(config.agents.entries.research.workspace).to.equal(path.join(mapped.home, 'projects', 'research-notes'))
    expect(fs.readFileSync(path.join(mapped.newPlace, 'auth-profiles.json'), 'utf8')).to.equal(
      fs.readFileSync(path.join(mapped.oldPlace, 'auth-profiles.json'), 'utf8'),
    )
    expect(out.verification.ok, JSON.stringify(out.verification.checks)).to.equal(true)
  })

  it('with a stand-in `openclaw` on PATH: same files, and the host chain ran for profile work', () => {
    expect(hosted.result.code, describeRun(hosted.result)).to.equal(0)
    const out = resultOf(hosted.result)
    compareWithSource(src, out.targets, new Set(out.rebase.rewrites.map((r: any) => r.file)))
    expect(out.versions).to.deep.equal({downgrade: false, installed: '2026.9.6', source: '2026.9.6'})
    expect(out.chain.ok, JSON.stringify(out.chain.steps, null, 1)).to.equal(true)
    expect(out.chain.startCommand).to.equal('openclaw --profile work gateway run')
    expect(out.movedAside.map((m: any) => m.target)).to.deep.equal([path.join(hosted.home, '.openclaw-work')])
    const commands = hosted.standIn.calls().map((c) => c.command)
    expect(commands).to.include.members(['config validate --json', 'doctor --fix --non-interactive', 'gateway restart'])
  })
})
