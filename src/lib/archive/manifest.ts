/**
 * The archive format, version 1 (see README "Archive format").
 *
 *   age( compress( tar[ manifest.json, roots/<rootId>/..., index.jsonl ] ) )
 *
 * manifest.json comes first so a reader knows what to expect (roots, counts, totals for the
 * free-space check) before any payload. index.jsonl comes last because it carries the sha256 of
 * every payload entry, computed while that entry was streamed; its trailer line closes the
 * archive, so truncation anywhere is detectable even without compression or encryption.
 */
export const FORMAT_NAME = 'openclaw-migrate'
export const FORMAT_VERSION = 1
export const MANIFEST_ENTRY = 'manifest.json'
export const INDEX_ENTRY = 'index.jsonl'
export const ROOTS_DIR = 'roots'

export type RootKind = 'agentDir' | 'config' | 'env' | 'include' | 'state' | 'workspace'

export type ArchiveRoot = {
  agentId?: string
  /** `roots/<id>`: a directory for dir roots; for file roots the file is `roots/<id>/<basename>`. */
  archivePath: string
  /** Stable id, also the directory under roots/. */
  id: string
  kind: RootKind
  profile: null | string
  /** Absolute path on the source machine. */
  sourcePath: string
  type: 'dir' | 'file'
}

/** A place the host knows about (workspace, agentDir, config...) and where it sits in the archive. */
export type ArchiveLocation = {
  agentId?: string
  /** The value as written in the config (may be `~/...` or relative). */
  configured?: string
  kind: 'agentDir' | 'config' | 'env' | 'include' | 'state' | 'workspace'
  profile: null | string
  /** Path below the root, posix, '' for the root itself. */
  relPath: string
  rootId: string
  sourcePath: string
}

export type ProfileCounts = {
  agents: number
  credentialDirs: number
  credentialFiles: number
  cronJobs: number
  sessions: number
  sessionsPerAgent: Record<string, number>
  sqliteDatabases: number
  workspaceFiles: Record<string, number>
}

/** Counts of a profile before anything is counted. */
export function emptyCounts(): ProfileCounts {
  return {
    agents: 0,
    credentialDirs: 0,
    credentialFiles: 0,
    cronJobs: 0,
    sessions: 0,
    sessionsPerAgent: {},
    sqliteDatabases: 0,
    workspaceFiles: {},
  }
}

export type PluginRecord = {
  id: string
  source: string
  spec: null | string
  version: null | string
}

export type SkippedPath = {
  path: string
  reason: string
}

export type ProfileManifest = {
  configPath: string
  counts: ProfileCounts
  gatewayMode: null | string
  lastTouchedVersion: null | string
  plugins: PluginRecord[]
  profile: null | string
  stateDir: string
}

export type ArchiveManifest = {
  archiveId: string
  createdAt: string
  /** Set when the archive was made by another tool (a plain tar, `openclaw backup create`) and adapted on reading. */
  foreign?: {homeSource: string; kind: string; label: string; verification: string}
  format: typeof FORMAT_NAME
  formatVersion: number
  gateway: {stopped: boolean; wasRunning: boolean}
  host: {source: null | string; version: null | string}
  locations: ArchiveLocation[]
  node: string
  profiles: ProfileManifest[]
  roots: ArchiveRoot[]
  /** Archive paths of files that hold secrets (by path; values are never read into the manifest). */
  secrets: Array<{kind: string; path: string}>
  selection: {
    agents: null | string[]
    allProfiles: boolean
    excludes: string[]
    includeLogs: boolean
    workspaces: boolean
  }
  skipped: SkippedPath[]
  source: {
    arch: string
    home: string
    hostname: string
    platform: NodeJS.Platform
    profile: null | string
    uid: number
    user: string
  }
  /** Databases stored as consistent snapshots (archive path, source path); an export aborts on a failed integrity check. */
  sqlite: Array<{path: string; source: string}>
  symlinksOutside: Array<{path: string; target: string}>
  tool: {name: string; version: string}
  totals: {bytes: number; dirs: number; files: number; symlinks: number}
  warnings: string[]
}

export type EntryType = 'dir' | 'file' | 'symlink'

export type IndexEntry = {
  linkpath?: string
  mode: number
  mtime: number
  path: string
  sha256?: string
  size: number
  type: EntryType
}

export type IndexTrailer = {
  archiveId: string
  bytes: number
  end: true
  entries: number
  manifestSha256: string
}
