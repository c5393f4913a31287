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

export interface ArchiveRoot {
  /** Stable id, also the directory under roots/. */
  id: string
  kind: RootKind
  profile: string | null
  /** Absolute path on the source machine. */
  sourcePath: string
  /** `roots/<id>`: a directory for dir roots; for file roots the file is `roots/<id>/<basename>`. */
  archivePath: string
  type: 'dir' | 'file'
  agentId?: string
}

/** A place the host knows about (workspace, agentDir, config...) and where it sits in the archive. */
export interface ArchiveLocation {
  kind: 'agentDir' | 'config' | 'env' | 'include' | 'state' | 'workspace'
  profile: string | null
  agentId?: string
  sourcePath: string
  /** The value as written in the config (may be `~/...` or relative). */
  configured?: string
  rootId: string
  /** Path below the root, posix, '' for the root itself. */
  relPath: string
}

export interface ProfileCounts {
  agents: number
  sessions: number
  sessionsPerAgent: Record<string, number>
  cronJobs: number
  credentialDirs: number
  credentialFiles: number
  workspaceFiles: Record<string, number>
  sqliteDatabases: number
}

export interface PluginRecord {
  id: string
  spec: string | null
  version: string | null
  source: string
}

export interface SkippedPath {
  path: string
  reason: string
}

export interface ProfileManifest {
  profile: string | null
  stateDir: string
  configPath: string
  lastTouchedVersion: string | null
  gatewayMode: string | null
  counts: ProfileCounts
  plugins: PluginRecord[]
}

export interface ArchiveManifest {
  format: typeof FORMAT_NAME
  formatVersion: number
  archiveId: string
  createdAt: string
  tool: {name: string; version: string}
  host: {version: string | null; source: string | null}
  node: string
  source: {
    hostname: string
    platform: NodeJS.Platform
    arch: string
    user: string
    uid: number
    home: string
    profile: string | null
  }
  profiles: ProfileManifest[]
  roots: ArchiveRoot[]
  locations: ArchiveLocation[]
  selection: {agents: string[] | null; workspaces: boolean; excludes: string[]; includeLogs: boolean; allProfiles: boolean}
  totals: {files: number; dirs: number; symlinks: number; bytes: number}
  /** Archive paths of files that hold secrets (by path; values are never read into the manifest). */
  secrets: {path: string; kind: string}[]
  /** Databases stored as consistent snapshots (archive path, source path); an export aborts on a failed integrity check. */
  sqlite: {path: string; source: string}[]
  skipped: SkippedPath[]
  symlinksOutside: {path: string; target: string}[]
  warnings: string[]
  gateway: {wasRunning: boolean; stopped: boolean}
}

export type EntryType = 'dir' | 'file' | 'symlink'

export interface IndexEntry {
  path: string
  type: EntryType
  size: number
  mode: number
  mtime: number
  sha256?: string
  linkpath?: string
}

export interface IndexTrailer {
  end: true
  archiveId: string
  entries: number
  bytes: number
  manifestSha256: string
}
