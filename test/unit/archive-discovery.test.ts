/**
 * How the `openclaw` migration provider finds archives (detect) and tells how one is sealed, from
 * names and first bytes only: real age files (passphrase and X25519), real gzip/zstd heads.
 */
import {Encrypter, generateIdentity, identityToRecipient} from 'age-encryption'
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

import {archiveSeal, findArchives, identityBeside} from '../../src/lib/archive/archive-discovery.js'
import {rmrf, tmpDir} from '../support/cli.js'

async function ageFile(file: string, seal: {passphrase: string} | {recipient: string}): Promise<void> {
  const e = new Encrypter()
  if ('passphrase' in seal) {
    e.setScryptWorkFactor(10)
    e.setPassphrase(seal.passphrase)
  } else e.addRecipient(seal.recipient)
  fs.writeFileSync(file, await e.encrypt(zlib.gzipSync(Buffer.from('not a real tar'))), {mode: 0o600})
}

describe('archive discovery (names and magic bytes only)', () => {
  let dir: string
  let identity: string

  before(async () => {
    dir = tmpDir('discovery')
    identity = await generateIdentity()
    await ageFile(path.join(dir, 'openclaw-migrate-work-old-20261101T000000Z.tar.gz.age'), {passphrase: 'p'})
    await ageFile(path.join(dir, 'openclaw-migrate-work-new-20261120T000000Z.tar.zst.age'), {
      recipient: await identityToRecipient(identity),
    })
    fs.writeFileSync(path.join(dir, 'openclaw-migrate-plain.tar.gz'), zlib.gzipSync(Buffer.from('x')))
    fs.writeFileSync(path.join(dir, 'openclaw-migrate-z.tar.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]))
    fs.writeFileSync(path.join(dir, 'openclaw-migrate-empty.tar.gz.age'), '')
    fs.writeFileSync(path.join(dir, 'openclaw-migrate-text.tar.gz.age'), 'hello, not an archive\n')
    fs.writeFileSync(
      path.join(dir, 'backup.tar.gz.age'),
      fs.readFileSync(path.join(dir, 'openclaw-migrate-plain.tar.gz')),
    )
    fs.symlinkSync(path.join(dir, 'openclaw-migrate-plain.tar.gz'), path.join(dir, 'openclaw-migrate-link.tar.gz'))
    const old = new Date('2026-11-01T00:00:00Z')
    fs.utimesSync(path.join(dir, 'openclaw-migrate-work-old-20261101T000000Z.tar.gz.age'), old, old)
  })

  after(() => {
    rmrf(dir)
  })

  it('tells passphrase, recipients, gzip and zstd apart from the header, and anything else as unknown', () => {
    expect(archiveSeal(path.join(dir, 'openclaw-migrate-work-old-20261101T000000Z.tar.gz.age'))).to.equal('passphrase')
    expect(archiveSeal(path.join(dir, 'openclaw-migrate-work-new-20261120T000000Z.tar.zst.age'))).to.equal('recipients')
    expect(archiveSeal(path.join(dir, 'openclaw-migrate-plain.tar.gz'))).to.equal('gzip')
    expect(archiveSeal(path.join(dir, 'openclaw-migrate-z.tar.zst'))).to.equal('zstd')
    expect(archiveSeal(path.join(dir, 'openclaw-migrate-text.tar.gz.age'))).to.equal('unknown')
    expect(archiveSeal(path.join(dir, 'missing.tar.gz.age'))).to.equal('unknown')
    // A symlink is not followed.
    expect(archiveSeal(path.join(dir, 'openclaw-migrate-link.tar.gz'))).to.equal('unknown')
  })

  it('finds only our archives (regular, non-empty, known seal) in the given dirs, newest first', () => {
    const found = findArchives([dir, path.join(dir, 'no-such-dir'), dir])
    expect(found.map((f) => path.basename(f.path))).to.have.members([
      'openclaw-migrate-work-new-20261120T000000Z.tar.zst.age',
      'openclaw-migrate-plain.tar.gz',
      'openclaw-migrate-z.tar.zst',
      'openclaw-migrate-work-old-20261101T000000Z.tar.gz.age',
    ])
    expect(found.find((f) => f.path.includes('work-new'))?.seal).to.equal('recipients')
    // Newest first: the archive dated back a month comes last.
    expect(path.basename(found.at(-1)!.path)).to.equal('openclaw-migrate-work-old-20261101T000000Z.tar.gz.age')
    expect(found.map((f) => f.mtimeMs)).to.deep.equal(found.map((f) => f.mtimeMs).sort((x, y) => y - x))
  })

  it('names the identity file kept next to an archive: <archive>.key first, then key.txt / identity.txt', () => {
    const archive = path.join(dir, 'openclaw-migrate-work-new-20261120T000000Z.tar.zst.age')
    expect(identityBeside(archive)).to.equal(null)
    fs.writeFileSync(path.join(dir, 'key.txt'), `${identity}\n`, {mode: 0o600})
    expect(identityBeside(archive)).to.equal(path.join(dir, 'key.txt'))
    fs.writeFileSync(`${archive}.key`, `${identity}\n`, {mode: 0o600})
    expect(identityBeside(archive)).to.equal(`${archive}.key`)
  })
})
