import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'

/**
 * Publishing a finished file under its final name, never overwriting anything.
 *
 * A file is written under a partial name next to its final one (same directory, so same
 * filesystem) and published when complete: by link(2), which is atomic and fails when the
 * name exists; where the filesystem has no hard links (exFAT, FAT32, some FUSE and network
 * filesystems answer EPERM, ENOTSUP or ENOSYS), by an exclusive copy (O_EXCL: an existing name
 * is never replaced), flushed to the disk before the partial file goes. OpenClaw's own
 * `backup create` publishes the same way.
 */

/** Matches our partial names: `.<final name>.partial-<pid>-<8 hex>` (the pid of the writer). */
const PARTIAL_NAME = /^\..+\.partial-(\d+)-[\da-f]{8}$/
/** Partial names of earlier versions carried no pid: swept only when this old. */
const LEGACY_PARTIAL_NAME = /^\..+\.partial-[\da-f]{8}$/
const LEGACY_MAX_AGE_MS = 24 * 60 * 60 * 1000
const COPY_CHUNK = 1024 * 1024

/** Errors of link(2) that mean "this filesystem has no hard links", not "this cannot be written". */
const NO_HARD_LINKS = new Set(['EMLINK', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EXDEV'])

/** The partial name next to `finalPath`, unique to this process. */
export function partialPathFor(finalPath: string): string {
  const name = `.${path.basename(finalPath)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`
  return path.join(path.dirname(finalPath), name)
}

export type PublishMethod = 'copy' | 'link'

/**
 * Publishes `partial` as `finalPath` and removes `partial`. Never replaces an existing
 * `finalPath` (OUTPUT_EXISTS); a full disk during the copy is NO_SPACE and leaves no final file.
 */
export async function publishExclusive(partial: string, finalPath: string): Promise<PublishMethod> {
  try {
    try {
      await fs.promises.link(partial, finalPath)
      return 'link'
    } catch (error) {
      if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error
    }

    await copyExclusive(partial, finalPath)
    return 'copy'
  } catch (error) {
    throw publishError(error, finalPath)
  } finally {
    await fs.promises.rm(partial, {force: true})
  }
}

async function copyExclusive(from: string, to: string): Promise<void> {
  const source = await fs.promises.open(from, 'r')
  let out: fs.promises.FileHandle | undefined
  let complete = false
  try {
    // 'wx' is O_CREAT|O_EXCL: the copy fails, and creates nothing, if the name exists.
    out = await fs.promises.open(to, 'wx', 0o600)
    const buffer = Buffer.allocUnsafe(COPY_CHUNK)
    for (;;) {
      const {bytesRead} = await source.read(buffer, 0, COPY_CHUNK, null)
      if (bytesRead === 0) break
      let written = 0
      while (written < bytesRead) written += (await out.write(buffer, written, bytesRead - written)).bytesWritten
    }

    await out.sync()
    complete = true
  } finally {
    await source.close()
    if (out) {
      await out.close()
      // The name was created by this copy (O_EXCL), so a failed copy removes only its own file.
      if (!complete) await fs.promises.rm(to, {force: true})
    }
  }
}

/** The stable error for a failure to write or publish `finalPath`; other errors pass through. */
export function publishError(error: unknown, finalPath: string): Error {
  if (error instanceof MigrateError) return error
  const code = (error as NodeJS.ErrnoException).code ?? ''
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new MigrateError(
      'NO_SPACE',
      `The disk holding ${path.dirname(finalPath)} is full; the partial archive was removed.`,
      {cause: error, suggestions: ['Free space or choose another --output.']},
    )
  if (code === 'EEXIST')
    return new MigrateError('OUTPUT_EXISTS', `${finalPath} appeared while exporting; it was not overwritten.`, {
      cause: error,
      suggestions: ['Choose another --output.'],
    })
  // Some filesystems (fusefat) answer a full disk with EPERM: a write refused on a disk with no room left is NO_SPACE.
  if (code === 'EPERM' && diskFull(path.dirname(finalPath)))
    return new MigrateError(
      'NO_SPACE',
      `The disk holding ${path.dirname(finalPath)} is full; the partial archive was removed.`,
      {cause: error, suggestions: ['Free space or choose another --output.']},
    )
  if (['EACCES', 'EPERM', 'EROFS'].includes(code))
    return new MigrateError('OUTPUT_UNWRITABLE', `Cannot write ${finalPath} (${code}).`, {
      cause: error,
      suggestions: ['Choose a writable --output location.'],
    })
  return error instanceof Error ? error : new Error(String(error))
}

/** Less room left than one allocation unit of a stick (FAT clusters go up to 1 MiB). */
function diskFull(dir: string): boolean {
  try {
    const {bavail, bsize} = fs.statfsSync(dir)
    return bavail * bsize < 1024 * 1024
  } catch {
    return false
  }
}

function processGone(pid: number): boolean {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    // EPERM: the process exists and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Removes partial files that earlier writers left in `dir` when they were killed (SIGKILL, power
 * cut): only names of our pattern, only regular files of this user, only when the writer's pid is
 * gone (or, for the pid-less names of earlier versions, when a day old). Returns what it removed.
 * Best effort: a directory that cannot be listed sweeps nothing.
 */
export function sweepStalePartials(dir: string, now = Date.now()): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return []
  }

  const removed: string[] = []
  for (const name of names) {
    const match = PARTIAL_NAME.exec(name)
    if (!match && !LEGACY_PARTIAL_NAME.test(name)) continue
    const file = path.join(dir, name)
    try {
      const stat = fs.lstatSync(file)
      if (!stat.isFile() || (process.getuid && stat.uid !== process.getuid())) continue
      const stale = match ? processGone(Number(match[1])) : now - stat.mtimeMs > LEGACY_MAX_AGE_MS
      if (!stale) continue
      fs.rmSync(file, {force: true})
      removed.push(file)
    } catch {
      // Vanished or not ours to remove: leave it.
    }
  }

  return removed
}
