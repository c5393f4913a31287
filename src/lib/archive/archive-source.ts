import fs from 'node:fs'
import {PassThrough, Readable} from 'node:stream'

import {MigrateError} from '../errors.js'
import {type Compression, decompressor, detectCompression} from './compression.js'
import {AGE_MAGIC, type DecryptionKeys, decryptStream} from './encryption.js'

const ARMOR_MAGIC = '-----BEGIN AGE ENCRYPTED FILE-----'

export interface OpenedArchive {
  /** The plain tar byte stream. */
  tar: Readable
  encrypted: boolean
  compression: Compression
  /** Bytes read from the archive file or stdin (compressed, encrypted), for progress. */
  readBytes: () => number
  sizeOnDisk: number | null
}

/** Reads the first bytes of a stream and puts them back, so detection loses nothing (works for stdin too). */
async function peekStream(stream: Readable, want: number): Promise<{head: Buffer; stream: Readable}> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
      if (length >= want) finish(false)
    }
    const finish = (ended: boolean) => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', reject)
      const head = Buffer.concat(chunks)
      if (ended) {
        resolve({head, stream: Readable.from(head.length > 0 ? [head] : [])})
        return
      }
      stream.pause()
      if (head.length > 0) stream.unshift(head)
      resolve({head, stream})
    }
    const onEnd = () => finish(true)
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', reject)
    stream.resume()
  })
}

/**
 * Opens an archive file or stdin and returns its plain tar stream: age is detected by its
 * header and decrypted with keys asked for only then; gzip/zstd by their magic bytes.
 */
export async function openArchive(source: string, getKeys: () => Promise<DecryptionKeys>): Promise<OpenedArchive> {
  let input: Readable
  let sizeOnDisk: number | null = null
  if (source === '-') {
    input = process.stdin
  } else {
    let stat: fs.Stats
    try {
      stat = fs.statSync(source)
    } catch {
      throw new MigrateError('ARCHIVE_NOT_FOUND', `No archive at ${source}.`, {suggestions: ['Check the path, or pass - to read the archive from stdin.']})
    }
    if (!stat.isFile()) throw new MigrateError('ARCHIVE_NOT_FOUND', `${source} is not a file.`)
    sizeOnDisk = stat.size
    input = fs.createReadStream(source, {highWaterMark: 1024 * 1024})
  }
  let readBytes = 0
  input.on('data', (c: Buffer) => {
    readBytes += c.length
  })

  const first = await peekStream(input, 64)
  if (first.head.length === 0) throw new MigrateError('ARCHIVE_TRUNCATED', 'The archive is empty.', {suggestions: ['Copy the archive again.']})
  const text = first.head.toString('latin1')
  let plain: Readable = first.stream
  const encrypted = text.startsWith(AGE_MAGIC) || text.trimStart().startsWith(ARMOR_MAGIC)
  if (text.trimStart().startsWith(ARMOR_MAGIC)) {
    throw new MigrateError('ARCHIVE_CORRUPT', 'ASCII-armored age archives are not supported.', {suggestions: ['Dearmor it first: `age -d` then re-encrypt without -a, or export again.']})
  }
  // A payload error can come while nothing is listening yet (between peeking at the plain stream
  // and piping it on): it is held here and passed on once there is a consumer.
  let early: Error | undefined
  const hold = (error: Error) => {
    early ??= error
  }
  if (encrypted) {
    const keys = await getKeys()
    plain = await decryptStream(first.stream, keys)
    plain.on('error', hold)
  }
  const second = await peekStream(plain, 512)
  const compression = detectCompression(second.head)
  if (compression === 'unknown') {
    if (!encrypted && /^age-encryption\.org\//.test(text)) {
      throw new MigrateError('ARCHIVE_VERSION', 'This archive uses an age format version this tool does not know.')
    }
    throw new MigrateError('ARCHIVE_CORRUPT', `${source === '-' ? 'stdin' : source} is not an openclaw-migrate archive (not age, gzip, zstd or tar).`, {
      suggestions: ['Pass the file written by `openclaw-migrate export`.'],
    })
  }
  const decomp = decompressor(compression)
  let tar = second.stream
  if (decomp) {
    tar = second.stream.pipe(decomp)
    second.stream.on('error', (error) => decomp.destroy(error))
  }
  if (encrypted) {
    plain.off('error', hold)
    if (early) {
      // Already emitted, so no consumer saw it: a fresh stream carries it to the one that comes.
      const error = early
      decomp?.destroy()
      const failed = new PassThrough()
      tar = failed
      process.nextTick(() => failed.destroy(error))
    }
  }
  return {compression, encrypted, readBytes: () => readBytes, sizeOnDisk, tar}
}
