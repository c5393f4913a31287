/**
 * Finding archives where a user puts them (the current dir, ~/Downloads) and telling how one is
 * sealed, from names and the first bytes only: the age header names its recipient types in the
 * clear, so nothing secret is read or decrypted here.
 */
import fs from 'node:fs'
import path from 'node:path'

import {AGE_MAGIC} from './encryption.js'

/** `openclaw-migrate-<profile>-<host>-<UTC>.tar.gz.age` and the other names `export` writes. */
export const ARCHIVE_NAME = /^openclaw-migrate-.*\.tar\.(gz|zst)(\.age)?$/

export type ArchiveSeal = 'gzip' | 'passphrase' | 'recipients' | 'unknown' | 'zstd'

export type FoundArchive = {
  bytes: number
  mtimeMs: number
  path: string
  seal: ArchiveSeal
}

const HEAD_BYTES = 512

function head(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0))
  try {
    const buffer = Buffer.alloc(HEAD_BYTES)
    const read = fs.readSync(fd, buffer, 0, HEAD_BYTES, 0)
    return buffer.subarray(0, read)
  } finally {
    fs.closeSync(fd)
  }
}

/** How an archive is sealed: age to a passphrase (scrypt) or to recipients (X25519), or plain gzip/zstd. */
export function archiveSeal(file: string): ArchiveSeal {
  let bytes: Buffer
  try {
    bytes = head(file)
  } catch {
    return 'unknown'
  }

  const text = bytes.toString('latin1')
  if (text.startsWith(AGE_MAGIC)) {
    const stanzas = text
      .slice(AGE_MAGIC.length)
      .split('\n')
      .filter((l) => l.startsWith('-> '))
      .map((l) => l.split(' ', 2)[1])
    if (stanzas.includes('scrypt')) return 'passphrase'
    return stanzas.length > 0 ? 'recipients' : 'unknown'
  }

  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip'
  if (bytes.readUInt32LE(0) === 0xfd_2f_b5_28) return 'zstd'
  return 'unknown'
}

/** Archives named like ours in `dirs` (not recursive, regular files only), newest first. */
export function findArchives(dirs: string[]): FoundArchive[] {
  const found: FoundArchive[] = []
  for (const dir of new Set(dirs.map((d) => path.resolve(d)))) {
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }

    for (const name of names) {
      if (!ARCHIVE_NAME.test(name)) continue
      const file = path.join(dir, name)
      const stat = fs.lstatSync(file, {throwIfNoEntry: false})
      if (!stat?.isFile() || stat.size === 0) continue
      const seal = archiveSeal(file)
      if (seal === 'unknown') continue
      found.push({bytes: stat.size, mtimeMs: stat.mtimeMs, path: file, seal})
    }
  }

  return found.toSorted((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path))
}

/**
 * An age identity file kept next to an archive encrypted to recipients: `<archive>.key`,
 * `<archive>.identity`, `key.txt` or `identity.txt` in the same dir (the names `age-keygen -o`
 * users pick). Only its name is looked at here.
 */
export function identityBeside(archive: string): null | string {
  const dir = path.dirname(archive)
  const candidates = [
    `${archive}.key`,
    `${archive}.identity`,
    path.join(dir, 'key.txt'),
    path.join(dir, 'identity.txt'),
  ]
  return candidates.find((f) => fs.lstatSync(f, {throwIfNoEntry: false})?.isFile()) ?? null
}
