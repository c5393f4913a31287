import type {Transform} from 'node:stream'

import os from 'node:os'
import zlib from 'node:zlib'

import {zstdAvailable, zstdUnavailable} from '../runtime/node-runtime.js'

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
    zlib.gzip(data, {chunkSize: ENGINE_CHUNK, level: GZIP_LEVEL}, (error, result) => {
      if (error) reject(error)
      else resolve(result)
    })
  })
}

/** One zstd frame for the whole stream (with a content checksum), compressed on the thread pool. */
export function zstdCompressor(): Transform {
  if (!zstdAvailable()) throw zstdUnavailable(false)
  return zlib.createZstdCompress({
    chunkSize: ENGINE_CHUNK,
    params: {[zlib.constants.ZSTD_c_checksumFlag]: 1, [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL},
  })
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
  if (kind === 'zstd') {
    if (!zstdAvailable()) throw zstdUnavailable(true)
    return zlib.createZstdDecompress({chunkSize: ENGINE_CHUNK})
  }

  return null
}

export function extensionFor(kind: Compression): string {
  return kind === 'gzip' ? '.tar.gz' : kind === 'zstd' ? '.tar.zst' : '.tar'
}
