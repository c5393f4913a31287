import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {subdirNames} from '../inventory/state-counts.js'
import {countRows} from '../sqlite/sqlite-snapshot.js'

/** sha256 → path of every (small) file below the state dirs' backups/, bounded. */
function indexBackups(stateDirs: string[]): Map<string, string> {
  const index = new Map<string, string>()
  let budget = 10_000
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, {withFileTypes: true})
    } catch {
      return
    }

    for (const e of entries) {
      if (budget-- <= 0) return
      const abs = path.join(dir, e.name)
      if (e.isDirectory() && depth < 4) walk(abs, depth + 1)
      else if (e.isFile() && fs.statSync(abs).size <= 16 * 1024 * 1024)
        index.set(createHash('sha256').update(fs.readFileSync(abs)).digest('hex'), abs)
    }
  }

  for (const stateDir of stateDirs) {
    walk(path.join(stateDir, 'backups'), 0)
    // 2026.9 keeps the JSON session stores and transcripts it imported into SQLite here (`….imported-<ms>`).
    for (const agent of subdirNames(path.join(stateDir, 'agents')))
      walk(path.join(stateDir, 'agents', agent, 'session-sqlite-import-archive'), 0)
  }

  return index
}

/**
 * What a newer OpenClaw does on its own to state an older one wrote, so verification can tell it
 * from loss: it moves JSON stores into SQLite and renames the sources `<file>.migrated` (or
 * `.migrated.<n>`), and moves some workspace files it replaces into `<stateDir>/backups/<kind>/`
 * (named after their sha256). Files it owns (its databases, stores and config) it rewrites in place.
 */
export class HostMigrations {
  private backups: Map<string, string> | null = null

  constructor(private readonly stateDirs: string[]) {}

  /** `<file>.migrated[.n]` next to a missing file: the host took it into its database. */
  migratedCopy(abs: string): null | string {
    const dir = path.dirname(abs)
    const base = path.basename(abs)
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      names = [] // the host may have removed the dir it migrated away from
    }

    // `.migrated`, `.migrated.2`, or `.migrated.<sha256>.<uuid>` (2026.9 workspace state).
    const prefix = `${base}.migrated`
    const name = names.find((n) => n.startsWith(prefix) && /^(\.[\w-]+)*$/.test(n.slice(prefix.length)))
    if (name) return path.join(dir, name)
    // 2026.9 moves a JSON session store and its transcripts into the agent's import archive, renamed
    // `legacy-store.sessions.json.imported-<ms>` / `agent_<id>_<key>.<file>.imported-<ms>`.
    if (path.basename(dir) !== 'sessions') return null
    const archive = path.join(path.dirname(dir), 'session-sqlite-import-archive')
    let archived: string[]
    try {
      archived = fs.readdirSync(archive)
    } catch {
      return null
    }

    const imported = archived.find(
      (n) => (n.startsWith(`${base}.imported-`) || n.includes(`.${base}.imported-`)) && /\.imported-\d+$/.test(n),
    )
    return imported ? path.join(archive, imported) : null
  }

  /**
   * The device identity JSON of 2026.4–2026.7 (`identity/*.json`), which 2026.8+ moves into its state
   * database (`device_identities`) without leaving a file: accounted for when that table has rows.
   */
  absorbedByHost(stateDir: string, rel: string): null | string {
    // 2026.6 attests each workspace by the sha256 of its path: a moved workspace is attested again by the host.
    if (/^workspace-attestations\/[^/]+\.attested$/.test(rel)) return `${stateDir}/workspace-attestations (re-attested)`
    if (!/^identity\/[^/]+\.json$/.test(rel)) return null
    const db = path.join(stateDir, 'state', 'openclaw.sqlite')
    return fs.existsSync(db) && countRows(db, 'device_identities') > 0 ? `${db} (device_identities)` : null
  }

  /** A file under the state dirs' `backups/` with exactly the archived bytes: the host moved it there. */
  backupOf(sha256: string | undefined): null | string {
    if (!sha256) return null
    this.backups ??= indexBackups(this.stateDirs)
    return this.backups.get(sha256) ?? null
  }
}

/** Workspace files the host itself writes and migrates (its bootstrap templates), not the user's notes. */
export function hostWorkspaceFile(rel: string): boolean {
  return /(^|\/)(AGENTS|TOOLS|HEARTBEAT|BOOTSTRAP)\.md$/.test(rel) || /(^|\/)\.openclaw\//.test(rel)
}

/** Files of the state dir that a newer host rewrites while it migrates (not user content). */
export function hostOwnedFile(rel: string): boolean {
  return (
    rel.endsWith('.sqlite') ||
    /^agents\/[^/]+\/sessions\/[^/]+\.(json|jsonl)$/.test(rel) ||
    /^(cron|identity|devices|tasks|state|delivery-queue|subagents)\//.test(rel) ||
    /^openclaw\.json(\.last-good)?$/.test(rel) ||
    /^[^/]+\.json$/.test(rel)
  )
}
