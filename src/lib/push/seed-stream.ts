import fs from 'node:fs'
import path from 'node:path'
import {type Readable, type Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {Parser, type ReadEntry} from 'tar'

import {type Compression, decompressor, detectCompression} from '../archive/compression.js'
import {BlockPool, OutputClosed, sinkFor, TarBlocks} from '../archive/tar-blocks.js'
import {encodeTarHeader, tarPadding, tarTrailer} from '../archive/tar-format.js'
import {MigrateError} from '../errors.js'
import {type ExportPlan} from '../inventory/export-plan.js'
import {walkRoot} from '../inventory/tree-walker.js'
import {snapshotDatabase} from '../sqlite/sqlite-snapshot.js'
import {readHead} from '../util/stream-head.js'
import {type SeedStore} from './seed-store.js'

/** Phase one stops storing while the receiving disk would keep less than this free. */
const SEED_RESERVE_BYTES = 256 * 1024 * 1024

export type SeedTotals = {bytes: number; files: number}

/**
 * Phase one of a push, the sending end: every file the export would carry (empty ones aside), read
 * while the gateway keeps running, as a tar of bodies numbered in order. Nothing here has to be
 * consistent: a file that changes meanwhile is simply sent again in phase two, which hashes
 * everything after the gateway stopped. Databases go as online-backup snapshots.
 */
export async function writeSeedStream(
  plan: ExportPlan,
  output: Writable,
  options: {compression: Compression; onProgress?: (totals: SeedTotals) => void; tempDir: string},
): Promise<SeedTotals> {
  const pool = new BlockPool()
  const sink = sinkFor(options.compression, pool)
  const tar = new TarBlocks(pool, sink)
  const totals: SeedTotals = {bytes: 0, files: 0}
  const sqlite = new Set(plan.sqlite.map((s) => s.source))
  const snapshot = path.join(options.tempDir, 'seed-snapshot.sqlite')

  const produce = async () => {
    for (const root of plan.roots) {
      for await (const event of walkRoot(root, plan.walk)) {
        if (event.kind === 'skip' || event.entry.type !== 'file') continue
        let source = event.entry.abs
        if (sqlite.has(source)) {
          fs.rmSync(snapshot, {force: true})
          const taken = await snapshotDatabase(source, snapshot).catch(() => null)
          if (!taken) continue // busy or damaged: phase two deals with it, gateway stopped
          source = snapshot
        }

        await sendBody(tar, source, totals)
        options.onProgress?.(totals)
      }
    }

    await tar.write(tarTrailer())
    await tar.end()
  }

  const [produced, consumed] = await Promise.allSettled([
    produce().catch((error: unknown) => {
      sink.output.destroy(error as Error)
      throw error
    }),
    pipeline(sink.output, output),
  ])
  fs.rmSync(snapshot, {force: true})
  if (produced.status === 'rejected' && !(produced.reason instanceof OutputClosed)) throw produced.reason as Error
  if (consumed.status === 'rejected') throw consumed.reason as Error
  if (produced.status === 'rejected') throw produced.reason as Error
  return totals
}

/** One body as entry number `files`; a file that shrinks while read is padded to keep the framing. */
async function sendBody(tar: TarBlocks, abs: string, totals: SeedTotals): Promise<void> {
  let fd: number
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch {
    return // unreadable or gone: the export proper reports it
  }

  try {
    const stat = fs.fstatSync(fd)
    const {size} = stat
    // Empty files are cheaper to create than to name.
    if (size === 0 || !stat.isFile()) return
    // The mode and time the archive will give it, so moving it into place later needs no change.
    const mtime = new Date(Math.floor(stat.mtimeMs / 1000) * 1000)
    await tar.write(encodeTarHeader({mode: stat.mode & 0o7777, mtime, path: String(totals.files), size, type: 'file'}))
    let position = 0
    while (position < size) {
      const room = tar.room()
      const want = Math.min(room.length, size - position)
      const n = fs.readSync(fd, room, 0, want, position)
      if (n === 0) room.fill(0, 0, want)
      position += n || want
      await tar.advance(n || want)
    }

    const pad = tarPadding(size)
    if (pad) await tar.write(pad)
    totals.files++
    totals.bytes += size
  } finally {
    fs.closeSync(fd)
  }
}

export type SeedReceipt = {
  bytes: number
  /** sha256 of every body now held, for the sender's phase two. */
  held: string[]
  /** Bodies not kept for lack of space (phase two sends them). */
  skipped: number
}

/**
 * Phase one, the receiving end: stores each body of the stream on stdin by the hash of what
 * arrived. Names, modes and times in this stream mean nothing: it decides no path at all.
 */
export async function receiveSeedStream(input: Readable, store: SeedStore): Promise<SeedReceipt> {
  const head = await readHead(input, (h) => h.length >= 512)
  const kind = detectCompression(head.head)
  if (kind === 'unknown') throw notSeed('not a tar')
  const body = head.rest()
  const decomp = decompressor(kind)
  const tar = decomp ? body.pipe(decomp) : body
  if (decomp)
    body.on('error', (error) => {
      decomp.destroy(error)
    })

  const receipt: SeedReceipt = {bytes: 0, held: [], skipped: 0}
  const parser = new Parser({strict: true})
  let chain = Promise.resolve()
  let failure: unknown
  let seq = 0
  const handle = async (entry: ReadEntry) => {
    if (failure || entry.type !== 'File' || !/^\d{1,12}$/.test(entry.path)) {
      if (!failure && entry.type !== 'File') failure = notSeed(`unexpected ${entry.type} entry`)
      entry.resume()
      return
    }

    const size = entry.size ?? 0
    const {bavail, bsize} = fs.statfsSync(store.dir)
    if (bavail * bsize - size < SEED_RESERVE_BYTES) {
      receipt.skipped++
      entry.resume()
      await new Promise((resolve) => {
        entry.once('end', resolve)
      })
      return
    }

    const sha256 = await store.put(entry, seq++, {mode: entry.mode ?? 0o600, mtime: entry.mtime ?? new Date(0)})
    if (sha256) receipt.held.push(sha256)
    receipt.bytes += size
  }

  await new Promise<void>((resolve, reject) => {
    parser.on('entry', (entry: ReadEntry) => {
      chain = chain
        .then(() => handle(entry))
        .catch((error: unknown) => {
          failure ??= error
          entry.resume()
        })
    })
    parser.on('error', reject)
    parser.on('end', resolve)
    parser.on('close', resolve)
    tar.on('error', reject)
    tar.pipe(parser)
  })
  await chain
  if (failure) throw failure as Error
  return receipt
}

function notSeed(why: string): MigrateError {
  return new MigrateError('ARCHIVE_CORRUPT', `The stream sent ahead by the push is not one (${why}).`, {
    suggestions: ['Run the push again; both machines need the same version of openclaw-migrate.'],
  })
}
