import {Decrypter, Encrypter} from 'age-encryption'
import fs from 'node:fs'
import {Readable} from 'node:stream'

import {MigrateError} from '../errors.js'
import {readHead} from '../util/stream-head.js'
import {AGE_NONCE_BYTES, AgePayloadDecipher, payloadKey} from './age-payload.js'

export const AGE_MAGIC = 'age-encryption.org/v1\n'

export type EncryptionSpec =
  {kind: 'none'} | {kind: 'passphrase'; passphrase: string} | {kind: 'recipients'; recipients: string[]}

export type DecryptionKeys = {
  identities?: string[]
  passphrase?: string
}

/** Reads age recipients (`age1…`) from a file: one a line, `#` comments and blank lines ignored. */
export function readKeyFile(file: string, kind: 'identity' | 'recipient'): string[] {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new MigrateError(
      'KEY_INVALID',
      `Cannot read the ${kind} file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    )
  }

  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const pattern = kind === 'identity' ? /^AGE-SECRET-KEY-1[0-9A-Z]+$/ : /^age1[0-9a-z]+$/
  const bad = keys.findIndex((k) => !pattern.test(k))
  if (keys.length === 0 || bad !== -1) {
    throw new MigrateError(
      'KEY_INVALID',
      `${file} does not hold age ${kind === 'identity' ? 'identities (AGE-SECRET-KEY-1…)' : 'recipients (age1…)'}${bad === -1 ? '' : ` (line ${bad + 1})`}.`,
      {
        suggestions: [
          kind === 'identity'
            ? 'Create one with `age-keygen -o key.txt`.'
            : 'Get the recipient with `age-keygen -y key.txt` on the new machine.',
        ],
      },
    )
  }

  return keys
}

export function validateRecipient(recipient: string): string {
  if (!/^age1[0-9a-z]+$/.test(recipient)) {
    throw new MigrateError('KEY_INVALID', `"${recipient.slice(0, 12)}…" is not an age recipient (age1…).`, {
      suggestions: ['Print the recipient of a key with `age-keygen -y key.txt`.'],
    })
  }

  return recipient
}

/** Wraps a byte stream in age encryption (STREAM chunks of 64 KiB), without buffering it. */
export async function encryptStream(input: Readable, spec: EncryptionSpec): Promise<Readable> {
  if (spec.kind === 'none') return input
  const encrypter = new Encrypter()
  if (spec.kind === 'passphrase') encrypter.setPassphrase(spec.passphrase)
  else for (const r of spec.recipients) encrypter.addRecipient(r)
  const web = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>
  const encrypted = await encrypter.encrypt(web)
  return Readable.fromWeb(encrypted)
}

/** The kinds of the age header's recipient stanzas (`-> scrypt …`, `-> X25519 …`). */
function stanzaKinds(header: Buffer): Set<string> {
  return new Set([...header.toString('latin1').matchAll(/^-> (\S+)/gm)].map((m) => m[1].toLowerCase()))
}

export function decryptError(error: unknown, keys: DecryptionKeys, stanzas = new Set<string>()): MigrateError {
  const message = error instanceof Error ? error.message : String(error)
  if (
    /no identity matched|incorrect passphrase|failed to decrypt|scrypt|no matching/i.test(message) &&
    !/chunk|stream|truncat/i.test(message)
  ) {
    const byPassphrase = stanzas.has('scrypt')
    if (stanzas.size > 0 && !byPassphrase && (keys.identities ?? []).length === 0)
      return new MigrateError('DECRYPT_FAILED', 'This archive is encrypted to a key, not to a passphrase.', {
        suggestions: ['Pass --identity KEYFILE with the age identity (AGE-SECRET-KEY-1…) it was exported to.'],
      })
    if (byPassphrase && !keys.passphrase)
      return new MigrateError('DECRYPT_FAILED', 'This archive is encrypted with a passphrase, not to a key.', {
        suggestions: [`Pass --passphrase-file FILE or set OPENCLAW_MIGRATE_PASSPHRASE.`],
      })
    return new MigrateError(
      'DECRYPT_FAILED',
      keys.passphrase
        ? 'The archive could not be decrypted with this passphrase (wrong passphrase).'
        : 'None of the given identities can decrypt this archive.',
      {
        suggestions: ['Check the passphrase (or --identity file) used at export time and try again.'],
      },
    )
  }

  return new MigrateError('ARCHIVE_CORRUPT', `The encrypted archive is damaged or truncated (${message}).`, {
    suggestions: ['Copy the archive again (compare `sha256sum` on both machines) and retry.'],
  })
}

/** An age header is a few hundred bytes (a few KiB with post-quantum stanzas); more is not age. */
const MAX_HEADER = 1024 * 1024

/** Where an age header ends: after its `--- MAC` line (stanza bodies are base64, so the first "\n---" is it). */
function headerEnd(head: Buffer): number {
  const mac = head.indexOf('\n---')
  const eol = mac === -1 ? -1 : head.indexOf(0x0a, mac + 1)
  return eol === -1 ? -1 : eol + 1
}

/**
 * Decrypts an age stream; header errors (wrong key) surface here, payload errors while reading.
 * The header is age-encryption's job; the bulk payload is deciphered natively (age-payload.ts).
 */
export async function decryptStream(input: Readable, keys: DecryptionKeys): Promise<Readable> {
  const decrypter = new Decrypter()
  if (keys.passphrase) decrypter.addPassphrase(keys.passphrase)
  for (const id of keys.identities ?? []) decrypter.addIdentity(id)
  let fileKey: Uint8Array
  let payload: Readable
  let nonce: Buffer
  let stanzas = new Set<string>()
  try {
    const read = await readHead(
      input,
      (head) =>
        head.length > MAX_HEADER || (headerEnd(head) !== -1 && head.length >= headerEnd(head) + AGE_NONCE_BYTES),
    )
    const end = headerEnd(read.head)
    if (end === -1)
      throw new Error(read.ended ? 'the age header is truncated' : 'the age header does not end (damaged stream)')
    if (read.head.length < end + AGE_NONCE_BYTES) throw new Error('the age payload nonce is truncated')
    stanzas = stanzaKinds(read.head.subarray(0, end))
    fileKey = await decrypter.decryptHeader(read.head.subarray(0, end))
    nonce = read.head.subarray(end, end + AGE_NONCE_BYTES)
    payload = read.rest(end + AGE_NONCE_BYTES)
  } catch (error) {
    throw decryptError(error, keys, stanzas)
  }

  const decipher = new AgePayloadDecipher(payloadKey(fileKey, nonce), (error) => decryptError(error, keys))
  payload.on('error', (error) => {
    decipher.destroy(error)
  })
  decipher.on('close', () => {
    payload.destroy()
  })
  return payload.pipe(decipher)
}
