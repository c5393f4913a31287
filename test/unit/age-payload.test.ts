import {Encrypter, generateX25519Identity, identityToRecipient} from 'age-encryption'
import {expect} from 'chai'
import crypto from 'node:crypto'
import {Readable} from 'node:stream'
import {buffer} from 'node:stream/consumers'

import {AGE_CHUNK} from '../../src/lib/archive/age-payload.js'
import {decryptStream} from '../../src/lib/archive/encryption.js'
import {MigrateError} from '../../src/lib/errors.js'

/** Feeds a buffer in uneven pieces, the way a pipe or a file stream would deliver it. */
function pieces(data: Uint8Array, sizes = [1, 7, 4096, 65_552, 100_000, 1 << 20]): Readable {
  const parts: Buffer[] = []
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]
    parts.push(Buffer.from(data.subarray(at, at + n)))
    at += n
  }

  return Readable.from(parts, {objectMode: false})
}

async function decrypt(ciphertext: Uint8Array, keys: {identities?: string[]; passphrase?: string}): Promise<Buffer> {
  return buffer(await decryptStream(pieces(ciphertext), keys))
}

async function failure(
  ciphertext: Uint8Array,
  keys: {identities?: string[]; passphrase?: string},
): Promise<MigrateError> {
  try {
    await decrypt(ciphertext, keys)
  } catch (error) {
    expect(error).to.be.instanceOf(MigrateError)
    return error as MigrateError
  }

  expect.fail('decryption succeeded')
}

describe('age payload decryption (node:crypto STREAM under age-encryption headers)', () => {
  let identity: string
  let recipient: string

  before(async () => {
    identity = await generateX25519Identity()
    recipient = await identityToRecipient(identity)
  })

  const encrypt = async (plain: Uint8Array): Promise<Uint8Array> => {
    const e = new Encrypter()
    e.addRecipient(recipient)
    return e.encrypt(plain)
  }

  // Every chunk-boundary case of the STREAM construction: empty, one byte, exactly one chunk, one
  // byte either side of it, several whole chunks, and an odd size.
  for (const size of [0, 1, AGE_CHUNK - 1, AGE_CHUNK, AGE_CHUNK + 1, 3 * AGE_CHUNK, 1_000_003]) {
    it(`decrypts ${size} bytes exactly as age-encryption wrote them`, async () => {
      const plain = crypto.randomBytes(size)
      expect((await decrypt(await encrypt(plain), {identities: [identity]})).equals(plain)).to.equal(true)
    })
  }

  it('decrypts passphrase archives (scrypt header)', async () => {
    const e = new Encrypter()
    e.setScryptWorkFactor(10)
    e.setPassphrase('pass phrase')
    const plain = crypto.randomBytes(200_000)
    expect((await decrypt(await e.encrypt(plain), {passphrase: 'pass phrase'})).equals(plain)).to.equal(true)
  })

  it('refuses the wrong identity before producing any output (DECRYPT_FAILED)', async () => {
    const error = await failure(await encrypt(crypto.randomBytes(10)), {identities: [await generateX25519Identity()]})
    expect(error.code).to.equal('DECRYPT_FAILED')
  })

  it('refuses a stream cut at a chunk boundary: the last chunk it has was not sealed as the last', async () => {
    const sealed = await encrypt(crypto.randomBytes(3 * AGE_CHUNK))
    const headerAndNonce = sealed.length - 3 * (AGE_CHUNK + 16)
    const error = await failure(sealed.subarray(0, headerAndNonce + 2 * (AGE_CHUNK + 16)), {identities: [identity]})
    expect(error.code).to.equal('ARCHIVE_CORRUPT')
  })

  it('refuses a stream cut inside a chunk, after the header, and inside the header', async () => {
    const sealed = await encrypt(crypto.randomBytes(2 * AGE_CHUNK + 500))
    for (const cut of [sealed.length - 1, sealed.length - 600, 200, 40]) {
      const error = await failure(sealed.subarray(0, cut), {identities: [identity]})
      expect(error.code, `cut at ${cut}`).to.equal('ARCHIVE_CORRUPT')
    }
  })

  it('refuses a flipped bit in any payload chunk and bytes appended after the last chunk', async () => {
    const sealed = await encrypt(crypto.randomBytes(2 * AGE_CHUNK + 500))
    for (const at of [sealed.length - 1, sealed.length - 700, sealed.length - AGE_CHUNK - 800]) {
      const flipped = Buffer.from(sealed)
      flipped[at] ^= 0x01
      expect((await failure(flipped, {identities: [identity]})).code, `flip at ${at}`).to.equal('ARCHIVE_CORRUPT')
    }

    const appended = Buffer.concat([sealed, Buffer.from('x')])
    expect((await failure(appended, {identities: [identity]})).code).to.equal('ARCHIVE_CORRUPT')
  })

  it('refuses input that never ends its header', async () => {
    const junk = Buffer.concat([
      Buffer.from('age-encryption.org/v1\n-> X25519 abc\n'),
      Buffer.alloc(2 * 1024 * 1024, 0x41),
    ])
    expect((await failure(junk, {identities: [identity]})).code).to.equal('ARCHIVE_CORRUPT')
  })
})
