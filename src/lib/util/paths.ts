import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** `~` and `~/x` expand against the given home, like the host does for OPENCLAW_STATE_DIR. */
export function expandHome(p: string, home: string): string {
  if (p === '~') return home
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2))
  return p
}

/** True when `child` is `parent` itself or lies below it (both absolute, normalised). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  // `..x` is a name inside; only `..` itself or `../…` climbs out.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

export function currentUser(): {gid: number; name: string; uid: number} {
  const info = os.userInfo()
  return {name: info.username, uid: info.uid, gid: info.gid}
}

/** UTC timestamp usable in file names: 20261124T221100Z. */
export function fileStamp(date = new Date()): string {
  return date
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }

  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

/** Archive paths always use forward slashes whatever the platform. */
export function toPosix(p: string): string {
  return p.split(path.sep).join('/')
}

/** "1 agent", "2 agents"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/**
 * A directory, or a symlink to one. A dangling or looping link, or nothing at all, is not: an
 * ordinary state can hold a link whose target is gone, which must never crash an inventory.
 */
export function isDirFollowingLinks(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** A real directory (not a link to one): how export counts agents and credential dirs. */
export function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory()
  } catch {
    return false
  }
}

/** Longest file name (bytes) on the filesystems a state lives on (ext4, xfs, btrfs, APFS, exFAT). */
export const NAME_MAX = 255

/**
 * `${stem}${suffix}` as one file name, never longer than NAME_MAX bytes: a legal 220-byte
 * workspace name plus a staging or aside suffix would not fit. Too long a stem is cut (on a
 * character boundary) and marked with a hash of the whole stem, so different stems stay apart.
 */
export function boundedName(stem: string, suffix: string): string {
  if (Buffer.byteLength(stem + suffix) <= NAME_MAX) return stem + suffix
  const mark = `~${createHash('sha256').update(stem).digest('hex').slice(0, 12)}`
  const room = NAME_MAX - Buffer.byteLength(suffix) - mark.length
  let cut = ''
  for (const char of stem) {
    if (Buffer.byteLength(cut + char) > room) break
    cut += char
  }

  return cut + mark + suffix
}

/** `boundedName` for a sibling of `file` (same directory). */
export function boundedSibling(file: string, suffix: string, prefix = ''): string {
  return path.join(path.dirname(file), boundedName(prefix + path.basename(file), suffix))
}
