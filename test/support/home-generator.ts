import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'
import {zstdCompressSync} from 'node:zlib'

/**
 * Generates a realistic OpenClaw home for tests, the demo and benchmarks: a profile state dir
 * with config ($include, .bak ring), credentials, sessions, WAL-mode SQLite databases holding
 * absolute paths, skippable regenerable dirs, a workspace outside the state dir, an external
 * agentDir and symlinks. Known secret values are planted so tests can assert they never leak.
 */
export type HomeSpec = {
  credentialFiles?: number
  /** Appended to the names of the roots outside the state dir, so two profiles of one home keep their own. */
  externalSuffix?: string
  home: string
  mediaBytes?: number
  /** Incompressible media files and their size. */
  mediaFiles?: number
  nodeModulesFiles?: number
  profile?: null | string
  seed?: string
  /** Approximate bytes of each session transcript. */
  sessionBytes?: number
  /** Sessions per agent. */
  sessions?: number
  /** Leave uncheckpointed writes in the WAL (a crashed or live writer). */
  walPending?: boolean
  workspaceNotes?: number
}

export type GeneratedHome = {
  configPath: string
  counts: {agents: number; credentialDirs: number; cronJobs: number; sessions: number}
  defaultWorkspace: string
  externalAgentDir: string
  externalWorkspace: string
  /** Open handles keeping WAL content uncheckpointed; close them in after(). */
  holders: DatabaseSync[]
  home: string
  profile: null | string
  /** Secret values planted in the fixture; none may ever be printed. */
  secrets: string[]
  stateDir: string
}

function write(file: string, content: Buffer | string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
  fs.writeFileSync(file, content, {mode})
}

function token(seed: string, label: string, prefix: string, length = 40): string {
  return prefix + createHash('sha256').update(`${seed}:${label}`).digest('hex').slice(0, length)
}

function transcript(lines: number, sessionId: string, workspace: string): string {
  const out: string[] = [
    JSON.stringify({cwd: workspace, id: sessionId, timestamp: '2026-10-01T10:00:00.000Z', type: 'session', version: 3}),
  ]
  for (let i = 0; i < lines; i++) {
    out.push(
      JSON.stringify({
        message: {
          content: [
            {text: `Message ${i} about the garden, the budget and the trip to Gothenburg. `.repeat(3), type: 'text'},
          ],
          role: i % 2 ? 'assistant' : 'user',
        },
        timestamp: new Date(Date.UTC(2026, 9, 1, 10, i)).toISOString(),
        type: 'message',
      }),
    )
  }

  return out.join('\n') + '\n'
}

export function generateHome(spec: HomeSpec): GeneratedHome {
  const profile = spec.profile === undefined ? 'work' : spec.profile
  const seed = spec.seed ?? 'fixture'
  const {home} = spec
  const stateDir = path.join(home, profile ? `.openclaw-${profile}` : '.openclaw')
  const configPath = path.join(stateDir, 'openclaw.json')
  const defaultWorkspace = path.join(stateDir, 'workspace')
  const suffix = spec.externalSuffix ?? ''
  const externalWorkspace = path.join(home, 'projects', `research-notes${suffix}`)
  const externalAgentDir = path.join(home, 'agent-homes', `research${suffix}`)
  const sessions = spec.sessions ?? 4
  const sessionLines = Math.max(2, Math.round((spec.sessionBytes ?? 4000) / 420))

  const secrets = {
    anthropic: token(seed, 'anthropic', 'sk-ant-api03-'),
    gateway: token(seed, 'gateway', 'gw_', 48),
    openai: token(seed, 'openai', 'sk-proj-'),
    telegram: `7${token(seed, 'tg-id', '', 9).replaceAll(/[a-f]/g, '1')}:${token(seed, 'tg', 'AA', 33)}`,
    whatsapp: Buffer.from(token(seed, 'wa', 'wa', 60)).toString('base64'),
  }

  fs.mkdirSync(stateDir, {mode: 0o700, recursive: true})
  write(
    path.join(stateDir, 'channels.json5'),
    `// channel settings, included from openclaw.json\n{\n  channels: {\n    telegram: { enabled: true, botToken: "${secrets.telegram}" },\n    whatsapp: { enabled: true },\n  },\n}\n`,
  )
  const sharedInclude = path.join(home, 'shared-config', `models${suffix}.json5`)
  write(sharedInclude, `{ models: { providers: { openai: { apiKey: "${secrets.openai}" } } } }\n`)
  const config = `// OpenClaw config (JSON5)
{
  meta: { lastTouchedVersion: "2026.9.6", lastTouchedAt: "2026-11-20T08:00:00.000Z" },
  $include: ["./channels.json5", "${sharedInclude}"],
  gateway: { mode: "local", port: 18789, bind: "loopback", auth: { mode: "token", token: "${secrets.gateway}" } },
  agents: {
    defaults: { workspace: "${defaultWorkspace}", model: { primary: "anthropic/claude-sonnet-4-5" } },
    entries: {
      main: { name: "main", workspace: "${defaultWorkspace}", agentDir: "${path.join(stateDir, 'agents', 'main', 'agent')}" },
      // hand-written, single-quoted: the rebase must keep the quoting
      research: { name: "research", workspace: '${externalWorkspace}', agentDir: "${externalAgentDir}" },
    },
  },
  plugins: { installs: { "voice-call": { source: "npm", spec: "@openclaw/voice-call@2026.9.1", version: "2026.9.1", installPath: "${path.join(stateDir, 'npm', 'projects', 'voice-call')}" } } },
}
`
  write(configPath, config)
  write(`${configPath}.bak`, config)
  write(`${configPath}.bak.1`, config)
  write(path.join(stateDir, '.env'), `ANTHROPIC_API_KEY=${secrets.anthropic}\nOPENAI_API_KEY=${secrets.openai}\n`)
  write(path.join(stateDir, 'secrets.json'), JSON.stringify({anthropic: secrets.anthropic}, null, 2))
  write(path.join(stateDir, 'config-journal-fingerprint.key'), randomBytes(32))

  // Channel logins: many small files, like Baileys' WhatsApp auth state.
  const credentialFiles = spec.credentialFiles ?? 12
  write(
    path.join(stateDir, 'credentials', 'whatsapp', 'default', 'creds.json'),
    JSON.stringify({noiseKey: secrets.whatsapp, registered: true}),
  )
  for (let i = 0; i < credentialFiles; i++)
    write(
      path.join(stateDir, 'credentials', 'whatsapp', 'default', `pre-key-${i}.json`),
      JSON.stringify({private: randomBytes(32).toString('base64'), public: randomBytes(32).toString('base64')}),
    )
  write(path.join(stateDir, 'credentials', 'telegram', 'default.json'), JSON.stringify({botId: 7, linked: true}))
  write(
    path.join(stateDir, 'credentials', 'oauth.json'),
    JSON.stringify({anthropic: {access: secrets.anthropic, refresh: token(seed, 'refresh', 'rt_')}}),
  )

  // Agents: sessions live in each agent's SQLite database (the host's current layout), cold
  // transcript archives next to them; an external agentDir holds a legacy auth store.
  const holders: DatabaseSync[] = []
  const agentIds = ['main', 'research']
  for (const agent of agentIds) {
    const workspace = agent === 'research' ? externalWorkspace : defaultWorkspace
    const dbPath = path.join(stateDir, 'agents', agent, 'agent', 'openclaw-agent.sqlite')
    fs.mkdirSync(path.dirname(dbPath), {mode: 0o700, recursive: true})
    fs.mkdirSync(path.join(stateDir, 'agents', agent, 'sessions'), {mode: 0o700, recursive: true})
    const agentDb = new DatabaseSync(dbPath)
    fs.chmodSync(dbPath, 0o600) // the host creates its databases owner-only
    agentDb.exec(`PRAGMA journal_mode=WAL; PRAGMA user_version=23;
      CREATE TABLE schema_meta (meta_key TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, schema_version INTEGER NOT NULL, agent_id TEXT, app_version TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE session_nodes (session_key TEXT NOT NULL PRIMARY KEY, current_session_id TEXT NOT NULL, entry_json TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE session_windows (session_id TEXT NOT NULL PRIMARY KEY, session_key TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT, created_at INTEGER NOT NULL, PRIMARY KEY (session_id, seq)) STRICT;
      CREATE TABLE auth_profile_store (profile_id TEXT PRIMARY KEY, secret_json TEXT NOT NULL) STRICT;`)
    agentDb
      .prepare('INSERT INTO schema_meta VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('primary', 'agent', 23, agent, '2026.9.6', 1_763_000_000_000, 1_763_000_000_000)
    agentDb
      .prepare('INSERT INTO auth_profile_store VALUES (?, ?)')
      .run('anthropic:default', JSON.stringify({key: secrets.anthropic}))
    const insertEvent = agentDb.prepare('INSERT INTO transcript_events VALUES (?, ?, ?, ?)')
    let firstKey = ''
    for (let i = 0; i < sessions; i++) {
      const id =
        createHash('sha1').update(`${seed}${agent}${i}`).digest('hex').slice(0, 8) + '-0000-4000-8000-000000000000'
      const key = `agent:${agent}:session-${i}`
      firstKey ||= key
      agentDb.prepare('INSERT INTO session_nodes VALUES (?, ?, ?, ?)').run(
        key,
        id,
        JSON.stringify({
          sessionId: id,
          skillsSnapshot: {dir: path.join(workspace, 'skills')},
          workspaceDir: workspace,
        }),
        1_763_000_000_000 + i,
      )
      agentDb
        .prepare('INSERT INTO session_windows VALUES (?, ?, ?, ?)')
        .run(id, key, 1_763_000_000_000, 1_763_000_000_000 + i)
      const text = transcript(sessionLines, id, workspace)
      agentDb.exec('BEGIN')
      for (const [seq, line] of text.trim().split('\n').entries())
        insertEvent.run(id, seq, line, 1_763_000_000_000 + seq)
      agentDb.exec('COMMIT')
      if (i % 2 === 0)
        write(
          path.join(
            stateDir,
            'agents',
            agent,
            'sessions',
            'cold',
            `${createHash('sha256').update(id).digest('hex')}.jsonl.zst`,
          ),
          zstdCompressSync(Buffer.from(text)),
        )
    }

    if (spec.walPending === false) agentDb.close()
    else {
      agentDb.exec('PRAGMA wal_autocheckpoint=0')
      agentDb
        .prepare('INSERT INTO session_windows VALUES (?, ?, ?, ?)')
        .run('pending-window', firstKey, 1_763_100_000_000, 1_763_100_000_000)
      holders.push(agentDb)
    }
  }

  const sessionCount = agentIds.length * sessions
  write(
    path.join(externalAgentDir, 'auth-profiles.json'),
    JSON.stringify({profiles: {'openai:default': {key: secrets.openai, type: 'api_key'}}}),
  )
  write(path.join(externalAgentDir, 'models.json'), JSON.stringify({providers: {}}))

  // The global state database: cron rows keyed by the absolute (never created) cron/jobs.json path,
  // workspace rows keyed by sha256 of the absolute workspace path, config health keyed by config path.
  const cronStore = path.join(stateDir, 'cron', 'jobs.json')
  const sha = (v: string) => createHash('sha256').update(v).digest('hex')
  const stateDb = path.join(stateDir, 'state', 'openclaw.sqlite')
  fs.mkdirSync(path.dirname(stateDb), {mode: 0o700, recursive: true})
  const db = new DatabaseSync(stateDb)
  fs.chmodSync(stateDb, 0o600)
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA user_version=18;
    CREATE TABLE schema_meta (meta_key TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, schema_version INTEGER NOT NULL, agent_id TEXT, app_version TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
    CREATE TABLE cron_jobs (store_key TEXT NOT NULL, job_id TEXT NOT NULL, declaration_key TEXT, name TEXT NOT NULL, enabled INTEGER NOT NULL, agent_id TEXT, payload_kind TEXT NOT NULL, job_json TEXT NOT NULL, state_json TEXT NOT NULL DEFAULT '{}', updated_at INTEGER NOT NULL, PRIMARY KEY (store_key, job_id)) STRICT;
    CREATE TABLE cron_run_receipts (receipt_id TEXT PRIMARY KEY, store_key TEXT NOT NULL, job_id TEXT NOT NULL, agent_id TEXT NOT NULL, status TEXT NOT NULL, started_at_ms INTEGER NOT NULL, finished_at_ms INTEGER) STRICT;
    CREATE TABLE cron_job_scratch (store_key TEXT NOT NULL, job_id TEXT NOT NULL, content TEXT, revision INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, PRIMARY KEY (store_key, job_id)) STRICT;
    CREATE TABLE agent_databases (agent_id TEXT NOT NULL, path TEXT NOT NULL, schema_version INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, size_bytes INTEGER, PRIMARY KEY (agent_id, path)) STRICT;
    CREATE TABLE workspace_setup_state (workspace_key TEXT NOT NULL PRIMARY KEY, workspace_path TEXT, version INTEGER, setup_completed_at TEXT, updated_at INTEGER) STRICT;
    CREATE TABLE workspace_path_aliases (alias_key TEXT NOT NULL PRIMARY KEY, alias_path TEXT NOT NULL, workspace_key TEXT NOT NULL, workspace_path TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;
    CREATE TABLE workspace_generated_bootstrap_hashes (workspace_key TEXT NOT NULL, filename TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (workspace_key, filename), FOREIGN KEY (workspace_key) REFERENCES workspace_setup_state(workspace_key) ON DELETE CASCADE) STRICT;
    CREATE TABLE config_health_entries (config_path TEXT NOT NULL PRIMARY KEY, last_known_good_json TEXT, updated_at_ms INTEGER NOT NULL) STRICT;
    CREATE TABLE config_machine_state (state_key TEXT NOT NULL PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;
    CREATE TABLE device_identities (identity_key TEXT NOT NULL PRIMARY KEY, device_id TEXT NOT NULL, public_key_pem TEXT NOT NULL, private_key_pem TEXT NOT NULL, created_at_ms INTEGER NOT NULL) STRICT;
    CREATE TABLE diagnostic_events (id INTEGER PRIMARY KEY, payload_json TEXT NOT NULL) STRICT;`)
  db.prepare('INSERT INTO schema_meta VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    'primary',
    'global',
    18,
    null,
    '2026.9.6',
    1_763_000_000_000,
    1_763_000_000_000,
  )
  const addJob = (id: string, name: string, declaration: null | string) =>
    db.prepare('INSERT INTO cron_jobs VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)').run(
      cronStore,
      id,
      declaration,
      name,
      'main',
      'agentTurn',
      JSON.stringify({
        id,
        name,
        payload: {kind: 'agentTurn', message: name},
        schedule: {expr: '0 7 * * *', kind: 'cron'},
      }),
      '{}',
      1_763_000_000_000,
    )
  addJob('job-morning', 'Morning brief', null)
  addJob('heartbeat-main', 'Heartbeat', 'heartbeat:main')
  db.prepare('INSERT INTO cron_run_receipts VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    'r-1',
    cronStore,
    'job-morning',
    'main',
    'ok',
    1_763_000_000_000,
    1_763_000_060_000,
  )
  db.prepare('INSERT INTO cron_job_scratch VALUES (?, ?, ?, ?, ?)').run(
    cronStore,
    'job-morning',
    'remember the garden',
    1,
    1_763_000_000_000,
  )
  db.prepare('INSERT INTO agent_databases VALUES (?, ?, ?, ?, ?)').run(
    'main',
    'agents/main/agent/openclaw-agent.sqlite',
    23,
    1_763_000_000_000,
    4096,
  )
  db.prepare('INSERT INTO agent_databases VALUES (?, ?, ?, ?, ?)').run(
    'research',
    path.join(stateDir, 'agents', 'research', 'agent', 'openclaw-agent.sqlite'),
    23,
    1_763_000_000_000,
    4096,
  )
  for (const ws of [defaultWorkspace, externalWorkspace]) {
    db.prepare('INSERT INTO workspace_setup_state VALUES (?, ?, ?, ?, ?)').run(
      sha(ws),
      ws,
      1,
      '2026-10-01T10:00:00.000Z',
      1_763_000_000_000,
    )
    db.prepare('INSERT INTO workspace_path_aliases VALUES (?, ?, ?, ?, ?)').run(
      sha(ws),
      ws,
      sha(ws),
      ws,
      1_763_000_000_000,
    )
    db.prepare('INSERT INTO workspace_generated_bootstrap_hashes VALUES (?, ?, ?)').run(
      sha(ws),
      'AGENTS.md',
      sha('agents'),
    )
  }

  db.prepare('INSERT INTO config_health_entries VALUES (?, ?, ?)').run(configPath, '{}', 1_763_000_000_000)
  db.prepare('INSERT INTO config_machine_state VALUES (?, ?, ?)').run(
    'plugins.installedIndex',
    JSON.stringify({
      index: {
        installRecords: {
          'voice-call': {
            installPath: path.join(
              stateDir,
              'npm',
              'projects',
              'voice-call',
              'node_modules',
              '@openclaw',
              'voice-call',
            ),
            source: 'npm',
            spec: '@openclaw/voice-call@2026.9.1',
            version: '2026.9.1',
          },
        },
        version: 1,
      },
      revision: 3,
    }),
    1_763_000_000_000,
  )
  db.prepare('INSERT INTO device_identities VALUES (?, ?, ?, ?, ?)').run(
    'default',
    'dev-1',
    '-----BEGIN PUBLIC KEY-----',
    `-----BEGIN PRIVATE KEY-----${secrets.gateway}`,
    1_763_000_000_000,
  )
  db.prepare('INSERT INTO diagnostic_events (payload_json) VALUES (?)').run(
    JSON.stringify({argv: ['openclaw', 'doctor'], configPath, cwd: home}),
  )
  if (spec.walPending === false) db.close()
  else {
    db.exec('PRAGMA wal_autocheckpoint=0')
    db.prepare('INSERT INTO cron_run_receipts VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      'r-pending',
      cronStore,
      'job-morning',
      'main',
      'ok-pending-in-wal',
      1_763_086_400_000,
      1_763_086_460_000,
    )
    holders.push(db)
  }

  // Workspaces: the default one inside the state dir and an external git-backed one.
  for (const ws of [defaultWorkspace, externalWorkspace]) {
    write(path.join(ws, 'MEMORY.md'), `# Memory\n\n- Lives at ${ws}\n`, 0o644)
    write(path.join(ws, 'USER.md'), '# User\n\nPrefers short answers.\n', 0o644)
    write(path.join(ws, 'SOUL.md'), '# Soul\n\nCalm and precise.\n', 0o644)
    for (let i = 0; i < (spec.workspaceNotes ?? 5); i++)
      write(
        path.join(ws, 'memory', `2026-10-${String(i + 1).padStart(2, '0')}.md`),
        `# Day ${i + 1}\n\nNotes for day ${i + 1}.\n`,
        0o644,
      )
  }

  write(path.join(externalWorkspace, '.git', 'HEAD'), 'ref: refs/heads/main\n', 0o644)
  write(path.join(externalWorkspace, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n', 0o644)
  fs.symlinkSync('MEMORY.md', path.join(externalWorkspace, 'memory-link.md'))
  fs.symlinkSync('/usr/share/dict', path.join(externalWorkspace, 'dict-outside'))

  // Media: incompressible.
  for (let i = 0; i < (spec.mediaFiles ?? 2); i++)
    write(path.join(stateDir, 'media', 'inbound', `photo-${i}.jpg`), randomBytes(spec.mediaBytes ?? 64 * 1024))

  // Regenerable content the export must skip.
  write(
    path.join(stateDir, 'tmp', `openclaw-${process.getuid?.() ?? 0}`, 'gateway.state.lock'),
    JSON.stringify({pid: 999_999_999, port: 18_789}),
  )
  write(path.join(stateDir, 'cache', 'models.json'), '{}')
  write(path.join(stateDir, 'logs', 'gateway.log'), 'started\n')
  write(
    path.join(stateDir, 'npm', 'projects', 'voice-call', 'package.json'),
    JSON.stringify({dependencies: {'@openclaw/voice-call': '2026.9.1'}, name: 'voice-call-project'}),
  )
  write(
    path.join(stateDir, 'npm', 'projects', 'voice-call', 'node_modules', '@openclaw', 'voice-call', 'package.json'),
    JSON.stringify({name: '@openclaw/voice-call', version: '2026.9.1'}),
  )
  for (let i = 0; i < (spec.nodeModulesFiles ?? 20); i++)
    write(
      path.join(stateDir, 'extensions', 'local-tools', 'node_modules', `dep-${i % 5}`, `file-${i}.js`),
      `module.exports = ${i}\n`,
    )
  write(
    path.join(stateDir, 'extensions', 'local-tools', 'package.json'),
    JSON.stringify({name: 'local-tools', version: '1.0.0'}),
  )
  write(path.join(stateDir, 'extensions', 'local-tools', 'index.js'), 'export default {}\n')
  fs.mkdirSync(path.join(stateDir, 'plugin-skills'), {recursive: true})
  fs.symlinkSync(path.join(stateDir, 'extensions', 'local-tools'), path.join(stateDir, 'plugin-skills', 'local-tools'))

  return {
    configPath,
    counts: {agents: agentIds.length, credentialDirs: 2, cronJobs: 2, sessions: sessionCount},
    defaultWorkspace,
    externalAgentDir,
    externalWorkspace,
    holders,
    home,
    profile,
    secrets: Object.values(secrets),
    stateDir,
  }
}
