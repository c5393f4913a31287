import path from 'node:path'

import {skipReason} from '../../inventory/rules.js'
import {isInside} from '../../util/paths.js'
import {type EntryType} from '../manifest.js'
import {type ForeignLayout, type LayoutRoot, rootHolding} from './foreign-layout.js'
import {type RawEntry, unsafeForeign} from './tar-walk.js'

/** One entry of the native stream the foreign archive becomes. */
export type NativeEntry = {
  archivePath: string
  linkpath?: string
  mode: number
  mtime: number
  /** The raw entry whose body this is; absent for directories made up for missing parents. */
  raw?: string
  rel: string
  root: LayoutRoot
  /** Carry this file (a database with its WAL folded in) instead of the raw body. */
  substitute?: string
  type: EntryType
}

export type Translation =
  | {action: 'drop'}
  | {action: 'emit'; entries: NativeEntry[]}
  | {action: 'skip'; path: string; reason: string; report: boolean}

/**
 * Turns the raw entries of a foreign archive, in archive order, into the entries of a native one:
 * renamed under `roots/<id>/`, regenerable content left out with the export's own rules, missing
 * parent directories made up (0700) so the native reader's "parent first" rule holds, later
 * duplicates of a made-up directory dropped. Deterministic: both passes get the same sequence.
 */
export class ForeignTranslator {
  private readonly emittedDirs = new Set<string>()
  private readonly reportedSkips = new Set<string>()

  constructor(
    private readonly layout: ForeignLayout,
    /** Raw database path → its folded copy in the mirror. */
    private readonly folded: Map<string, string>,
  ) {}

  next(raw: RawEntry): Translation {
    const {layout} = this
    if (layout.structural.has(raw.path)) return {action: 'drop'}
    const prefix = layout.skipPrefixes.find((s) => raw.path === s.prefix || raw.path.startsWith(`${s.prefix}/`))
    if (prefix) return this.skip(prefix.prefix, prefix.prefix, prefix.reason)
    const root =
      layout.roots.find((r) => r.type === 'file' && r.rawPath === raw.path) ?? rootHolding(layout.roots, raw.path)
    if (!root) {
      if (raw.type === 'dir' && layout.roots.some((r) => r.rawPath.startsWith(`${raw.path}/`))) return {action: 'drop'}
      if (layout.unclaimed === 'refuse')
        throw unsafeForeign(raw.path, 'it is not under any asset of the backup manifest')
      const top = raw.path.split('/', 1)[0]
      return this.skip(top, top, 'not an OpenClaw state dir, nor a workspace or agent dir its config names')
    }

    if (root.type === 'file') {
      if (raw.type !== 'file') throw unsafeForeign(raw.path, `${root.kind} ${root.sourcePath} must be a file`)
      const rel = path.posix.basename(root.sourcePath.replaceAll('\\', '/'))
      return {action: 'emit', entries: [this.native(raw, root, rel, `${root.archivePath}/${rel}`)]}
    }

    const rel = raw.path === root.rawPath ? '' : raw.path.slice(root.rawPath.length + 1)
    const parts = rel ? rel.split('/') : []
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/')
      const why = skipReason({includeLogs: false, isDir: true, name: parts[i - 1], rel: ancestor, rootKind: root.kind})
      if (why) return this.skip(`${root.rawPath}/${ancestor}`, this.oldPath(root, ancestor), why)
    }

    if (rel) {
      const name = parts.at(-1)!
      const sideOf = /^(.*)-(wal|shm|journal)$/.exec(raw.path)?.[1]
      if (sideOf && raw.type === 'file' && this.folded.has(sideOf))
        return this.skip(raw.path, this.oldPath(root, rel), 'SQLite side file, folded into its database')
      const why = skipReason({includeLogs: false, isDir: raw.type === 'dir', name, rel, rootKind: root.kind})
      if (why) return this.skip(raw.path, this.oldPath(root, rel), why, raw.type === 'dir')
      if (raw.type === 'symlink') {
        const into = this.linkIntoSkipped(raw.linkpath ?? '')
        if (into) return this.skip(raw.path, this.oldPath(root, rel), `link into ${into}`)
        this.refuseEscapingLink(raw, rel)
      }
    }

    const entries: NativeEntry[] = []
    for (let i = 0; i < parts.length; i++) {
      const dirRel = parts.slice(0, i).join('/')
      const key = dirRel ? `${root.archivePath}/${dirRel}` : root.archivePath
      if (this.emittedDirs.has(key)) continue
      this.emittedDirs.add(key)
      entries.push({archivePath: key, mode: 0o700, mtime: 0, rel: dirRel, root, type: 'dir'})
    }

    const key = rel ? `${root.archivePath}/${rel}` : root.archivePath
    if (raw.type === 'dir') {
      if (this.emittedDirs.has(key)) return entries.length > 0 ? {action: 'emit', entries} : {action: 'drop'}
      this.emittedDirs.add(key)
    }

    entries.push(this.native(raw, root, rel, key))
    return {action: 'emit', entries}
  }

  private native(raw: RawEntry, root: LayoutRoot, rel: string, archivePath: string): NativeEntry {
    return {
      archivePath,
      linkpath: raw.linkpath,
      mode: raw.mode,
      mtime: raw.mtime,
      raw: raw.path,
      rel,
      root,
      substitute: raw.type === 'file' ? this.folded.get(raw.path) : undefined,
      type: raw.type,
    }
  }

  private oldPath(root: LayoutRoot, rel: string): string {
    return rel ? path.posix.join(root.sourcePath, rel) : root.sourcePath
  }

  /**
   * The native reader accepts a link out of its root only when the export declared it; an archive
   * made by another tool declares nothing, so such a link is refused here, with what to do.
   */
  private refuseEscapingLink(raw: RawEntry, rel: string): void {
    const link = raw.linkpath ?? ''
    const inside = path.posix.isAbsolute(link)
      ? this.layout.roots.some((r) => r.type === 'dir' && isInside(link, r.sourcePath))
      : isInside(path.posix.join('/r', path.posix.dirname(rel), link), '/r')
    if (!inside)
      throw unsafeForeign(
        raw.path,
        `symlink leads out of the state dirs and workspaces being imported (-> ${link.slice(0, 200)}); an archive made by another tool cannot vouch for such a link: replace it with what it points to, or use openclaw-migrate export`,
      )
  }

  /** An absolute link into a part of a root that is left out (plugin-skills, npm/…) is left out too. */
  private linkIntoSkipped(linkpath: string): null | string {
    if (!path.posix.isAbsolute(linkpath)) return null
    for (const root of this.layout.roots) {
      if (root.type !== 'dir' || !isInside(linkpath, root.sourcePath)) continue
      const parts = path.posix.relative(root.sourcePath, linkpath).split('/')
      for (let i = 1; i <= parts.length; i++) {
        const rel = parts.slice(0, i).join('/')
        const rule = {includeLogs: false, name: parts[i - 1], rel, rootKind: root.kind}
        const why =
          skipReason({...rule, isDir: true}) ?? (i === parts.length ? skipReason({...rule, isDir: false}) : null)
        if (why) return why
      }
    }

    return null
  }

  private skip(key: string, oldPath: string, reason: string, subtree = true): Translation {
    const report = !this.reportedSkips.has(key)
    if (subtree) this.reportedSkips.add(key)
    return {action: 'skip', path: oldPath, reason, report}
  }
}
