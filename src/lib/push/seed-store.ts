import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {type HeldBodies, heldBodyMissing} from '../archive/held-bodies.js'
import {MigrateError} from '../errors.js'
import {TOOL_DIR_NAME} from '../import/placement-rules.js'
import {createExclusive} from '../util/exclusive-file.js'

const ID = /^[\da-f]{32}$/
const COPY = /^[\da-f]{64}(?:\.\d+)?$/

/** The n-th stored copy of a body: `<sha256>`, `<sha256>.1`, … */
function copyName(sha256: string, n: number): string {
  return n === 0 ? sha256 : `${sha256}.${n}`
}

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
  private readonly claimed = new Map<string, number>()
  private readonly movedTo = new Map<string, string>()
  private readonly stored = new Map<string, number>()

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
    for (const name of fs.readdirSync(dir)) {
      if (!COPY.test(name)) continue
      store.bytes += fs.lstatSync(path.join(dir, name)).size
      const sha256 = name.slice(0, 64)
      store.stored.set(sha256, (store.stored.get(sha256) ?? 0) + 1)
    }

    return store
  }

  /**
   * Where a body with this sha256 lies, and whether it may be moved into place: each stored copy
   * once, so two files of the same content never share an inode; past the copies, the file the
   * first one became (to be copied). An error when phase one did not store it.
   */
  claim(sha256: string): {movable: boolean; path: string} {
    const used = this.claimed.get(sha256) ?? 0
    if (used < (this.stored.get(sha256) ?? 0)) {
      this.claimed.set(sha256, used + 1)
      return {movable: true, path: path.join(this.dir, copyName(sha256, used))}
    }

    const moved = this.movedTo.get(sha256)
    if (moved) return {movable: false, path: moved}
    throw heldBodyMissing(sha256)
  }

  moved(sha256: string, to: string): void {
    if (!this.movedTo.has(sha256)) this.movedTo.set(sha256, to)
  }

  /**
   * Stores one body from `chunks`, named by its sha256, with the mode and time of its file. Returns
   * the hash, or null when it is another copy of content already stored.
   */
  async put(chunks: AsyncIterable<Buffer>, seq: number, meta: {mode: number; mtime: Date}): Promise<null | string> {
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

    try {
      // As the import will set them (finalMode), so moving the body into place needs no change.
      fs.fchmodSync(fd, meta.mode & 0o755)
      fs.futimesSync(fd, meta.mtime, meta.mtime)
    } finally {
      fs.closeSync(fd)
    }

    const sha256 = hash.digest('hex')
    // One copy per file, even of the same content: each is later moved into place, none copied
    // while the gateway is down. The store is this run's own fresh dir: the names are free.
    const copies = this.stored.get(sha256) ?? 0
    this.stored.set(sha256, copies + 1)
    fs.renameSync(incoming, path.join(this.dir, copyName(sha256, copies)))
    return copies === 0 ? sha256 : null
  }

  /**
   * Writes what phase one stored out to the disk now, while the old gateway still runs: left to
   * the kernel's writeback, it lands during phase two and slows the moves into place (downtime).
   */
  flush(): void {
    // coreutils `sync -f`: syncfs(2) of this store's file system; Node has no binding for it.
    spawnSync('sync', ['-f', this.dir], {stdio: 'ignore', timeout: 120_000})
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
