import type {DatabaseSync} from 'node:sqlite'

import {createHash} from 'node:crypto'
import {setImmediate as yieldToLoop} from 'node:timers/promises'

import type {PathMapper} from './path-mapper.js'

import {MigrateError} from '../errors.js'
import {minimalNeedles} from '../sqlite/sqlite-scan.js'
import {openStagedDatabase, quote, rebaseError, withoutTriggers} from './database-guard.js'

export type SqliteRewrite = {
  column: string
  rows: number
  table: string
}

function rebaseJson(value: unknown, mapper: PathMapper): {changed: boolean; value: unknown} {
  if (typeof value === 'string') {
    const mapped = mapper.map(value)
    return mapped === null ? {changed: false, value} : {changed: true, value: mapped}
  }

  if (Array.isArray(value)) {
    let changed = false
    const out = value.map((v) => {
      const r = rebaseJson(v, mapper)
      changed ||= r.changed
      return r.value
    })
    return {changed, value: out}
  }

  if (value && typeof value === 'object') {
    let changed = false
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const r = rebaseJson(v, mapper)
      changed ||= r.changed
      out[k] = r.value
    }

    return {changed, value: out}
  }

  return {changed: false, value}
}

/** A whole path value, or a JSON document whose string values are paths; free text is left alone. */
export function rebaseCell(value: string, mapper: PathMapper): null | string {
  return mapper.map(value) ?? rebaseJsonText(value, mapper)
}

/** A JSON document whose string values are paths (cron store keys, plugin install records...). */
function rebaseJsonText(value: string, mapper: PathMapper): null | string {
  const trimmed = value.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const r = rebaseJson(JSON.parse(value), mapper)
      return r.changed ? JSON.stringify(r.value) : null
    } catch {
      return null
    }
  }

  return null
}

/** Audit logs record what happened where; rewriting them would falsify history. */
const HISTORICAL_TABLES = new Set(['diagnostic_events'])

function tablesAndTextColumns(db: DatabaseSync): Array<{columns: string[]; table: string}> {
  const all = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    .all() as Array<{name: string; sql: null | string}>
  // Virtual tables (FTS) and their shadow tables follow their content tables through triggers.
  const virtual = all.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name)
  const tables = all.filter(
    (t) =>
      !virtual.includes(t.name) && !virtual.some((v) => t.name.startsWith(`${v}_`)) && !HISTORICAL_TABLES.has(t.name),
  )
  return tables.map(({name}) => {
    const cols = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as Array<{
      name: string
      type: string
    }>
    return {
      columns: cols.filter((c) => c.type === '' || /TEXT|CHAR|CLOB|JSON/i.test(c.type)).map((c) => c.name),
      table: name,
    }
  })
}

/** Rows rebased per round trip: a bounded page keeps memory flat however many cells change. */
const PAGE = 500

function hasRowid(db: DatabaseSync, table: string): boolean {
  try {
    db.prepare(`SELECT rowid FROM ${quote(table)} LIMIT 0`)
    return true
  } catch {
    return false // WITHOUT ROWID
  }
}

/**
 * Rebases absolute paths stored in a (staged, offline) database: every text cell that is an old
 * path, or a JSON value holding old paths (cron store_key, agent_databases.path, plugin
 * installPath, workspace setup state...). Schema-agnostic on purpose, so newer host versions with
 * more path columns are covered too. One transaction: all or nothing.
 *
 * Cells are read and written a page of rows at a time by rowid rather than by one UPDATE calling a
 * JavaScript function: node:sqlite keeps every value such a function sees alive until the statement
 * ends, so a memory index of 100k notes cost ~100 MB of heap; paged, it is a few hundred rows.
 */
export async function rebaseDatabase(
  file: string,
  mapper: PathMapper,
  options: {shown?: string; signal?: AbortSignal} = {},
): Promise<{remaining: SqliteRewrite[]; rewrites: SqliteRewrite[]}> {
  const shown = options.shown ?? file
  const db = openStagedDatabase(file, shown)
  if (mapper.mappings.every((m) => m.from === m.to)) {
    db.close()
    return {remaining: [], rewrites: []}
  }

  const rewrites: SqliteRewrite[] = []
  const remaining: SqliteRewrite[] = []
  const sha = (v: string) => createHash('sha256').update(v).digest('hex')
  try {
    const prefixes = mapper.oldPrefixes
    const needles = minimalNeedles(
      prefixes.flatMap((p) => (p.includes('\\') ? [p, JSON.stringify(p).slice(1, -1)] : [p])),
    )
    const filterAll = (col: string) => needles.map(() => `instr(${quote(col)}, ?) > 0`).join(' OR ')
    const mentions = (value: string) => needles.some((n) => value.includes(n))
    db.exec('BEGIN IMMEDIATE')
    const triggers = withoutTriggers(db)
    // Parent keys and the rows referencing them change in the same transaction: check at COMMIT.
    db.exec('PRAGMA defer_foreign_keys = ON')
    // Keys derived from paths (workspace_key = sha256(workspace path)) must follow their paths; the
    // pairs live in SQLite, not in the heap.
    db.exec('CREATE TEMP TABLE migrate_rekey (old TEXT PRIMARY KEY, new TEXT NOT NULL)')
    const addRekey = db.prepare('INSERT OR IGNORE INTO temp.migrate_rekey (old, new) VALUES (?, ?)')
    let rekeyed = 0
    const rebase = (value: string): null | string => {
      // A whole path may have a key derived from it elsewhere; a path inside JSON has not.
      const whole = mapper.map(value)
      const next = whole ?? rebaseJsonText(value, mapper)
      if (next === null || next === value) return null
      if (whole !== null) rekeyed += Number(addRekey.run(sha(value), sha(next)).changes)
      return next
    }

    const tables = tablesAndTextColumns(db)
    for (const {columns, table} of tables) {
      const paged = hasRowid(db, table)
      for (const column of columns) {
        const c = quote(column)
        const where = `typeof(${c}) = 'text' AND (${filterAll(column)})`
        let changed = 0
        let left = 0
        if (paged) {
          const select = `SELECT rowid AS rid, ${c} AS v FROM ${quote(table)} WHERE ${where}`
          const first = db.prepare(`${select} ORDER BY rowid LIMIT ${PAGE}`)
          const next = db.prepare(`${select} AND rowid > ? ORDER BY rowid LIMIT ${PAGE}`)
          const update = db.prepare(`UPDATE ${quote(table)} SET ${c} = ? WHERE rowid = ?`)
          first.setReadBigInts(true)
          next.setReadBigInts(true)
          for (let after: bigint | null = null; ;) {
            const rows = (after === null ? first.all(...needles) : next.all(...needles, after)) as Array<{
              rid: bigint
              v: string
            }>
            for (const row of rows) {
              const value = rebase(row.v)
              if (value !== null) {
                update.run(value, row.rid)
                changed++
              }

              if (mentions(value ?? row.v)) left++
            }

            if (rows.length < PAGE) break
            after = rows.at(-1)!.rid
            // Between pages Ctrl-C gets its turn: the transaction is rolled back, nothing is activated.
            await yieldToLoop()
            if (options.signal?.aborted)
              throw new MigrateError(
                'INTERRUPTED',
                'Import interrupted while rebasing a database; nothing was activated.',
              )
          }
        } else {
          // WITHOUT ROWID tables have no stable handle to page by; they are small keyed tables.
          db.function(
            'migrate_rebase',
            {deterministic: true},
            (value: unknown) => (typeof value === 'string' ? (rebase(value) ?? value) : value) as string,
          )
          changed = Number(
            db
              .prepare(
                `UPDATE ${quote(table)} SET ${c} = migrate_rebase(${c}) WHERE ${where} AND migrate_rebase(${c}) IS NOT ${c}`,
              )
              .run(...needles).changes,
          )
          left = Number(
            (db.prepare(`SELECT count(*) AS n FROM ${quote(table)} WHERE ${where}`).get(...needles) as {n: number}).n,
          )
        }

        if (changed > 0) rewrites.push({column, rows: changed, table})
        if (left > 0) remaining.push({column, rows: left, table})
      }
    }

    if (rekeyed > 0) {
      for (const {columns, table} of tables) {
        for (const column of columns) {
          const c = quote(column)
          const result = db
            .prepare(
              `UPDATE ${quote(table)} SET ${c} = (SELECT new FROM temp.migrate_rekey WHERE old = ${c}) WHERE ${c} IN (SELECT old FROM temp.migrate_rekey)`,
            )
            .run()
          if (Number(result.changes) > 0)
            rewrites.push({column: `${column} (sha256 key)`, rows: Number(result.changes), table})
        }
      }
    }

    db.exec('DROP TABLE temp.migrate_rekey')
    triggers.restore(new Set(rewrites.map((r) => r.table)))
    db.exec('COMMIT')
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw rebaseError(error, shown)
  } finally {
    db.close()
  }

  return {remaining, rewrites}
}
