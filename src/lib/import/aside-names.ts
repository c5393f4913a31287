import path from 'node:path'

import {boundedName} from '../util/paths.js'

/** Suffixes of the copies an import moves aside, an undo steps away and a push retires (they hold secrets). */
export const ASIDE_MARK = '.pre-migrate-'
export const UNDONE_MARK = '.undone-'
export const RETIRED_MARK = '.moved-to-'

export type AsideKind = 'moved-aside' | 'retired' | 'undone'

/** `<UTC stamp>[-n]`: the stamp fileStamp() writes, and the counter a second copy in the same second gets. */
const STAMP = String.raw`(\d{8}T\d{6}Z)(?:-(\d{1,4}))?`
const SUFFIXES: Array<{kind: AsideKind; re: RegExp}> = [
  {kind: 'moved-aside', re: new RegExp(`${escape(ASIDE_MARK)}${STAMP}$`)},
  {kind: 'undone', re: new RegExp(`${escape(UNDONE_MARK)}${STAMP}$`)},
  // push: `<state>.moved-to-<host label>-<UTC>[-n]`, the label made of [\w.-] (ssh.ts parseDestination).
  {kind: 'retired', re: new RegExp(String.raw`${escape(RETIRED_MARK)}([\w.-]+?)-${STAMP}$`)},
]

function escape(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
}

export type MarkedName = {
  /** The push destination's label, for a retired copy. */
  host?: string
  kind: AsideKind
  stamp: string
  /** The marked part at the end of the name, e.g. `.pre-migrate-20261124T101500Z-2`. */
  suffix: string
}

/** The mark at the end of a file name, or null when the name carries none of this tool's marks. */
export function parseMarked(name: string): MarkedName | null {
  for (const {kind, re} of SUFFIXES) {
    const m = re.exec(name)
    if (!m || m.index === 0) continue
    return kind === 'retired' ? {host: m[1], kind, stamp: m[2], suffix: m[0]} : {kind, stamp: m[1], suffix: m[0]}
  }

  return null
}

/**
 * The name this tool gives a copy of `base` with this mark: asides and undone copies are bounded
 * to 255 bytes (boundedSibling), a retired copy is named in full (retire.ts).
 */
export function markedName(base: string, marked: MarkedName): string {
  return marked.kind === 'retired' ? base + marked.suffix : boundedName(base, marked.suffix)
}

/** True when `candidate` is exactly a name this tool gives a copy of `target` (of that kind, when given). */
export function isCopyOf(candidate: string, target: string, kind?: AsideKind): boolean {
  if (path.dirname(candidate) !== path.dirname(target)) return false
  const name = path.basename(candidate)
  const marked = parseMarked(name)
  if (!marked || (kind && marked.kind !== kind)) return false
  return markedName(path.basename(target), marked) === name
}

/** The UTC time a stamp names, or null when it names no real time. */
export function stampTime(stamp: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp)
  if (!m) return null
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number)
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? date : null
}
