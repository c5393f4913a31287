import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {
  BLOCK_SIZE,
  encodeTarHeader,
  type TarEntryHeader,
  tarPadding,
  tarTrailer,
} from '../../src/lib/archive/tar-format.js'

function gnuTar(args: string[], input?: Buffer): {status: null | number; stderr: string; stdout: string} {
  const r = spawnSync('tar', args, {env: {...process.env, LC_ALL: 'C.UTF-8'}, input})
  if (r.error) throw r.error
  return {status: r.status, stderr: r.stderr.toString('utf8'), stdout: r.stdout.toString('utf8')}
}

/** Builds a tar with nothing but encodeTarHeader, tarPadding and tarTrailer, like the archive writer. */
function buildTar(entries: Array<TarEntryHeader & {body?: Buffer}>): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0)
    const header = encodeTarHeader({...e, size: e.type === 'file' ? body.length : 0})
    expect(header.length % BLOCK_SIZE).to.equal(0)
    parts.push(header)
    if (e.type === 'file') {
      parts.push(body)
      const pad = tarPadding(body.length)
      if (pad) parts.push(pad)
    }
  }

  parts.push(tarTrailer())
  return Buffer.concat(parts)
}

describe('tar-format (headers read back by GNU tar)', () => {
  const mtime = new Date('2026-10-01T10:00:00Z')
  const longDir = `roots/work.workspace.main/${'deep-directory-name/'.repeat(12)}`.replace(/\/$/, '')
  const longFile = `${longDir}/${'n'.repeat(150)}.md`
  const unicodeFile = 'roots/work.workspace.main/memory/日記-2026 ✓/Ärger über ñandú 🦞.md'
  const longLinkTarget = `../../${'x'.repeat(140)}/target.md`
  const entries: Array<TarEntryHeader & {body?: Buffer}> = [
    {mode: 0o700, mtime, path: 'roots/work.workspace.main', size: 0, type: 'dir'},
    {
      body: Buffer.from('short\n'),
      mode: 0o600,
      mtime,
      path: 'roots/work.workspace.main/MEMORY.md',
      size: 0,
      type: 'file',
    },
    {mode: 0o755, mtime, path: longDir, size: 0, type: 'dir'},
    {body: Buffer.from('long path body\n'), mode: 0o644, mtime, path: longFile, size: 0, type: 'file'},
    {body: Buffer.from('ünïcödé body — 🦞\n'), mode: 0o600, mtime, path: unicodeFile, size: 0, type: 'file'},
    {
      body: Buffer.alloc(BLOCK_SIZE, 0x61),
      mode: 0o600,
      mtime,
      path: 'roots/work.state/exactly-one-block.bin',
      size: 0,
      type: 'file',
    },
    {
      linkpath: 'MEMORY.md',
      mode: 0o777,
      mtime,
      path: 'roots/work.workspace.main/memory-link.md',
      size: 0,
      type: 'symlink',
    },
    {
      linkpath: longLinkTarget,
      mode: 0o777,
      mtime,
      path: 'roots/work.workspace.main/far-link',
      size: 0,
      type: 'symlink',
    },
    {
      linkpath: '/usr/share/dict/日本語',
      mode: 0o777,
      mtime,
      path: 'roots/work.workspace.main/ünicode-link',
      size: 0,
      type: 'symlink',
    },
  ]
  let dir: string
  let tarFile: string

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-tar-'))
    tarFile = path.join(dir, 'test.tar')
    fs.writeFileSync(tarFile, buildTar(entries))
  })

  after(() => {
    fs.rmSync(dir, {force: true, recursive: true})
  })

  it('the test paths really exceed ustar limits', () => {
    expect(Buffer.byteLength(longFile)).to.be.greaterThan(255)
    expect(Buffer.byteLength(longLinkTarget)).to.be.greaterThan(100)
    expect(encodeTarHeader({mode: 0o644, mtime, path: longFile, size: 1, type: 'file'}).length).to.be.greaterThan(
      BLOCK_SIZE,
    )
    expect(encodeTarHeader({mode: 0o644, mtime, path: 'short.txt', size: 1, type: 'file'}).length).to.equal(BLOCK_SIZE)
  })

  it('GNU tar lists every name exactly, in order, with no warnings', () => {
    const r = gnuTar(['-t', '--quoting-style=literal', '-f', tarFile])
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stderr).to.equal('')
    const expected = entries.map((e) => (e.type === 'dir' ? `${e.path}/` : e.path))
    expect(r.stdout.split('\n').filter(Boolean)).to.deep.equal(expected)
  })

  it('GNU tar shows types, modes, sizes and link targets', () => {
    const r = gnuTar(['-tv', '--quoting-style=literal', '--numeric-owner', '-f', tarFile])
    expect(r.status, r.stderr).to.equal(0)
    const lines = r.stdout.split('\n').filter(Boolean)
    expect(lines[0]).to.match(/^drwx------ 0\/0 /)
    expect(lines[1]).to.match(/^-rw------- 0\/0 +6 /)
    expect(lines[3]).to.match(/^-rw-r--r-- 0\/0 +15 /)
    expect(lines[6])
      .to.match(/^lrwxrwxrwx /)
      .and.include('memory-link.md -> MEMORY.md')
    expect(lines[7]).to.include(`far-link -> ${longLinkTarget}`)
    expect(lines[8]).to.include('ünicode-link -> /usr/share/dict/日本語')
  })

  it('extracts byte-identical bodies and links with GNU tar', () => {
    const out = path.join(dir, 'out')
    fs.mkdirSync(out)
    const r = gnuTar(['-x', '-f', tarFile, '-C', out])
    expect(r.status, r.stderr).to.equal(0)
    for (const e of entries) {
      const target = path.join(out, e.path)
      if (e.type === 'file') expect(fs.readFileSync(target).equals(e.body!)).to.equal(true, e.path)
      if (e.type === 'symlink') expect(fs.readlinkSync(target)).to.equal(e.linkpath)
      if (e.type === 'dir') expect(fs.statSync(target).isDirectory()).to.equal(true)
    }

    expect(fs.statSync(path.join(out, 'roots/work.workspace.main/MEMORY.md')).mtime.getTime()).to.equal(mtime.getTime())
  })

  it('records no owner (uid/gid 0, no user names)', () => {
    const r = gnuTar(['-tv', '-f', tarFile])
    for (const line of r.stdout.split('\n').filter(Boolean)) expect(line.split(/\s+/, 2)[1]).to.equal('0/0')
  })

  it('strips file-type bits from the mode and keeps setuid/sticky-free permission bits', () => {
    const header = encodeTarHeader({mode: 0o10_0644, mtime, path: 'a', size: 0, type: 'file'})
    // ustar mode field: offset 100, 8 bytes of octal.
    expect(Number.parseInt(header.toString('latin1', 100, 107), 8)).to.equal(0o644)
  })

  it('tarPadding pads to the next 512-byte boundary and nothing at a boundary', () => {
    expect(tarPadding(0)).to.equal(null)
    expect(tarPadding(BLOCK_SIZE)).to.equal(null)
    expect(tarPadding(1)?.length).to.equal(BLOCK_SIZE - 1)
    expect(tarPadding(BLOCK_SIZE + 1)?.length).to.equal(BLOCK_SIZE - 1)
    expect(tarPadding(1000)?.length).to.equal(24)
    expect(tarTrailer().length).to.equal(2 * BLOCK_SIZE)
    expect(tarTrailer().every((b) => b === 0)).to.equal(true)
  })
})
