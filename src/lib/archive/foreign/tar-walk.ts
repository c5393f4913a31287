import type {Readable} from 'node:stream'

import {Parser, type ReadEntry} from 'tar'

import {MigrateError} from '../../errors.js'
import {archiveError} from '../archive-reader.js'
import {MAX_PATH_LENGTH, tarTypeToEntryType} from '../entry-rules.js'
import {type EntryType} from '../manifest.js'

/** An entry of a foreign tar as it was written, its name normalised (no `./`, no trailing `/`). */
export type RawEntry = {
  linkpath?: string
  mode: number
  /** Whole seconds: what a re-encoded ustar header can carry, so both passes agree. */
  mtime: number
  path: string
  size: number
  type: EntryType
}

export function unsafeForeign(name: string, why: string): MigrateError {
  return new MigrateError(
    'ARCHIVE_UNSAFE_ENTRY',
    `Refusing unsafe archive entry ${JSON.stringify(name.slice(0, 200))}: ${why}.`,
    {suggestions: ['This archive was damaged or tampered with; do not import it.']},
  )
}

/**
 * The name rules of the native reader, applied to a foreign entry before it is renamed: the
 * rename must never turn `..`, an absolute path or an odd name into something that looks safe.
 * Returns '' for the archive's own top directory (`./`).
 */
export function normaliseRawName(raw: string): string {
  let name = raw
  while (name.startsWith('./')) name = name.slice(2)
  while (name.endsWith('/')) name = name.slice(0, -1)
  if (name === '' || name === '.') return ''
  if (name.length > MAX_PATH_LENGTH) throw unsafeForeign(name, `name longer than ${MAX_PATH_LENGTH} characters`)
  if (name.includes('\0')) throw unsafeForeign(name, 'NUL in name')
  if (name.includes('\u{FFFD}')) throw unsafeForeign(name, 'name is not valid UTF-8')
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafeForeign(name, 'absolute path')
  if (name.includes('\\')) throw unsafeForeign(name, 'backslash in name')
  const parts = name.split('/')
  if (parts.includes('..')) throw unsafeForeign(name, '".." in path')
  if (parts.some((p) => p === '' || p === '.')) throw unsafeForeign(name, 'non-normalised path')
  return name
}

export function rawEntryOf(entry: ReadEntry): null | RawEntry {
  const name = normaliseRawName(entry.path)
  const type = tarTypeToEntryType(name || '.', entry.type)
  if (name === '') {
    if (type !== 'dir') throw unsafeForeign(entry.path, 'the archive root is not a directory')
    return null
  }

  return {
    linkpath: type === 'symlink' ? (entry.linkpath ?? '') : undefined,
    mode: (entry.mode ?? 0o600) & 0o7777,
    mtime: Math.floor((entry.mtime?.getTime() ?? 0) / 1000) * 1000,
    path: name,
    size: type === 'file' ? (entry.size ?? 0) : 0,
    type,
  }
}

/**
 * Parses a tar stream entry by entry, one at a time (the next entry waits for `onEntry` of the
 * previous one), with the reader's strictness and error mapping. Resolves when the tar ends
 * with its end marker; rejects with the first failure, having stopped reading.
 */
export async function walkTar(tar: Readable, onEntry: (entry: ReadEntry) => Promise<void>): Promise<void> {
  const parser = new Parser({maxDecompressionRatio: Infinity, strict: true})
  let failure: MigrateError | undefined
  let chain = Promise.resolve()
  let sawEof = false
  const fail = (error: unknown) => {
    if (failure) return
    failure = archiveError(error)
    tar.unpipe(parser)
    tar.destroy()
    parser.end()
  }

  await new Promise<void>((resolve) => {
    parser.on('entry', (entry: ReadEntry) => {
      chain = chain
        .then(async () => {
          if (failure) entry.resume()
          else await onEntry(entry)
        })
        .catch((error: unknown) => {
          entry.resume()
          fail(error)
        })
    })
    parser.on('error', (error: Error) => {
      fail(error)
    })
    parser.on('eof', () => {
      sawEof = true
    })
    parser.on('end', () => {
      resolve()
    })
    parser.on('close', () => {
      resolve()
    })
    tar.on('error', (error) => {
      fail(error)
    })
    tar.pipe(parser)
  })
  await chain
  if (failure) throw failure
  if (!sawEof)
    throw new MigrateError('ARCHIVE_TRUNCATED', 'The archive is truncated (the tar end marker is missing).', {
      suggestions: ['Copy the archive again (compare `sha256sum` on both machines) and retry.'],
    })
}
