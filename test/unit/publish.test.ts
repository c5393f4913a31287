import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {partialPathFor, publishExclusive, sweepStalePartials} from '../../src/lib/archive/publish.js'
import {isMigrateError} from '../../src/lib/errors.js'
import {rmrf, tmpDir} from '../support/cli.js'

/** A pid that belonged to a process that has exited (and was reaped). */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$'])
  return Number(r.stdout.toString().trim())
}

describe('publish: link, else exclusive copy; sweep of stale partials', () => {
  let dir: string

  beforeEach(() => {
    dir = tmpDir('publish')
  })

  afterEach(() => {
    rmrf(dir)
  })

  it('publishes by link where the filesystem has hard links, and removes the partial', async () => {
    const final = path.join(dir, 'a.tar.gz')
    const partial = partialPathFor(final)
    expect(path.basename(partial)).to.match(new RegExp(String.raw`^\.a\.tar\.gz\.partial-${process.pid}-[0-9a-f]{8}$`))
    fs.writeFileSync(partial, 'archive bytes', {mode: 0o600})
    expect(await publishExclusive(partial, final)).to.equal('link')
    expect(fs.readFileSync(final, 'utf8')).to.equal('archive bytes')
    expect(fs.existsSync(partial)).to.equal(false)
  })

  it('never overwrites: an existing final name is OUTPUT_EXISTS and stays as it was', async () => {
    const final = path.join(dir, 'a.tar.gz')
    fs.writeFileSync(final, 'precious')
    const partial = partialPathFor(final)
    fs.writeFileSync(partial, 'new')
    const error = await publishExclusive(partial, final).catch((error_: unknown) => error_)
    expect(isMigrateError(error) && error.code).to.equal('OUTPUT_EXISTS')
    expect(fs.readFileSync(final, 'utf8')).to.equal('precious')
    expect(fs.existsSync(partial)).to.equal(false)
  })

  it('sweeps only our partial names whose writer is gone (or, pid-less, a day old)', () => {
    const dead = deadPid()
    const names = {
      deadWriter: `.x.tar.gz.partial-${dead}-0123abcd`,
      legacyFresh: '.y.tar.gz.partial-89abcdef',
      legacyOld: '.z.tar.gz.partial-deadbeef',
      liveWriter: `.w.tar.gz.partial-${process.pid}-0123abcd`,
      notOurs: `.notes.partial-${dead}-xyz`,
      userFile: 'x.tar.gz',
    }
    for (const name of Object.values(names)) fs.writeFileSync(path.join(dir, name), 'bytes')
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000)
    fs.utimesSync(path.join(dir, names.legacyOld), old, old)
    fs.symlinkSync('/etc/hostname', path.join(dir, `.link.partial-${dead}-0123abcd`))

    const removed = sweepStalePartials(dir).map((p) => path.basename(p))
    expect(removed.sort()).to.deep.equal([names.deadWriter, names.legacyOld].sort())
    expect(fs.readdirSync(dir).sort()).to.deep.equal(
      [names.legacyFresh, names.liveWriter, names.notOurs, names.userFile, `.link.partial-${dead}-0123abcd`].sort(),
    )
  })

  it('a directory that cannot be listed sweeps nothing', () => {
    expect(sweepStalePartials(path.join(dir, 'missing'))).to.deep.equal([])
  })
})
