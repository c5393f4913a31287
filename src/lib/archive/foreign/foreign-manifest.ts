import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {getPath} from '../../inventory/config-reader.js'
import {listInstalledPlugins} from '../../inventory/plugins.js'
import {isSqliteName, secretKind} from '../../inventory/rules.js'
import {countRows} from '../../sqlite/sqlite-snapshot.js'
import {EntryLedger} from '../entry-ledger.js'
import {type ArchiveManifest, emptyCounts, FORMAT_NAME, FORMAT_VERSION, type SkippedPath} from '../manifest.js'
import {type ForeignLayout} from './foreign-layout.js'
import {type ForeignScan} from './foreign-scan.js'
import {checkArchivedDatabase, hasSqliteMagic, sha256File} from './foreign-sqlite.js'
import {ForeignTranslator, type NativeEntry} from './foreign-translate.js'

export const STRUCTURAL_NOTE = 'no index: structural verification only'

export type ForeignManifest = {
  /** Index lines of the native stream, in its order, for the second pass to append. */
  index: EntryLedger
  manifest: ArchiveManifest
}

/**
 * Synthesizes the manifest and index of the native archive a foreign one becomes, from the first
 * pass alone: the raw entries are run through the same translator the second pass uses, so the
 * totals, counts, secrets and databases describe exactly what the reader will be given. Counts are
 * taken the export's way (agent dirs, credential dirs, sessions in agent databases and legacy
 * transcripts, cron jobs in the state database, workspace files), and every database that will be
 * imported passes SQLite's integrity check first.
 */
export function synthesizeManifest(
  scan: ForeignScan,
  layout: ForeignLayout,
  folded: Map<string, string>,
  scratch: string,
): ForeignManifest {
  const translator = new ForeignTranslator(layout, folded)
  const index = new EntryLedger(fs.mkdtempSync(path.join(scratch, 'index-')))
  const counts = new Map(layout.profiles.map((p) => [p.profile, emptyCounts()]))
  const totals = {bytes: 0, dirs: 0, files: 0, symlinks: 0}
  const secrets: ArchiveManifest['secrets'] = []
  const sqlite: ArchiveManifest['sqlite'] = []
  const skipped: SkippedPath[] = [...layout.skipped]
  const configFiles = new Set(
    layout.locations
      .filter((l) => ['config', 'env', 'include'].includes(l.kind))
      .map((l) => `${l.rootId}/${l.relPath}`),
  )
  const workspaces = layout.locations.filter((l) => l.kind === 'workspace')
  const identity = createHash('sha256').update(layout.kind)
  const mirrorOf = (raw: string) => path.join(scan.mirror, ...raw.split('/'))

  let newest = 0
  const account = (e: NativeEntry, size: number) => {
    newest = Math.max(newest, e.mtime)
    const c = counts.get(e.root.profile) ?? emptyCounts()
    const inState = e.root.kind === 'state'
    if (e.type === 'dir') {
      totals.dirs++
      if (inState && /^credentials\/[^/]+$/.test(e.rel)) c.credentialDirs++
      if (inState && /^agents\/[^/]+$/.test(e.rel)) c.agents++
      return
    }

    if (e.type === 'symlink') {
      totals.symlinks++
      return
    }

    totals.files++
    totals.bytes += size
    const secret = configFiles.has(`${e.root.id}/${e.rel}`)
      ? 'config (tokens, API keys)'
      : secretKind(e.root.kind, e.rel)
    if (secret) secrets.push({kind: secret, path: e.archivePath})
    const copy = e.substitute ?? mirrorOf(e.raw!)
    if (isSqliteName(e.rel) && scan.mirrored.has(e.raw!) && hasSqliteMagic(copy)) {
      checkArchivedDatabase(copy, e.archivePath)
      sqlite.push({path: e.archivePath, source: path.posix.join(e.root.sourcePath, e.rel)})
      c.sqliteDatabases++
      const agentDb = inState ? /^agents\/([^/]+)\/agent\/openclaw-agent\.sqlite$/.exec(e.rel) : null
      if (agentDb) {
        const n = countRows(copy, 'session_nodes')
        c.sessions += n
        c.sessionsPerAgent[agentDb[1]] = (c.sessionsPerAgent[agentDb[1]] ?? 0) + n
      }

      if (inState && e.rel === 'state/openclaw.sqlite') c.cronJobs += countRows(copy, 'cron_jobs')
    }

    if (inState) {
      const session = /^agents\/([^/]+)\/sessions\/[^/]+\.jsonl$/.exec(e.rel)
      if (session) {
        c.sessions++
        c.sessionsPerAgent[session[1]] = (c.sessionsPerAgent[session[1]] ?? 0) + 1
      }

      if (e.rel.startsWith('credentials/')) c.credentialFiles++
    }

    for (const ws of workspaces) {
      if (!(ws.rootId === e.root.id && (ws.relPath === '' || e.rel.startsWith(`${ws.relPath}/`)))) {
        continue
      }

      const key = ws.agentId ?? 'default'
      const wc = counts.get(ws.profile) ?? c
      wc.workspaceFiles[key] = (wc.workspaceFiles[key] ?? 0) + 1
    }
  }

  try {
    for (const [rawPath, seen] of scan.entries) {
      const t = translator.next({...seen, path: rawPath})
      if (t.action === 'drop') continue
      if (t.action === 'skip') {
        if (t.report) skipped.push({path: t.path, reason: t.reason})
        continue
      }

      for (const e of t.entries) {
        const body =
          e.type === 'file' ? (e.substitute ? sha256File(e.substitute) : {sha256: seen.sha256!, size: seen.size}) : null
        const line = {
          linkpath: e.linkpath,
          mode: e.mode,
          mtime: e.mtime,
          sha256: body?.sha256,
          size: body?.size ?? 0,
          type: e.type,
        }
        index.add(e.archivePath, line)
        identity.update(JSON.stringify({path: e.archivePath, ...line}))
        account(e, body?.size ?? 0)
      }
    }
  } catch (error) {
    index.close()
    throw error
  }

  const profiles = layout.profiles.map((p) => ({
    configPath: p.configPath,
    counts: counts.get(p.profile)!,
    gatewayMode: (getPath(p.merged, 'gateway.mode') as string | undefined) ?? null,
    lastTouchedVersion: (getPath(p.merged, 'meta.lastTouchedVersion') as string | undefined) ?? null,
    plugins: listInstalledPlugins(mirrorOf(p.rawStateDir), p.merged),
    profile: p.profile,
    stateDir: p.stateDir,
  }))
  const tool = layout.kind === 'openclaw-backup' ? 'openclaw backup create' : 'tar'
  const manifest: ArchiveManifest = {
    archiveId: `${layout.kind}-${identity.digest('hex').slice(0, 32)}`,
    // A plain tar has no date of its own: its newest entry is when the state was last written.
    createdAt: layout.createdAt ?? new Date(newest).toISOString(),
    foreign: {
      homeSource: layout.homeSource,
      kind: layout.kind,
      label: layout.kind === 'openclaw-backup' ? 'an `openclaw backup create` archive' : 'a plain tar of state dirs',
      verification: STRUCTURAL_NOTE,
    },
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    gateway: {stopped: false, wasRunning: false},
    host: {source: tool, version: layout.hostVersion ?? profiles[0]?.lastTouchedVersion ?? null},
    locations: layout.locations,
    node: 'unknown',
    profiles,
    roots: layout.roots.map(({rawPath: _raw, ...root}) => root),
    secrets,
    selection: {agents: null, allProfiles: profiles.length > 1, excludes: [], includeLogs: false, workspaces: true},
    skipped,
    source: {
      arch: 'unknown',
      home: layout.home,
      hostname: `unknown (${tool} archive)`,
      platform: layout.platform,
      profile: profiles[0]?.profile ?? null,
      uid: -1,
      user: path.posix.basename(layout.home),
    },
    sqlite,
    symlinksOutside: [],
    tool: {name: tool, version: layout.hostVersion ?? 'unknown'},
    totals,
    warnings: [STRUCTURAL_NOTE, ...layout.warnings],
  }
  return {index, manifest}
}
