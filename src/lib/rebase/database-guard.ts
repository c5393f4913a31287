import type {DatabaseSync} from 'node:sqlite'

import fs from 'node:fs'

import {MigrateError} from '../errors.js'
import {openDatabase} from '../runtime/node-runtime.js'

/** Text cells above this are refused, never loaded: memory stays bounded whatever an archive holds. */
export const MAX_CELL_BYTES = 64 * 1024 * 1024

const SIDE_FILES = ['-journal', '-wal', '-shm']

/**
 * Opens a staged database as data: a regular file (no link) whose side files, if any, are regular
 * files too (SQLite would write through a `-journal` link); schema functions untrusted; checked with
 * integrity_check before anything is changed. Errors get codes: not a database, malformed.
 */
export function openStagedDatabase(file: string, shown: string): DatabaseSync {
  for (const suffix of ['', ...SIDE_FILES]) {
    const stat = fs.lstatSync(`${file}${suffix}`, {throwIfNoEntry: false})
    if (stat && !stat.isFile())
      throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `${shown}${suffix} is not a regular file; refusing to open it.`)
  }

  let db: DatabaseSync | undefined
  try {
    db = openDatabase(file)
    // Functions named in the schema (views, triggers, indexes) are not trusted to have side effects.
    db.exec('PRAGMA trusted_schema = OFF')
    const rows = db.prepare('PRAGMA integrity_check(5)').all() as Array<{integrity_check: string}>
    if (rows.length !== 1 || rows[0].integrity_check !== 'ok')
      throw new MigrateError(
        'ARCHIVE_DATABASE_CORRUPT',
        `The database ${shown} fails SQLite's integrity check (${rows
          .map((r) => r.integrity_check)
          .join('; ')
          .slice(0, 300)}); nothing was activated.`,
        {suggestions: ['Export again on the old machine (it checks every snapshot), or import a good archive.']},
      )
    assertCellsBounded(db, shown)
    return db
  } catch (error) {
    db?.close()
    throw databaseError(error, shown)
  }
}

/**
 * Refuses a database holding a text value above MAX_CELL_BYTES. octet_length and typeof read a
 * cell's header, never its bytes: the value itself is never loaded, here or by the rebase.
 */
function assertCellsBounded(db: DatabaseSync, shown: string): void {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'")
    .all() as Array<{name: string}>
  for (const {name} of tables) {
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as Array<{name: string}>
    for (const {name: column} of columns) {
      const c = quote(column)
      const big = db
        .prepare(
          `SELECT octet_length(${c}) AS n FROM ${quote(name)} WHERE typeof(${c}) = 'text' AND octet_length(${c}) > ${MAX_CELL_BYTES} LIMIT 1`,
        )
        .get() as undefined | {n: number}
      if (big)
        throw new MigrateError(
          'ARCHIVE_CELL_TOO_LARGE',
          `${shown}: ${name}.${column} holds a text value of ${big.n} bytes; values above ${MAX_CELL_BYTES} bytes are refused.`,
          {suggestions: ['OpenClaw does not store values this large; the archive was crafted or damaged.']},
        )
    }
  }
}

/** SQLite's primary result codes an archived schema causes while its rows are rebased. */
const SQLITE_ERROR = 1
const SQLITE_CONSTRAINT = 19

/**
 * A failure while rebasing an opened, intact database: a constraint of the archive's schema that
 * this machine's paths break (CHECK, UNIQUE, foreign key), or SQL of that schema this tool will not
 * run (an untrusted function): the archive's database, not this machine and not a bug of the tool.
 */
export function rebaseError(error: unknown, shown: string): unknown {
  if (error instanceof MigrateError) return error
  const primary = ((error as {errcode?: number}).errcode ?? -1) & 0xff
  if (primary !== SQLITE_CONSTRAINT && primary !== SQLITE_ERROR) return databaseError(error, shown)
  return new MigrateError(
    'ARCHIVE_DATABASE_REBASE',
    `The database ${shown} refuses this machine's paths (${(error as Error).message}); nothing was activated.`,
    {
      cause: error,
      suggestions: [
        "Its own schema forbids the rebased values, which OpenClaw's databases never do: the archive was probably crafted or damaged. Export again on the old machine.",
      ],
    },
  )
}

/** SQLite's own failures with this product's codes. */
export function databaseError(error: unknown, shown: string): unknown {
  if (error instanceof MigrateError) return error
  const {errcode} = error as {errcode?: number}
  const message = (error as Error)?.message ?? String(error)
  if (errcode === 26 || /not a database/i.test(message))
    return new MigrateError('ARCHIVE_NOT_DATABASE', `${shown} is listed as a SQLite database but is not one.`, {
      suggestions: ['The archive was not made by openclaw-migrate or has been tampered with; do not import it.'],
    })
  if (errcode === 11 || /malformed|corrupt/i.test(message))
    return new MigrateError('ARCHIVE_DATABASE_CORRUPT', `The database ${shown} is malformed (${message}).`, {
      suggestions: ['Export again on the old machine, or import a good archive.'],
    })
  return error
}

/**
 * The archive's triggers must not run while this tool rebases: their SQL is the archive's (one
 * could write rows anywhere in the database, a recursive one never ends). They are saved, dropped
 * inside the rebase transaction and recreated before it commits, so the database ends with exactly
 * its own schema. External-content full-text indexes, which those triggers kept in step, are
 * rebuilt afterwards by SQLite's FTS module itself.
 */
export function withoutTriggers(db: DatabaseSync): {restore(rewrittenTables: Set<string>): void} {
  const triggers = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
    .all() as Array<{name: string; sql: string}>
  for (const t of triggers) db.exec(`DROP TRIGGER ${quote(t.name)}`)
  return {
    restore(rewrittenTables) {
      for (const t of triggers) db.exec(t.sql)
      const fts = db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")
        .all() as Array<{name: string; sql: string}>
      for (const v of fts) {
        const content = /content\s*=\s*['"]?([A-Za-z0-9_]+)['"]?/i.exec(v.sql)?.[1]
        if (content && rewrittenTables.has(content))
          db.exec(`INSERT INTO ${quote(v.name)}(${quote(v.name)}) VALUES('rebuild')`)
      }
    },
  }
}

export const quote = (id: string) => `"${id.replaceAll('"', '""')}"`
