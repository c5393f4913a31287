import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {pipeline, Readable, Transform, type Writable} from 'node:stream'
import {pipeline as pipelineAsync} from 'node:stream/promises'

import type {ExportPlan} from '../inventory/export-plan.js'

import {MigrateError} from '../errors.js'
import {archivePathOf} from '../inventory/export-plan.js'
import {walkRoot, type WalkEntry} from '../inventory/tree-walker.js'
import {snapshotDatabase} from '../sqlite/sqlite-snapshot.js'
import {type Compression, compressor} from './compression.js'
import {encryptStream, type EncryptionSpec} from './encryption.js'
import {type ArchiveManifest, INDEX_ENTRY, type IndexEntry, type IndexTrailer, MANIFEST_ENTRY} from './manifest.js'
import {encodeTarHeader, tarPadding, tarTrailer} from './tar-format.js'

const READ_CHUNK = 1024 * 1024

export interface ArchiveProgress {
  files: number
  bytes: number
}

export interface WriteArchiveOptions {
  plan: ExportPlan
  manifest: ArchiveManifest
  compression: Compression
  encryption: EncryptionSpec
  /** A file path (written 0600, never overwritten) or a stream such as stdout. */
  output: {path: string} | {stream: Writable}
  /** Private (0700) scratch dir for SQLite snapshots and the index. */
  tempDir: string
  onProgress?: (progress: ArchiveProgress) => void
}

export interface WriteArchiveResult {
  entries: number
  payloadBytes: number
  archiveBytes: number
  archiveSha256: string
  sqliteSnapshots: {path: string; integrity: string}[]
}

function changed(abs: string, what: string): MigrateError {
  return new MigrateError('SOURCE_CHANGED', `${abs} ${what} while it was being exported.`, {
    suggestions: ['Stop the gateway (or pass --stop-gateway) and anything else writing to the state, then export again.'],
  })
}

/** Streams a regular file into the tar body, hashing the exact bytes written. */
async function* fileBody(abs: string, size: number, mtimeMs: number, hash: ReturnType<typeof createHash>, progress: ArchiveProgress): AsyncGenerator<Buffer> {
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw changed(abs, 'disappeared')
    throw new MigrateError('SOURCE_UNREADABLE', `Cannot read ${abs} (${code ?? 'error'}).`, {
      suggestions: [code === 'EACCES' ? 'Fix its permissions or ownership (the state should belong to the user running OpenClaw), then export again.' : 'Check the file, or skip it with --exclude.'],
    })
  }
  try {
    let remaining = size
    while (remaining > 0) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, remaining))
      const {bytesRead} = await handle.read(buf, 0, buf.length, size - remaining)
      if (bytesRead === 0) throw changed(abs, 'shrank')
      const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead)
      hash.update(chunk)
      remaining -= bytesRead
      progress.bytes += bytesRead
      yield chunk
    }
    const after = await handle.stat()
    if (after.size !== size || after.mtimeMs !== mtimeMs) throw changed(abs, 'changed')
  } finally {
    await handle.close()
  }
}

interface TarSourceState {
  entries: number
  payloadBytes: number
  sqlite: {path: string; integrity: string}[]
}

async function* tarSource(options: WriteArchiveOptions, state: TarSourceState, progress: ArchiveProgress): AsyncGenerator<Buffer> {
  const {manifest, plan, tempDir} = options
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
  const now = new Date(manifest.createdAt)
  yield encodeTarHeader({mode: 0o600, mtime: now, path: MANIFEST_ENTRY, size: manifestBytes.length, type: 'file'})
  yield manifestBytes
  const pad = tarPadding(manifestBytes.length)
  if (pad) yield pad

  const indexPath = path.join(tempDir, INDEX_ENTRY)
  const index = fs.createWriteStream(indexPath, {flags: 'wx', mode: 0o600})
  const indexClosed = new Promise<void>((resolve, reject) => {
    index.on('close', resolve)
    index.on('error', reject)
  })
  const sqliteFiles = new Set(plan.sqlite.map((s) => s.source))
  const writeIndex = (line: IndexEntry | IndexTrailer) => index.write(`${JSON.stringify(line)}\n`)

  for (const root of plan.roots) {
    for await (const event of walkRoot(root, plan.walk)) {
      if (event.kind === 'skip') continue
      const {entry} = event
      yield* entryBytes(entry, archivePathOf(root, entry.rel))
    }
  }

  async function* entryBytes(entry: WalkEntry, archivePath: string): AsyncGenerator<Buffer> {
    const mode = entry.stat.mode & 0o7777
    const mtime = new Date(Math.floor(entry.stat.mtimeMs / 1000) * 1000)
    if (entry.type !== 'file') {
      yield encodeTarHeader({linkpath: entry.linkTarget, mode, mtime, path: archivePath, size: 0, type: entry.type})
      writeIndex({linkpath: entry.linkTarget, mode, mtime: mtime.getTime(), path: archivePath, size: 0, type: entry.type})
      state.entries++
      return
    }
    let source = entry.abs
    let {size} = entry.stat
    let {mtimeMs} = entry.stat
    if (sqliteFiles.has(entry.abs)) {
      source = path.join(tempDir, `snapshot-${state.sqlite.length}.sqlite`)
      const result = await snapshotDatabase(entry.abs, source)
      state.sqlite.push({integrity: result.integrity, path: archivePath})
      const snap = await fs.promises.stat(source)
      size = snap.size
      mtimeMs = snap.mtimeMs
    }
    const hash = createHash('sha256')
    yield encodeTarHeader({mode, mtime, path: archivePath, size, type: 'file'})
    yield* fileBody(source, size, mtimeMs, hash, progress)
    const pad = tarPadding(size)
    if (pad) yield pad
    if (source !== entry.abs) await fs.promises.rm(source, {force: true})
    writeIndex({mode, mtime: mtime.getTime(), path: archivePath, sha256: hash.digest('hex'), size, type: 'file'})
    state.entries++
    state.payloadBytes += size
    progress.files++
    options.onProgress?.(progress)
  }

  const trailer: IndexTrailer = {
    archiveId: manifest.archiveId,
    bytes: state.payloadBytes,
    end: true,
    entries: state.entries,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
  }
  writeIndex(trailer)
  index.end()
  await indexClosed
  const indexSize = (await fs.promises.stat(indexPath)).size
  yield encodeTarHeader({mode: 0o600, mtime: now, path: INDEX_ENTRY, size: indexSize, type: 'file'})
  for await (const chunk of fs.createReadStream(indexPath, {highWaterMark: READ_CHUNK})) yield chunk as Buffer
  const indexPad = tarPadding(indexSize)
  if (indexPad) yield indexPad
  yield tarTrailer()
}

/**
 * Writes the archive as one stream: tar → gzip/zstd → age → file or stdout. A file output is
 * written under a temporary name next to the target and linked into place only when complete,
 * so a failed or interrupted export never leaves a partial archive under the final name.
 */
export async function writeArchive(options: WriteArchiveOptions): Promise<WriteArchiveResult> {
  const state: TarSourceState = {entries: 0, payloadBytes: 0, sqlite: []}
  const progress: ArchiveProgress = {bytes: 0, files: 0}
  const source = Readable.from(tarSource(options, state, progress), {objectMode: false})
  const comp = compressor(options.compression)
  const compressed = comp ? (pipeline(source, comp, () => {}) as unknown as Readable) : source
  const encrypted = await encryptStream(compressed, options.encryption)

  const archiveHash = createHash('sha256')
  let archiveBytes = 0
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      archiveHash.update(chunk)
      archiveBytes += chunk.length
      done(null, chunk)
    },
  })

  if ('stream' in options.output) {
    await pipelineAsync(encrypted, meter, options.output.stream, {end: options.output.stream !== process.stdout})
  } else {
    const finalPath = options.output.path
    const partial = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.partial-${randomBytes(4).toString('hex')}`)
    try {
      await pipelineAsync(encrypted, meter, fs.createWriteStream(partial, {flags: 'wx', mode: 0o600}))
      await fs.promises.link(partial, finalPath)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new MigrateError('OUTPUT_EXISTS', `${finalPath} appeared while exporting; it was not overwritten.`, {suggestions: ['Choose another --output.']})
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new MigrateError('NO_SPACE', `The disk holding ${path.dirname(finalPath)} is full; the partial archive was removed.`, {suggestions: ['Free space or choose another --output.']})
      }
      throw error
    } finally {
      await fs.promises.rm(partial, {force: true})
    }
  }
  return {
    archiveBytes,
    archiveSha256: archiveHash.digest('hex'),
    entries: state.entries,
    payloadBytes: state.payloadBytes,
    sqliteSnapshots: state.sqlite,
  }
}
