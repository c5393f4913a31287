import type {Hash} from 'node:crypto'

import fs from 'node:fs'

/**
 * One buffer for every file: hashing tens of thousands of small files through a read stream each
 * costs more in stream set-up and 1 MiB allocations than the hashing itself.
 */
const HASH_BUFFER = Buffer.allocUnsafeSlow(1024 * 1024)

/**
 * Feeds an open file into `hash` from its start, synchronously, up to `limit` bytes (to its end
 * without one). Returns the bytes hashed: fewer than `limit` means the file is shorter.
 */
export function hashOpenFile(fd: number, hash: Hash, limit = Infinity): number {
  let position = 0
  while (position < limit) {
    const n = fs.readSync(fd, HASH_BUFFER, 0, Math.min(HASH_BUFFER.length, limit - position), position)
    if (n === 0) break
    hash.update(HASH_BUFFER.subarray(0, n))
    position += n
  }

  return position
}
