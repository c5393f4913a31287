import type {DatabaseSync} from 'node:sqlite'

import fs from 'node:fs'
import {pathToFileURL} from 'node:url'

import {MigrateError} from '../errors.js'
import {openDatabase, sqliteModule} from '../runtime/node-runtime.js'

export type SnapshotResult = {
  integrity: string
  journalMode: string
}

function openSource(file: string): DatabaseSync {
  try {
    // Read-only first: a snapshot must not change the source, not even by checkpointing.
    const db = openDatabase(file, {readOnly: true})
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    return db
  } catch {
    // A WAL database without its -shm cannot be opened read-only; a normal open is safe (we never write).
    return openDatabase(file)
  }
}

/**
 * Captures a consistent copy of a live or WAL-mode database with SQLite's online backup API,
 * so uncheckpointed writes in `-wal` are included and no stray side files are needed.
 * The copy is integrity-checked before it is trusted.
 */
export async function snapshotDatabase(source: string, destination: string): Promise<SnapshotResult> {
  let db: DatabaseSync | undefined
  try {
    db = openSource(source)
    const journal =
      (db.prepare('PRAGMA journal_mode').get() as undefined | {journal_mode?: string})?.journal_mode ?? 'unknown'
    await copyConsistent(db, destination)
    fs.chmodSync(destination, 0o600)
    const integrity = checkIntegrity(destination)
    if (integrity !== 'ok') {
      throw new MigrateError(
        'SQLITE_INTEGRITY',
        `The database ${source} fails its integrity check (${integrity.split('\n', 1)[0]}).`,
        {
          suggestions: [
            'Stop the gateway and run `openclaw doctor --fix`, or restore this database from a backup, then export again.',
          ],
        },
      )
    }

    return {integrity, journalMode: journal}
  } catch (error) {
    if (error instanceof MigrateError) throw error
    throw new MigrateError(
      'SQLITE_SNAPSHOT_FAILED',
      `Could not snapshot the database ${source}: ${(error as Error).message}.`,
      {
        suggestions: ['Stop the gateway (or pass --stop-gateway) so the database is not locked, then export again.'],
      },
    )
  } finally {
    db?.close()
  }
}

/** Pages per backup step: all of them, so the copy is one step under one read transaction. */
const ALL_PAGES = 2_147_483_647

/**
 * SQLite's online backup API where this Node has it (22.16+, 23.8+, 24+); else `VACUUM INTO`,
 * which copies the database as one read transaction sees it (WAL content included) into a new
 * file: just as consistent, only without the incremental steps.
 * The backup runs as a single step: in small steps, every write by another connection restarts
 * it, and a database that keeps being written is never copied at all. One step holds one read
 * transaction, so it ends in time proportional to the file whatever the writers do; pages go
 * through SQLite's page cache, so memory stays flat.
 */
async function copyConsistent(db: DatabaseSync, destination: string): Promise<void> {
  const {backup} = sqliteModule()
  if (typeof backup === 'function') {
    await backup(db, destination, {rate: ALL_PAGES})
    return
  }

  db.prepare('VACUUM INTO ?').run(destination)
}

/** Integrity-checks a snapshot and makes it self-contained (rollback journal, no -wal to carry). */
export function checkIntegrity(file: string): string {
  const db = openDatabase(file)
  try {
    db.exec('PRAGMA journal_mode=DELETE')
    const rows = db.prepare('PRAGMA integrity_check').all() as Array<{integrity_check: string}>
    return rows.map((r) => r.integrity_check).join('\n')
  } finally {
    db.close()
  }
}

/**
 * Opens a source database for reading only, without creating `-wal`/`-shm` side files next to it
 * (a plain read-only open of a WAL database leaves them behind): with no `-wal` there is nothing
 * uncheckpointed to see, so the file can be read as immutable. Dry runs and checks rely on this.
 */
export function openReadOnlyQuiet(file: string): DatabaseSync {
  if (fs.existsSync(`${file}-wal`)) return openSource(file)
  const url = pathToFileURL(file)
  url.searchParams.set('immutable', '1')
  try {
    return openDatabase(url, {readOnly: true})
  } catch (error) {
    // Node before 22.15 takes no URL here; a read-only open of a database without -wal still changes nothing.
    if ((error as {code?: string}).code !== 'ERR_INVALID_ARG_TYPE') throw error
    return openDatabase(file, {readOnly: true})
  }
}

export function countRows(file: string, table: string): number {
  let db: DatabaseSync | undefined
  try {
    db = openReadOnlyQuiet(file)
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?").get(table)
    if (!exists) return 0
    return Number((db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as {n: number}).n)
  } catch {
    return 0
  } finally {
    db?.close()
  }
}
