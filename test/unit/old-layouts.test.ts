import {expect} from 'chai'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {dropPluginEntries, ownRecordIn, planPlugins} from '../../src/lib/import/plugin-plan.js'
import {listInstalledPlugins} from '../../src/lib/inventory/plugins.js'
import {countState} from '../../src/lib/inventory/state-counts.js'
import {HostMigrations} from '../../src/lib/verify/host-migrations.js'

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), {recursive: true})
  fs.writeFileSync(file, text)
}

function db(file: string, sql: string): void {
  fs.mkdirSync(path.dirname(file), {recursive: true})
  const d = new DatabaseSync(file)
  d.exec(sql)
  d.close()
}

describe('older OpenClaw layouts', () => {
  let root: string

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-layouts-'))
  })

  afterEach(() => {
    fs.rmSync(root, {force: true, recursive: true})
  })

  describe('one counting rule', () => {
    it('2026.4 (all JSON): sessions are sessions.json keys, not transcript or trajectory files; cron jobs from cron/jobs.json', () => {
      const s = path.join(root, 'state')
      write(
        path.join(s, 'agents', 'main', 'sessions', 'sessions.json'),
        JSON.stringify({'agent:main:main': {sessionId: 'a'}, 'agent:main:cron:x': {sessionId: 'b'}}),
      )
      for (const f of ['a.jsonl', 'b.jsonl', 'a.trajectory.jsonl', 'b.trajectory.jsonl', 'old.jsonl.deleted'])
        write(path.join(s, 'agents', 'main', 'sessions', f), '{}\n')
      fs.mkdirSync(path.join(s, 'agents', 'research', 'sessions'), {recursive: true})
      write(path.join(s, 'cron', 'jobs.json'), JSON.stringify({jobs: [{id: 'j1'}], version: 1}))
      expect(countState(s)).to.deep.equal({agents: 2, cronJobs: 1, sessions: 2, sessionsPerAgent: {main: 2}})
      expect(countState(s, {agents: ['research']}).sessions).to.equal(0)
    })

    it('2026.6 (SQLite cron, JSON sessions) and 2026.9 after its migration (*.migrated not counted)', () => {
      const s = path.join(root, 'state')
      db(
        path.join(s, 'state', 'openclaw.sqlite'),
        "CREATE TABLE cron_jobs (job_id TEXT); INSERT INTO cron_jobs VALUES ('j1'), ('j2')",
      )
      write(path.join(s, 'cron', 'jobs.json'), JSON.stringify({jobs: [{id: 'j1'}], version: 1}))
      write(path.join(s, 'agents', 'main', 'sessions', 'sessions.json'), JSON.stringify({k1: {}, k2: {}, k3: {}}))
      expect(countState(s)).to.deep.include({cronJobs: 2, sessions: 3})
      // The newer host moved them into SQLite and renamed the source: counted once, from the database.
      fs.renameSync(
        path.join(s, 'agents', 'main', 'sessions', 'sessions.json'),
        path.join(s, 'agents', 'main', 'sessions', 'sessions.json.migrated'),
      )
      db(
        path.join(s, 'agents', 'main', 'agent', 'openclaw-agent.sqlite'),
        "CREATE TABLE session_nodes (id TEXT); INSERT INTO session_nodes VALUES ('1'), ('2'), ('3')",
      )
      expect(countState(s)).to.deep.equal({agents: 1, cronJobs: 2, sessions: 3, sessionsPerAgent: {main: 3}})
    })
  })

  describe('plugins', () => {
    it('reads 2026.6 installed_plugin_index records and never lists this tool itself', () => {
      const s = path.join(root, 'state')
      const records = {
        'migrate-machine': {source: 'npm', spec: '@openclaw/plugin-migrate@0.1.0'},
        'voice-call': {source: 'npm', spec: '@openclaw/voice-call@2026.6.1', version: '2026.6.1'},
      }
      db(
        path.join(s, 'state', 'openclaw.sqlite'),
        `CREATE TABLE installed_plugin_index (index_key TEXT PRIMARY KEY, install_records_json TEXT NOT NULL);
         INSERT INTO installed_plugin_index VALUES ('installed-plugin-index', '${JSON.stringify(records)}')`,
      )
      const plugins = listInstalledPlugins(s, {plugins: {installs: {'migrate-machine': {spec: 'npm-pack:/x.tgz'}}}})
      expect(plugins.map((p) => [p.id, p.spec, p.source])).to.deep.equal([
        ['voice-call', '@openclaw/voice-call@2026.6.1', 'state db installed_plugin_index'],
      ])
    })

    it("finds this machine's own install record in a 2026.8+ state database and reinstalls it even when the archive never had it", () => {
      const s = path.join(root, 'here')
      const tgz = path.join(root, 'openclaw-plugin-migrate-0.1.0.tgz')
      write(tgz, 'pack')
      write(path.join(s, 'openclaw.json'), '{}')
      const index = {
        index: {
          installRecords: {
            'migrate-machine': {artifactKind: 'npm-pack', sourcePath: tgz, spec: '@openclaw/plugin-migrate@0.1.0'},
          },
        },
      }
      db(
        path.join(s, 'state', 'openclaw.sqlite'),
        `CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json TEXT NOT NULL);
         INSERT INTO config_machine_state VALUES ('plugins.installedIndex', '${JSON.stringify(index)}')`,
      )
      const own = ownRecordIn(s)
      expect(own && [own.id, own.spec]).to.deep.equal(['migrate-machine', `npm-pack:${tgz}`])
      // The archive's config has no entry for this tool: it still comes back, marked as this machine's own.
      const {dropped, reinstall} = planPlugins([], path.join(root, 'missing.json'), own, false)
      expect(dropped).to.deep.equal([])
      expect(reinstall.map((p) => [p.id, p.fromThisMachine])).to.deep.equal([['migrate-machine', true]])
      // Without a record here, nothing of this tool is reinstalled.
      fs.rmSync(tgz)
      expect(ownRecordIn(s)).to.equal(null)
    })

    it('drops configured plugins that cannot be reinstalled here (this tool, a missing npm-pack), keeps bundled ones', () => {
      const config = path.join(root, 'openclaw.json')
      write(
        config,
        JSON.stringify({
          plugins: {
            allow: ['migrate-machine', 'telegram', 'local-pack'],
            entries: {'local-pack': {enabled: true}, 'migrate-machine': {enabled: true}, telegram: {enabled: true}},
            installs: {
              'local-pack': {spec: 'npm-pack:/gone/pkg.tgz'},
              'migrate-machine': {spec: 'npm-pack:/gone/m.tgz'},
            },
          },
        }),
      )
      fs.chmodSync(config, 0o600)
      const archived = [
        {id: 'local-pack', source: 'config plugins.installs', spec: 'npm-pack:/gone/pkg.tgz', version: null},
        {id: 'voice-call', source: 'state db', spec: '@openclaw/voice-call@2026.6.1', version: '2026.6.1'},
      ]
      const plan = planPlugins(archived, config, null, false)
      expect(plan.reinstall.map((p) => p.id)).to.deep.equal(['voice-call'])
      expect(plan.dropped.map((d) => d.id).sort()).to.deep.equal(['local-pack', 'migrate-machine'])
      expect(
        planPlugins(archived, config, null, true)
          .kept.map((d) => d.id)
          .sort(),
      ).to.deep.equal(['local-pack', 'migrate-machine'])
      // This machine had the tool installed before the import: its own record is used, nothing dropped for it.
      const here = {
        id: 'migrate-machine',
        source: 'this machine',
        spec: '@openclaw/plugin-migrate@0.1.0',
        version: null,
      }
      expect(planPlugins(archived, config, here, false).reinstall.map((p) => p.id)).to.include('migrate-machine')
      // Only the record this machine wrote is marked as its own (the host chain then installs even an npm-pack: spec);
      // nothing from the archive is.
      const {reinstall} = planPlugins(archived, config, {...here, spec: 'npm-pack:/tmp/x.tgz'}, false)
      expect(reinstall.filter((p) => p.fromThisMachine).map((p) => [p.id, p.spec])).to.deep.equal([
        ['migrate-machine', 'npm-pack:/tmp/x.tgz'],
      ])

      expect(
        dropPluginEntries(
          config,
          plan.dropped.map((d) => d.id),
        ),
      ).to.equal(true)
      const after = JSON.parse(fs.readFileSync(config, 'utf8'))
      expect(after.plugins).to.deep.equal({
        allow: ['telegram'],
        entries: {telegram: {enabled: true}},
        installs: {},
      })
      expect(fs.statSync(config).mode & 0o777).to.equal(0o600)
      expect(dropPluginEntries(config, ['local-pack'])).to.equal(false)
    })
  })

  describe("the newer host's own migrations", () => {
    it('finds `<file>.migrated[.n]` and files moved into backups/ by their bytes', () => {
      const s = path.join(root, 'state')
      write(path.join(s, 'agents', 'main', 'sessions', 'sessions.json.migrated'), '{}')
      write(path.join(s, 'agents', 'main', 'sessions', 'a.jsonl.migrated.2'), '{}')
      const heartbeat = '# Heartbeat\n- check mail\n'
      const sha = createHash('sha256').update(heartbeat).digest('hex')
      write(path.join(s, 'backups', 'heartbeat-migration', `main-${sha}.md`), heartbeat)
      const m = new HostMigrations([s])
      expect(m.migratedCopy(path.join(s, 'agents', 'main', 'sessions', 'sessions.json'))).to.match(
        /sessions\.json\.migrated$/,
      )
      expect(m.migratedCopy(path.join(s, 'agents', 'main', 'sessions', 'a.jsonl'))).to.match(/a\.jsonl\.migrated\.2$/)
      expect(m.migratedCopy(path.join(s, 'agents', 'main', 'sessions', 'b.jsonl'))).to.equal(null)
      expect(m.backupOf(sha)).to.match(/heartbeat-migration/)
      // 2026.9: workspace state renamed with a hash and a uuid; imported transcripts kept in the agent's import archive.
      write(path.join(s, 'ws', '.openclaw', 'workspace-state.json.migrated.8f11.011ac7d2-29a1'), '{}')
      expect(m.migratedCopy(path.join(s, 'ws', '.openclaw', 'workspace-state.json'))).to.match(/\.migrated\.8f11/)
      const transcript = '{"type":"session"}\n'
      write(
        path.join(s, 'agents', 'main', 'session-sqlite-import-archive', 'agent_main_main.a.jsonl.imported-1795'),
        transcript,
      )
      write(
        path.join(s, 'agents', 'research', 'session-sqlite-import-archive', 'legacy-store.sessions.json.imported-1796'),
        '{"rebased": true}',
      )
      expect(m.migratedCopy(path.join(s, 'agents', 'research', 'sessions', 'sessions.json'))).to.match(/legacy-store/)
      expect(m.migratedCopy(path.join(s, 'agents', 'main', 'sessions', 'a.jsonl'))).to.match(/a\.jsonl\.migrated\.2$/)
      const fresh = new HostMigrations([s])
      expect(fresh.backupOf(createHash('sha256').update(transcript).digest('hex'))).to.match(/\.imported-1795$/)
      expect(m.backupOf(createHash('sha256').update('other').digest('hex'))).to.equal(null)
    })
  })
})
