import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

/**
 * Generates a realistic OpenClaw home for tests, the demo and benchmarks: a profile state dir
 * with config ($include, .bak ring), credentials, sessions, WAL-mode SQLite databases holding
 * absolute paths, skippable regenerable dirs, a workspace outside the state dir, an external
 * agentDir and symlinks. Known secret values are planted so tests can assert they never leak.
 */
export interface HomeSpec {
  home: string
  profile?: string | null
  /** Sessions per agent. */
  sessions?: number
  /** Approximate bytes of each session transcript. */
  sessionBytes?: number
  /** Incompressible media files and their size. */
  mediaFiles?: number
  mediaBytes?: number
  credentialFiles?: number
  workspaceNotes?: number
  nodeModulesFiles?: number
  /** Leave uncheckpointed writes in the WAL (a crashed or live writer). */
  walPending?: boolean
  seed?: string
}

export interface GeneratedHome {
  home: string
  profile: string | null
  stateDir: string
  configPath: string
  externalWorkspace: string
  externalAgentDir: string
  defaultWorkspace: string
  /** Secret values planted in the fixture; none may ever be printed. */
  secrets: string[]
  counts: {agents: number; sessions: number; cronJobs: number; credentialDirs: number}
  /** Open handles keeping WAL content uncheckpointed; close them in after(). */
  holders: DatabaseSync[]
}

function write(file: string, content: Buffer | string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
  fs.writeFileSync(file, content, {mode})
}

function token(seed: string, label: string, prefix: string, length = 40): string {
  return prefix + createHash('sha256').update(`${seed}:${label}`).digest('hex').slice(0, length)
}

function transcript(lines: number, sessionId: string, workspace: string): string {
  const out: string[] = [JSON.stringify({cwd: workspace, id: sessionId, timestamp: '2026-10-01T10:00:00.000Z', type: 'session', version: 3})]
  for (let i = 0; i < lines; i++) {
    out.push(JSON.stringify({message: {content: [{text: `Message ${i} about the garden, the budget and the trip to Gothenburg. `.repeat(3), type: 'text'}], role: i % 2 ? 'assistant' : 'user'}, timestamp: new Date(Date.UTC(2026, 9, 1, 10, i)).toISOString(), type: 'message'}))
  }
  return out.join('\n') + '\n'
}

export function generateHome(spec: HomeSpec): GeneratedHome {
  const profile = spec.profile === undefined ? 'work' : spec.profile
  const seed = spec.seed ?? 'fixture'
  const home = spec.home
  const stateDir = path.join(home, profile ? `.openclaw-${profile}` : '.openclaw')
  const configPath = path.join(stateDir, 'openclaw.json')
  const defaultWorkspace = path.join(home, '.openclaw', profile ? `workspace-${profile}` : 'workspace')
  const externalWorkspace = path.join(home, 'projects', 'research-notes')
  const externalAgentDir = path.join(home, 'agent-homes', 'research')
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
  write(path.join(stateDir, 'channels.json5'), `// channel settings, included from openclaw.json\n{\n  channels: {\n    telegram: { enabled: true, botToken: "${secrets.telegram}" },\n    whatsapp: { enabled: true },\n  },\n}\n`)
  const sharedInclude = path.join(home, 'shared-config', 'models.json5')
  write(sharedInclude, `{ models: { providers: { openai: { apiKey: "${secrets.openai}" } } } }\n`)
  const config = `// OpenClaw config (JSON5)
{
  meta: { lastTouchedVersion: "2026.9.6", lastTouchedAt: "2026-11-20T08:00:00.000Z" },
  $include: ["./channels.json5", "${sharedInclude}"],
  gateway: { mode: "local", port: 18789, bind: "loopback", auth: { mode: "token", token: "${secrets.gateway}" } },
  agents: {
    defaults: { workspace: "${defaultWorkspace}", model: { primary: "anthropic/claude-sonnet-4-5" } },
    list: [
      { id: "main", default: true },
      { id: "research", workspace: "${externalWorkspace}", agentDir: "${externalAgentDir}" },
    ],
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
  write(path.join(stateDir, 'credentials', 'whatsapp', 'default', 'creds.json'), JSON.stringify({noiseKey: secrets.whatsapp, registered: true}))
  for (let i = 0; i < credentialFiles; i++) write(path.join(stateDir, 'credentials', 'whatsapp', 'default', `pre-key-${i}.json`), JSON.stringify({private: randomBytes(32).toString('base64'), public: randomBytes(32).toString('base64')}))
  write(path.join(stateDir, 'credentials', 'telegram', 'default.json'), JSON.stringify({botId: 7, linked: true}))
  write(path.join(stateDir, 'credentials', 'oauth.json'), JSON.stringify({anthropic: {access: secrets.anthropic, refresh: token(seed, 'refresh', 'rt_')}}))

  // Agents and sessions.
  const agentIds = ['main', 'research']
  let sessionCount = 0
  for (const agent of agentIds) {
    const dir = path.join(stateDir, 'agents', agent)
    const index: Record<string, unknown> = {}
    for (let i = 0; i < sessions; i++) {
      const id = createHash('sha1').update(`${seed}${agent}${i}`).digest('hex').slice(0, 8) + '-0000-4000-8000-000000000000'
      const file = path.join(dir, 'sessions', `${id}.jsonl`)
      write(file, transcript(sessionLines, id, agent === 'research' ? externalWorkspace : defaultWorkspace))
      index[`agent:${agent}:session-${i}`] = {sessionFile: file, sessionId: id, updatedAt: 1_760_000_000_000 + i}
      sessionCount++
    }
    write(path.join(dir, 'sessions', 'sessions.json'), JSON.stringify(index, null, 2))
    if (agent === 'main') write(path.join(dir, 'agent', 'auth-profiles.json'), JSON.stringify({profiles: {'anthropic:default': {key: secrets.anthropic, type: 'api_key'}}}))
  }
  write(path.join(externalAgentDir, 'auth-profiles.json'), JSON.stringify({profiles: {'openai:default': {key: secrets.openai, type: 'api_key'}}}))
  write(path.join(externalAgentDir, 'models.json'), JSON.stringify({providers: {}}))

  // Cron: jobs.json plus the SQLite rows whose store_key is the absolute jobs.json path.
  const cronStore = path.join(stateDir, 'cron', 'jobs.json')
  write(cronStore, JSON.stringify({jobs: [{id: 'job-morning', name: 'Morning brief', schedule: {expr: '0 7 * * *', kind: 'cron'}}], version: 1}, null, 2))

  const holders: DatabaseSync[] = []
  const stateDb = path.join(stateDir, 'state', 'openclaw.sqlite')
  fs.mkdirSync(path.dirname(stateDb), {mode: 0o700, recursive: true})
  const db = new DatabaseSync(stateDb)
  db.exec(`PRAGMA journal_mode=WAL;
    CREATE TABLE IF NOT EXISTS cron_jobs (store_key TEXT NOT NULL, job_id TEXT NOT NULL, job_json TEXT NOT NULL, PRIMARY KEY (store_key, job_id));
    CREATE TABLE IF NOT EXISTS cron_run_receipts (store_key TEXT NOT NULL, job_id TEXT NOT NULL, run_at INTEGER NOT NULL, status TEXT);
    CREATE TABLE IF NOT EXISTS cron_job_scratch (store_key TEXT NOT NULL, job_id TEXT NOT NULL, data TEXT);
    CREATE TABLE IF NOT EXISTS agent_databases (agent_id TEXT PRIMARY KEY, path TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS workspace_setup_state (workspace_dir TEXT PRIMARY KEY, state_json TEXT);
    CREATE TABLE IF NOT EXISTS plugin_installs (plugin_id TEXT PRIMARY KEY, record_json TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS secrets_kv (name TEXT PRIMARY KEY, value TEXT);`)
  db.prepare('INSERT INTO cron_jobs VALUES (?, ?, ?)').run(cronStore, 'job-morning', JSON.stringify({id: 'job-morning', message: 'Morning brief', workspace: defaultWorkspace}))
  db.prepare('INSERT INTO cron_run_receipts VALUES (?, ?, ?, ?)').run(cronStore, 'job-morning', 1_763_000_000, 'ok')
  db.prepare('INSERT INTO cron_job_scratch VALUES (?, ?, ?)').run(cronStore, 'job-morning', '{}')
  db.prepare('INSERT INTO agent_databases VALUES (?, ?)').run('main', path.join(stateDir, 'agents', 'main', 'agent', 'openclaw-agent.sqlite'))
  db.prepare('INSERT INTO agent_databases VALUES (?, ?)').run('research', path.join(externalAgentDir, 'openclaw-agent.sqlite'))
  db.prepare('INSERT INTO workspace_setup_state VALUES (?, ?)').run(externalWorkspace, '{"bootstrapped":true}')
  db.prepare('INSERT INTO plugin_installs VALUES (?, ?)').run('voice-call', JSON.stringify({installPath: path.join(stateDir, 'npm', 'projects', 'voice-call'), spec: '@openclaw/voice-call@2026.9.1'}))
  db.prepare('INSERT INTO secrets_kv VALUES (?, ?)').run('device-private-key', secrets.gateway)
  if (spec.walPending !== false) {
    db.exec('PRAGMA wal_autocheckpoint=0')
    db.prepare('INSERT INTO cron_run_receipts VALUES (?, ?, ?, ?)').run(cronStore, 'job-morning', 1_763_086_400, 'ok-pending-in-wal')
    holders.push(db)
  } else db.close()

  for (const [agent, dbPath] of [['main', path.join(stateDir, 'agents', 'main', 'agent', 'openclaw-agent.sqlite')], ['research', path.join(externalAgentDir, 'openclaw-agent.sqlite')]] as const) {
    fs.mkdirSync(path.dirname(dbPath), {mode: 0o700, recursive: true})
    const agentDb = new DatabaseSync(dbPath)
    agentDb.exec('PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS memory (id INTEGER PRIMARY KEY, text TEXT); CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)')
    agentDb.prepare('INSERT INTO memory (text) VALUES (?)').run(`${agent} remembers the ${seed} fixture`)
    agentDb.prepare('INSERT INTO kv VALUES (?, ?)').run('hmac', randomBytes(16).toString('hex'))
    agentDb.close()
  }

  // Workspaces: default one (outside the profile's state dir) and an external git-backed one.
  for (const ws of [defaultWorkspace, externalWorkspace]) {
    write(path.join(ws, 'MEMORY.md'), `# Memory\n\n- Lives at ${ws}\n`, 0o644)
    write(path.join(ws, 'USER.md'), '# User\n\nPrefers short answers.\n', 0o644)
    write(path.join(ws, 'SOUL.md'), '# Soul\n\nCalm and precise.\n', 0o644)
    for (let i = 0; i < (spec.workspaceNotes ?? 5); i++) write(path.join(ws, 'memory', `2026-10-${String(i + 1).padStart(2, '0')}.md`), `# Day ${i + 1}\n\nNotes for day ${i + 1}.\n`, 0o644)
  }
  write(path.join(externalWorkspace, '.git', 'HEAD'), 'ref: refs/heads/main\n', 0o644)
  write(path.join(externalWorkspace, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n', 0o644)
  fs.symlinkSync('MEMORY.md', path.join(externalWorkspace, 'memory-link.md'))
  fs.symlinkSync('/usr/share/dict', path.join(externalWorkspace, 'dict-outside'))

  // Media: incompressible.
  for (let i = 0; i < (spec.mediaFiles ?? 2); i++) write(path.join(stateDir, 'media', 'inbound', `photo-${i}.jpg`), randomBytes(spec.mediaBytes ?? 64 * 1024))

  // Regenerable content the export must skip.
  write(path.join(stateDir, 'tmp', `openclaw-${process.getuid?.() ?? 0}`, 'gateway.state.lock'), JSON.stringify({pid: 999_999_999, port: 18_789}))
  write(path.join(stateDir, 'cache', 'models.json'), '{}')
  write(path.join(stateDir, 'logs', 'gateway.log'), 'started\n')
  write(path.join(stateDir, 'npm', 'projects', 'voice-call', 'package.json'), JSON.stringify({dependencies: {'@openclaw/voice-call': '2026.9.1'}, name: 'voice-call-project'}))
  write(path.join(stateDir, 'npm', 'projects', 'voice-call', 'node_modules', '@openclaw', 'voice-call', 'package.json'), JSON.stringify({name: '@openclaw/voice-call', version: '2026.9.1'}))
  for (let i = 0; i < (spec.nodeModulesFiles ?? 20); i++) write(path.join(stateDir, 'extensions', 'local-tools', 'node_modules', `dep-${i % 5}`, `file-${i}.js`), `module.exports = ${i}\n`)
  write(path.join(stateDir, 'extensions', 'local-tools', 'package.json'), JSON.stringify({name: 'local-tools', version: '1.0.0'}))
  write(path.join(stateDir, 'extensions', 'local-tools', 'index.js'), 'export default {}\n')
  fs.mkdirSync(path.join(stateDir, 'plugin-skills'), {recursive: true})
  fs.symlinkSync(path.join(stateDir, 'extensions', 'local-tools'), path.join(stateDir, 'plugin-skills', 'local-tools'))

  return {
    configPath,
    counts: {agents: agentIds.length, credentialDirs: 2, cronJobs: 1, sessions: sessionCount},
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
