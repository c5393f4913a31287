/**
 * Split archives for FAT32 sticks: `export --split SIZE` cuts the archive into numbered volumes,
 * `check`/`import` take the first one and read them in order as one verified stream. On a real
 * vfat image (mkfs.vfat, mounted through FUSE where the kernel has no vfat) the volumes are
 * published without link(2), and the filesystem is recognised as FAT for the automatic split.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {filesystemType, isFatFilesystem} from '../../src/lib/archive/volumes.js'
import {describeRun, parseJson, rmrf, runCli, tmpDir} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'

const VOLUME = 64 * 1024

describe('split archives (--split, FAT32 volumes)', function () {
  this.timeout(180_000)
  let root: string
  let home: string
  let out: string

  before(() => {
    root = tmpDir('split')
    home = path.join(root, 'home', 'alice')
    const g = generateHome({home, profile: 'work', walPending: false})
    for (const h of g.holders) h.close()
    out = path.join(root, 'out')
    fs.mkdirSync(out)
  })

  after(() => {
    rmrf(root)
  })

  it('writes volumes of at most SIZE that check and import read in order as one stream; a missing or swapped volume is caught', async () => {
    const base = path.join(out, 'work.tar.gz')
    const exported = await runCli(
      ['export', '--profile', 'work', '--no-encrypt', '--split', '64K', '-o', base, '--json'],
      {home},
    )
    expect(exported.code, describeRun(exported)).to.equal(0)
    const {volumes} = parseJson(exported).result
    expect(volumes.length).to.be.greaterThan(2)
    expect(volumes[0]).to.equal(`${base}.001`)
    expect(fs.existsSync(base)).to.equal(false)
    for (const v of volumes.slice(0, -1)) expect(fs.statSync(v).size).to.equal(VOLUME)
    expect(fs.statSync(volumes.at(-1)).size).to.be.within(1, VOLUME)
    expect(fs.statSync(volumes[0]).mode & 0o777).to.equal(0o600)
    expect(fs.readdirSync(out).filter((n) => n.includes('.partial-'))).to.deep.equal([])

    const checked = await runCli(['check', volumes[0], '--accept-placement', '--json'], {home})
    expect(checked.code, describeRun(checked)).to.equal(0)
    const target = path.join(root, 'home', 'bob')
    fs.mkdirSync(target, {recursive: true})
    const imported = await runCli(['import', volumes[0], '--no-host', '--accept-placement', '--json'], {home: target})
    expect(imported.code, describeRun(imported)).to.equal(0)
    expect(fs.existsSync(path.join(target, '.openclaw-work', 'openclaw.json'))).to.equal(true)

    // The base name works as well as the first volume.
    expect((await runCli(['check', base, '--accept-placement', '--json'], {home})).code).to.equal(0)
    // As a shell glob expands `archive.*`: every volume, in any order.
    const globbed = await runCli(['check', ...volumes.toReversed(), '--accept-placement', '--json'], {home})
    expect(globbed.code, describeRun(globbed)).to.equal(0)
    const notVolumes = await runCli(['check', volumes[0], volumes.at(-1)!, '--accept-placement', '--json'], {home})
    expect(notVolumes.code).to.equal(2)
    expect(parseJson(notVolumes).error.code).to.equal('USAGE')
    const typo = await runCli(['import', volumes[0], '--dryrun', '--json'], {home})
    expect(typo.code, describeRun(typo)).to.equal(2)

    const last = volumes.at(-1)!
    fs.renameSync(last, `${last}.away`)
    const truncated = await runCli(['check', volumes[0], '--accept-placement', '--json'], {home})
    expect(truncated.code, describeRun(truncated)).to.not.equal(0)
    expect(parseJson(truncated).error.code).to.equal('ARCHIVE_TRUNCATED')
    fs.renameSync(`${last}.away`, last)

    fs.renameSync(volumes[1], `${volumes[1]}.tmp`)
    fs.renameSync(volumes[2], volumes[1])
    fs.renameSync(`${volumes[1]}.tmp`, volumes[2])
    const swapped = await runCli(['check', volumes[0], '--accept-placement', '--json'], {home})
    expect(swapped.code, describeRun(swapped)).to.not.equal(0)
    expect(parseJson(swapped).error.code).to.match(/^ARCHIVE_(CORRUPT|MISMATCH|TRUNCATED)$/)
  })

  it('refuses --split with -o - and an existing first volume', async () => {
    const stdout = await runCli(['export', '--profile', 'work', '--no-encrypt', '--split', '1M', '-o', '-'], {home})
    expect(stdout.code).to.equal(2)
    const base = path.join(out, 'taken.tar.gz')
    fs.writeFileSync(`${base}.001`, 'mine')
    const taken = await runCli(['export', '--profile', 'work', '--no-encrypt', '--split', '1M', '-o', base, '--json'], {
      home,
    })
    expect(taken.code).to.equal(2)
    expect(parseJson(taken).error.code).to.equal('OUTPUT_EXISTS')
    expect(fs.readFileSync(`${base}.001`, 'utf8')).to.equal('mine')
  })

  describe('on a real vfat image (FUSE)', () => {
    let image: string
    let mnt: string
    let mounted = false

    before(function () {
      const tools = spawnSync('sh', ['-c', 'command -v fusefat && command -v mkfs.vfat || test -x /usr/sbin/mkfs.vfat'])
      if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse') || tools.status !== 0) this.skip()
      image = path.join(root, 'stick.img')
      mnt = path.join(root, 'stick')
      fs.mkdirSync(mnt)
      fs.writeFileSync(image, '')
      fs.truncateSync(image, 64 * 1024 * 1024)
      const env = {...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`}
      if (spawnSync('mkfs.vfat', ['-F', '32', image], {env}).status !== 0) this.skip()
      mounted = spawnSync('fusefat', ['-o', 'rw+', image, mnt], {env}).status === 0
      if (!mounted) this.skip()
    })

    after(() => {
      if (mounted) for (let i = 0; i < 20 && spawnSync('umount', [mnt]).status !== 0; i++) spawnSync('sleep', ['0.2'])
    })

    it('is recognised as FAT, takes the volumes without hard links, and they import from the stick', async () => {
      expect(filesystemType(mnt)).to.match(/fat/)
      expect(isFatFilesystem(mnt)).to.equal(true)
      expect(isFatFilesystem(root)).to.equal(false)
      const exported = await runCli(
        ['export', '--profile', 'work', '--no-encrypt', '--split', '128K', '-o', mnt, '--json'],
        {home},
      )
      expect(exported.code, describeRun(exported)).to.equal(0)
      const {volumes} = parseJson(exported).result
      expect(volumes.length).to.be.greaterThan(1)
      expect(fs.readdirSync(mnt).filter((n) => n.includes('.partial-'))).to.deep.equal([])
      const target = path.join(root, 'home', 'carol')
      fs.mkdirSync(target, {recursive: true})
      const imported = await runCli(['import', volumes[0], '--no-host', '--accept-placement', '--json'], {home: target})
      expect(imported.code, describeRun(imported)).to.equal(0)
    })
  })
})
