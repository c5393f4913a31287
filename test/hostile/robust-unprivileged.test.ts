/**
 * The codes an ordinary user gets must mean what root's mean (root passes permission checks, so
 * these cases succeed as root): an unwritable HOME or ~/.openclaw-migrate → TARGET_UNWRITABLE,
 * an unreadable archive → ARCHIVE_UNREADABLE, a 0444 non-secret SQLite database → imported
 * (rebased in staging, its mode kept). And a disk that fills up while a large database is
 * rebased (a real tmpfs, the preflight passed) → NO_SPACE with nothing activated.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {describeRun, parseJson, rmrf, runCli} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {giveTo, runners, runnerTmpDir} from '../support/unprivileged.js'

const observed: string[] = []

for (const runner of runners()) {
  describe(`permissions and full disks as ${runner.label}`, function () {
    this.timeout(300_000)
    let root: string
    let oldHome: string
    let archive: string
    const as = {asUser: runner.asUser}
    const expectCode = (r: Awaited<ReturnType<typeof runCli>>, code: string, exit: number) => {
      if (runner.user) {
        expect(r.code, describeRun(r)).to.equal(exit)
        expect(parseJson(r).error.code).to.equal(code)
      } else expect(r.code, describeRun(r)).to.equal(0) // root is not stopped by modes
    }

    before(async () => {
      root = runnerTmpDir(runner, 'robust-perm')
      oldHome = path.join(root, 'old')
      fs.mkdirSync(oldHome)
      const g = generateHome({home: oldHome, sessions: 1})
      for (const h of g.holders) h.close()
      // A non-secret database the user made read-only, holding an old path.
      const ro = path.join(g.stateDir, 'memory', 'notes-index.sqlite')
      fs.mkdirSync(path.dirname(ro), {recursive: true})
      const db = new DatabaseSync(ro)
      db.exec('CREATE TABLE docs (path TEXT)')
      db.prepare('INSERT INTO docs VALUES (?)').run(path.join(g.defaultWorkspace, 'MEMORY.md'))
      db.close()
      fs.chmodSync(ro, 0o444)
      giveTo(runner, root)
      archive = path.join(root, 'a.tar.gz')
      const r = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {...as, home: oldHome})
      expect(r.code, describeRun(r)).to.equal(0)
    })

    after(() => {
      rmrf(root)
    })

    it('HOME not writable → TARGET_UNWRITABLE (exit 5), nothing written', async () => {
      const home = path.join(root, 'ro-home')
      fs.mkdirSync(home)
      giveTo(runner, home)
      fs.chmodSync(home, 0o555)
      const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {...as, home})
      expectCode(r, 'TARGET_UNWRITABLE', 5)
      if (runner.user) expect(fs.readdirSync(home)).to.deep.equal([])
      observed.push(`${runner.label}: HOME 0555 → exit ${r.code} ${r.code ? parseJson(r).error.code : ''}`)
    })

    it('~/.openclaw-migrate not writable → TARGET_UNWRITABLE (exit 5)', async () => {
      const home = path.join(root, 'ro-journal')
      fs.mkdirSync(path.join(home, '.openclaw-migrate'), {recursive: true})
      giveTo(runner, home)
      fs.chmodSync(path.join(home, '.openclaw-migrate'), 0o500)
      const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {...as, home})
      expectCode(r, 'TARGET_UNWRITABLE', 5)
      observed.push(
        `${runner.label}: ~/.openclaw-migrate 0500 → exit ${r.code} ${r.code ? parseJson(r).error.code : ''}`,
      )
    })

    it('an archive this user cannot read → ARCHIVE_UNREADABLE (import and check exit 3)', async () => {
      const home = path.join(root, 'unreadable')
      fs.mkdirSync(home)
      giveTo(runner, home)
      const copy = path.join(root, 'root-only.tar.gz')
      fs.copyFileSync(archive, copy)
      fs.chownSync(copy, 0, 0)
      fs.chmodSync(copy, 0o600)
      const [imp, chk] = await Promise.all([
        runCli(['import', copy, '--accept-placement', '--no-host', '--json'], {...as, home}),
        runCli(['check', copy, '--accept-placement', '--json'], {...as, home}),
      ])
      expectCode(imp, 'ARCHIVE_UNREADABLE', 3)
      // `check ARCHIVE` exits with the archive's own code, like import (README: exit codes).
      expectCode(chk, 'ARCHIVE_UNREADABLE', 3)
      observed.push(`${runner.label}: unreadable archive → import exit ${imp.code}, check exit ${chk.code}`)
    })

    it('a 0444 non-secret SQLite database imports, rebased, still 0444', async () => {
      const home = path.join(root, 'new')
      fs.mkdirSync(home)
      giveTo(runner, home)
      const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {...as, home})
      expect(r.code, describeRun(r)).to.equal(0)
      const ro = path.join(home, '.openclaw-work', 'memory', 'notes-index.sqlite')
      expect(fs.statSync(ro).mode & 0o777).to.equal(0o444)
      const db = new DatabaseSync(ro, {readOnly: true})
      const row = db.prepare('SELECT path FROM docs').get() as {path: string}
      db.close()
      expect(row.path.startsWith(home)).to.equal(true)
      observed.push(`${runner.label}: 0444 SQLite → import exit ${r.code}, rebased, mode 0444 kept`)
    })

    it('the disk fills up while rebasing a large database (tmpfs) → NO_SPACE (exit 5), nothing activated', async function () {
      if (process.getuid?.() !== 0) this.skip() // mounting a tmpfs needs root
      const big = path.join(root, 'big')
      fs.mkdirSync(big)
      const g = generateHome({home: big, sessions: 1})
      for (const h of g.holders) h.close()
      const dbFile = path.join(g.stateDir, 'memory', 'big-index.sqlite')
      fs.mkdirSync(path.dirname(dbFile), {recursive: true})
      const db = new DatabaseSync(dbFile)
      db.exec('CREATE TABLE docs (path TEXT, body TEXT)')
      const insert = db.prepare('INSERT INTO docs VALUES (?, ?)')
      db.exec('BEGIN')
      for (let i = 0; i < 40_000; i++) insert.run(path.join(g.defaultWorkspace, `note-${i}.md`), 'x'.repeat(1000))
      db.exec('COMMIT')
      db.close()
      giveTo(runner, big)
      const bigArchive = path.join(root, 'big.tar.gz')
      const exported = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', bigArchive, '--json'], {
        ...as,
        home: big,
      })
      expect(exported.code, describeRun(exported)).to.equal(0)
      const totals = JSON.parse(spawnSync('tar', ['-xzOf', bigArchive, 'manifest.json']).stdout.toString()).totals.bytes
      // Room for the preflight (bytes × 1.05 + 16 MiB) and a little more, not for the rebase's journal.
      const size = Math.ceil(totals * 1.05 + 20 * 1024 * 1024)
      const home = path.join(root, 'tmpfs-home')
      fs.mkdirSync(home)
      const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', home], {encoding: 'utf8'})
      if (mount.status !== 0) {
        console.log(`      skipped: cannot mount a tmpfs: ${mount.stderr}`)
        this.skip()
      }

      try {
        giveTo(runner, home)
        const r = await runCli(['import', bigArchive, '--accept-placement', '--no-host', '--json'], {...as, home})
        expect(r.code, describeRun(r)).to.equal(5)
        expect(parseJson(r).error.code).to.equal('NO_SPACE')
        expect(parseJson(r).error.message).to.include('while rebasing the database')
        expect(fs.readdirSync(home).filter((n) => !n.startsWith('.openclaw-migrate'))).to.deep.equal([])
        observed.push(
          `${runner.label}: disk full while rebasing (tmpfs ${Math.round(size / 2 ** 20)} MiB) → exit ${r.code} NO_SPACE`,
        )
      } finally {
        spawnSync('umount', [home])
      }
    })
  })
}

after(() => {
  if (observed.length > 0) console.log(`\n  observed:\n${observed.map((l) => `    ${l}`).join('\n')}`)
})
