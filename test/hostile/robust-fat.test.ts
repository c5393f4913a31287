/**
 * The USB stick: exports published onto real FAT32 and exFAT filesystems (images mounted through
 * the kernel or FUSE as root; link(2) answers EPERM there), as root and as an unprivileged user.
 * Skips with the reason where an image cannot be mounted.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, parseJson, resultOf, rmrf, runCli, tarNames} from '../support/cli.js'
import {type FatKind, type FatMount, mountFat} from '../support/fat-image.js'
import {generateHome} from '../support/home-generator.js'
import {giveTo, runners, runnerTmpDir} from '../support/unprivileged.js'

const observed: string[] = []

/** Fills the filesystem of `file` (written until ENOSPC: fusefat reports no free space), then frees `leave` bytes. */
function fillLeaving(file: string, leave: number): void {
  const fd = fs.openSync(file, 'w')
  const chunk = Buffer.alloc(1024 * 1024)
  let size = 0
  try {
    for (;;) size += fs.writeSync(fd, chunk)
  } catch (error) {
    // fusefat answers a full disk with EPERM, the kernel's filesystems with ENOSPC.
    if (!['ENOSPC', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
  }

  fs.ftruncateSync(fd, Math.max(0, size - leave))
  fs.closeSync(fd)
}

function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim())
}

for (const kind of ['vfat', 'exfat'] as FatKind[]) {
  for (const runner of runners()) {
    describe(`export onto a real ${kind} filesystem as ${runner.label}`, function () {
      this.timeout(300_000)
      let root: string
      let home: string
      let mount: FatMount | string

      before(function () {
        root = runnerTmpDir(runner, `fat-${kind}`)
        home = path.join(root, 'home')
        fs.mkdirSync(home)
        generateHome({home, mediaBytes: 6 * 1024 * 1024, mediaFiles: 3, sessions: 2})
        giveTo(runner, home)
        mount = mountFat(kind, runner.user ?? {gid: process.getgid!(), uid: process.getuid!()})
        if (typeof mount === 'string') {
          console.log(`      skipped: ${mount}`)
          this.skip()
        }
      })

      after(() => {
        if (mount && typeof mount !== 'string') mount.unmount()
        rmrf(root)
      })

      it('publishes by exclusive copy (link is EPERM), sweeps a killed export’s partial, never overwrites', async () => {
        const {dir} = mount as FatMount
        const stale = path.join(dir, `.old.tar.gz.partial-${deadPid()}-0123abcd`)
        fs.writeFileSync(stale, 'left by a SIGKILLed export')
        const output = path.join(dir, 'stick.tar.gz')
        const args = ['export', '--profile', 'work', '--no-encrypt', '-o', output, '--json']
        const first = await runCli(args, {asUser: runner.asUser, home})
        expect(first.code, describeRun(first)).to.equal(0)
        const summary = resultOf(first)
        expect(summary.published).to.equal('copy')
        expect(summary.sweptPartials).to.deep.equal([stale])
        expect(tarNames(output)).to.include('manifest.json')
        expect(fs.readdirSync(dir).sort()).to.deep.equal(['stick.tar.gz'])

        const before = fs.readFileSync(output)
        const second = await runCli(args, {asUser: runner.asUser, home})
        expect(second.code, describeRun(second)).to.equal(2)
        expect(parseJson(second).error.code).to.equal('OUTPUT_EXISTS')
        expect(fs.readFileSync(output).equals(before)).to.equal(true)
        observed.push(`${kind} ${runner.label}: export exit 0 published=copy swept=1; again → OUTPUT_EXISTS exit 2`)
        fs.rmSync(output)
      })

      it('a stick too small for the copy: NO_SPACE exit 5, no archive and no partial left', async () => {
        const {dir} = mount as FatMount
        // The partial (≈18 MB of incompressible media) fits; the copy next to it does not.
        const filler = path.join(dir, 'filler')
        fillLeaving(filler, 28 * 1024 * 1024)
        try {
          const r = await runCli(
            ['export', '--profile', 'work', '--no-encrypt', '-o', path.join(dir, 'x.tar.gz'), '--json'],
            {
              asUser: runner.asUser,
              home,
            },
          )
          expect(r.code, describeRun(r)).to.equal(5)
          expect(parseJson(r).error.code).to.equal('NO_SPACE')
          expect(fs.readdirSync(dir)).to.deep.equal(['filler'])
          observed.push(`${kind} ${runner.label}: copy does not fit → NO_SPACE exit 5, nothing left`)
        } finally {
          fs.rmSync(filler, {force: true})
        }
      })
    })
  }
}

after(() => {
  if (observed.length > 0) console.log(`\n  observed:\n${observed.map((l) => `    ${l}`).join('\n')}`)
})
