import fs from 'node:fs'
import path from 'node:path'

import type {AdoptedFile, ArchiveSink, FileWriter, PayloadEntry} from '../archive/archive-reader.js'
import type {RootTarget, TargetPlan} from './placement.js'

import {heldBodyMissing} from '../archive/held-bodies.js'
import {MigrateError} from '../errors.js'
import {createExclusive} from '../util/exclusive-file.js'
import {boundedSibling, isInside} from '../util/paths.js'
import {assertRealDir, mkdirNoFollow} from './no-follow.js'

export const STAGING_MARK = '.migrate-staging-'

export type StagedRoot = RootTarget & {
  createdParents: string[]
  /** Set when the root lands inside another root's target: it is staged inside that root's staging dir. */
  nestedIn?: string
  /** Where the root is being assembled; renamed onto `target` at activation (unless nested). */
  staging: string
}

/** Plans staging dirs on the same filesystem as each target, so activation is a rename. */
export function planStaging(plan: TargetPlan, runId: string): StagedRoot[] {
  const byDepth = plan.targets.toSorted((a, b) => a.target.length - b.target.length)
  const staged: StagedRoot[] = []
  for (const t of byDepth) {
    const outer = staged
      .filter((s) => s.root.type === 'dir' && isInside(t.target, s.target) && s.target !== t.target)
      .toSorted((a, b) => b.target.length - a.target.length)[0]
    if (outer) {
      staged.push({
        ...t,
        createdParents: [],
        nestedIn: outer.root.id,
        staging: path.join(outer.staging, path.relative(outer.target, t.target)),
      })
    } else {
      staged.push({
        ...t,
        createdParents: [],
        // A linked state dir is staged next to its real dir: same disk, so activation is a rename.
        staging: boundedSibling(t.landing ?? t.target, `${STAGING_MARK}${runId}`, '.'),
      })
    }
  }

  return staged
}

/** Creates missing parents of top-level staging dirs (0700), remembering them for rollback. */
export function prepareStagingParents(staged: StagedRoot[]): void {
  for (const s of staged) {
    if (s.nestedIn) continue
    let dir = path.dirname(s.staging)
    while (!fs.lstatSync(dir, {throwIfNoEntry: false})) dir = path.dirname(dir)
    // Placement checked the way down from this home (or the --map destination); what exists is real dirs.
    assertRealDir(dir)
    s.createdParents = mkdirNoFollow(dir, path.dirname(s.staging))
  }
}

export function removeStaging(staged: StagedRoot[]): void {
  for (const s of staged) if (!s.nestedIn) fs.rmSync(s.staging, {force: true, recursive: true})
  for (const s of staged.toReversed()) {
    for (const d of s.createdParents.toReversed()) {
      try {
        fs.rmdirSync(d)
      } catch {
        // not empty any more: someone else uses it now; leave it
      }
    }
  }
}

/**
 * Writes verified-as-they-arrive entries into staging. Files are created exclusively, never
 * through a symlink, owner-only until the final modes are applied after verification.
 *
 * The file system calls are synchronous: staging a small file (create, write, chmod, set times,
 * close) then costs a few microseconds of system calls instead of five thread-pool round trips,
 * which dominated importing a state of many small files. Decompression keeps running on the
 * thread pool meanwhile.
 */
export class StagingSink implements ArchiveSink {
  private readonly roots: Map<string, StagedRoot>

  constructor(
    staged: StagedRoot[],
    private readonly rebaseLink: (linkpath: string) => null | string,
    /** Final mode of a file from its archived mode (secrets 0600, nobody else writes). */
    private readonly modeFor: (entry: PayloadEntry) => number,
  ) {
    this.roots = new Map(staged.map((s) => [s.root.id, s]))
  }

  /** The top-level staging dir a nested root is staged in. */
  private outerStaging(s: StagedRoot): string {
    let outer = s
    while (outer.nestedIn) outer = this.roots.get(outer.nestedIn)!
    return outer.staging
  }

  stagedPath(entry: PayloadEntry): string {
    const s = this.roots.get(entry.root.id)!
    if (entry.root.type === 'file') return s.staging
    return entry.rel ? path.join(s.staging, ...entry.rel.split('/')) : s.staging
  }

  async directory(entry: PayloadEntry): Promise<void> {
    const dir = this.stagedPath(entry)
    const s = this.roots.get(entry.root.id)!
    // A nested root is created inside its outer root's staging one component at a time: a link
    // the outer root made on the way is refused, never followed.
    if (entry.rel === '' && s.nestedIn) mkdirNoFollow(this.outerStaging(s), dir)
    else fs.mkdirSync(dir, {mode: 0o700})
  }

  async symlink(entry: PayloadEntry): Promise<void> {
    let link = entry.linkpath!
    if (entry.linkKind === 'absolute-into-root') link = this.rebaseLink(link) ?? link
    fs.symlinkSync(link, this.stagedPath(entry))
  }

  /**
   * Moves a body held from a push's phase one into place: a hard link, then the store's name goes,
   * so nothing shares the inode. Null when this disk cannot link it here (another file system,
   * FAT): the body is then copied through file().
   */
  async adopt(entry: PayloadEntry, held: string): Promise<AdoptedFile | null> {
    const file = this.stagedPath(entry)
    const s = this.roots.get(entry.root.id)!
    if (entry.root.type === 'file' && s.nestedIn) mkdirNoFollow(this.outerStaging(s), path.dirname(file))
    try {
      fs.linkSync(held, file)
    } catch (error) {
      const {code} = error as NodeJS.ErrnoException
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EMLINK') return null
      if (code === 'ENOENT' && !fs.existsSync(held)) throw heldBodyMissing(path.basename(held))
      if (code === 'ENOSPC') throw noSpace(file)
      throw new MigrateError('TARGET_UNWRITABLE', `Cannot create ${file} while staging (${code}).`, {
        suggestions: ['Check the permissions of the target location.'],
      })
    }

    fs.unlinkSync(held)
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
    try {
      // Phase one stored it with the file's mode and time: usually nothing is left to change.
      const stat = fs.fstatSync(fd)
      const mode = this.modeFor(entry)
      if ((stat.mode & 0o7777) !== mode) fs.fchmodSync(fd, mode)
      if (stat.mtimeMs !== entry.mtime) fs.futimesSync(fd, new Date(entry.mtime), new Date(entry.mtime))
    } catch (error) {
      fs.closeSync(fd)
      throw error
    }

    return {fd, path: file}
  }

  async file(entry: PayloadEntry): Promise<FileWriter> {
    const file = this.stagedPath(entry)
    const s = this.roots.get(entry.root.id)!
    if (entry.root.type === 'file' && s.nestedIn) mkdirNoFollow(this.outerStaging(s), path.dirname(file))
    let fd: number
    try {
      fd = createExclusive(file)
    } catch (error) {
      const {code} = error as NodeJS.ErrnoException
      if (code === 'ENOSPC') throw noSpace(file)
      throw new MigrateError('TARGET_UNWRITABLE', `Cannot create ${file} while staging (${code}).`, {
        suggestions: ['Check the permissions of the target location.'],
      })
    }

    let position = 0
    let closed = false
    return {
      close: async () => {
        if (closed) return
        closed = true
        try {
          // Staging dirs are 0700, so the final mode can be set now without exposing anything.
          fs.fchmodSync(fd, this.modeFor(entry))
          const mtime = new Date(entry.mtime)
          fs.futimesSync(fd, mtime, mtime)
        } finally {
          fs.closeSync(fd)
        }
      },
      write(chunk: Buffer) {
        let offset = 0
        try {
          while (offset < chunk.length)
            offset += fs.writeSync(fd, chunk, offset, chunk.length - offset, position + offset)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpace(file)
          throw error
        }

        position += chunk.length
      },
    }
  }
}

function noSpace(file: string): MigrateError {
  return new MigrateError(
    'NO_SPACE',
    `The disk filled up while staging ${file}; nothing was activated and the staged files were removed.`,
    {
      suggestions: ['Free space on the target disk, then import again.'],
    },
  )
}
