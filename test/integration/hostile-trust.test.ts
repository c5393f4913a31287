import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import type {ArchiveManifest} from '../../src/lib/archive/manifest.js'

import {runCli} from '../support/cli.js'
import {craftTar, minimalEntries, minimalManifest, withTotals} from '../support/hostile-archive.js'
import {
  changes,
  checkIn,
  configNaming,
  craft,
  importIn,
  makeScratch,
  OLD_HOME,
  OLD_STATE,
  type Scratch,
  scratchPrint,
  type Spec,
  tmpRoot,
  writeArchive,
} from '../support/trust-harness.js'

/**
 * Issue 11: nothing in an archive decides a path outside the plan the target computes. Each class of
 * the issue as a crafted archive (index and trailer recomputed, every hash right); import and
 * `check ARCHIVE` give the same code, and the whole scratch machine (home, temp dir, an outside dir
 * with a victim file) is byte-identical after every refusal.
 */
type Case = {
  accept?: boolean
  code: string
  /** Also try it as a dry run (same code, nothing written). */
  dryRun?: boolean
  name: string
  passphrase?: boolean
  spec: (s: Scratch) => Buffer | Spec
}

const OUTSIDE_ROOT = (sourcePath: string, kind: 'include' | 'workspace' = 'workspace') => ({
  config:
    kind === 'workspace'
      ? configNaming(sourcePath)
      : `{ "$include": ${JSON.stringify(sourcePath)}, gateway: { mode: "local" } }\n`,
  roots: [{id: 'x', kind, sourcePath, type: kind === 'include' ? ('file' as const) : ('dir' as const)}],
})

const CASES: Case[] = [
  {
    code: 'ARCHIVE_UNSAFE_ENTRY',
    name: 'a root nested under a symlink that an earlier entry pointed outside',
    spec: (s) => ({
      entries: [{linkpath: s.outside, path: 'roots/st/escape', type: 'SymbolicLink'}],
      manifest: (m) => m.symlinksOutside.push({path: `${OLD_STATE}/escape`, target: s.outside}),
      roots: [{id: 'ws', kind: 'workspace', sourcePath: `${OLD_STATE}/escape/ws`}],
    }),
  },
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    dryRun: true,
    name: 'a workspace at ~/.bashrc',
    spec: () => OUTSIDE_ROOT(`${OLD_HOME}/.bashrc`),
  },
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    name: 'an include at ~/.ssh/authorized_keys',
    spec: () => OUTSIDE_ROOT(`${OLD_HOME}/.ssh/authorized_keys`, 'include'),
  },
  {
    code: 'PLACEMENT_NEEDS_MAP',
    dryRun: true,
    name: 'a root outside every home (/etc/cron.d)',
    spec: () => OUTSIDE_ROOT('/etc/cron.d'),
  },
  {code: 'ARCHIVE_UNSAFE_PLACEMENT', name: 'a relative source path', spec: () => OUTSIDE_ROOT('projects/ws')},
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    name: 'a profile named x/../../escaped',
    spec: () => ({
      manifest(m) {
        m.profiles[0].profile = 'x/../../escaped'
        for (const r of m.roots) r.profile = 'x/../../escaped'
      },
    }),
  },
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    name: "a root inside the tool's own dir (~/.openclaw-migrate/imports)",
    spec: () => OUTSIDE_ROOT(`${OLD_HOME}/.openclaw-migrate/imports`),
  },
  {
    code: 'ARCHIVE_UNSAFE_ENTRY',
    dryRun: true,
    name: 'a root id ".."',
    spec: () => ({
      manifest(m) {
        m.roots.push({
          archivePath: 'roots/..',
          id: '..',
          kind: 'workspace',
          profile: null,
          sourcePath: `${OLD_HOME}/w`,
          type: 'dir',
        })
      },
    }),
  },
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    name: "a workspace in another program's dotfiles (~/.config/autostart), named by the config",
    spec: () => OUTSIDE_ROOT(`${OLD_HOME}/.config/autostart`),
  },
  {
    accept: true,
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    name: 'a workspace the archived config does not name (accepted placement)',
    spec: () => ({...OUTSIDE_ROOT(`${OLD_HOME}/projects/ws`), config: '{ gateway: { mode: "local" } }\n'}),
  },
  {
    code: 'PLACEMENT_CONSENT',
    dryRun: true,
    name: 'a root outside the state dir in an unauthenticated (plain) archive',
    spec: () => OUTSIDE_ROOT(`${OLD_HOME}/projects/ws`),
  },
  {
    code: 'PLACEMENT_CONSENT',
    name: 'an existing non-OpenClaw dir as target, even in a passphrase archive',
    passphrase: true,
    spec: () => OUTSIDE_ROOT(`${OLD_HOME}/Documents/autostart`),
  },
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    dryRun: true,
    name: 'a config whose $include is /dev/zero (not in the archive)',
    spec: () => ({config: '{ "$include": "/dev/zero", gateway: { mode: "local" } }\n'}),
  },
  {
    code: 'ARCHIVE_UNSAFE_PLACEMENT',
    name: "a config whose $include climbs to this machine's ~/.ssh/authorized_keys (relative, not in the archive)",
    spec: () => ({config: '{ "$include": "../.ssh/authorized_keys", gateway: { mode: "local" } }\n'}),
  },
  {
    code: 'ARCHIVE_NOT_DATABASE',
    name: 'a non-database listed as a SQLite database',
    spec: () => ({
      entries: [
        {path: 'roots/st/state/', type: 'Directory'},
        {body: Buffer.from('not sqlite at all\n'.repeat(64)), path: 'roots/st/state/openclaw.sqlite', type: 'File'},
      ],
      manifest: (m) =>
        m.sqlite.push({path: 'roots/st/state/openclaw.sqlite', source: `${OLD_STATE}/state/openclaw.sqlite`}),
    }),
  },
  {
    code: 'ARCHIVE_UNSAFE_ENTRY',
    name: "a database's -journal as a symlink to the outside",
    spec: (s) => ({
      entries: [
        {path: 'roots/st/state/', type: 'Directory'},
        {body: emptyDatabase(), path: 'roots/st/state/openclaw.sqlite', type: 'File'},
        {
          linkpath: path.join(s.outside, 'victim.txt'),
          path: 'roots/st/state/openclaw.sqlite-journal',
          type: 'SymbolicLink',
        },
      ],
      manifest(m) {
        m.sqlite.push({path: 'roots/st/state/openclaw.sqlite', source: `${OLD_STATE}/state/openclaw.sqlite`})
        m.symlinksOutside.push({
          path: `${OLD_STATE}/state/openclaw.sqlite-journal`,
          target: path.join(s.outside, 'victim.txt'),
        })
      },
    }),
  },
  {
    code: 'ARCHIVE_DATABASE_CORRUPT',
    name: 'a malformed database (a b-tree page scribbled over, header intact)',
    spec() {
      const bytes = Buffer.from(
        database([
          'CREATE TABLE t (p TEXT)',
          ...Array.from({length: 200}, (_, i) => `INSERT INTO t VALUES ('${OLD_HOME}/n${i}${'y'.repeat(100)}')`),
        ]),
      )
      bytes.fill(0x5a, 4096 + 8, 4096 + 512)
      return databaseSpec(bytes)
    },
  },
  {
    code: 'ARCHIVE_DATABASE_REBASE',
    name: "a database whose own CHECK constraint refuses this machine's paths",
    spec: () =>
      databaseSpec([
        `CREATE TABLE t (p TEXT CHECK (p LIKE '${OLD_HOME}/%'))`,
        `INSERT INTO t VALUES ('${OLD_HOME}/x')`,
      ]),
  },
  {
    code: 'ARCHIVE_DATABASE_REBASE',
    name: "a database whose UNIQUE column already holds the rebased path (this machine's home)",
    spec: (s) =>
      databaseSpec([
        'CREATE TABLE t (p TEXT UNIQUE)',
        `INSERT INTO t VALUES ('${OLD_HOME}/x')`,
        `INSERT INTO t VALUES ('${s.home}/x')`,
      ]),
  },
  {
    code: 'ARCHIVE_DATABASE_REBASE',
    name: 'a database whose foreign key breaks once its parent key is rebased',
    spec: () =>
      databaseSpec([
        'CREATE TABLE p (k TEXT PRIMARY KEY)',
        'CREATE TABLE c (k BLOB REFERENCES p (k))',
        `INSERT INTO p VALUES ('${OLD_HOME}/x')`,
        `INSERT INTO c VALUES ('${OLD_HOME}/x')`,
      ]),
  },
  {
    accept: true,
    code: 'ARCHIVE_UNSAFE_ENTRY',
    dryRun: true,
    name: 'an outer root holding a file where a nested root lands',
    spec: () =>
      nestedSpec([
        {body: Buffer.from('a file of the outer root\n'), path: 'roots/a/b', type: 'File'},
        {path: 'roots/b/', type: 'Directory'},
        {body: Buffer.from('# memory\n'), path: 'roots/b/MEMORY.md', type: 'File'},
      ]),
  },
  {
    accept: true,
    code: 'ARCHIVE_UNSAFE_ENTRY',
    name: 'an outer root holding the same file as the root nested in it',
    spec: () =>
      nestedSpec([
        {path: 'roots/a/b/', type: 'Directory'},
        {body: Buffer.from('the outer root says this\n'), path: 'roots/a/b/MEMORY.md', type: 'File'},
        {path: 'roots/b/', type: 'Directory'},
        {body: Buffer.from('the nested root says that\n'), path: 'roots/b/MEMORY.md', type: 'File'},
      ]),
  },
  {
    accept: true,
    code: 'ARCHIVE_UNSAFE_ENTRY',
    name: 'a nested root whose files come first, then the outer root writes the same place',
    spec: () =>
      nestedSpec([
        {path: 'roots/b/', type: 'Directory'},
        {body: Buffer.from('the nested root says that\n'), path: 'roots/b/MEMORY.md', type: 'File'},
        {path: 'roots/a/b/', type: 'Directory'},
        {body: Buffer.from('the outer root says this\n'), path: 'roots/a/b/MEMORY.md', type: 'File'},
      ]),
  },
  {
    code: 'ARCHIVE_LIMIT',
    name: 'an index line of 1 MiB',
    spec() {
      const entries = minimalEntries()
      const manifest = withTotals(minimalManifest(), entries)
      return craftTar({editIndex: (lines) => [`{"path":"${'a'.repeat(1024 * 1024)}"}`, ...lines], entries, manifest})
    },
  },
  {
    code: 'ARCHIVE_LIMIT',
    name: 'a manifest of 20,000 roots',
    spec: () => ({
      manifest(m: ArchiveManifest) {
        for (let i = 0; i < 20_000; i++)
          m.roots.push({
            archivePath: `roots/r${i}`,
            id: `r${i}`,
            kind: 'workspace',
            profile: null,
            sourcePath: `${OLD_HOME}/r${i}`,
            type: 'dir',
          })
      },
    }),
  },
]

/** The state root holding one database built by these statements, listed in the manifest. */
function databaseSpec(content: Buffer | string[]): Spec {
  return {
    entries: [
      {path: 'roots/st/state/', type: 'Directory'},
      {
        body: Buffer.isBuffer(content) ? content : database(content),
        path: 'roots/st/state/openclaw.sqlite',
        type: 'File',
      },
    ],
    manifest: (m) =>
      m.sqlite.push({path: 'roots/st/state/openclaw.sqlite', source: `${OLD_STATE}/state/openclaw.sqlite`}),
  }
}

/** Workspace a (~/projects/a) with workspace b inside it (~/projects/a/b), both named by the config; the entries as given. */
function nestedSpec(entries: Spec['entries']): Spec {
  const a = `${OLD_HOME}/projects/a`
  return {
    config: JSON.stringify({
      agents: {defaults: {workspace: a}, list: [{id: 'b', workspace: `${a}/b`}]},
      gateway: {mode: 'local'},
    }),
    entries: [{path: 'roots/a/', type: 'Directory'}, ...(entries ?? [])],
    manifest(m) {
      m.roots.push(
        {archivePath: 'roots/a', id: 'a', kind: 'workspace', profile: null, sourcePath: a, type: 'dir'},
        {archivePath: 'roots/b', id: 'b', kind: 'workspace', profile: null, sourcePath: `${a}/b`, type: 'dir'},
      )
    },
  }
}

function database(sql: string[]): Buffer {
  const dir = tmpRoot('trust-db')
  const file = path.join(dir, 'x.sqlite')
  const {DatabaseSync} = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite')
  const db = new DatabaseSync(file)
  for (const statement of sql) db.exec(statement)
  db.close()
  const bytes = fs.readFileSync(file)
  fs.rmSync(dir, {force: true, recursive: true})
  return bytes
}

let dbBytes: Buffer | undefined
function emptyDatabase(): Buffer {
  if (dbBytes) return dbBytes
  const dir = tmpRoot('trust-db')
  const file = path.join(dir, 'x.sqlite')

  const {DatabaseSync} = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite')
  const db = new DatabaseSync(file)
  db.exec('CREATE TABLE t (v TEXT)')
  db.close()
  dbBytes = fs.readFileSync(file)
  fs.rmSync(dir, {force: true, recursive: true})
  return dbBytes
}

describe('hostile archives: the target decides every path (issue 11)', function () {
  this.timeout(120_000)
  let root: string

  before(() => {
    root = tmpRoot('trust')
  })

  after(() => {
    fs.rmSync(root, {force: true, recursive: true})
  })

  let n = 0
  for (const c of CASES) {
    it(`${c.name}: import and check ARCHIVE both say ${c.code}; nothing anywhere changed`, async () => {
      const s = makeScratch(path.join(root, `m${++n}`))
      const built = c.spec(s)
      const tar = Buffer.isBuffer(built) ? built : craft(built)
      const archive = await writeArchive(s, c.name, tar, c.passphrase)
      const before = scratchPrint(s)
      const checked = await checkIn(s, archive, {accept: c.accept})
      expect(checked.code, 'check ARCHIVE').to.equal(c.code)
      expect(changes(before, scratchPrint(s)), 'check wrote something').to.deep.equal([])
      const imported = await importIn(s, archive, {accept: c.accept, passphrase: c.passphrase})
      expect(imported.code, 'import').to.equal(c.code)
      expect(changes(before, scratchPrint(s)), 'the refused import changed the machine').to.deep.equal([])
      if (c.dryRun) {
        const dry = await importIn(s, archive, {accept: c.accept, dryRun: true})
        expect(dry.code, 'import --dry-run').to.equal(c.code)
        expect(changes(before, scratchPrint(s)), 'the dry run changed the machine').to.deep.equal([])
      }
    })
  }

  it('a good archive with a workspace outside the state dir: passphrase needs no yes; only planned paths change', async () => {
    const s = makeScratch(path.join(root, 'good'))
    const archive = await writeArchive(s, 'good', craft(OUTSIDE_ROOT(`${OLD_HOME}/projects/notes`)), true)
    const before = scratchPrint(s)
    const checked = await checkIn(s, archive)
    expect(checked.code).to.equal(null)
    const imported = await importIn(s, archive)
    expect(imported.code).to.equal(null)
    expect(imported.plan).to.deep.equal(checked.plan)
    expect(imported.plan).to.have.members([path.join(s.home, '.openclaw'), path.join(s.home, 'projects', 'notes')])
    const allowed = [...imported.plan!, path.join(s.home, '.openclaw-migrate'), path.join(s.home, 'projects')].map(
      (p) => path.relative(s.root, p),
    )
    const outside = changes(before, scratchPrint(s)).filter((d) => !allowed.some((a) => d.slice(2).startsWith(a)))
    expect(outside, 'changes outside the plan').to.deep.equal([])
    expect(fs.readFileSync(path.join(s.home, 'projects', 'notes', 'MEMORY.md'), 'utf8')).to.equal('# memory\n')
  })

  it("an archived database's triggers never fire while it is rebased (one writes a row, one recurses): imported, only the plan changed", async () => {
    const s = makeScratch(path.join(root, 'triggers'))
    const spec = databaseSpec([
      'CREATE TABLE t (p TEXT)',
      'CREATE TABLE log (v TEXT)',
      `INSERT INTO t VALUES ('${OLD_HOME}/notes')`,
      "CREATE TRIGGER writes AFTER UPDATE ON t BEGIN INSERT INTO log VALUES ('fired'); END",
      "CREATE TRIGGER recurses AFTER UPDATE ON t BEGIN UPDATE t SET p = p || 'x'; END",
    ])
    const archive = await writeArchive(s, 'triggers', craft(spec), true)
    const before = scratchPrint(s)
    expect((await checkIn(s, archive)).code, 'check ARCHIVE').to.equal(null)
    expect(changes(before, scratchPrint(s)), 'check wrote something').to.deep.equal([])
    const imported = await importIn(s, archive)
    expect(imported.code, 'import').to.equal(null)
    const state = path.join(s.home, '.openclaw')
    const outside = changes(before, scratchPrint(s)).filter(
      (d) => !d.slice(2).startsWith(path.relative(s.root, state)) && !d.includes('.openclaw-migrate'),
    )
    expect(outside, 'changes outside the plan').to.deep.equal([])
    const {DatabaseSync} = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite')
    const db = new DatabaseSync(path.join(state, 'state', 'openclaw.sqlite'))
    try {
      expect(db.prepare('SELECT p FROM t').all()).to.deep.equal([{p: path.join(s.home, 'notes')}])
      expect(db.prepare('SELECT count(*) AS n FROM log').get()).to.deep.equal({n: 0})
      expect(
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all(),
        'the schema keeps its triggers',
      ).to.deep.equal([{name: 'recurses'}, {name: 'writes'}])
    } finally {
      db.close()
    }
  })

  it('Ctrl-C while a database is rebased stops the rebase between pages: INTERRUPTED, never reported as rebased, nothing changed', async () => {
    const s = makeScratch(path.join(root, 'interrupt'))
    const spec = databaseSpec([
      'CREATE TABLE t (p TEXT)',
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO t SELECT '${OLD_HOME}/notes/' || i FROM n`,
    ])
    const archive = await writeArchive(s, 'interrupt', craft(spec), true)
    const before = scratchPrint(s)
    const abort = new AbortController()
    const steps: string[] = []
    const imported = await importIn(s, archive, {
      onPhase(phase) {
        if (phase === 'rebase') abort.abort()
      },
      onStep: (step) => steps.push(step),
      signal: abort.signal,
    })
    expect(imported.code).to.equal('INTERRUPTED')
    expect(
      steps.filter((step) => step.startsWith('rebased')),
      'the rebase ran to its end',
    ).to.deep.equal([])
    expect(changes(before, scratchPrint(s))).to.deep.equal([])
  })

  it('a --map that puts a root where another root already has entries: USAGE from import and check, nothing written', async () => {
    const s = makeScratch(path.join(root, 'map-overlap'))
    const archive = await writeArchive(
      s,
      'map-overlap',
      craft({
        ...OUTSIDE_ROOT('/srv/ws'),
        entries: [
          {path: 'roots/st/workspace/', type: 'Directory'},
          {body: Buffer.from('# the state dir has its own\n'), path: 'roots/st/workspace/MEMORY.md', type: 'File'},
        ],
      }),
      true,
    )
    const maps = [`/srv/ws=${path.join(s.home, '.openclaw', 'workspace')}`]
    const before = scratchPrint(s)
    expect((await checkIn(s, archive, {maps})).code, 'check ARCHIVE').to.equal('USAGE')
    expect((await importIn(s, archive, {maps})).code, 'import').to.equal('USAGE')
    expect(changes(before, scratchPrint(s))).to.deep.equal([])
  })

  it("a file named like the rebaser's temporary file next to the config: imported, both files as they should be", async () => {
    const s = makeScratch(path.join(root, 'rebase-tmp'))
    const planted = 'planted by the archive\n'
    const archive = await writeArchive(
      s,
      'rebase-tmp',
      craft({
        config: `{ gateway: { mode: "local" }, notes: "${OLD_HOME}/notes" }\n`,
        entries: [{body: Buffer.from(planted), path: 'roots/st/openclaw.json.rebase-tmp', type: 'File'}],
      }),
      true,
    )
    expect((await checkIn(s, archive)).code, 'check ARCHIVE').to.equal(null)
    expect((await importIn(s, archive)).code, 'import').to.equal(null)
    const state = path.join(s.home, '.openclaw')
    expect(fs.readFileSync(path.join(state, 'openclaw.json'), 'utf8')).to.include(`"${path.join(s.home, 'notes')}"`)
    expect(fs.readFileSync(path.join(state, 'openclaw.json.rebase-tmp'), 'utf8')).to.equal(planted)
    expect(fs.readdirSync(state).filter((n) => n.includes('rebase'))).to.deep.equal(['openclaw.json.rebase-tmp'])
  })

  it('the same archive unencrypted: refused without a yes, imported with --accept-placement', async () => {
    const s = makeScratch(path.join(root, 'plain'))
    const archive = await writeArchive(s, 'plain', craft(OUTSIDE_ROOT(`${OLD_HOME}/projects/notes`)))
    expect((await checkIn(s, archive)).code).to.equal('PLACEMENT_CONSENT')
    expect((await checkIn(s, archive, {accept: true})).code).to.equal(null)
    expect((await importIn(s, archive, {accept: true})).code).to.equal(null)
  })

  it('archive-provided names reach the terminal escaped: no title, clear-screen or clipboard sequence', async () => {
    const s = makeScratch(path.join(root, 'escapes'))
    const evil = 'old\u{1B}]0;pwned\u{7}\u{1B}[2J\u{1B}]52;c;ZXZpbA==\u{7}host'
    const archive = await writeArchive(
      s,
      'escapes',
      craft({
        manifest(m) {
          m.source.hostname = evil
          m.source.user = evil
        },
      }),
    )
    const result = await runCli(['check', archive], {home: s.home})
    expect(result.code, result.err).to.equal(0)

    expect(`${result.out}${result.err}`).to.not.match(/[\u0000-\u0008\u000B-\u001F\u007F]/)
    expect(result.out).to.include(String.raw`old\x1b]0;pwned\x07`)
  })
})
