import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import type {ArchiveManifest} from '../archive/manifest.js'
import type {StagedRoot} from '../import/staging.js'
import type {PathMapper} from './path-mapper.js'

import {ourCommand} from '../cli-face.js'
import {MigrateError} from '../errors.js'
import {openRegularNoFollow} from '../import/no-follow.js'
import {walkRoot} from '../inventory/tree-walker.js'
import {boundedSibling} from '../util/paths.js'
import {rewriteStringLiterals} from './json-text-rebaser.js'
import {rebaseDatabase} from './sqlite-rebaser.js'

const MAX_TEXT_BYTES = 16 * 1024 * 1024
const TEXT_EXT = /\.(md|markdown|txt|json|json5|jsonl|ya?ml|toml|ini|cfg|conf|sh|py|js|ts|mjs|cjs|html|css|csv|env)$/i

export type RewriteRecord = {
  count: number
  detail?: string
  /** Where the file will live after activation. */
  file: string
  kind: 'config' | 'json' | 'sqlite' | 'transcript' | 'workspace'
  rel: string
  rootId: string
}

export type RebaseReport = {
  /** Old-home paths still present after rebasing (free text, transcripts...). */
  remaining: Array<{count: number; detail?: string; file: string; kind: string}>
  rewrites: RewriteRecord[]
  /** Session transcripts whose header (`cwd`) names the old home (rewritten with --rewrite-workspace-paths). */
  transcriptHeaders: Array<{count: number; file: string}>
  /** Workspace files that mention the old home (rewritten only with --rewrite-workspace-paths). */
  workspaceMentions: Array<{count: number; file: string}>
}

export type RebaseOptions = {
  rewriteWorkspacePaths: boolean
  /** Ctrl-C: checked between database pages. */
  signal?: AbortSignal
}

function targetFile(s: StagedRoot, rel: string): string {
  return s.root.type === 'file' ? s.target : path.join(s.target, ...rel.split('/').filter(Boolean))
}

function stagedFile(s: StagedRoot, rel: string): string {
  return s.root.type === 'file' ? s.staging : path.join(s.staging, ...rel.split('/').filter(Boolean))
}

/** Reads a staged file without following a link at its end (its parents are dirs this tool made). */
function readStagedText(file: string): string {
  const fd = openRegularNoFollow(file)
  try {
    return fs.readFileSync(fd, 'utf8')
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Replaces a staged file by a rewritten copy. The copy's name is unpredictable: every other name in
 * a staging dir may be an entry of the archive (a planted `openclaw.json.rebase-tmp` made the import
 * fail with EEXIST while check said OK), and it is bounded like every name this tool makes.
 */
function rewriteFileKeepingMode(file: string, text: string): void {
  const stat = fs.lstatSync(file)
  if (!stat.isFile()) throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `${file} is not a regular file.`)
  const tmp = boundedSibling(file, `.rebase-${randomBytes(8).toString('hex')}`, '.')
  fs.writeFileSync(tmp, text, {flag: 'wx', mode: stat.mode & 0o7777})
  fs.utimesSync(tmp, stat.atime, stat.mtime)
  fs.renameSync(tmp, file)
}

/**
 * Rebases the staged copy before activation: the config and its includes, JSON state files such as
 * sessions.json, every SQLite database; and reports (or, opted in, rewrites) workspace text that
 * mentions the old home.
 */
export async function rebaseStaged(
  manifest: ArchiveManifest,
  staged: StagedRoot[],
  mapper: PathMapper,
  options: RebaseOptions,
): Promise<RebaseReport> {
  const report: RebaseReport = {remaining: [], rewrites: [], transcriptHeaders: [], workspaceMentions: []}
  // Same paths here as there: nothing to rewrite, but every database is still checked before activation.
  const identity = mapper.mappings.every((m) => m.from === m.to)
  const sqliteArchivePaths = new Set(manifest.sqlite.map((s) => s.path))
  const configFiles = new Set(
    manifest.locations
      .filter((l) => l.kind === 'config' || l.kind === 'include')
      .map((l) => `${l.rootId}/${l.relPath}`),
  )
  const workspaceAreas = manifest.locations
    .filter((l) => l.kind === 'workspace')
    .map((l) => ({rel: l.relPath, rootId: l.rootId}))
  const inWorkspace = (rootId: string, rel: string) =>
    workspaceAreas.some((w) => w.rootId === rootId && (w.rel === '' || rel === w.rel || rel.startsWith(`${w.rel}/`)))

  for (const s of staged) {
    const pseudoRoot = {...s.root, sourcePath: s.staging}
    for await (const event of walkRoot(pseudoRoot, {excludes: [], includeLogs: true, prune: new Map()})) {
      if (event.kind !== 'entry' || event.entry.type !== 'file') continue
      // Nested roots are walked as part of their outer root's staging dir; attribute them to themselves.
      // A file root is walked at its staging name; in the archive (and the manifest) it is its source basename.
      const rel =
        s.root.type === 'file' ? path.posix.basename(s.root.sourcePath.replaceAll('\\', '/')) : event.entry.rel
      const file = stagedFile(s, rel)
      if (staged.some((o) => o !== s && o.nestedIn === s.root.id && file.startsWith(`${o.staging}${path.sep}`)))
        continue
      const archivePath = s.root.type === 'file' || rel ? `${s.root.archivePath}/${rel}` : s.root.archivePath
      const key = `${s.root.id}/${rel}`
      const finalPath = targetFile(s, rel)
      if (sqliteArchivePaths.has(archivePath)) {
        let result: Awaited<ReturnType<typeof rebaseDatabase>>
        // A database archived read-only (0444) is still rebased: owner write for the rebase, in a
        // private (0700) staging dir, then its mode back.
        const {mode} = fs.statSync(file)
        if ((mode & 0o200) === 0) fs.chmodSync(file, (mode & 0o7777) | 0o200)
        try {
          result = await rebaseDatabase(file, mapper, {shown: finalPath, signal: options.signal})
        } catch (error) {
          if (error instanceof MigrateError) throw error
          throw databaseError(error, finalPath)
        } finally {
          if ((mode & 0o200) === 0) fs.chmodSync(file, mode & 0o7777)
        }

        const rows = result.rewrites.reduce((n, r) => n + r.rows, 0)
        if (rows > 0)
          report.rewrites.push({
            count: rows,
            detail: result.rewrites.map((r) => `${r.table}.${r.column}×${r.rows}`).join(', '),
            file: finalPath,
            kind: 'sqlite',
            rel,
            rootId: s.root.id,
          })
        for (const r of result.remaining)
          report.remaining.push({count: r.rows, detail: `${r.table}.${r.column}`, file: finalPath, kind: 'sqlite'})
        continue
      }

      if (identity) continue
      // The .bak ring and `.last-good` (the host's last known good config, restored by doctor --fix) are configs too.
      const isConfigBackup = s.root.kind === 'state' && /^(openclaw|clawdbot)\.json\.(bak(\.\d+)?|last-good)$/.test(rel)
      if (event.entry.stat.size > MAX_TEXT_BYTES || (!TEXT_EXT.test(rel || s.root.sourcePath) && !isConfigBackup))
        continue
      // The host's .bak ring is a config too: a restore from it must not bring old paths back.
      const isConfig = configFiles.has(key) || isConfigBackup
      const workspace = inWorkspace(s.root.id, rel)
      const isStateJson =
        !workspace && s.root.kind === 'state' && /\.json5?$/.test(rel) && !rel.startsWith('credentials/')
      const isTranscript = !workspace && s.root.kind === 'state' && /^agents\/[^/]+\/sessions\/[^/]+\.jsonl$/.test(rel)
      if (!isConfig && !workspace && !isStateJson && !isTranscript && s.root.kind !== 'agentDir') continue
      const text = readStagedText(file)
      if (mapper.findMentions(text).length === 0) continue
      if (isConfig || isStateJson || (s.root.kind === 'agentDir' && /\.json5?$/.test(rel))) {
        const result = rewriteStringLiterals(text, (v) => mapper.map(v))
        if (result.count > 0) {
          rewriteFileKeepingMode(file, result.text)
          report.rewrites.push({
            count: result.count,
            file: finalPath,
            kind: isConfig ? 'config' : 'json',
            rel,
            rootId: s.root.id,
          })
        }

        const left = mapper.findMentions(result.text).length
        if (left > 0) report.remaining.push({count: left, file: finalPath, kind: isConfig ? 'config' : 'json'})
      } else if (isTranscript) {
        // A transcript's header line records the workspace it ran in (`cwd`); the rest is conversation.
        const end = text.indexOf('\n')
        const header = end === -1 ? text : text.slice(0, end)
        const inHeader = mapper.findMentions(header).length
        if (inHeader > 0 && options.rewriteWorkspacePaths) {
          const result = rewriteStringLiterals(header, (v) => mapper.map(v))
          if (result.count > 0) {
            rewriteFileKeepingMode(file, result.text + (end === -1 ? '' : text.slice(end)))
            report.rewrites.push({count: result.count, file: finalPath, kind: 'transcript', rel, rootId: s.root.id})
          }
        } else if (inHeader > 0) {
          report.transcriptHeaders.push({count: inHeader, file: finalPath})
        }

        const inBody = end === -1 ? 0 : mapper.findMentions(text.slice(end)).length
        if (inBody > 0)
          report.remaining.push({count: inBody, detail: 'conversation text', file: finalPath, kind: 'text'})
      } else if (workspace && options.rewriteWorkspacePaths) {
        const result = mapper.rewriteText(text)
        if (result.count > 0) {
          rewriteFileKeepingMode(file, result.text)
          report.rewrites.push({count: result.count, file: finalPath, kind: 'workspace', rel, rootId: s.root.id})
        }
      } else if (workspace) {
        report.workspaceMentions.push({count: mapper.findMentions(text).length, file: finalPath})
      } else {
        report.remaining.push({count: mapper.findMentions(text).length, file: finalPath, kind: 'text'})
      }
    }
  }

  return report
}

/** SQLite's primary result codes that are this machine's fault, not the archive's. */
const SQLITE_READONLY = 8
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14

function databaseError(error: unknown, finalPath: string): MigrateError {
  const primary = ((error as {errcode?: number}).errcode ?? -1) & 0xff
  const errno = (error as NodeJS.ErrnoException).code
  if (primary === SQLITE_FULL || errno === 'ENOSPC' || errno === 'EDQUOT')
    return new MigrateError(
      'NO_SPACE',
      `The target disk filled up while rebasing the database ${finalPath}; nothing was activated and the staged files were removed.`,
      {
        cause: error,
        suggestions: [
          'Free space on the target disk (the rebase needs room for a journal the size of the database), then import again.',
        ],
      },
    )
  if (primary === SQLITE_READONLY || primary === SQLITE_CANTOPEN || errno === 'EACCES' || errno === 'EROFS')
    return new MigrateError(
      'TARGET_UNWRITABLE',
      `Could not write the database ${finalPath} while rebasing it (${(error as Error).message}); nothing was activated.`,
      {cause: error, suggestions: ['Check the permissions and the filesystem of the target location.']},
    )
  return new MigrateError(
    'INTERNAL',
    `Could not rebase the paths in the database ${finalPath}: ${(error as Error).message}. Nothing was activated.`,
    {
      cause: error,
      suggestions: [
        `Import with --no-host to inspect, or report this with the output of \`${ourCommand('check <archive>')}\`.`,
      ],
    },
  )
}
