/** Read-only looks at a state dir: file hashes, config values, SQLite rows and path scans. */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

export function sha256(text: Buffer | string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Relative path → sha256 of every regular file under dir (skipping the named top-level dirs). */
export function hashTree(dir: string, skip: string[] = []): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), {withFileTypes: true})) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      if (!rel && skip.includes(entry.name)) continue
      if (entry.isDirectory()) walk(child)
      else if (entry.isFile()) out.set(child, sha256File(path.join(dir, child)))
    }
  }

  walk('')
  return out
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T
}

export function openDb(file: string): DatabaseSync {
  return new DatabaseSync(file, {readOnly: true})
}

export function rows<T = Record<string, unknown>>(file: string, sql: string, ...params: Array<number | string>): T[] {
  const db = openDb(file)
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

/** Every table.column (diagnostic_events excepted) whose text contains the needle, with a count and a sample. */
export function scanDb(
  file: string,
  needle: string,
  exceptTables: string[] = ['diagnostic_events'],
): Array<{cell: string; count: number; sample: string}> {
  const db = openDb(file)
  const hits: Array<{cell: string; count: number; sample: string}> = []
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{name: string}>
    for (const {name} of tables) {
      if (exceptTables.includes(name)) continue
      let columns: Array<{name: string}>
      try {
        columns = db.prepare(`PRAGMA table_info("${name}")`).all() as Array<{name: string}>
      } catch {
        continue
      }

      for (const {name: column} of columns) {
        try {
          const r = db
            .prepare(
              `SELECT count(*) AS n, min(substr(CAST("${column}" AS TEXT), max(1, instr(CAST("${column}" AS TEXT), ?) - 40), 160)) AS s FROM "${name}" WHERE instr(CAST("${column}" AS TEXT), ?) > 0`,
            )
            .get(needle, needle) as {n: number; s: null | string}
          if (r.n > 0)
            hits.push({cell: `${name}.${column}`, count: r.n, sample: String(r.s ?? '').replaceAll('\n', ' ')})
        } catch {
          // virtual/shadow tables that cannot be scanned this way
        }
      }
    }
  } finally {
    db.close()
  }

  return hits
}

export function countCells(file: string): {cells: number; tables: number} {
  const db = openDb(file)
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{name: string}>
    let cells = 0
    for (const {name} of tables) {
      try {
        const cols = (db.prepare(`PRAGMA table_info("${name}")`).all() as unknown[]).length
        const {n} = db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as {n: number}
        cells += cols * n
      } catch {}
    }

    return {cells, tables: tables.length}
  } finally {
    db.close()
  }
}

/** Files under a state dir that hold SQLite databases (for agent DBs). */
export function findFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(d, {withFileTypes: true})
    } catch {
      return
    }

    for (const e of entries) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && pattern.test(e.name)) out.push(p)
    }
  }

  walk(dir)
  return out
}
