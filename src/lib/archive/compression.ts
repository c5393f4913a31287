import type {Transform} from 'node:stream'

import zlib from 'node:zlib'

export type Compression = 'gzip' | 'none' | 'zstd'

export function compressor(kind: Compression): Transform | null {
  switch (kind) {
    case 'gzip': {
      return zlib.createGzip({level: 6})
    }

    case 'zstd': {
      return zlib.createZstdCompress({params: {[zlib.constants.ZSTD_c_checksumFlag]: 1, [zlib.constants.ZSTD_c_compressionLevel]: 3}})
    }

    default: {
      return null
    }
  }
}

/** Identifies the compression from the first bytes of the (decrypted) stream. */
export function detectCompression(head: Buffer): Compression | 'unknown' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd_2f_b5_28) return 'zstd'
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'none'
  return 'unknown'
}

export function decompressor(kind: Compression): Transform | null {
  if (kind === 'gzip') return zlib.createGunzip()
  if (kind === 'zstd') return zlib.createZstdDecompress()
  return null
}

export function extensionFor(kind: Compression): string {
  return kind === 'gzip' ? '.tar.gz' : kind === 'zstd' ? '.tar.zst' : '.tar'
}
