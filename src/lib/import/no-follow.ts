import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'

/**
 * Directory creation that never goes through a symlink. A recursive mkdir follows every link on
 * the way: an archive that made `a` a link to the outside, then declared a root at `a/b`, would
 * have its files written out there. Here each component below `base` is looked at (lstat) and
 * created by us, one at a time; a link or a non-directory on the way is refused.
 */
export function mkdirNoFollow(base: string, dir: string, mode = 0o700): string[] {
  const rel = path.relative(base, dir)
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `${dir} is not below ${base}.`)
  const created: string[] = []
  let current = base
  for (const part of rel ? rel.split(path.sep) : []) {
    current = path.join(current, part)
    try {
      fs.mkdirSync(current, {mode})
      created.push(current)
      continue
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    assertRealDir(current)
  }

  return created
}

/** Throws unless `p` is a directory itself, not a link to one. */
export function assertRealDir(p: string): void {
  const stat = fs.lstatSync(p)
  if (stat.isSymbolicLink())
    throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `Refusing to write below ${p}: it is a symlink.`, {
      suggestions: ['An archive root or a staged path would be reached through a link; do not import this archive.'],
    })
  if (!stat.isDirectory())
    throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `Refusing to write below ${p}: it is not a directory.`)
}

/** Every existing component from `base` (excluded) down to `target` (included) is a real dir, not a link. */
export function assertNoLinkBelow(base: string, target: string): void {
  const rel = path.relative(base, target)
  let current = base
  for (const part of rel ? rel.split(path.sep) : []) {
    current = path.join(current, part)
    const stat = fs.lstatSync(current, {throwIfNoEntry: false})
    if (!stat) return
    if (current !== target || stat.isSymbolicLink()) assertRealDir(current)
  }
}

/**
 * Opens a staged file for reading without following a link at its end, and checks it is a regular
 * file; its parents are dirs this tool created (mkdirNoFollow), so the whole path is its own.
 */
export function openRegularNoFollow(file: string): number {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd)
    throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `${file} is not a regular file.`)
  }

  return fd
}
