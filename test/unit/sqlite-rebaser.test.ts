import {expect} from 'chai'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {PathMapper} from '../../src/lib/rebase/path-mapper.js'
import {rebaseDatabase} from '../../src/lib/rebase/sqlite-rebaser.js'

const OLD = '/home/alice'
const NEW = '/srv/bob'
const sha = (v: string) => createHash('sha256').update(v).digest('hex')

describe('rebaseDatabase (paged, schema-agnostic)', () => {
  let dir: string
  let file: string
  const mapper = new PathMapper([{from: OLD, reason: 'home', to: NEW}])

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-sqlite-rebaser-'))
    file = path.join(dir, 'db.sqlite')
    const db = new DatabaseSync(file)
    db.exec(`
      PRAGMA foreign_keys = ON;
      CREATE TABLE notes (id INTEGER PRIMARY KEY, path TEXT, body TEXT, size INTEGER);
      CREATE TABLE workspaces (workspace_key TEXT PRIMARY KEY, dir TEXT NOT NULL);
      CREATE TABLE runs (id INTEGER PRIMARY KEY, workspace_key TEXT REFERENCES workspaces(workspace_key), meta JSON);
      CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
      CREATE TABLE diagnostic_events (id INTEGER PRIMARY KEY, detail TEXT);
    `)
    const note = db.prepare('INSERT INTO notes (path, body, size) VALUES (?, ?, ?)')
    db.exec('BEGIN')
    // 1,234 rows: more than two pages, with rows that must stay untouched in between.
    for (let i = 0; i < 1234; i++) {
      note.run(
        i % 3 === 2 ? `/elsewhere/note-${i}.md` : `${OLD}/.openclaw/workspace/memory/note-${i}.md`,
        i % 10 === 0 ? `see ${OLD}/notes in the text` : 'plain',
        i,
      )
    }

    db.exec('COMMIT')
    const ws = `${OLD}/.openclaw/workspace`
    db.prepare('INSERT INTO workspaces VALUES (?, ?)').run(sha(ws), ws)
    db.prepare('INSERT INTO runs (workspace_key, meta) VALUES (?, ?)').run(
      sha(ws),
      JSON.stringify({cwd: `${OLD}/projects/x`, n: 1, tags: [`${OLD}/a`, 'b']}),
    )
    db.prepare('INSERT INTO kv VALUES (?, ?)').run('state', `${OLD}/.openclaw/state`)
    db.prepare('INSERT INTO kv VALUES (?, ?)').run('other', 'unrelated')
    db.prepare('INSERT INTO diagnostic_events (detail) VALUES (?)').run(`${OLD}/.openclaw happened`)
    db.close()
  })

  afterEach(() => {
    fs.rmSync(dir, {force: true, recursive: true})
  })

  it('rewrites path cells across pages, JSON cells and WITHOUT ROWID tables; re-derives sha256 keys with their references', () => {
    const {remaining, rewrites} = rebaseDatabase(file, mapper)
    const db = new DatabaseSync(file, {readOnly: true})
    try {
      const notes = db.prepare('SELECT id, path, body FROM notes ORDER BY id').all() as Array<{
        body: string
        id: number
        path: string
      }>
      expect(notes).to.have.length(1234)
      for (const [i, n] of notes.entries()) {
        expect(n.path).to.equal(
          i % 3 === 2 ? `/elsewhere/note-${i}.md` : `${NEW}/.openclaw/workspace/memory/note-${i}.md`,
        )
        // Free text is reported, never rewritten.
        expect(n.body).to.equal(i % 10 === 0 ? `see ${OLD}/notes in the text` : 'plain')
      }

      const ws = `${NEW}/.openclaw/workspace`
      expect(db.prepare('SELECT workspace_key, dir FROM workspaces').get()).to.deep.equal({
        dir: ws,
        workspace_key: sha(ws),
      })
      const run = db.prepare('SELECT workspace_key, meta FROM runs').get() as {meta: string; workspace_key: string}
      expect(run.workspace_key).to.equal(sha(ws))
      expect(JSON.parse(run.meta)).to.deep.equal({cwd: `${NEW}/projects/x`, n: 1, tags: [`${NEW}/a`, 'b']})
      expect(db.prepare("SELECT v FROM kv WHERE k = 'state'").get()).to.deep.equal({v: `${NEW}/.openclaw/state`})
      expect(db.prepare("SELECT v FROM kv WHERE k = 'other'").get()).to.deep.equal({v: 'unrelated'})
      // The audit table keeps history as it happened.
      expect(db.prepare('SELECT detail FROM diagnostic_events').get()).to.deep.equal({
        detail: `${OLD}/.openclaw happened`,
      })
      expect(db.prepare('PRAGMA foreign_key_check').all()).to.deep.equal([])
    } finally {
      db.close()
    }

    const count = (table: string, column: string) =>
      rewrites.find((r) => r.table === table && r.column === column)?.rows
    expect(count('notes', 'path')).to.equal(1234 - Math.floor(1234 / 3))
    expect(count('workspaces', 'dir')).to.equal(1)
    expect(count('workspaces', 'workspace_key (sha256 key)')).to.equal(1)
    expect(count('runs', 'workspace_key (sha256 key)')).to.equal(1)
    expect(count('runs', 'meta')).to.equal(1)
    expect(count('kv', 'v')).to.equal(1)
    expect(remaining).to.deep.equal([{column: 'body', rows: 124, table: 'notes'}])
  })

  it('is all or nothing: a failure leaves the database as it was', () => {
    const db = new DatabaseSync(file)
    // A trigger that fails on the first rewrite of kv makes the whole rebase fail.
    db.exec("CREATE TRIGGER boom BEFORE UPDATE ON kv BEGIN SELECT RAISE(ABORT, 'boom'); END")
    db.close()
    const withTrigger = fs.readFileSync(file)
    expect(() => rebaseDatabase(file, mapper)).to.throw(/boom/)
    expect(fs.readFileSync(file).equals(withTrigger)).to.equal(true)
  })
})
