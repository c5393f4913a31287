import type {Transform} from 'node:stream'

import os from 'node:os'
import v8 from 'node:v8'
import vm from 'node:vm'
import zlib from 'node:zlib'

export type Compression = 'gzip' | 'none' | 'zstd'

/** gzip -6, the level GNU tar -z and gzip use by default. */
export const GZIP_LEVEL = 6
export const ZSTD_LEVEL = 3
/**
 * Output chunk of the zlib engines. Node's default (16 KiB) costs one thread-pool round trip per
 * 16 KiB of output; 256 KiB makes those round trips rare without holding much memory.
 */
const ENGINE_CHUNK = 256 * 1024

/**
 * How many gzip members are compressed at once on libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise). One per core, at least 2 so compression overlaps the
 * main thread's reading and hashing even on one core, and never more than the pool has threads.
 */
export function gzipConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4
  return Math.max(2, Math.min(os.availableParallelism(), pool, 8))
}

/**
 * Compresses one block as a complete gzip member, on the thread pool. Members written one after
 * the other form one valid gzip stream (RFC 1952 §2.2: a gzip file is a series of members), read
 * as a whole by gzip/GNU tar and by zlib's gunzip, which is how pigz parallelises gzip.
 */
export function gzipMember(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlib.gzip(data, {chunkSize: ENGINE_CHUNK, level: GZIP_LEVEL}, (error, result) =>
      error ? reject(error) : resolve(result),
    )
  })
}

/** One zstd frame for the whole stream (with a content checksum), compressed on the thread pool. */
export function zstdCompressor(): Transform {
  return zlib.createZstdCompress({
    chunkSize: ENGINE_CHUNK,
    params: {[zlib.constants.ZSTD_c_checksumFlag]: 1, [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL},
  })
}

/** A streaming compressor (a single gzip member or zstd frame); the archive writer uses gzipMember for gzip. */
export function compressor(kind: Compression): null | Transform {
  switch (kind) {
    case 'gzip': {
      return zlib.createGzip({chunkSize: ENGINE_CHUNK, level: GZIP_LEVEL})
    }

    case 'zstd': {
      return zstdCompressor()
    }

    default: {
      return null
    }
  }
}

type Collect = (options: {type: 'major' | 'minor'}) => void
let collector: Collect | null | undefined

/**
 * Bounded-memory mode for the streaming operations (walk, export, import, check), set once per
 * process. Two V8 heuristics made the peak RSS grow with the size of the state:
 *
 * - The young generation grows (up to 2 × 32 MiB) whenever enough objects survive scavenges,
 *   which a walk over tens of thousands of entries always does. Growth is stopped by setting
 *   the semi-space growth factor to 1; it is read at every resize, so setting it at run time
 *   works (unlike --max-semi-space-size). Only sizing changes, never what is collected.
 * - Every chunk a zlib engine, age or a file read stream produces is a fresh off-heap buffer
 *   behind a tiny JS wrapper, so V8 only collects them once ~64 MiB of external memory has
 *   piled up (its external-memory soft limit), and malloc keeps what that garbage took. See
 *   GarbagePacer. V8's gc() is exposed for that to this module only (a new context), then
 *   hidden again.
 *
 * If the V8 flags are refused, nothing changes but the memory use.
 */
export function boundMemory(): Collect | null {
  if (collector === undefined) {
    try {
      v8.setFlagsFromString('--semi-space-growth-factor=1')
      v8.setFlagsFromString('--expose-gc')
      collector = vm.runInNewContext('gc') as Collect
      v8.setFlagsFromString('--no-expose-gc')
    } catch {
      collector = null
    }
  }

  return collector
}

/** Off-heap garbage (bytes) tolerated before a full collection. */
const EXTERNAL_BUDGET = 24 * 1024 * 1024
/** Heap garbage (bytes, young generation included) tolerated above the live heap before a full collection. */
const HEAP_BUDGET = 32 * 1024 * 1024

/**
 * Paces garbage collection over a byte stream (see boundMemory): after every `every` bytes, a
 * young-generation collection (a fraction of a millisecond) frees the stream's spent chunks;
 * chunks that lived long enough to be promoted are only freed by a full collection, run when
 * off-heap memory still exceeds a small budget afterwards.
 */
export class GarbagePacer {
  private readonly collect = boundMemory()
  private pending = 0
  /** Heap in use after the last full collection: what is really live. */
  private live = v8.getHeapStatistics().used_heap_size

  constructor(private readonly every = 4 * 1024 * 1024) {}

  add(bytes: number): void {
    this.pending += bytes
    if (this.pending < this.every || !this.collect) return
    this.pending = 0
    this.collect({type: 'minor'})
    // Per-entry objects (tar headers, promises, writers) of a 100k-file state live just long
    // enough to be promoted; V8 lets that old-generation garbage grow to a multiple of the live
    // heap before a full collection (5 GB import: 80 MB of heap for 30 MB live). A full
    // collection of a small live heap takes a few ms, so the garbage is kept to a fixed budget.
    if (
      process.memoryUsage().arrayBuffers > EXTERNAL_BUDGET ||
      v8.getHeapStatistics().used_heap_size > this.live + HEAP_BUDGET
    ) {
      this.collect({type: 'major'})
      this.live = v8.getHeapStatistics().used_heap_size
    }
  }
}

/** Identifies the compression from the first bytes of the (decrypted) stream. */
export function detectCompression(head: Buffer): 'unknown' | Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd_2f_b5_28) return 'zstd'
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'none'
  return 'unknown'
}

/** Decompressors read every gzip member (one or many) and the zstd frame. */
export function decompressor(kind: Compression): null | Transform {
  if (kind === 'gzip') return zlib.createGunzip({chunkSize: ENGINE_CHUNK})
  if (kind === 'zstd') return zlib.createZstdDecompress({chunkSize: ENGINE_CHUNK})
  return null
}

export function extensionFor(kind: Compression): string {
  return kind === 'gzip' ? '.tar.gz' : kind === 'zstd' ? '.tar.zst' : '.tar'
}
