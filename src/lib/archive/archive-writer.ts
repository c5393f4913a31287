import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {Transform, type Writable} from 'node:stream'
import {pipeline as pipelineAsync} from 'node:stream/promises'

import {MigrateError} from '../errors.js'
import {archivePathOf, type ExportPlan} from '../inventory/export-plan.js'
import {type WalkEntry, walkRoot} from '../inventory/tree-walker.js'
import {snapshotDatabase} from '../sqlite/sqlite-snapshot.js'
import {hashOpenFile} from '../util/file-hash.js'
import {type Compression} from './compression.js'
import {type EncryptionSpec, encryptStream} from './encryption.js'
import {type ArchiveManifest, INDEX_ENTRY, type IndexEntry, type IndexTrailer, MANIFEST_ENTRY} from './manifest.js'
import {partialPathFor, publishError, publishExclusive, type PublishMethod} from './publish.js'
import {BLOCK_SIZE, BlockPool, OutputClosed, sinkFor, TarBlocks} from './tar-blocks.js'
import {encodeTarHeader, tarPadding, tarTrailer} from './tar-format.js'
import {VolumeSink} from './volumes.js'

/** The index is buffered and written to its temp file in pieces of about this size. */
const INDEX_FLUSH = 64 * 1024

export type ArchiveProgress = {
  bytes: number
  files: number
}

export type WriteArchiveOptions = {
  compression: Compression
  encryption: EncryptionSpec
  manifest: ArchiveManifest
  onProgress?: (progress: ArchiveProgress) => void
  /**
   * A file path (written 0600, never overwritten) or a stream such as stdout. With `volumeSize`
   * the file is cut into volumes `<path>.001`, `.002`, … of at most that many bytes (FAT32).
   */
  output: {path: string; volumeSize?: number} | {stream: Writable}
  plan: ExportPlan
  /** Private (0700) scratch dir for SQLite snapshots and the index. */
  tempDir: string
  /**
   * sha256 of the bodies the receiving end of a push already holds (its phase-one copy): a file
   * whose content hashes to one of them is sent as a reference, without its body.
   */
  withheld?: ReadonlySet<string>
}

export type WriteArchiveResult = {
  archiveBytes: number
  archiveSha256: string
  entries: number
  payloadBytes: number
  /** How a file output was put under its final name: link, or exclusive copy (exFAT, FAT32). */
  published: null | PublishMethod
  sqliteSnapshots: Array<{integrity: string; path: string}>
  /** The volume files of a split archive, in order; null when it is one file or a stream. */
  volumes: null | string[]
  /** Files sent as references to bodies the receiver already held. */
  withheld: number
}

function changed(abs: string, what: string): MigrateError {
  return new MigrateError('SOURCE_CHANGED', `${abs} ${what} while it was being exported.`, {
    suggestions: [
      'Stop the gateway (or pass --stop-gateway) and anything else writing to the state, then export again.',
    ],
  })
}

function unreadable(abs: string, code: string | undefined): MigrateError {
  return new MigrateError('SOURCE_UNREADABLE', `Cannot read ${abs} (${code ?? 'error'}).`, {
    suggestions: [
      code === 'EACCES'
        ? 'Fix its permissions or ownership (the state should belong to the user running OpenClaw), then export again.'
        : 'Check the file, or skip it with --exclude.',
    ],
  })
}

/**
 * Streams a regular file into the tar body, hashing the exact bytes written. Reads are
 * synchronous and go straight into the tar block: on a warm cache a small file costs a few
 * microseconds this way, against several thread-pool round trips with fs.promises, while the
 * compressor keeps working on the thread pool.
 */
async function fileBody(
  tar: TarBlocks,
  abs: string,
  size: number,
  mtimeMs: number,
  hash: ReturnType<typeof createHash>,
  progress: ArchiveProgress,
): Promise<void> {
  let fd: number
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') throw changed(abs, 'disappeared')
    throw unreadable(abs, code)
  }

  try {
    let position = 0
    while (position < size) {
      const room = tar.room()
      const bytesRead = fs.readSync(fd, room, 0, Math.min(room.length, size - position), position)
      if (bytesRead === 0) throw changed(abs, 'shrank')
      hash.update(room.subarray(0, bytesRead))
      position += bytesRead
      progress.bytes += bytesRead
      await tar.advance(bytesRead)
    }

    const after = fs.fstatSync(fd)
    if (after.size !== size || after.mtimeMs !== mtimeMs) throw changed(abs, 'changed')
  } finally {
    fs.closeSync(fd)
  }
}

type TarSourceState = {
  entries: number
  payloadBytes: number
  sqlite: Array<{integrity: string; path: string}>
  withheld: number
}

/**
 * The file's sha256 when the receiver already holds that content; null to send the body (not
 * held, empty, or changed while hashed: the body pass then hashes what it sends).
 */
function heldHash(abs: string, size: number, mtimeMs: number, held: ReadonlySet<string>): null | string {
  if (size === 0) return null
  let fd: number
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch {
    return null // the body pass reports it
  }

  try {
    const hash = createHash('sha256')
    if (hashOpenFile(fd, hash, size) < size) return null
    const after = fs.fstatSync(fd)
    if (after.size !== size || after.mtimeMs !== mtimeMs) return null
    const sha256 = hash.digest('hex')
    return held.has(sha256) ? sha256 : null
  } finally {
    fs.closeSync(fd)
  }
}

/** The index, buffered in memory a piece at a time and kept in a private temp file. */
class IndexFile {
  private readonly fd: number
  private pending: string[] = []
  private pendingLength = 0

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx', 0o600)
  }

  close(): number {
    this.flush()
    fs.closeSync(this.fd)
    return fs.statSync(this.file).size
  }

  write(line: IndexEntry | IndexTrailer): void {
    const text = `${JSON.stringify(line)}\n`
    this.pending.push(text)
    this.pendingLength += text.length
    if (this.pendingLength >= INDEX_FLUSH) this.flush()
  }

  private flush(): void {
    if (this.pending.length === 0) return
    fs.writeSync(this.fd, this.pending.join(''))
    this.pending = []
    this.pendingLength = 0
  }
}

/** Writes the manifest entry and returns its hash: its bytes (MiBs with many secrets) are not kept. */
async function writeManifest(tar: TarBlocks, manifest: ArchiveManifest, mtime: Date): Promise<string> {
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
  await tar.write(encodeTarHeader({mode: 0o600, mtime, path: MANIFEST_ENTRY, size: bytes.length, type: 'file'}))
  await tar.write(bytes)
  const pad = tarPadding(bytes.length)
  if (pad) await tar.write(pad)
  return createHash('sha256').update(bytes).digest('hex')
}

async function writeTar(
  options: WriteArchiveOptions,
  state: TarSourceState,
  progress: ArchiveProgress,
  tar: TarBlocks,
): Promise<void> {
  const {manifest, plan, tempDir} = options
  const now = new Date(manifest.createdAt)
  const manifestSha256 = await writeManifest(tar, manifest, now)

  const index = new IndexFile(path.join(tempDir, INDEX_ENTRY))
  const sqliteFiles = new Set(plan.sqlite.map((s) => s.source))

  const entryBytes = async (entry: WalkEntry, archivePath: string): Promise<void> => {
    const mode = entry.stat.mode & 0o7777
    const mtime = new Date(Math.floor(entry.stat.mtimeMs / 1000) * 1000)
    if (entry.type !== 'file') {
      await tar.write(
        encodeTarHeader({linkpath: entry.linkTarget, mode, mtime, path: archivePath, size: 0, type: entry.type}),
      )
      index.write({
        linkpath: entry.linkTarget,
        mode,
        mtime: mtime.getTime(),
        path: archivePath,
        size: 0,
        type: entry.type,
      })
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
      const snap = fs.statSync(source)
      size = snap.size
      mtimeMs = snap.mtimeMs
    }

    const held = options.withheld?.size ? heldHash(source, size, mtimeMs, options.withheld) : null
    if (held) {
      await tar.write(
        encodeTarHeader({heldBody: {sha256: held, size}, mode, mtime, path: archivePath, size, type: 'file'}),
      )
      if (source !== entry.abs) fs.rmSync(source, {force: true})
      index.write({mode, mtime: mtime.getTime(), path: archivePath, sha256: held, size, type: 'file'})
      state.entries++
      state.payloadBytes += size
      state.withheld++
      progress.files++
      options.onProgress?.(progress)
      return
    }

    const hash = createHash('sha256')
    await tar.write(encodeTarHeader({mode, mtime, path: archivePath, size, type: 'file'}))
    await fileBody(tar, source, size, mtimeMs, hash, progress)
    const pad = tarPadding(size)
    if (pad) await tar.write(pad)
    if (source !== entry.abs) fs.rmSync(source, {force: true})
    index.write({mode, mtime: mtime.getTime(), path: archivePath, sha256: hash.digest('hex'), size, type: 'file'})
    state.entries++
    state.payloadBytes += size
    progress.files++
    options.onProgress?.(progress)
  }

  for (const root of plan.roots) {
    for await (const event of walkRoot(root, plan.walk)) {
      if (event.kind === 'skip') continue
      await entryBytes(event.entry, archivePathOf(root, event.entry.rel))
    }
  }

  index.write({
    archiveId: manifest.archiveId,
    bytes: state.payloadBytes,
    end: true,
    entries: state.entries,
    manifestSha256,
  })
  const indexSize = index.close()
  await tar.write(encodeTarHeader({mode: 0o600, mtime: now, path: INDEX_ENTRY, size: indexSize, type: 'file'}))
  const fd = fs.openSync(index.file, 'r')
  try {
    let position = 0
    while (position < indexSize) {
      const room = tar.room()
      const n = fs.readSync(fd, room, 0, Math.min(room.length, indexSize - position), position)
      if (n === 0) throw new Error('the index file shrank')
      position += n
      await tar.advance(n)
    }
  } finally {
    fs.closeSync(fd)
  }

  const indexPad = tarPadding(indexSize)
  if (indexPad) await tar.write(indexPad)
  await tar.write(tarTrailer())
  await tar.end()
}

/**
 * Writes the archive as one stream: tar → gzip/zstd → age → file or stdout. A file output is
 * written under a partial name next to the target and published (publish.ts) only when complete,
 * so a failed or interrupted export never leaves a partial archive under the final name.
 *
 * The tar is produced on the main thread (walk, read, hash) while the blocks are compressed on
 * the thread pool; back-pressure from the output holds the producer, so memory stays bounded by
 * a few blocks whatever the size of the state.
 */
export async function writeArchive(options: WriteArchiveOptions): Promise<WriteArchiveResult> {
  const state: TarSourceState = {entries: 0, payloadBytes: 0, sqlite: [], withheld: 0}
  const progress: ArchiveProgress = {bytes: 0, files: 0}
  const pool = new BlockPool()
  const sink = sinkFor(options.compression, pool)
  const encrypted = await encryptStream(sink.output, options.encryption)

  const archiveHash = createHash('sha256')
  let archiveBytes = 0
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      archiveHash.update(chunk)
      archiveBytes += chunk.length
      done(null, chunk)
    },
  })

  const produce = async (): Promise<void> => {
    try {
      await writeTar(options, state, progress, new TarBlocks(pool, sink))
    } catch (error) {
      sink.output.destroy(error as Error)
      throw error
    }
  }

  const consume = async (output: Promise<void>): Promise<void> => {
    try {
      await output
    } catch (error) {
      sink.abort(error as Error)
      sink.output.destroy()
      throw error
    }
  }

  /**
   * Runs producer and consumer together. A producer error (the source changed...) is the cause
   * when there is one; otherwise the consumer's (disk full, closed pipe...).
   */
  const run = async (output: Promise<void>): Promise<void> => {
    const [produced, consumed] = await Promise.allSettled([produce(), consume(output)])

    if (produced.status === 'rejected' && !(produced.reason instanceof OutputClosed)) throw produced.reason
    if (consumed.status === 'rejected') throw consumed.reason
    if (produced.status === 'rejected') throw produced.reason
  }

  let volumes: null | string[] = null
  let published: null | PublishMethod = null
  if ('stream' in options.output) {
    await run(pipelineAsync(encrypted, meter, options.output.stream, {end: options.output.stream !== process.stdout}))
  } else if (options.output.volumeSize) {
    const volumeSink = new VolumeSink(options.output.path, options.output.volumeSize, partialPathFor)
    const {files, method} = await writeVolumes(options.output.path, volumeSink, async () =>
      run(pipelineAsync(encrypted, meter, volumeSink)),
    )
    volumes = files.length > 1 ? files : null
    published = method
  } else {
    const finalPath = options.output.path
    const partial = partialPathFor(finalPath)
    try {
      await run(
        pipelineAsync(
          encrypted,
          meter,
          fs.createWriteStream(partial, {flags: 'wx', highWaterMark: BLOCK_SIZE, mode: 0o600}),
        ),
      )
    } catch (error) {
      await fs.promises.rm(partial, {force: true})
      throw publishError(error, finalPath)
    }

    published = await publishExclusive(partial, finalPath)
  }

  return {
    archiveBytes,
    archiveSha256: archiveHash.digest('hex'),
    entries: state.entries,
    payloadBytes: state.payloadBytes,
    published,
    sqliteSnapshots: state.sqlite,
    volumes,
    withheld: state.withheld,
  }
}

/**
 * Writes all volumes under partial names, then publishes them in order (link, else exclusive copy:
 * never replacing a name). On any failure every partial volume and every volume published by this
 * run goes.
 */
async function writeVolumes(
  base: string,
  sink: VolumeSink,
  write: () => Promise<void>,
): Promise<{files: string[]; method: null | PublishMethod}> {
  const published: string[] = []
  let method: null | PublishMethod = null
  try {
    await write()
    // Everything fit in one volume: it is an ordinary archive under the name asked for.
    if (sink.volumes.length === 1) sink.volumes[0].final = base
    for (const v of sink.volumes) {
      method = await publishExclusive(v.partial, v.final)
      published.push(v.final)
    }

    return {files: published, method}
  } catch (error) {
    for (const f of published) await fs.promises.rm(f, {force: true})
    throw publishError(error, base)
  } finally {
    sink.discard()
  }
}
