import type {DatabaseSync, StatementSync} from 'node:sqlite'

import fs from 'node:fs'
import path from 'node:path'

import type {EntryType, IndexEntry} from './manifest.js'

import {openDatabase} from '../runtime/node-runtime.js'
import {createPrivateTempDir} from '../util/private-temp.js'

/** What the archive showed of an entry: its index line without the path. */
export type SeenEntry = Omit<IndexEntry, 'path'>

type Row = {
  linkpath: null | string
  mode: number
  mtime: number
  path: string
  sha256: null | string
  size: number
  type: EntryType
}

const toEntry = (row: Row): SeenEntry => {
  const entry: SeenEntry = {mode: row.mode, mtime: row.mtime, size: row.size, type: row.type}
  if (row.sha256 !== null) entry.sha256 = row.sha256
  if (row.linkpath !== null) entry.linkpath = row.linkpath
  return entry
}

/**
 * What the reader saw of every payload entry (path, type, size, mode, mtime, sha256), kept until
 * the index at the end of the archive can vouch for it and the verification has checked every
 * path against it. A year-old gateway has 100k+ files: held as JavaScript objects that was
 * ~50 MB of live heap, and V8 lets the heap grow to a multiple of what is live, so peak RSS grew
 * with the state. Here it lives in a SQLite file in a private (0700) scratch dir; the heap holds
 * a page cache of 2 MB whatever the number of files.
 *
 * Map-like on purpose (get, size, iteration in arrival order), so callers do not care.
 */
export class EntryLedger implements Iterable<[string, SeenEntry]> {
  private readonly db: DatabaseSync
  private readonly insert: StatementSync
  private readonly lookup: StatementSync
  private count = 0
  private closed = false

  constructor(private readonly dir: string = createPrivateTempDir('ledger')) {
    const file = path.join(dir, 'entries.sqlite')
    this.db = openDatabase(file)
    fs.chmodSync(file, 0o600)
    // A scratch table, rebuilt on every run: durability is not wanted, only bounded memory.
    this.db.exec(`
      PRAGMA journal_mode = OFF;
      PRAGMA synchronous = OFF;
      PRAGMA cache_size = -2048;
      PRAGMA temp_store = FILE;
      CREATE TABLE entries (seq INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, type TEXT NOT NULL, size INTEGER NOT NULL, mode INTEGER NOT NULL, mtime INTEGER NOT NULL, sha256 TEXT, linkpath TEXT);
      BEGIN;
    `)
    this.insert = this.db.prepare(
      'INSERT INTO entries (path, type, size, mode, mtime, sha256, linkpath) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    this.lookup = this.db.prepare('SELECT path, type, size, mode, mtime, sha256, linkpath FROM entries WHERE path = ?')
  }

  /** Records an entry; the reader refuses a duplicate path before it gets here (`has`). */
  add(key: string, entry: SeenEntry): void {
    this.insert.run(key, entry.type, entry.size, entry.mode, entry.mtime, entry.sha256 ?? null, entry.linkpath ?? null)
    this.count++
  }

  has(key: string): boolean {
    return this.lookup.get(key) !== undefined
  }

  get(key: string): SeenEntry | undefined {
    const row = this.lookup.get(key) as Row | undefined
    return row ? toEntry(row) : undefined
  }

  get size(): number {
    return this.count
  }

  /**
   * Every entry in the order it came out of the archive, one row in memory at a time.
   */
  *[Symbol.iterator](): Iterator<[string, SeenEntry]> {
    const statement = this.db.prepare(
      'SELECT seq, path, type, size, mode, mtime, sha256, linkpath FROM entries WHERE seq > ? ORDER BY seq LIMIT ?',
    )
    // Pages by seq rather than statement.iterate(), which Node 22.12 lacks.
    for (let after = -1; ;) {
      const page = statement.all(after, 512) as Array<Row & {seq: number}>
      for (const row of page) yield [row.path, toEntry(row)]
      if (page.length < 512) break
      after = page.at(-1)!.seq
    }
  }

  /** Removes the scratch file; safe to call twice. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.db.close()
    } finally {
      fs.rmSync(this.dir, {force: true, recursive: true})
    }
  }
}
