import {createHash} from 'node:crypto'
import {DatabaseSync} from 'node:sqlite'

import type {PathMapper} from './path-mapper.js'

export interface SqliteRewrite {
  table: string
  column: string
  rows: number
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
export function rebaseCell(value: string, mapper: PathMapper): string | null {
  const direct = mapper.map(value)
  if (direct !== null) return direct
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

function tablesAndTextColumns(db: DatabaseSync): {table: string; columns: string[]}[] {
  const all = db.prepare("SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'").all() as {name: string; sql: null | string}[]
  // Virtual tables (FTS) and their shadow tables follow their content tables through triggers.
  const virtual = all.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name)
  const tables = all.filter((t) => !virtual.includes(t.name) && !virtual.some((v) => t.name.startsWith(`${v}_`)) && !HISTORICAL_TABLES.has(t.name))
  return tables.map(({name}) => {
    const cols = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as {name: string; type: string}[]
    return {columns: cols.filter((c) => c.type === '' || /TEXT|CHAR|CLOB|JSON/i.test(c.type)).map((c) => c.name), table: name}
  })
}

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`

/**
 * Rebases absolute paths stored in a (staged, offline) database: every text cell that is an old
 * path, or a JSON value holding old paths (cron store_key, agent_databases.path, plugin
 * installPath, workspace setup state...). Schema-agnostic on purpose, so newer host versions with
 * more path columns are covered too. One transaction: all or nothing.
 */
export function rebaseDatabase(file: string, mapper: PathMapper): {rewrites: SqliteRewrite[]; remaining: SqliteRewrite[]} {
  const db = new DatabaseSync(file)
  const rewrites: SqliteRewrite[] = []
  const remaining: SqliteRewrite[] = []
  // Keys derived from paths (workspace_key = sha256(workspace path)) must follow their paths.
  const rekey = new Map<string, string>()
  const sha = (v: string) => createHash('sha256').update(v).digest('hex')
  try {
    db.function('migrate_rebase', {deterministic: true}, (value: unknown) => {
      if (typeof value !== 'string') return value as string
      const next = rebaseCell(value, mapper)
      if (next === null) return value
      if (mapper.map(value) !== null) rekey.set(sha(value), sha(next))
      return next
    })
    db.function('migrate_rekey', {deterministic: true}, (value: unknown) => (typeof value === 'string' ? (rekey.get(value) ?? value) : value) as string)
    const prefixes = mapper.oldPrefixes
    const needles = prefixes.flatMap((p) => (p.includes('\\') ? [p, JSON.stringify(p).slice(1, -1)] : [p]))
    const filterAll = (col: string) => needles.map(() => `instr(${quote(col)}, ?) > 0`).join(' OR ')
    db.exec('BEGIN IMMEDIATE')
    // Parent keys and the rows referencing them change in the same transaction: check at COMMIT.
    db.exec('PRAGMA defer_foreign_keys = ON')
    for (const {columns, table} of tablesAndTextColumns(db)) {
      for (const column of columns) {
        const where = `typeof(${quote(column)}) = 'text' AND (${filterAll(column)})`
        const result = db.prepare(`UPDATE ${quote(table)} SET ${quote(column)} = migrate_rebase(${quote(column)}) WHERE ${where} AND migrate_rebase(${quote(column)}) IS NOT ${quote(column)}`).run(...needles)
        if (Number(result.changes) > 0) rewrites.push({column, rows: Number(result.changes), table})
        const left = db.prepare(`SELECT count(*) AS n FROM ${quote(table)} WHERE ${where}`).get(...needles) as {n: number}
        if (Number(left.n) > 0) remaining.push({column, rows: Number(left.n), table})
      }
    }
    if (rekey.size > 0) {
      const keys = [...rekey.keys()]
      const placeholders = keys.map(() => '?').join(', ')
      for (const {columns, table} of tablesAndTextColumns(db)) {
        for (const column of columns) {
          const result = db.prepare(`UPDATE ${quote(table)} SET ${quote(column)} = migrate_rekey(${quote(column)}) WHERE ${quote(column)} IN (${placeholders})`).run(...keys)
          if (Number(result.changes) > 0) rewrites.push({column: `${column} (sha256 key)`, rows: Number(result.changes), table})
        }
      }
    }
    db.exec('COMMIT')
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw error
  } finally {
    db.close()
  }
  return {remaining, rewrites}
}
