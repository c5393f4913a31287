import type {Readable} from 'node:stream'

import fs from 'node:fs'

import {MigrateError} from '../errors.js'
import {readHead} from '../util/stream-head.js'
import {type Compression, decompressor, detectCompression} from './compression.js'
import {AGE_MAGIC, type DecryptionKeys, decryptStream} from './encryption.js'
import {ourCommand} from '../cli-face.js'

const ARMOR_MAGIC = '-----BEGIN AGE ENCRYPTED FILE-----'

export type OpenedArchive = {
  compression: Compression
  encrypted: boolean
  /** The plain tar byte stream. */
  tar: Readable
}

/**
 * Opens an archive file or stdin and returns its plain tar stream: age is detected by its
 * header and decrypted with keys asked for only then; gzip/zstd by their magic bytes.
 */
export async function openArchive(source: string, getKeys: () => Promise<DecryptionKeys>): Promise<OpenedArchive> {
  let input: Readable
  if (source === '-') {
    input = process.stdin
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
  if (first.head.length === 0)
    throw new MigrateError('ARCHIVE_TRUNCATED', 'The archive is empty.', {suggestions: ['Copy the archive again.']})
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
    if (!encrypted && /^age-encryption\.org\//.test(text)) {
      throw new MigrateError('ARCHIVE_VERSION', 'This archive uses an age format version this tool does not know.')
    }

    throw new MigrateError(
      'ARCHIVE_CORRUPT',
      `${source === '-' ? 'stdin' : source} is not an openclaw-migrate archive (not age, gzip, zstd or tar).`,
      {
        suggestions: [`Pass the file written by \`${ourCommand('export')}\`.`],
      },
    )
  }

  const decomp = decompressor(compression)
  const body = second.rest()
  let tar = body
  if (decomp) {
    tar = body.pipe(decomp)
    body.on('error', (error) => decomp.destroy(error))
  }

  return {compression, encrypted, tar}
}
