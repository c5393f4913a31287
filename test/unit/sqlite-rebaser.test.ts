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

  it('rewrites path cells across pages, JSON cells and WITHOUT ROWID tables; re-derives sha256 keys with their references', async () => {
    const {remaining, rewrites} = await rebaseDatabase(file, mapper)
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

  it('is all or nothing: a failure leaves the database as it was', async () => {
    const db = new DatabaseSync(file)
    // A constraint the rewritten value breaks makes the whole rebase fail, after other tables changed.
    db.exec(`CREATE TABLE zz_guarded (v TEXT CHECK (v NOT LIKE '${NEW}%'))`)
    db.prepare('INSERT INTO zz_guarded VALUES (?)').run(`${OLD}/x`)
    db.close()
    const before = fs.readFileSync(file)
    const error = await rebaseDatabase(file, mapper).then(
      () => null,
      (error_: Error) => error_,
    )
    expect(error?.message).to.match(/CHECK constraint/)
    // The archive's schema refuses this machine's paths: an archive code (exit 3), never INTERNAL.
    expect((error as null | {code?: string})?.code).to.equal('ARCHIVE_DATABASE_REBASE')
    expect(fs.readFileSync(file).equals(before)).to.equal(true)
  })

  describe('an archived database is data, not code', () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (error: {code?: string}) => error.code ?? 'no code',
      )

    it("never runs the archive's triggers (one writing a row, one recursive), and keeps them in the schema", async () => {
      const db = new DatabaseSync(file)
      db.exec(`
        CREATE TABLE spy (what TEXT);
        CREATE TRIGGER writes_a_row AFTER UPDATE ON notes BEGIN INSERT INTO spy VALUES ('fired'); END;
        CREATE TRIGGER forever AFTER UPDATE ON workspaces BEGIN UPDATE workspaces SET dir = dir WHERE 1; END;
        PRAGMA recursive_triggers = ON;
      `)
      const schema = () => db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all()
      const triggers = schema()
      db.close()
      await rebaseDatabase(file, mapper)
      const after = new DatabaseSync(file, {readOnly: true})
      try {
        expect(after.prepare('SELECT count(*) AS n FROM spy').get()).to.deep.equal({n: 0})
        expect(
          after.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all(),
        ).to.deep.equal(triggers)
        expect(after.prepare('SELECT dir FROM workspaces').get()).to.deep.equal({dir: `${NEW}/.openclaw/workspace`})
      } finally {
        after.close()
      }
    })

    it('rebuilds an external-content full-text index whose content table was rebased', async () => {
      const db = new DatabaseSync(file)
      db.exec(`
        CREATE TABLE paths (id INTEGER PRIMARY KEY, p TEXT);
        CREATE VIRTUAL TABLE paths_fts USING fts5(p, content = 'paths', content_rowid = 'id');
        CREATE TRIGGER paths_ai AFTER INSERT ON paths BEGIN INSERT INTO paths_fts(rowid, p) VALUES (new.id, new.p); END;
        CREATE TRIGGER paths_au AFTER UPDATE ON paths BEGIN
          INSERT INTO paths_fts(paths_fts, rowid, p) VALUES ('delete', old.id, old.p);
          INSERT INTO paths_fts(rowid, p) VALUES (new.id, new.p);
        END;
      `)
      db.prepare('INSERT INTO paths (p) VALUES (?)').run(`${OLD}/notes/today.md`)
      db.close()
      await rebaseDatabase(file, mapper)
      const after = new DatabaseSync(file, {readOnly: true})
      try {
        expect(after.prepare("SELECT count(*) AS n FROM paths_fts WHERE paths_fts MATCH 'srv'").get()).to.deep.equal({
          n: 1,
        })
        expect(after.prepare("SELECT count(*) AS n FROM paths_fts WHERE paths_fts MATCH 'alice'").get()).to.deep.equal({
          n: 0,
        })
      } finally {
        after.close()
      }
    })

    it('a file listed as a database that is not one: ARCHIVE_NOT_DATABASE (exit 3), file unchanged', async () => {
      fs.writeFileSync(file, 'this is not a database, just text padded out\n'.repeat(100))
      const before = fs.readFileSync(file)
      expect(await codeOf(rebaseDatabase(file, mapper))).to.equal('ARCHIVE_NOT_DATABASE')
      expect(fs.readFileSync(file).equals(before)).to.equal(true)
    })

    it('a malformed database: ARCHIVE_DATABASE_CORRUPT before anything is changed', async () => {
      const bytes = fs.readFileSync(file)
      // Scribble over the second page (a b-tree page) but keep the header valid.
      bytes.fill(0x5a, 4096 + 8, 4096 + 512)
      fs.writeFileSync(file, bytes)
      expect(await codeOf(rebaseDatabase(file, mapper))).to.equal('ARCHIVE_DATABASE_CORRUPT')
    })

    it('a side file that is a symlink (SQLite would write through it): refused before opening', async () => {
      const outside = path.join(dir, 'outside.txt')
      fs.writeFileSync(outside, 'keep me\n')
      fs.symlinkSync(outside, `${file}-journal`)
      expect(await codeOf(rebaseDatabase(file, mapper))).to.equal('ARCHIVE_UNSAFE_ENTRY')
      expect(fs.readFileSync(outside, 'utf8')).to.equal('keep me\n')
    })

    it('a text cell above the limit is refused unread: ARCHIVE_CELL_TOO_LARGE, memory stays flat', async () => {
      const db = new DatabaseSync(file)
      // 80 MB of text starting with an old path, made by SQLite itself (never held by this process).
      db.exec(
        `INSERT INTO notes (path, body, size) VALUES ('${OLD}/' || replace(hex(zeroblob(40000000)), '0', 'a'), 'x', 0)`,
      )
      db.close()
      const before = process.memoryUsage().rss
      expect(await codeOf(rebaseDatabase(file, mapper))).to.equal('ARCHIVE_CELL_TOO_LARGE')
      expect(process.memoryUsage().rss - before, 'the cell was never loaded').to.be.below(60 * 1024 * 1024)
    })
  })
})
