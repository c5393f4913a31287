import type {DatabaseSync} from 'node:sqlite'

import {createHash} from 'node:crypto'
import fs from 'node:fs'

import {MigrateError} from '../../errors.js'
import {openDatabase} from '../../runtime/node-runtime.js'

const SIDE_FILES = ['-wal', '-journal'] as const

export function hasSqliteMagic(file: string): boolean {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
    const buf = Buffer.alloc(16)
    return fs.readSync(fd, buf, 0, 16, 0) === 16 && buf.toString('latin1') === 'SQLite format 3\0'
  } catch {
    return false
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

export function sha256File(file: string): {sha256: string; size: number} {
  const hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(1024 * 1024)
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  let size = 0
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
      size += n
    }
  } finally {
    fs.closeSync(fd)
  }

  return {sha256: hash.digest('hex'), size}
}

/** Opens an archived (untrusted) database copy: no extensions, schema code not trusted. */
function openUntrusted(file: string): DatabaseSync {
  const db = openDatabase(file, {allowExtension: false})
  db.exec('PRAGMA trusted_schema = OFF')
  return db
}

/**
 * A plain tar of a live state can hold a database next to its `-wal` (or a hot `-journal`): the
 * committed transactions in the WAL are part of the data. The copy in the private mirror is
 * opened so SQLite itself replays them, then checkpointed into the main file, which is what the
 * import then carries (the side files are left out). Returns true when something was folded.
 */
export function foldSideFiles(file: string): boolean {
  const present = SIDE_FILES.filter((s) => {
    const st = fs.lstatSync(`${file}${s}`, {throwIfNoEntry: false})
    return st?.isFile() && st.size > 0
  })
  for (const s of SIDE_FILES) if (!present.includes(s)) fs.rmSync(`${file}${s}`, {force: true})
  if (present.length === 0 || !hasSqliteMagic(file)) return false
  let db: DatabaseSync | undefined
  try {
    db = openUntrusted(file)
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  } catch (error) {
    throw corruptDatabase(file, (error as Error).message)
  } finally {
    db?.close()
  }

  for (const s of [...SIDE_FILES, '-shm']) fs.rmSync(`${file}${s}`, {force: true})
  return true
}

function corruptDatabase(what: string, detail: string): MigrateError {
  return new MigrateError(
    'ARCHIVE_CORRUPT',
    `The database ${what} in the archive fails SQLite's integrity check (${detail.split('\n', 1)[0].slice(0, 200)}).`,
    {
      suggestions: [
        'Make the archive again with the gateway stopped (`openclaw gateway stop`), or use openclaw-migrate export.',
      ],
    },
  )
}

/** SQLite's own integrity check of a database copy; refuses the archive when it fails. */
export function checkArchivedDatabase(file: string, archivePath: string): void {
  let db: DatabaseSync | undefined
  let result: string
  try {
    db = openUntrusted(file)
    const rows = db.prepare('PRAGMA integrity_check').all() as Array<{integrity_check: string}>
    result = rows.map((r) => r.integrity_check).join('\n')
  } catch (error) {
    result = (error as Error).message
  } finally {
    db?.close()
  }

  for (const s of [...SIDE_FILES, '-shm']) fs.rmSync(`${file}${s}`, {force: true})
  if (result !== 'ok') throw corruptDatabase(archivePath, result)
}
