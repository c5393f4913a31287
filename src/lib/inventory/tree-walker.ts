import fs from 'node:fs'
import path from 'node:path'

import type {ArchiveRoot, EntryType} from '../archive/manifest.js'

import {MigrateError} from '../errors.js'
import {isInside} from '../util/paths.js'
import {matchesExclude, skipReason} from './rules.js'

export type WalkOptions = {
  excludes: string[]
  includeLogs: boolean
  /** Absolute paths never to descend into (other roots nested here, unselected agents...). */
  prune: Map<string, string>
}

export type WalkEntry = {
  abs: string
  linkTarget?: string
  /** Posix path below the root; '' is the root itself. */
  rel: string
  root: ArchiveRoot
  stat: fs.Stats
  type: EntryType
}

export type WalkEvent = {entry: WalkEntry; kind: 'entry'} | {kind: 'skip'; path: string; reason: string}

function typeOf(stat: fs.Stats): EntryType | null {
  if (stat.isFile()) return 'file'
  if (stat.isDirectory()) return 'dir'
  if (stat.isSymbolicLink()) return 'symlink'
  return null
}

function unreadable(abs: string, error: unknown): MigrateError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error'
  return new MigrateError('SOURCE_UNREADABLE', `Cannot read ${abs} (${code}).`, {
    suggestions: [
      code === 'EACCES'
        ? `Fix its permissions (chown/chmod) or run as the user that owns the state, or skip it with --exclude '${path.basename(abs)}'.`
        : `Skip it with --exclude '${path.basename(abs)}' if it is not needed.`,
    ],
  })
}

/**
 * Walks one root depth-first in a stable (sorted) order, yielding entries one at a time so
 * memory never depends on the size of the tree. Symlinks are reported, never followed.
 *
 * The file system calls are synchronous: an lstat of a cached inode costs a microsecond or two,
 * while fs.promises puts each one through the thread pool and a promise (tens of microseconds),
 * which dominated the walk of a state with tens of thousands of small files.
 */
export async function* walkRoot(root: ArchiveRoot, options: WalkOptions): AsyncGenerator<WalkEvent> {
  let rootStat: fs.Stats
  try {
    rootStat = fs.lstatSync(root.sourcePath)
  } catch (error) {
    throw unreadable(root.sourcePath, error)
  }

  if (root.type === 'file') {
    const type = typeOf(rootStat)
    if (type === 'file' || type === 'symlink') {
      const rel = path.posix.basename(root.sourcePath)
      const linkTarget = type === 'symlink' ? fs.readlinkSync(root.sourcePath) : undefined
      yield {entry: {abs: root.sourcePath, linkTarget, rel, root, stat: rootStat, type}, kind: 'entry'}
    }

    return
  }

  yield {entry: {abs: root.sourcePath, rel: '', root, stat: rootStat, type: 'dir'}, kind: 'entry'}
  const stack: Array<{abs: string; rel: string}> = [{abs: root.sourcePath, rel: ''}]
  while (stack.length > 0) {
    const dir = stack.pop()!
    let names: string[]
    try {
      names = fs.readdirSync(dir.abs).toSorted()
    } catch (error) {
      throw unreadable(dir.abs, error)
    }

    const subdirs: Array<{abs: string; rel: string}> = []
    for (const name of names) {
      const abs = path.join(dir.abs, name)
      const rel = dir.rel ? `${dir.rel}/${name}` : name
      let stat: fs.Stats
      try {
        stat = fs.lstatSync(abs)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue // vanished between readdir and lstat
        throw unreadable(abs, error)
      }

      const type = typeOf(stat)
      if (!type) {
        yield {kind: 'skip', path: abs, reason: 'not a regular file, directory or symlink (socket, fifo or device)'}
        continue
      }

      const pruned = options.prune.get(abs)
      if (pruned) {
        yield {kind: 'skip', path: abs, reason: pruned}
        continue
      }

      const reason = skipReason({
        includeLogs: options.includeLogs,
        isDir: type === 'dir',
        name,
        rel,
        rootKind: root.kind,
      })
      if (reason) {
        yield {kind: 'skip', path: abs, reason}
        continue
      }

      if (options.excludes.length > 0 && matchesExclude(options.excludes, rel, abs)) {
        yield {kind: 'skip', path: abs, reason: 'excluded by --exclude'}
        continue
      }

      const linkTarget = type === 'symlink' ? fs.readlinkSync(abs) : undefined
      yield {entry: {abs, linkTarget, rel, root, stat, type}, kind: 'entry'}
      if (type === 'dir') subdirs.push({abs, rel})
    }

    // Reverse so the stack pops them in sorted order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i])
  }
}

/** Where a symlink points, if that is outside every exported root. */
export function linkEscapes(entry: WalkEntry, roots: ArchiveRoot[]): boolean {
  if (!entry.linkTarget) return false
  const target = path.resolve(path.dirname(entry.abs), entry.linkTarget)
  return !roots.some((r) => isInside(target, r.sourcePath))
}
