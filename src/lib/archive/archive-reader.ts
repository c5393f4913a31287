import type {Readable} from 'node:stream'

import {createHash} from 'node:crypto'
import fs from 'node:fs'
import {StringDecoder} from 'node:string_decoder'
import {Parser, type ReadEntry} from 'tar'

import {isMigrateError, MigrateError} from '../errors.js'
import {EntryLedger, type SeenEntry} from './entry-ledger.js'
import {checkNestedRoots, checkSymlink, checkSymlinkChains, locateEntry, tarTypeToEntryType} from './entry-rules.js'
import {type HeldBodies, heldBodyMissing} from './held-bodies.js'
import {
  type ArchiveManifest,
  type ArchiveRoot,
  type EntryType,
  FORMAT_NAME,
  FORMAT_VERSION,
  INDEX_ENTRY,
  type IndexEntry,
  type IndexTrailer,
  MANIFEST_ENTRY,
} from './manifest.js'
import {type HeldBody, parseHeldBody} from './tar-format.js'

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024
/** A generous ceiling on the index: ~100 bytes a line for 10M entries. */
const MAX_INDEX_BYTES = 2 * 1024 * 1024 * 1024
/** One index line: a path and a link target of at most 4096 characters each, JSON-escaped. */
export const MAX_INDEX_LINE = 64 * 1024
/** Entries, whatever the manifest's totals say (the entry ledger is on disk; this bounds the time). */
export const MAX_ENTRIES = 20_000_000
/** Roots a manifest may declare (an export of one machine has a handful per profile). */
export const MAX_MANIFEST_ROOTS = 4096

function limit(message: string): MigrateError {
  return new MigrateError('ARCHIVE_LIMIT', message, {
    suggestions: ['This archive is beyond what openclaw-migrate writes; it was crafted or damaged. Do not import it.'],
  })
}

export type PayloadEntry = {
  linkKind?: 'absolute-into-root' | 'declared-outside' | 'inside'
  linkpath?: string
  mode: number
  mtime: number
  path: string
  rel: string
  root: ArchiveRoot
  size: number
  type: EntryType
}

export type FileWriter = {
  close(): Promise<void>
  write(chunk: Buffer): Promise<void> | void
}

/** A file placed from a body the receiver already held, open for reading to be hashed where it now lies. */
export type AdoptedFile = {fd: number; path: string}

/** Where verified entries go: a staging dir (import) or nowhere (check). */
export type ArchiveSink = {
  /**
   * Places a held body (a push's phase-one copy) as this entry without copying it, when the file
   * system allows; null to have it copied through file().
   */
  adopt?(entry: PayloadEntry, held: string): Promise<AdoptedFile | null>
  directory?(entry: PayloadEntry): Promise<void>
  /** Return null to only hash the body. */
  file?(entry: PayloadEntry): Promise<FileWriter | null>
  manifest?(manifest: ArchiveManifest): Promise<void>
  symlink?(entry: PayloadEntry): Promise<void>
}

export type {SeenEntry} from './entry-ledger.js'

export type ReadArchiveOptions = {
  /**
   * Bodies this machine already holds (the phase-one store of a push), by sha256: the only way an
   * entry without its body is accepted. Archives from anywhere else never name one.
   */
  heldBodies?: HeldBodies
  spaceLimit?: () => number | undefined
}

export type ReadArchiveResult = {
  /** Every payload entry, verified against the index; the caller closes it when done. */
  entries: EntryLedger
  manifest: ArchiveManifest
  payloadBytes: number
}

function mismatch(message: string): MigrateError {
  return new MigrateError('ARCHIVE_MISMATCH', message, {
    suggestions: ['The archive does not match its own index: copy it again or export again.'],
  })
}

function truncated(detail: string): MigrateError {
  return new MigrateError('ARCHIVE_TRUNCATED', `The archive is truncated (${detail}).`, {
    suggestions: ['Copy the archive again (compare `sha256sum` on both machines) and retry.'],
  })
}

/** Maps stream, zlib, age and tar failures onto the product's error codes. */
export function archiveError(error: unknown): MigrateError {
  if (isMigrateError(error)) return error
  const err = error as NodeJS.ErrnoException & {tarCode?: string}
  const message = err?.message ?? String(error)
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message))
    return truncated('the compressed stream ends early')
  if (err?.tarCode === 'TAR_BAD_ARCHIVE' && /truncated/i.test(message)) return truncated('a tar entry ends early')
  if (
    /ZSTD_error|incorrect header check|invalid (block|distance|stored|code)|Z_DATA_ERROR|checksum/i.test(
      `${err?.code} ${message}`,
    )
  ) {
    return new MigrateError('ARCHIVE_CORRUPT', `The archive is corrupted (${message.replace(/^TAR_\w+: /, '')}).`, {
      suggestions: ['Copy the archive again and retry; if it persists, export again.'],
    })
  }

  return new MigrateError('ARCHIVE_CORRUPT', `The archive cannot be read (${message}).`, {
    suggestions: ['Copy the archive again and retry; if it persists, export again.'],
  })
}

async function readAll(entry: ReadEntry, limit: number, what: string): Promise<Buffer> {
  if (entry.size > limit) throw mismatch(`${what} is implausibly large (${entry.size} bytes).`)
  const chunks: Buffer[] = []
  for await (const chunk of entry) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export function parseManifest(bytes: Buffer): ArchiveManifest {
  let manifest: ArchiveManifest
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as ArchiveManifest
  } catch {
    throw new MigrateError('ARCHIVE_CORRUPT', 'The archive manifest is not valid JSON.', {
      suggestions: ['Copy the archive again, or export again.'],
    })
  }

  if (manifest?.format !== FORMAT_NAME)
    throw new MigrateError('ARCHIVE_CORRUPT', 'This is not an openclaw-migrate archive (unknown manifest format).')
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > FORMAT_VERSION) {
    throw new MigrateError(
      'ARCHIVE_VERSION',
      `The archive has format version ${manifest.formatVersion}; this openclaw-migrate reads up to ${FORMAT_VERSION}.`,
      {
        suggestions: ['Upgrade openclaw-migrate on this machine (npm install -g @openclaw/plugin-migrate@latest).'],
      },
    )
  }

  if (
    !Array.isArray(manifest.roots) ||
    !Array.isArray(manifest.profiles) ||
    !Array.isArray(manifest.symlinksOutside) ||
    typeof manifest.archiveId !== 'string'
  ) {
    throw new MigrateError('ARCHIVE_CORRUPT', 'The archive manifest is incomplete.')
  }

  if (manifest.roots.length > MAX_MANIFEST_ROOTS)
    throw limit(`The manifest declares ${manifest.roots.length} roots; at most ${MAX_MANIFEST_ROOTS} are accepted.`)
  for (const root of manifest.roots) {
    if (
      typeof root?.id !== 'string' ||
      !/^[A-Za-z0-9._-]{1,128}$/.test(root.id) ||
      /^\.+$/.test(root.id) ||
      root.archivePath !== `roots/${root.id}`
    )
      throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `The manifest names an unsafe root ${JSON.stringify(root.id)}.`)
  }

  return manifest
}

/**
 * Reads and verifies a whole archive in one streaming pass. Every entry is checked against the
 * safety rules as it arrives and handed to the sink; the trailing index then proves each body's
 * hash, size, type and mode, that nothing is missing or extra, and that the manifest is intact.
 * Callers must treat whatever the sink wrote as untrusted until this resolves.
 */
/** An entry whose body the receiver already holds: only with `heldBodies`, else the archive is refused. */
function heldBodyOf(entry: ReadEntry, key: string, options: ReadArchiveOptions): HeldBody | null {
  const comment = entry.extended?.comment
  if (!comment?.startsWith('openclaw-migrate-held')) return null
  let held: HeldBody | null = null
  try {
    held = parseHeldBody(comment)
  } catch {
    // malformed: refused below like any held body where none may be
  }

  if (!held || !options.heldBodies || (entry.size ?? 0) !== 0)
    throw new MigrateError(
      'ARCHIVE_UNSAFE_ENTRY',
      `Refusing ${key}: it names a body held by the receiving end of a push instead of carrying its own.`,
      {suggestions: ['Only `push` sends such entries, to its own receiver; do not import this archive.']},
    )
  return held
}

function openHeld(file: string, sha256: string): number {
  try {
    return fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw heldBodyMissing(sha256)
    throw error
  }
}

/** The bytes of an open file in pieces of up to 1 MiB, read synchronously (a consumer may keep a piece); closes it. */
function* readFileChunks(fd: number): Generator<Buffer> {
  try {
    let left = fs.fstatSync(fd).size
    while (left > 0) {
      const buffer = Buffer.allocUnsafe(Math.min(left, 1024 * 1024))
      const n = fs.readSync(fd, buffer)
      if (n === 0) return
      left -= n
      yield buffer.subarray(0, n)
    }
  } finally {
    fs.closeSync(fd)
  }
}

export async function readArchive(
  tar: Readable,
  sink: ArchiveSink = {},
  options: ReadArchiveOptions = {},
): Promise<ReadArchiveResult> {
  const parser = new Parser({maxDecompressionRatio: Infinity, strict: true})
  const entries = new EntryLedger()
  const dirs = new Set<string>()
  // Symlinks are few and the chain check needs them all at the end: they stay in memory.
  const links = new Map<string, SeenEntry>()
  let manifest: ArchiveManifest | undefined
  let manifestSha256 = ''
  let roots = new Map<string, ArchiveRoot>()
  let indexDone = false
  let sawEof = false
  let payloadBytes = 0
  let writtenBytes = 0
  let entryLimit = Infinity
  let byteLimit = Infinity
  let failure: MigrateError | undefined
  let chain = Promise.resolve()

  // On the first failure stop reading, and end the parser so a half-read entry ends and nothing waits forever.
  const fail = (error: unknown) => {
    if (failure) return
    failure = archiveError(error)
    tar.unpipe(parser)
    tar.destroy()
    parser.end()
  }

  const handle = async (entry: ReadEntry): Promise<void> => {
    if (failure) {
      entry.resume()
      return
    }

    if (indexDone) throw mismatch(`Entry ${entry.path} follows the index.`)
    if (!manifest) {
      if (entry.path !== MANIFEST_ENTRY || entry.type !== 'File')
        throw new MigrateError(
          'ARCHIVE_CORRUPT',
          'The archive does not start with its manifest: not an openclaw-migrate archive.',
        )
      const bytes = await readAll(entry, MAX_MANIFEST_BYTES, 'The manifest')
      manifest = parseManifest(bytes)
      manifestSha256 = createHash('sha256').update(bytes).digest('hex')
      roots = new Map(manifest.roots.map((r) => [r.id, r]))
      const t = manifest.totals ?? {dirs: 0, files: 0, symlinks: 0}
      entryLimit = Math.min(
        MAX_ENTRIES,
        Math.ceil(((Number(t.files) || 0) + (Number(t.dirs) || 0) + (Number(t.symlinks) || 0)) * 1.1) +
          manifest.roots.length +
          1000,
      )
      // Snapshots can outgrow their source (WAL content), hence the margin; a bomb cannot.
      byteLimit = (Number(manifest.totals?.bytes) || 0) * 2 + 256 * 1024 * 1024
      await sink.manifest?.(manifest)
      return
    }

    if (entry.path === INDEX_ENTRY) {
      await verifyIndex(entry)
      indexDone = true
      return
    }

    const type = tarTypeToEntryType(entry.path, entry.type)
    const {rel, root} = locateEntry(entry.path, roots)
    const key = rel ? `${root.archivePath}/${rel}` : root.archivePath
    if (entries.has(key))
      throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `Refusing duplicate archive entry ${key}.`, {
        suggestions: ['The archive has been tampered with; do not import it.'],
      })
    if (entries.size >= entryLimit)
      throw entryLimit === MAX_ENTRIES
        ? limit(`The archive holds more than ${MAX_ENTRIES} entries.`)
        : mismatch(`The archive holds more entries than its manifest declares (${entries.size}+).`)
    const parent = key.slice(0, key.lastIndexOf('/'))
    if (root.type === 'dir' && rel !== '' && !dirs.has(parent)) {
      throw new MigrateError(
        'ARCHIVE_UNSAFE_ENTRY',
        `Refusing ${key}: its parent ${links.has(parent) ? 'is a symlink' : 'directory is not in the archive'}.`,
        {suggestions: ['The archive has been tampered with; do not import it.']},
      )
    }

    if (root.type === 'dir' && rel === '' && type !== 'dir')
      throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `Root ${root.id} must be a directory.`)
    const payload: PayloadEntry = {
      mode: (entry.mode ?? 0o600) & 0o7777,
      mtime: entry.mtime?.getTime() ?? 0,
      path: key,
      rel,
      root,
      size: entry.size ?? 0,
      type,
    }
    if (type === 'dir') {
      entry.resume()
      dirs.add(key)
      entries.add(key, {mode: payload.mode, mtime: payload.mtime, size: 0, type})
      await sink.directory?.(payload)
      return
    }

    if (type === 'symlink') {
      entry.resume()
      payload.linkpath = entry.linkpath ?? ''
      payload.linkKind = checkSymlink(key, payload.linkpath, root, rel, manifest)
      const seen: SeenEntry = {linkpath: payload.linkpath, mode: payload.mode, mtime: payload.mtime, size: 0, type}
      links.set(key, seen)
      entries.add(key, seen)
      await sink.symlink?.(payload)
      return
    }

    const held = heldBodyOf(entry, key, options)
    if (held) payload.size = held.size
    if (payloadBytes + payload.size > byteLimit)
      throw mismatch(
        `${key} declares ${payload.size} bytes, far more than the manifest's total of ${manifest.totals.bytes}.`,
      )
    const spaceLimit = options.spaceLimit?.()
    // A held body is moved into place, not written again: it takes no new space.
    if (spaceLimit !== undefined && !held && writtenBytes + payload.size > spaceLimit) {
      throw new MigrateError(
        'NO_SPACE',
        `Not enough free space for ${key} (${payload.size} bytes) after ${payloadBytes} bytes.`,
        {suggestions: ['Free space on the target disk, then import again.']},
      )
    }

    let body: AsyncIterable<Buffer> | Iterable<Buffer> = entry
    let adopted: AdoptedFile | null = null
    if (held) {
      entry.resume()
      const claim = options.heldBodies!.claim(held.sha256)
      adopted = claim.movable ? ((await sink.adopt?.(payload, claim.path)) ?? null) : null
      if (adopted) options.heldBodies!.moved(held.sha256, adopted.path)
      // The held copy is hashed where it lies now: the index below vouches for it like for any body.
      body = readFileChunks(adopted?.fd ?? openHeld(claim.path, held.sha256))
    }

    const writer = adopted ? null : await sink.file?.(payload)
    const hash = createHash('sha256')
    let size = 0
    try {
      for await (const chunk of body) {
        hash.update(chunk)
        size += chunk.length
        if (writer) await writer.write(chunk)
      }
    } finally {
      await writer?.close()
    }

    const sha256 = hash.digest('hex')
    if (held && (size !== held.size || sha256 !== held.sha256))
      throw new MigrateError(
        'PUSH_SEED_DAMAGED',
        `The copy of ${key} sent ahead by the push changed on this machine before it was imported.`,
        {suggestions: ['Run the push again from the old machine; check this disk if it happens again.']},
      )
    if (size !== payload.size) throw truncated(`${key} has ${size} of ${payload.size} bytes`)
    payloadBytes += size
    if (!held) writtenBytes += size
    entries.add(key, {mode: payload.mode, mtime: payload.mtime, sha256, size, type})
  }

  const verifyIndex = async (entry: ReadEntry) => {
    if (entry.size > MAX_INDEX_BYTES) throw mismatch('The index is implausibly large.')
    // Line assembly is linear: each chunk is searched once for newlines, and a line is capped, so one
    // endless line costs one pass (it used to be re-split with every chunk: quadratic).
    let pending: string[] = []
    let pendingLength = 0
    let count = 0
    let trailer: IndexTrailer | undefined
    // The exporter writes the index in archive order: it is checked against the ledger in one
    // sequential pass; a path out of step is looked up only to say what is wrong.
    const inOrder = entries[Symbol.iterator]()
    const checkLine = (line: string) => {
      if (!line) return
      if (trailer) throw mismatch('The index continues after its trailer.')
      let item: IndexEntry | IndexTrailer
      try {
        item = JSON.parse(line) as IndexEntry | IndexTrailer
      } catch {
        throw new MigrateError('ARCHIVE_CORRUPT', 'The archive index is damaged (a line is not JSON).')
      }

      if ('end' in item) {
        trailer = item
        return
      }

      const next = inOrder.next()
      if (next.done || next.value[0] !== item.path) {
        if (!entries.has(item.path)) throw mismatch(`The index lists ${item.path}, which is not in the archive.`)
        throw mismatch(`The index lists ${item.path} twice or out of order.`)
      }

      const seen = next.value[1]
      if (seen.type !== item.type)
        throw mismatch(`${item.path} is a ${seen.type} in the archive but a ${item.type} in the index.`)
      if (seen.size !== item.size)
        throw mismatch(`${item.path} has ${seen.size} bytes but the index says ${item.size}.`)
      if (item.type === 'file' && seen.sha256 !== item.sha256)
        throw mismatch(`${item.path} does not match its sha256 in the index (corrupted or tampered).`)
      if (item.type === 'symlink' && seen.linkpath !== item.linkpath)
        throw mismatch(`The link ${item.path} points elsewhere than the index says.`)
      if ((seen.mode & 0o7777) !== (item.mode & 0o7777))
        throw mismatch(`${item.path} has mode ${seen.mode.toString(8)} but the index says ${item.mode.toString(8)}.`)
      if (seen.mtime !== item.mtime) throw mismatch(`${item.path} has another mtime in the index.`)
      count++
    }

    const feed = (text: string) => {
      let start = 0
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        if (pendingLength + nl - start > MAX_INDEX_LINE)
          throw limit(`An index line is longer than ${MAX_INDEX_LINE} characters.`)
        const line = pending.length > 0 ? pending.join('') + text.slice(start, nl) : text.slice(start, nl)
        pending = []
        pendingLength = 0
        checkLine(line)
        start = nl + 1
      }

      if (start < text.length) {
        pendingLength += text.length - start
        if (pendingLength > MAX_INDEX_LINE) throw limit(`An index line is longer than ${MAX_INDEX_LINE} characters.`)
        pending.push(text.slice(start))
      }
    }

    // A multi-byte character can straddle two chunks: decode the stream, not each chunk.
    const decoder = new StringDecoder('utf8')
    for await (const chunk of entry) feed(decoder.write(chunk))
    feed(decoder.end())
    checkLine(pending.join(''))
    if (!trailer) throw truncated('the index has no trailer')
    if (trailer.archiveId !== manifest!.archiveId) throw mismatch('The index belongs to another archive.')
    if (trailer.manifestSha256 !== manifestSha256)
      throw mismatch('The manifest does not match the hash recorded in the index (tampered).')
    if (trailer.entries !== count || count !== entries.size)
      throw mismatch(
        `The index lists ${count} entries (trailer: ${trailer.entries}) but the archive holds ${entries.size}.`,
      )
    if (trailer.bytes !== payloadBytes)
      throw mismatch(`The archive holds ${payloadBytes} payload bytes but the index says ${trailer.bytes}.`)
  }

  await new Promise<void>((resolve) => {
    parser.on('entry', (entry: ReadEntry) => {
      chain = chain
        .then(() => handle(entry))
        .catch((error) => {
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
  try {
    await chain
    if (failure) throw failure
    if (!manifest)
      throw new MigrateError(
        'ARCHIVE_CORRUPT',
        'The archive holds no manifest: not an openclaw-migrate archive, or empty.',
      )
    if (!indexDone) throw truncated('the index at the end is missing')
    if (!sawEof) throw truncated('the tar end marker is missing')
    checkSymlinkChains(links, manifest)
    checkNestedRoots(links, manifest)
  } catch (error) {
    entries.close()
    throw error
  }

  return {entries, manifest, payloadBytes}
}
