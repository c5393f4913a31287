import type {Readable} from 'node:stream'

import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../../errors.js'
import {isSqliteName} from '../../inventory/rules.js'
import {createExclusive} from '../../util/exclusive-file.js'
import {EntryLedger} from '../entry-ledger.js'
import {INDEX_ENTRY, MANIFEST_ENTRY, ROOTS_DIR} from '../manifest.js'
import {rawEntryOf, unsafeForeign, walkTar} from './tar-walk.js'

/** Small metadata files copied aside in the first pass: configs, `$include`s, plugin package records. */
const META_MAX_BYTES = 1024 * 1024
const META_BUDGET = 64 * 1024 * 1024
const META_NAME = /\.json5?$/

export type ForeignScan = {
  /** Every raw entry in archive order (path, type, size, mode, mtime, sha256, linkpath). */
  entries: EntryLedger
  /** Private dir mirroring the raw paths of the files copied aside (`mirror/<raw path>`). */
  mirror: string
  /** Raw paths copied into the mirror. */
  mirrored: Set<string>
}

/** Databases and their side files are copied aside whatever their size: they are checked and counted. */
export function isDatabaseOrSideFile(name: string): boolean {
  return isSqliteName(name) || /\.(sqlite|sqlite3|db)-(wal|journal)$/.test(name)
}

function wantsCopy(name: string, size: number, metaUsed: number): 'db' | 'meta' | null {
  const base = path.posix.basename(name)
  if (isDatabaseOrSideFile(base)) return 'db'
  if (!META_NAME.test(base) || size > META_MAX_BYTES || metaUsed + size > META_BUDGET) return null
  const parts = name.split('/')
  if (parts.includes('.git')) return null
  const nm = parts.lastIndexOf('node_modules')
  // Inside node_modules only a package's own records: node_modules/<name>/… or node_modules/@scope/<name>/…
  if (nm !== -1) {
    const rest = parts.slice(nm + 1)
    const depth = rest[0]?.startsWith('@') ? 3 : 2
    if (rest.length !== depth || !['openclaw.plugin.json', 'package.json'].includes(base)) return null
  }

  return 'meta'
}

/**
 * The first pass over a foreign archive: every entry's name is checked, every body hashed (the
 * second pass is verified against these hashes by the native reader), and configs, plugin
 * records and SQLite databases are copied into a private mirror so the layout, counts and
 * database checks can be worked out before anything is planned.
 */
export async function scanForeign(tar: Readable, scratch: string): Promise<ForeignScan> {
  const mirror = path.join(scratch, 'mirror')
  fs.mkdirSync(mirror, {mode: 0o700})
  const entries = new EntryLedger(fs.mkdtempSync(path.join(scratch, 'raw-')))
  const mirrored = new Set<string>()
  let metaUsed = 0
  try {
    await walkTar(tar, async (entry) => {
      const raw = rawEntryOf(entry)
      if (!raw) {
        entry.resume()
        return
      }

      if (raw.path === INDEX_ENTRY || raw.path.startsWith(`${ROOTS_DIR}/`) || raw.path === MANIFEST_ENTRY) {
        throw new MigrateError(
          'ARCHIVE_CORRUPT',
          'The archive does not start with its manifest: an openclaw-migrate archive, damaged or reordered.',
          {suggestions: ['Copy the archive again and retry; if it persists, export again.']},
        )
      }

      if (entries.has(raw.path)) throw unsafeForeign(raw.path, 'the archive holds it twice')
      if (raw.type !== 'file') {
        entry.resume()
        entries.add(raw.path, {linkpath: raw.linkpath, mode: raw.mode, mtime: raw.mtime, size: 0, type: raw.type})
        return
      }

      const copy = wantsCopy(raw.path, raw.size, metaUsed)
      let fd: null | number = null
      if (copy) {
        const file = path.join(mirror, ...raw.path.split('/'))
        // Only this process creates anything below the mirror, and never a symlink: mkdir cannot be redirected.
        fs.mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
        fd = createExclusive(file)
        if (copy === 'meta') metaUsed += raw.size
        mirrored.add(raw.path)
      }

      const hash = createHash('sha256')
      let size = 0
      try {
        for await (const chunk of entry) {
          hash.update(chunk)
          size += chunk.length
          if (fd !== null) fs.writeSync(fd, chunk)
        }
      } finally {
        if (fd !== null) fs.closeSync(fd)
      }

      if (size !== raw.size)
        throw new MigrateError('ARCHIVE_TRUNCATED', `The archive is truncated (${raw.path} ends early).`, {
          suggestions: ['Copy the archive again and retry.'],
        })
      entries.add(raw.path, {mode: raw.mode, mtime: raw.mtime, sha256: hash.digest('hex'), size, type: 'file'})
    })
  } catch (error) {
    entries.close()
    throw error
  }

  return {entries, mirror, mirrored}
}
