/**
 * Issue 12, through the real bin, as root and as an unprivileged user: a state dir that is a
 * symlink to a dir of the user on another disk (a real tmpfs when one can be mounted) keeps its
 * link and its disk through import, `--undo` and `--prune-asides`; a link to a dir that belongs to
 * someone else is never written through (the import asks for consent and changes nothing).
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, parseJson, resultOf, rmrf, runCli} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {runHostile} from '../support/hostile-cli.js'
import {diffSnapshots, snapshotHome} from '../support/import-fixtures.js'
import {giveTo, runners, runnerTmpDir} from '../support/unprivileged.js'

const observed: string[] = []

for (const runner of runners()) {
  describe(`a symlinked state dir as ${runner.label}`, function () {
    this.timeout(300_000)
    let root: string
    let archive: string
    let passFile: string
    let disk: string
    let mounted = false
    const as = {asUser: runner.asUser}
    const uid = runner.user?.uid ?? process.getuid!()

    /** A fresh home whose ~/.openclaw-work links to `real` (made, with a marker, owned by `owner`). */
    function linkedHome(name: string, real: string, owner = uid) {
      const home = path.join(root, name)
      fs.mkdirSync(home)
      fs.mkdirSync(real, {mode: 0o700, recursive: true})
      fs.writeFileSync(path.join(real, 'MARKER'), 'before the import\n')
      fs.writeFileSync(path.join(real, 'openclaw.json'), '{ agents: {} }\n', {mode: 0o600})
      const link = path.join(home, '.openclaw-work')
      fs.symlinkSync(real, link)
      giveTo(runner, home)
      spawnSync('chown', ['-R', `${owner}:${owner}`, real])
      return {home, link}
    }

    before(async () => {
      root = runnerTmpDir(runner, 'linked-state')
      const oldHome = path.join(root, 'old')
      fs.mkdirSync(oldHome)
      const g = generateHome({home: oldHome, sessions: 1})
      for (const h of g.holders) h.close()
      passFile = path.join(root, 'pass')
      fs.writeFileSync(passFile, 'linked state: correct horse battery staple\n', {mode: 0o600})
      giveTo(runner, root)
      archive = path.join(root, 'a.tar.gz.age')
      const r = await runCli(['export', '--profile', 'work', '--passphrase-file', passFile, '-o', archive], {
        ...as,
        home: oldHome,
      })
      expect(r.code, describeRun(r)).to.equal(0)
      disk = path.join(root, 'disk2')
      fs.mkdirSync(disk)
      if (process.getuid?.() === 0)
        mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', disk]).status === 0
      giveTo(runner, disk)
    })

    after(() => {
      if (mounted) spawnSync('umount', [disk])
      rmrf(root)
    })

    it('import, --list-asides, --undo and --prune-asides keep the link and work on its disk', async () => {
      const real = path.join(disk, 'openclaw-work')
      const {home, link} = linkedHome('home', real)
      const imp = await runCli(['import', archive, '--passphrase-file', passFile, '--no-host', '--json'], {...as, home})
      expect(imp.code, describeRun(imp)).to.equal(0)
      expect(fs.readlinkSync(link)).to.equal(real)
      const config = fs.statSync(path.join(real, 'openclaw.json'))
      expect(config.uid, 'the imported state belongs to the user').to.equal(uid)
      if (mounted) expect(config.dev, 'on the other disk').to.not.equal(fs.statSync(home).dev)
      const [aside] = resultOf(imp).movedAside
      expect(path.dirname(aside.aside)).to.equal(disk)
      expect(fs.readFileSync(path.join(aside.aside, 'MARKER'), 'utf8')).to.equal('before the import\n')

      const list = await runCli(['import', '--list-asides', '--profile', 'work', '--json'], {...as, home})
      expect(list.code, describeRun(list)).to.equal(0)
      expect(resultOf(list).asides.map((a: any) => a.path)).to.deep.equal([aside.aside])

      const undo = await runCli(['import', '--undo', '--json'], {...as, home})
      expect(undo.code, describeRun(undo)).to.equal(0)
      expect(fs.readlinkSync(link)).to.equal(real)
      expect(fs.readFileSync(path.join(link, 'MARKER'), 'utf8')).to.equal('before the import\n')

      const prune = await runCli(['import', '--prune-asides', '--yes', '--profile', 'work', '--json'], {...as, home})
      expect(prune.code, describeRun(prune)).to.equal(0)
      // The undone copies of every root the import placed: the state's on the other disk, next to its real dir.
      const removed: string[] = resultOf(prune).removed.map((a: any) => a.path)
      expect(
        removed.every((p) => /\.undone-\d{8}T\d{6}Z$/.test(p)),
        removed.join(' '),
      ).to.equal(true)
      const onDisk = removed.filter((p) => path.dirname(p) === disk)
      expect(onDisk).to.have.length(1)
      expect(path.basename(onDisk[0])).to.match(/^openclaw-work\.undone-\d{8}T\d{6}Z$/)
      expect(fs.readdirSync(disk).filter((n) => n !== 'lost+found')).to.deep.equal(['openclaw-work'])
      expect(fs.readFileSync(path.join(link, 'MARKER'), 'utf8')).to.equal('before the import\n')
      observed.push(
        `${runner.label}: linked state on ${mounted ? 'a tmpfs' : 'another dir'} → import, list, undo, prune exit ${[imp, list, undo, prune].map((r) => r.code).join('/')}, link kept`,
      )
    })

    it('killed at every rename of an import into a linked state: the next --undo puts back the link and its dir', async function () {
      // One walk is enough: the permission rules are covered above; this is about the journal's real paths.
      if (runner.user) this.skip()
      const args = ['import', archive, '--passphrase-file', passFile, '--no-host', '--json']
      const counts = path.join(root, 'counts.json')
      const probe = linkedHome('probe', path.join(disk, 'probe'))
      const counted = await runHostile('linked import, counted', args, {countFile: counts, home: probe.home})
      expect(counted.code, describeRun(counted)).to.equal(0)
      const renames = JSON.parse(fs.readFileSync(counts, 'utf8')).rename as number
      const outcomes = new Map<string, number>()
      for (let n = 1; n <= renames; n++) {
        const real = path.join(disk, `k${n}`)
        const {home, link} = linkedHome(`kill-${n}`, real)
        const before = snapshotHome(real)
        const killed = await runHostile(`linked import killed at rename ${n}`, args, {fault: `kill:rename:${n}`, home})
        expect(killed.signal, describeRun(killed)).to.equal('SIGKILL')
        const undo = await runHostile(`undo after kill at rename ${n}`, ['import', '--undo', '--json'], {home})
        const outcome =
          undo.code === 0 ? (resultOf(undo).undone ? 'undone' : 'rolled back') : parseJson(undo).error?.code
        expect(['undone', 'rolled back', 'UNDO_NOTHING'], describeRun(undo)).to.include(outcome)
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        expect(fs.readlinkSync(link), `rename ${n}`).to.equal(real)
        expect(diffSnapshots(before, snapshotHome(real)), `rename ${n}`).to.deep.equal([])
        // No staging dir or aside left next to the real dir; an undone import stays as its .undone copy.
        const left = fs.readdirSync(disk).filter((x) => x.replace(/^\./, '').startsWith(`k${n}.`))
        expect(
          left.filter((x) => !x.startsWith(`k${n}.undone-`)),
          `rename ${n}`,
        ).to.deep.equal([])
      }

      observed.push(
        `${runner.label}: linked import killed at each of ${renames} renames → ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}; link and dir restored every time`,
      )
    })

    it('a link to a dir of the user in a dir the user cannot write: consent asked (exit 2), it says why', async function () {
      if (!runner.user) this.skip() // root writes everywhere
      const parent = path.join(root, 'root-owned')
      const real = path.join(parent, 'openclaw-work')
      const {home} = linkedHome('locked-parent', real)
      fs.chmodSync(parent, 0o755) // root's, reachable, not writable by the user
      const before = snapshotHome(root, {ignore: (rel) => rel.startsWith('disk2')})
      const r = await runCli(['import', archive, '--passphrase-file', passFile, '--no-host', '--json'], {...as, home})
      expect(r.code, describeRun(r)).to.equal(2)
      expect(parseJson(r).error.code).to.equal('PLACEMENT_CONSENT')
      expect(parseJson(r).error.message).to.include(`cannot write ${parent}`)
      expect(diffSnapshots(before, snapshotHome(root, {ignore: (rel) => rel.startsWith('disk2')}))).to.deep.equal([])
      observed.push(`${runner.label}: link to its dir in a root-owned dir → exit ${r.code} ${parseJson(r).error.code}`)
    })

    it("a link to someone else's dir is not written through: consent asked (exit 2), nothing changed", async () => {
      const other = runner.user ? 0 : 4242
      const real = path.join(root, 'not-mine', 'openclaw-work')
      const {home} = linkedHome('other-home', real, other)
      fs.chmodSync(path.dirname(real), 0o755) // reachable: only its owner differs
      const before = snapshotHome(root, {ignore: (rel) => rel.startsWith('disk2')})
      const r = await runCli(['import', archive, '--passphrase-file', passFile, '--no-host', '--json'], {...as, home})
      expect(r.code, describeRun(r)).to.equal(2)
      expect(parseJson(r).error.code).to.equal('PLACEMENT_CONSENT')
      expect(parseJson(r).error.message, parseJson(r).error.message).to.include(`belongs to uid ${other}`)
      expect(diffSnapshots(before, snapshotHome(root, {ignore: (rel) => rel.startsWith('disk2')}))).to.deep.equal([])
      observed.push(`${runner.label}: link to uid ${other}'s dir → exit ${r.code} ${parseJson(r).error.code}`)
    })
  })
}

after(() => {
  if (observed.length > 0) console.log(`\n  observed:\n${observed.map((l) => `    ${l}`).join('\n')}`)
})
