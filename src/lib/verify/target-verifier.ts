import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import type {SeenEntry} from '../archive/archive-reader.js'
import type {ArchiveManifest, ProfileCounts} from '../archive/manifest.js'
import type {PathMapper} from '../rebase/path-mapper.js'

import {finalMode} from '../import/permissions.js'
import {loadConfig} from '../inventory/config-reader.js'
import {countState} from '../inventory/state-counts.js'
import {scanDatabaseFor} from '../sqlite/sqlite-scan.js'
import {hashOpenFile} from '../util/file-hash.js'
import {isRealDir} from '../util/paths.js'
import {HostMigrations, hostOwnedFile, hostWorkspaceFile} from './host-migrations.js'
import {CheckReport} from './report.js'

export type VerifyInput = {
  /** Every archived entry, in archive order (an EntryLedger after a read). */
  entries: Iterable<[string, SeenEntry]>
  manifest: ArchiveManifest
  mapper: PathMapper
  profiles: Array<{configPath: string; source: null | string; stateDir: string}>
  /**
   * Read every file back and hash it. The import turns this off: it hashed each file's bytes as it
   * wrote them and refused any that differed from the index, so reading them straight back (from the
   * page cache, not the disk) proves nothing more; there a file is checked by type and size.
   * `check --against`, run any time later, reads everything.
   */
  rehash: boolean
  /** `${rootId}/${rel}` of files the import rewrote on purpose. */
  rewritten: Set<string>
  /** rootId → where it lives on this machine. */
  targets: Map<string, string>
  uid: number
  /**
   * The OpenClaw here is newer than the one that wrote the archive: its own one-way migrations
   * (JSON → SQLite, `*.migrated`, `backups/`) are reported as such, not as loss.
   */
  upgradedBy?: null | string
}

export type VerifyResult = {
  counts: Array<{expected: ProfileCounts; found: Partial<ProfileCounts>; profile: null | string}>
  files: {
    differ: string[]
    /** Moved or rewritten by the newer host's own migrations (see HostMigrations). */
    migrated: string[]
    missing: string[]
    rewritten: number
    rotated: string[]
    verified: number
  }
  report: CheckReport
}

/** Bytes hashed since the event loop last ran, so a TTY spinner keeps turning on large states. */
let sinceYield = 0

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  try {
    // One shared buffer, no stream per file: a 5 GB / 110k-file check took 167.6 s with streams, 28.8 s so.
    sinceYield += hashOpenFile(fd, hash)
  } finally {
    fs.closeSync(fd)
  }

  if (sinceYield > 64 * 1024 * 1024) {
    sinceYield = 0
    await new Promise<void>((resolve) => {
      setImmediate(resolve)
    })
  }

  return hash.digest('hex')
}

function targetPathOf(
  entryPath: string,
  manifest: ArchiveManifest,
  targets: Map<string, string>,
): null | {abs: string; rel: string; rootId: string} {
  const [, rootId, ...rest] = entryPath.split('/')
  const root = manifest.roots.find((r) => r.id === rootId)
  const target = targets.get(rootId)
  if (!root || !target) return null
  const rel = rest.join('/')
  if (root.type === 'file') return {abs: target, rel, rootId}
  return {abs: rel ? path.join(target, ...rest) : target, rel, rootId}
}

function countFiles(dir: string): number {
  let n = 0
  let names: fs.Dirent[]
  try {
    names = fs.readdirSync(dir, {withFileTypes: true})
  } catch {
    return 0
  }

  for (const d of names) {
    if (d.isDirectory()) n += countFiles(path.join(dir, d.name))
    else if (d.isFile()) n++
  }

  return n
}

/** Counts the things a user would miss, by the rule export counted them with (state-counts). */
export function countTarget(stateDir: string, agents: null | string[] = null): Partial<ProfileCounts> {
  const creds = path.join(stateDir, 'credentials')
  const credentialDirs = fs.existsSync(creds)
    ? fs.readdirSync(creds).filter((n) => isRealDir(path.join(creds, n))).length
    : 0
  return {...countState(stateDir, {agents}), credentialDirs}
}

/**
 * OpenClaw keeps a ring of config backups (`openclaw.json.bak`, `.bak.1` … `.bak.4`) and rotates it on
 * every config write, such as the `doctor --fix` the import itself runs: a rotated backup is not a
 * change to the imported state.
 */
function isConfigBackup(abs: string, profiles: VerifyInput['profiles']): boolean {
  return profiles.some((p) => {
    const name = path.basename(p.configPath)
    const base = path.basename(abs)
    return (
      path.dirname(abs) === path.dirname(p.configPath) &&
      base.startsWith(`${name}.bak`) &&
      /^(\.\d+)?$/.test(base.slice(name.length + 4))
    )
  })
}

/**
 * The seed's verification checklist, automated: every archived file present with the right hash
 * (files rebased on purpose reported as rewritten), nothing counted fewer than in the archive,
 * modes and owner right, and no old-home path left in the config or the state database.
 */
export async function verifyTarget(input: VerifyInput): Promise<VerifyResult> {
  const report = new CheckReport()
  const secrets = new Set(input.manifest.secrets.map((s) => s.path))
  const result: VerifyResult = {
    counts: [],
    files: {differ: [], migrated: [], missing: [], rewritten: 0, rotated: [], verified: 0},
    report,
  }
  const badModes: string[] = []
  const badOwner: string[] = []
  const migrations = input.upgradedBy ? new HostMigrations(input.profiles.map((p) => p.stateDir)) : null
  /** Archived files the newer host moved away (into its database archive, backups/): still accounted for. */
  const movedFiles: Array<{rel: string; rootId: string}> = []
  const stateRoot = (rootId: string) => input.manifest.roots.find((r) => r.id === rootId)?.kind === 'state'
  for (const [entryPath, seen] of input.entries) {
    const where = targetPathOf(entryPath, input.manifest, input.targets)
    if (!where) continue
    let stat: fs.Stats
    try {
      stat = fs.lstatSync(where.abs)
      // A state dir kept as a symlink to its real dir (linked-state.ts): the root is that dir.
      if (where.rel === '' && seen.type === 'dir' && stat.isSymbolicLink()) stat = fs.statSync(where.abs)
    } catch {
      const target = stateRoot(where.rootId) ? input.targets.get(where.rootId) : undefined
      const moved = migrations
        ? (migrations.migratedCopy(where.abs) ??
          migrations.backupOf(seen.sha256) ??
          (target ? migrations.absorbedByHost(target, where.rel) : null))
        : null
      if (moved) {
        result.files.migrated.push(`${where.abs} → ${moved}`)
        if (seen.type === 'file') movedFiles.push(where)
      }
      // A newer host drops the dirs of the layouts it migrated away from; their files are accounted for above.
      else if (!(seen.type === 'dir' && migrations && stateRoot(where.rootId))) result.files.missing.push(where.abs)
      continue
    }

    if (stat.uid !== input.uid) badOwner.push(where.abs)
    if (seen.type === 'dir') {
      if (!stat.isDirectory()) result.files.differ.push(where.abs)
      else if ((stat.mode & 0o777) !== 0o700) badModes.push(where.abs)
      continue
    }

    if (seen.type === 'symlink') {
      if (!stat.isSymbolicLink()) result.files.differ.push(where.abs)
      continue
    }

    if (!stat.isFile()) {
      result.files.differ.push(where.abs)
      continue
    }

    if ((stat.mode & 0o777) !== finalMode('file', seen.mode, secrets.has(entryPath))) badModes.push(where.abs)
    if (input.rewritten.has(`${where.rootId}/${where.rel}`)) {
      result.files.rewritten++
      continue
    }

    if (stat.size === seen.size && (!input.rehash || (await sha256File(where.abs)) === seen.sha256))
      result.files.verified++
    else if (isConfigBackup(where.abs, input.profiles)) result.files.rotated.push(where.abs)
    else if (migrations && (stateRoot(where.rootId) ? hostOwnedFile(where.rel) : hostWorkspaceFile(where.rel)))
      result.files.migrated.push(where.abs)
    else result.files.differ.push(where.abs)
  }

  const {files} = result
  if (files.missing.length > 0)
    report.problem(
      'files-missing',
      `${files.missing.length} archived path(s) are missing, e.g. ${files.missing[0]}.`,
      'Import again; if it persists, the target was changed after the import.',
    )
  if (files.differ.length > 0)
    report.problem(
      'files-differ',
      `${files.differ.length} file(s) differ from the archive, e.g. ${files.differ[0]}.`,
      'Something changed them after the import (a running gateway?); import again to restore them.',
    )
  if (files.missing.length === 0 && files.differ.length === 0)
    report.ok(
      'files',
      `${files.verified} files ${input.rehash ? 'identical to the archive' : 'in place, hashed against the archive as they were written'}, ${files.rewritten} rebased on purpose${files.rotated.length > 0 ? `, ${files.rotated.length} config backup(s) rotated by OpenClaw since` : ''}.`,
    )
  if (files.migrated.length > 0)
    report.ok(
      'host-migrations',
      `${files.migrated.length} path(s) migrated by OpenClaw ${input.upgradedBy} from the archive's older layout (moved into its database as *.migrated, into backups/, or rewritten by it), e.g. ${files.migrated[0]}.`,
    )
  if (badModes.length > 0)
    report.problem(
      'modes',
      `${badModes.length} path(s) have the wrong mode, e.g. ${badModes[0]}.`,
      'chmod 700 for directories, 600 for secret files (or import again).',
    )
  else report.ok('modes', 'Directories 0700, secret files 0600.')
  if (badOwner.length > 0)
    report.problem(
      'ownership',
      `${badOwner.length} path(s) are not owned by uid ${input.uid}, e.g. ${badOwner[0]}.`,
      `chown -R ${input.uid} on the state dir and workspaces, or import again with --owner.`,
    )
  else report.ok('ownership', `Everything is owned by uid ${input.uid}.`)

  for (const p of input.profiles) {
    const expected = input.manifest.profiles.find((m) => m.profile === p.source)!.counts
    const found = countTarget(p.stateDir)
    result.counts.push({expected, found, profile: p.source})
    const counted: Array<[string, number, number]> = (
      ['agents', 'sessions', 'cronJobs', 'credentialDirs'] as const
    ).map((k) => [k, found[k] ?? 0, expected[k]])
    // Workspace files, counted the way export counted them: regular files below each workspace location.
    found.workspaceFiles = {}
    for (const loc of input.manifest.locations.filter((l) => l.kind === 'workspace' && l.profile === p.source)) {
      const base = input.targets.get(loc.rootId)
      if (!base) continue
      const key = loc.agentId ?? 'default'
      const moved = movedFiles.filter(
        (m) => m.rootId === loc.rootId && (loc.relPath === '' || m.rel.startsWith(`${loc.relPath}/`)),
      ).length
      found.workspaceFiles[key] =
        (found.workspaceFiles[key] ?? 0) +
        countFiles(loc.relPath ? path.join(base, ...loc.relPath.split('/')) : base) +
        moved
    }

    for (const [key, n] of Object.entries(expected.workspaceFiles ?? {}))
      counted.push([`workspace files of ${key}`, found.workspaceFiles[key] ?? 0, n])
    // A gateway started on the new machine goes on living: a cron run opens a session, an agent writes a
    // note, a channel gets linked. Only fewer than the archive had means something was lost.
    const lost = counted
      .filter(([, now, archived]) => now < archived)
      .map(([k, now, archived]) => `${k} ${now} (archive: ${archived})`)
    const grown = counted
      .filter(([, now, archived]) => now > archived)
      .map(([k, now, archived]) => `${k} ${now} (archive: ${archived})`)
    const label = `Profile ${p.source ?? 'default'}`
    if (lost.length > 0)
      report.problem(
        'counts',
        `${label}: ${lost.join(', ')}.`,
        'Import again; if the counts still differ, keep the archive and report it.',
      )
    else {
      const archived = `${expected.agents} agents, ${expected.sessions} sessions, ${expected.cronJobs} cron jobs, ${expected.credentialDirs} credential dirs, ${Object.values(expected.workspaceFiles ?? {}).reduce((a, b) => a + b, 0)} workspace files`
      report.ok(
        'counts',
        grown.length > 0
          ? `${label}: everything the archive had (${archived}), and more since the import: ${grown.join(', ')}.`
          : `${label}: ${archived}, as in the archive.`,
      )
    }

    const needles = input.mapper.mappings.filter((m) => m.from !== m.to).map((m) => m.from)
    const leftovers: string[] = []
    if (fs.existsSync(p.configPath)) {
      let files: string[] = []
      try {
        files = loadConfig(p.configPath, {within: [...input.targets.values()]}).files
      } catch (error) {
        report.problem(
          'config',
          `The imported config cannot be read: ${(error as Error).message}`,
          'Fix the config, then run `openclaw config validate`.',
        )
      }

      for (const file of files) {
        const text = fs.readFileSync(file, 'utf8')
        if (input.mapper.findMentions(text).length > 0) leftovers.push(file)
      }
    }

    const stateDb = path.join(p.stateDir, 'state', 'openclaw.sqlite')
    if (fs.existsSync(stateDb))
      for (const hit of scanDatabaseFor(stateDb, needles, (text) => input.mapper.findMentions(text).length > 0))
        leftovers.push(`${stateDb} ${hit.table}.${hit.column} (${hit.rows} rows)`)
    if (leftovers.length > 0)
      report.problem(
        'old-paths',
        `Old-machine paths remain in ${leftovers.slice(0, 3).join('; ')}${leftovers.length > 3 ? ` and ${leftovers.length - 3} more` : ''}.`,
        'Import again with --map OLD=NEW for the paths that were not rebased.',
      )
    else report.ok('old-paths', `No old-machine path left in the config or the state database of ${p.stateDir}.`)
  }

  return result
}
