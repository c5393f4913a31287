import type {DatabaseSync} from 'node:sqlite'

import {openReadOnlyQuiet} from './sqlite-snapshot.js'

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`

/**
 * The needles a text search needs: one that contains another is implied by it (`/home/ana/.openclaw`
 * by `/home/ana`), so a cell is tested once per independent prefix rather than once per mapping.
 */
export function minimalNeedles(needles: string[]): string[] {
  const unique = [...new Set(needles)].filter(Boolean)
  return unique.filter((n) => !unique.some((m) => m !== n && n.includes(m)))
}

/**
 * Counts, read-only, the text cells of a database that still mention any of the given prefixes.
 * SQL finds the cells that contain a prefix; `mentions` (the path mapper's rule, the one the
 * rebaser uses) then decides whether a cell really names a path below it: `/x/home2/...`
 * contains `/x/home` but does not mention it.
 */
export function scanDatabaseFor(
  file: string,
  needles: string[],
  mentions: (text: string) => boolean = () => true,
  skipTables = new Set<string>(['diagnostic_events']),
): Array<{column: string; rows: number; table: string}> {
  needles = minimalNeedles(needles)
  if (needles.length === 0) return []
  const db = openReadOnlyQuiet(file)
  const found: Array<{column: string; rows: number; table: string}> = []
  try {
    const tables = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{name: string; sql: null | string}>
    const virtual = tables.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name)
    for (const {name} of tables) {
      if (skipTables.has(name) || virtual.includes(name) || virtual.some((v) => name.startsWith(`${v}_`))) continue
      const cols = db.prepare('SELECT name, type FROM pragma_table_info(?)').all(name) as Array<{
        name: string
        type: string
      }>
      for (const c of cols) {
        if (c.type !== '' && !/TEXT|CHAR|CLOB|JSON/i.test(c.type)) continue
        const where = needles.map(() => `instr(${quote(c.name)}, ?) > 0`).join(' OR ')
        const cells = db
          .prepare(
            `SELECT ${quote(c.name)} AS v FROM ${quote(name)} WHERE typeof(${quote(c.name)}) = 'text' AND (${where})`,
          )
          .iterate(...needles) as Iterable<{v: string}>
        let rows = 0
        for (const cell of cells) if (mentions(cell.v)) rows++
        if (rows > 0) found.push({column: c.name, rows, table: name})
      }
    }
  } finally {
    db.close()
  }

  return found
}

/** Reads one JSON text cell (first column of the first row), read-only; null when absent or unreadable. */
export function readJsonCell(file: string, sql: string): unknown {
  let db: DatabaseSync | undefined
  try {
    db = openReadOnlyQuiet(file) // no -wal/-shm left next to the source: dry runs and checks write nothing
    const row = db.prepare(sql).get() as Record<string, unknown> | undefined
    const value = row ? Object.values(row)[0] : undefined
    return typeof value === 'string' ? JSON.parse(value) : null
  } catch {
    return null
  } finally {
    db?.close()
  }
}
