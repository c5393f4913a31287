/**
 * Issue 12: a state dir that is a symlink to a directory on another disk keeps its link and its
 * disk. The import stages, moves the old state aside and activates next to the link's real dir;
 * the journal records the real paths, so `--undo` restores exactly what was there (the link, still
 * pointing at the original dir, with the original content). Any other link stays refused or is
 * moved aside as a link, never written through.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, parseJson, resultOf} from '../support/cli.js'
import {
  diffSnapshots,
  type ExportedSource,
  journals,
  sha256,
  siblings,
  snapshotHome,
  STAGING_MARK,
  standardSource,
  targetHome,
} from '../support/import-fixtures.js'
import {runInProcess as runCli} from '../support/in-process.js'

describe('import into a state dir that is a symlink', function () {
  this.timeout(120_000)
  let src: ExportedSource
  const homes: Array<ReturnType<typeof targetHome>> = []
  const importArgs = () => ['import', src.encrypted!, '--passphrase-file', src.passFile, '--no-host', '--json']

  function linkedHome(user: string, realOf: (root: string, home: string) => string) {
    const t = targetHome(user)
    homes.push(t)
    const real = realOf(t.root, t.home)
    fs.mkdirSync(real, {mode: 0o700, recursive: true})
    fs.writeFileSync(path.join(real, 'MARKER'), 'before the import\n')
    fs.writeFileSync(path.join(real, 'openclaw.json'), '{ agents: {} }\n', {mode: 0o600})
    const link = path.join(t.home, '.openclaw-work')
    fs.symlinkSync(real, link)
    return {...t, link, real}
  }

  before(async () => {
    src = await standardSource()
  })

  after(() => {
    for (const h of homes) h.cleanup()
  })

  describe('to a dir of the user on another disk', () => {
    let h: ReturnType<typeof linkedHome>
    let disk: string
    let imported: string

    before(() => {
      h = linkedHome('linked', (root) => path.join(root, 'disk2', 'openclaw-work'))
      disk = path.dirname(h.real)
    })

    it('keeps the link, lands the state in its real dir and moves the old state aside there', async () => {
      const r = await runCli(importArgs(), {home: h.home})
      expect(r.code, describeRun(r)).to.equal(0)
      expect(fs.lstatSync(h.link).isSymbolicLink(), 'the link is kept').to.equal(true)
      expect(fs.readlinkSync(h.link)).to.equal(h.real)
      imported = sha256(fs.readFileSync(path.join(h.real, 'openclaw.json')))
      expect(fs.readFileSync(path.join(h.real, 'openclaw.json'), 'utf8')).to.include(h.home)
      expect(fs.existsSync(path.join(h.real, 'MARKER'))).to.equal(false)
      // The default workspace, a root nested in the state dir, came along through the link.
      expect(fs.lstatSync(path.join(h.real, 'workspace')).isDirectory()).to.equal(true)
      const asides = siblings(disk, /^openclaw-work\.pre-migrate-/)
      expect(asides).to.have.length(1)
      expect(fs.readFileSync(path.join(disk, asides[0], 'MARKER'), 'utf8')).to.equal('before the import\n')
      expect(siblings(h.home, /^\.openclaw-work\./), 'nothing moved aside on the home disk').to.deep.equal([])
      expect([...siblings(disk, /./), ...siblings(h.home, /./)].filter((n) => n.includes(STAGING_MARK))).to.deep.equal(
        [],
      )
      const out = resultOf(r)
      expect(out.movedAside).to.deep.equal([{aside: path.join(disk, asides[0]), target: h.link}])
      const [journal] = journals(h.home)
      expect(journal.steps.find((s: any) => !s.nested).target, 'the journal records the real path').to.equal(h.real)
    })

    it('check --against finds the state in place through the link', async () => {
      const r = await runCli(['check', '--against', src.encrypted!, '--passphrase-file', src.passFile, '--json'], {
        home: h.home,
      })
      expect(r.code, describeRun(r)).to.equal(0)
      expect(resultOf(r).ready).to.equal(true)
    })

    it('--list-asides finds the aside on the other disk', async () => {
      const r = await runCli(['import', '--list-asides', '--profile', 'work', '--json'], {home: h.home})
      expect(r.code, describeRun(r)).to.equal(0)
      const [aside] = resultOf(r).asides
      expect(path.dirname(aside.path)).to.equal(disk)
      expect(aside).to.include({kind: 'moved-aside', of: h.real})
    })

    it('--undo restores the original layout: the link, pointing at its dir, with the old content', async () => {
      const r = await runCli(['import', '--undo', '--json'], {home: h.home})
      expect(r.code, describeRun(r)).to.equal(0)
      expect(fs.lstatSync(h.link).isSymbolicLink()).to.equal(true)
      expect(fs.readlinkSync(h.link)).to.equal(h.real)
      expect(fs.readFileSync(path.join(h.link, 'MARKER'), 'utf8')).to.equal('before the import\n')
      const undone = siblings(disk, /^openclaw-work\.undone-/)
      expect(undone).to.have.length(1)
      expect(sha256(fs.readFileSync(path.join(disk, undone[0], 'openclaw.json')))).to.equal(imported)
      expect(siblings(disk, /^openclaw-work\.pre-migrate-/)).to.deep.equal([])
      expect(siblings(h.home, /^\.openclaw-work\./)).to.deep.equal([])
    })
  })

  it('a link to a file is not followed: consent is asked, and with it the link itself is moved aside', async () => {
    const t = targetHome('link-to-file')
    homes.push(t)
    const file = path.join(t.root, 'not-a-dir')
    fs.writeFileSync(file, 'keep me\n')
    const link = path.join(t.home, '.openclaw-work')
    fs.symlinkSync(file, link)
    const before = snapshotHome(t.root)
    const refused = await runCli(importArgs(), {home: t.home})
    expect(refused.code, describeRun(refused)).to.equal(2)
    expect(parseJson(refused).error.code).to.equal('PLACEMENT_CONSENT')
    expect(parseJson(refused).error.message).to.include('not a directory')
    expect(diffSnapshots(before, snapshotHome(t.root))).to.deep.equal([])
    const r = await runCli([...importArgs(), '--accept-placement'], {home: t.home})
    expect(r.code, describeRun(r)).to.equal(0)
    expect(fs.lstatSync(link).isDirectory()).to.equal(true)
    const [aside] = siblings(t.home, /^\.openclaw-work\.pre-migrate-/)
    expect(fs.readlinkSync(path.join(t.home, aside))).to.equal(file)
    expect(fs.readFileSync(file, 'utf8')).to.equal('keep me\n')
  })

  it('a link into a dir of another program (~/.ssh) is not followed: consent is asked, it says why', async () => {
    const h = linkedHome('link-to-ssh', (_root, home) => path.join(home, '.ssh', 'openclaw'))
    const before = snapshotHome(h.root)
    const r = await runCli(importArgs(), {home: h.home})
    expect(r.code, describeRun(r)).to.equal(2)
    expect(parseJson(r).error.code).to.equal('PLACEMENT_CONSENT')
    expect(parseJson(r).error.message).to.include(path.join(h.home, '.ssh'))
    expect(diffSnapshots(before, snapshotHome(h.root))).to.deep.equal([])
  })

  it('a link whose real dir would also hold another root is refused (PLACEMENT_NEEDS_MAP), nothing written', async () => {
    // The standard archive's research workspace lands at ~/projects/research-notes.
    const h = linkedHome('link-clash', (_root, home) => path.join(home, 'projects'))
    const before = snapshotHome(h.root)
    const r = await runCli(importArgs(), {home: h.home})
    expect(r.code, describeRun(r)).to.equal(2)
    expect(parseJson(r).error.code).to.equal('PLACEMENT_NEEDS_MAP')
    expect(diffSnapshots(before, snapshotHome(h.root))).to.deep.equal([])
  })
})
