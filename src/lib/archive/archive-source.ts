import type {Readable} from 'node:stream'

import fs from 'node:fs'

import {MigrateError} from '../errors.js'
import {readHead} from '../util/stream-head.js'
import {archiveError} from './archive-reader.js'
import {type Compression, decompressor, detectCompression} from './compression.js'
import {AGE_MAGIC, type DecryptionKeys, decryptStream} from './encryption.js'
import {adaptForeignArchive, type ForeignOptions, unknownArchive} from './foreign/foreign-archive.js'
import {MANIFEST_ENTRY} from './manifest.js'
import {findVolumes, readVolumes} from './volumes.js'

const ARMOR_MAGIC = '-----BEGIN AGE ENCRYPTED FILE-----'

export type OpenedArchive = {
  /**
   * Passphrase-encrypted (age scrypt): only someone who knows the passphrase could have made it.
   * Recipient-encrypted and plain archives can be made or swapped by anyone (age does not
   * authenticate senders).
   */
  authenticated: boolean
  compression: Compression
  encrypted: boolean
  /** Made by another tool (plain tar, `openclaw backup create`) and adapted: verification is structural. */
  foreign: boolean
  /** The plain tar byte stream. */
  tar: Readable
}

/**
 * Opens an archive file or stdin and returns the tar stream of a native archive: age is detected
 * by its header and decrypted with keys asked for only then; gzip/zstd by their magic bytes. A tar
 * that does not start with the native manifest is handed to the foreign adapters, which turn a
 * plain tar of state dirs or an `openclaw backup create` archive into a native stream, and refuse
 * anything else as an archive this tool does not know.
 */
export async function openArchive(
  source: string,
  getKeys: () => Promise<DecryptionKeys>,
  options: ForeignOptions = {},
): Promise<OpenedArchive> {
  // A foreign archive is read twice: ask for the passphrase once.
  let keys: Promise<DecryptionKeys> | undefined
  const keysOnce = async () => {
    keys ??= getKeys()
    return keys
  }

  const opened = await openTar(source, keysOnce)
  let head: Awaited<ReturnType<typeof readHead>>
  try {
    head = await readHead(opened.tar, (h) => h.length >= 512)
  } catch (error) {
    throw archiveError(error)
  }

  const name = head.head
    .subarray(0, 100)
    .toString('utf8')
    .replace(/\0[\s\S]*$/, '')
  if (name === MANIFEST_ENTRY) {
    if (head.head.length < 512) throw archiveError(new Error('unexpected end of file'))
    return {...opened, tar: head.rest()}
  }

  head.rest().destroy()
  const what = source === '-' ? 'stdin' : source
  if (head.head.length < 512 || head.head.toString('latin1', 257, 262) !== 'ustar')
    throw unknownArchive(
      what,
      `${opened.compression === 'none' ? '' : `${opened.compression} of `}something that is not a tar`,
    )
  const tar = await adaptForeignArchive(source, async () => (await openTar(source, keysOnce)).tar, options)
  return {...opened, foreign: true, tar}
}

async function openTar(source: string, getKeys: () => Promise<DecryptionKeys>): Promise<OpenedArchive> {
  let input: Readable
  const volumes = source === '-' ? null : findVolumes(source)
  if (source === '-') {
    input = process.stdin
  } else if (volumes) {
    // A split archive: its volumes in order are one stream, verified by the one index at its end.
    input = readVolumes(volumes)
  } else {
    let stat: fs.Stats
    try {
      stat = fs.statSync(source)
    } catch {
      throw new MigrateError('ARCHIVE_NOT_FOUND', `No archive at ${source}.`, {
        suggestions: ['Check the path, or pass - to read the archive from stdin.'],
      })
    }

    if (!stat.isFile()) throw new MigrateError('ARCHIVE_NOT_FOUND', `${source} is not a file.`)
    let fd: number
    try {
      fd = fs.openSync(source, 'r')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error'
      throw new MigrateError('ARCHIVE_UNREADABLE', `Cannot read the archive ${source} (${code}).`, {
        cause: error,
        suggestions: [
          code === 'EACCES'
            ? 'Make it readable by this user (e.g. chown or chmod the file you copied), then run this again.'
            : 'Check the file and the disk it is on, then run this again.',
        ],
      })
    }

    input = fs.createReadStream(source, {fd, highWaterMark: 1024 * 1024})
  }

  const first = await readHead(input, (head) => head.length >= 64)
  if (first.head.length === 0) throw unknownArchive(source === '-' ? 'stdin' : source, 'it is empty')
  const text = first.head.toString('latin1')
  const encrypted = text.startsWith(AGE_MAGIC) || text.trimStart().startsWith(ARMOR_MAGIC)
  if (text.trimStart().startsWith(ARMOR_MAGIC)) {
    throw new MigrateError('ARCHIVE_CORRUPT', 'ASCII-armored age archives are not supported.', {
      suggestions: ['Dearmor it first: `age -d` then re-encrypt without -a, or export again.'],
    })
  }

  // Keys are asked for only now that age is seen; the stream stays held (errors too) meanwhile.
  const keys = encrypted ? await getKeys() : null
  const plain = keys ? await decryptStream(first.rest(), keys) : first.rest()
  const second = await readHead(plain, (head) => head.length >= 512)
  const compression = detectCompression(second.head)
  if (compression === 'unknown') {
    if (!encrypted && text.startsWith('age-encryption.org/')) {
      throw new MigrateError('ARCHIVE_VERSION', 'This archive uses an age format version this tool does not know.')
    }

    throw unknownArchive(source === '-' ? 'stdin' : source, 'not age, gzip, zstd or tar')
  }

  const decomp = decompressor(compression)
  const body = second.rest()
  let tar = body
  if (decomp) {
    tar = body.pipe(decomp)
    body.on('error', (error) => decomp.destroy(error))
  }

  // age allows a scrypt stanza only alone, and decryption just proved the passphrase opens it.
  const authenticated = encrypted && text.startsWith(`${AGE_MAGIC}-> scrypt `)
  return {authenticated, compression, encrypted, foreign: false, tar}
}
