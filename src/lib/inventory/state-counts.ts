import fs from 'node:fs'
import path from 'node:path'

import {countRows} from '../sqlite/sqlite-snapshot.js'

/** What a user would miss, counted one way for every layout, by export and by verification alike. */
export type StateCounts = {
  agents: number
  cronJobs: number
  sessions: number
  sessionsPerAgent: Record<string, number>
}

/** Bigger JSON stores than this are not parsed for a count (the SQLite store is counted instead). */
const MAX_JSON_BYTES = 64 * 1024 * 1024

function readJsonFile(file: string): unknown {
  try {
    const stat = fs.lstatSync(file)
    if (!stat.isFile() || stat.size > MAX_JSON_BYTES) return null
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
  } catch {
    return null
  }
}

/** Sessions in a JSON store (`agents/<id>/sessions/sessions.json`, up to 2026.6): one per session key. */
export function countJsonSessions(file: string): number {
  const data = readJsonFile(file)
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 0
  return Object.values(data).filter((entry) => entry && typeof entry === 'object').length
}

/** Jobs in `cron/jobs.json` (2026.4: `{version, jobs: [...]}`). */
export function countJsonCronJobs(file: string): number {
  const data = readJsonFile(file) as null | {jobs?: unknown}
  if (Array.isArray(data)) return data.length
  return Array.isArray(data?.jobs) ? data.jobs.length : 0
}

/** Names of the directories directly in `dir` (links not followed); none when it cannot be read. */
export function subdirNames(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, {withFileTypes: true})
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
  } catch {
    return []
  }
}

/**
 * The one counting rule, on every layout OpenClaw has had:
 * - agents: the dirs under `agents/`;
 * - sessions per agent: the rows of `session_nodes` in its `agent/openclaw-agent.sqlite` (2026.8+)
 *   or the keys of its `sessions/sessions.json` (2026.4–2026.7; transcripts and trajectory files
 *   are not sessions). A newer host moves the JSON store into SQLite and renames the source to
 *   `sessions.json.migrated`, which is not counted; while both hold a session it counts once (max);
 * - cron jobs: the rows of `cron_jobs` in `state/openclaw.sqlite` (2026.6+) or the jobs of
 *   `cron/jobs.json` (2026.4), the larger of the two where both exist.
 */
export function countState(stateDir: string, options: {agents?: null | string[]} = {}): StateCounts {
  const counts: StateCounts = {agents: 0, cronJobs: 0, sessions: 0, sessionsPerAgent: {}}
  const agentsDir = path.join(stateDir, 'agents')
  for (const id of subdirNames(agentsDir)) {
    if (options.agents && !options.agents.includes(id)) continue
    counts.agents++
    const db = path.join(agentsDir, id, 'agent', 'openclaw-agent.sqlite')
    const inDb = fs.existsSync(db) ? countRows(db, 'session_nodes') : 0
    const inJson = countJsonSessions(path.join(agentsDir, id, 'sessions', 'sessions.json'))
    const n = Math.max(inDb, inJson)
    counts.sessions += n
    if (n > 0) counts.sessionsPerAgent[id] = n
  }

  const stateDb = path.join(stateDir, 'state', 'openclaw.sqlite')
  const cronInDb = fs.existsSync(stateDb) ? countRows(stateDb, 'cron_jobs') : 0
  counts.cronJobs = Math.max(cronInDb, countJsonCronJobs(path.join(stateDir, 'cron', 'jobs.json')))
  return counts
}
