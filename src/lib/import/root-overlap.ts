import path from 'node:path'

import type {PayloadEntry} from '../archive/archive-reader.js'
import type {RootTarget} from './placement.js'

import {MigrateError} from '../errors.js'
import {isInside, toPosix} from '../util/paths.js'

/**
 * A root that lands inside another root's target (a workspace inside the state dir, or where a
 * --map puts it) is staged inside that root's staging dir. The outer root must then hold nothing at
 * or below that place (the exporter never writes it there: the outer walk skips nested roots);
 * otherwise two entries are the same file and which one lands depends on their order (the import
 * failed with TARGET_UNWRITABLE or ARCHIVE_UNSAFE_ENTRY while check said OK). Import and check call
 * this guard on every entry, before it is staged.
 */
export function rootOverlapGuard(targets: RootTarget[]): (entry: PayloadEntry) => void {
  const inner = new Map<string, Array<{id: string; mapped: boolean; rel: string; target: string}>>()
  for (const outer of targets) {
    if (outer.root.type !== 'dir') continue
    for (const t of targets) {
      if (t === outer || t.target === outer.target || !isInside(t.target, outer.target)) continue
      const list = inner.get(outer.root.id) ?? []
      list.push({
        id: t.root.id,
        mapped: t.why.startsWith('--map') || outer.why.startsWith('--map'),
        rel: toPosix(path.relative(outer.target, t.target)),
        target: t.target,
      })
      inner.set(outer.root.id, list)
    }
  }

  return (entry) => {
    const nested = inner.get(entry.root.id)
    if (!nested || entry.root.type !== 'dir') return
    const hit = nested.find((n) => entry.rel === n.rel || entry.rel.startsWith(`${n.rel}/`))
    if (!hit) return
    const what = `${entry.path} lies where root ${hit.id} lands (${hit.target})`
    if (hit.mapped)
      throw new MigrateError('USAGE', `${what}: the --map given puts that root inside root ${entry.root.id}.`, {
        suggestions: ['Use --map to place the root elsewhere.'],
      })
    throw new MigrateError(
      'ARCHIVE_UNSAFE_ENTRY',
      `${what}: a root's entries never overlap another root's (the exporter leaves nested roots out); refusing it.`,
    )
  }
}
