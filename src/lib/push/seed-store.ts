import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {type HeldBodies} from '../archive/archive-reader.js'
import {MigrateError} from '../errors.js'
import {TOOL_DIR_NAME} from '../import/placement-rules.js'
import {createExclusive} from '../util/exclusive-file.js'

const ID = /^[\da-f]{32}$/
const SHA256 = /^[\da-f]{64}$/
/** A store left by a push that died between its phases is removed by the next push after this. */
const STALE_MS = 24 * 60 * 60 * 1000

function storesDir(home: string): string {
  return path.join(home, TOOL_DIR_NAME, 'push-seeds')
}

function badId(id: string): MigrateError {
  return new MigrateError('USAGE', `"${id.slice(0, 80)}" is not a push id.`)
}

/**
 * The receiving end's copy of a push's phase one: file bodies sent while the old gateway still
 * ran, each stored under the sha256 this machine computed over the bytes it received. Phase two
 * names them instead of sending them again; the import hashes each again where it lands, and the
 * archive's index vouches for it like for any body. Private to this user (0700 dir, 0600 files),
 * under the tool's own dir where no archive root can land.
 */
export class SeedStore implements HeldBodies {
  bytes = 0
  private readonly movedTo = new Map<string, string>()

  private constructor(readonly dir: string) {}

  /** A new, empty store for push `id`; stale stores of dead pushes are removed on the way. */
  static create(home: string, id: string): SeedStore {
    if (!ID.test(id)) throw badId(id)
    const parent = storesDir(home)
    fs.mkdirSync(parent, {mode: 0o700, recursive: true})
    sweepStale(parent, id)
    const dir = path.join(parent, id)
    fs.rmSync(dir, {force: true, recursive: true}) // a retried phase one starts clean
    fs.mkdirSync(dir, {mode: 0o700})
    return new SeedStore(dir)
  }

  /** The store phase one filled for push `id`. */
  static open(home: string, id: string): SeedStore {
    if (!ID.test(id)) throw badId(id)
    const dir = path.join(storesDir(home), id)
    const stat = fs.lstatSync(dir, {throwIfNoEntry: false})
    if (!stat?.isDirectory())
      throw new MigrateError('PUSH_SEED_MISSING', `The copy sent ahead by push ${id} is not on this machine.`, {
        suggestions: ['Run the push again from the old machine.'],
      })
    const store = new SeedStore(dir)
    for (const name of fs.readdirSync(dir))
      if (SHA256.test(name)) store.bytes += fs.lstatSync(path.join(dir, name)).size
    return store
  }

  /**
   * Where the body with this sha256 lies, and whether it may be moved into place: only at its
   * first use, so two files of the same content never share an inode. An error when phase one
   * did not store it.
   */
  claim(sha256: string): {movable: boolean; path: string} {
    const moved = this.movedTo.get(sha256)
    if (moved) return {movable: false, path: moved}
    const file = path.join(this.dir, sha256)
    if (!SHA256.test(sha256) || !fs.lstatSync(file, {throwIfNoEntry: false})?.isFile())
      throw new MigrateError('PUSH_SEED_MISSING', `A file sent ahead by the push (${sha256.slice(0, 12)}…) is gone.`, {
        suggestions: ['Run the push again from the old machine.'],
      })
    return {movable: true, path: file}
  }

  moved(sha256: string, to: string): void {
    this.movedTo.set(sha256, to)
  }

  /**
   * Stores one body from `chunks`, named by its sha256. Returns the hash, or null when the same
   * content is already stored.
   */
  async put(chunks: AsyncIterable<Buffer>, seq: number): Promise<null | string> {
    const incoming = path.join(this.dir, `incoming-${seq}`)
    const fd = createExclusive(incoming)
    const hash = createHash('sha256')
    try {
      for await (const chunk of chunks) {
        hash.update(chunk)
        let offset = 0
        while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset)
      }
    } catch (error) {
      fs.closeSync(fd)
      fs.rmSync(incoming, {force: true})
      throw error
    }

    fs.closeSync(fd)
    const sha256 = hash.digest('hex')
    try {
      fs.linkSync(incoming, path.join(this.dir, sha256))
      return sha256
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null
      // No hard links here (FAT): rename, which cannot replace anything since the name is the content.
      if (fs.existsSync(path.join(this.dir, sha256))) return null
      fs.renameSync(incoming, path.join(this.dir, sha256))
      return sha256
    } finally {
      fs.rmSync(incoming, {force: true})
    }
  }

  remove(): void {
    fs.rmSync(this.dir, {force: true, recursive: true})
  }
}

/** Removes the stores of pushes that ended between their phases long ago (killed, cut off). */
function sweepStale(parent: string, keep: string): void {
  for (const name of fs.readdirSync(parent)) {
    if (name === keep || !ID.test(name)) continue
    const dir = path.join(parent, name)
    const stat = fs.lstatSync(dir, {throwIfNoEntry: false})
    if (stat?.isDirectory() && Date.now() - stat.mtimeMs > STALE_MS) fs.rmSync(dir, {force: true, recursive: true})
  }
}
