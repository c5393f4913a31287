import {PassThrough, type Readable, type Transform, type Writable} from 'node:stream'

import {type Compression, gzipConcurrency, gzipMember, zstdCompressor} from './compression.js'

/**
 * The tar stream is assembled in blocks of this size: headers are copied in and file bodies are
 * read straight into the block, so thousands of small files become a few large writes to the
 * compressor (each write to a zlib engine is a thread-pool round trip) and no buffer is
 * allocated per file. A block is also the unit of one gzip member.
 */
export const BLOCK_SIZE = 1024 * 1024
/** The consumer side (encryption, output) went away; its own error is the one to report. */
export class OutputClosed extends Error {
  constructor() {
    super('the archive stream closed early')
  }
}

/** Writes a chunk and waits for 'drain' when needed; rejects if the stream errors or closes first. */
function writeChunk(stream: Writable, chunk: Buffer, done?: () => void): Promise<void> | undefined {
  if (stream.destroyed) throw new OutputClosed()
  if (stream.write(chunk, done)) return undefined
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.off('drain', onDrain)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (error) reject(error)
      else resolve()
    }

    const onDrain = () => {
      settle()
    }

    const onError = (error: Error) => {
      settle(error)
    }

    const onClose = () => {
      settle(new OutputClosed())
    }

    stream.on('drain', onDrain)
    stream.on('error', onError)
    stream.on('close', onClose)
    if (stream.destroyed) settle(new OutputClosed())
  })
}

/** Where finished tar blocks go: a compressor, which hands them back for reuse once consumed. */
export type BlockSink = {
  abort(error: Error): void
  finish(): Promise<void>
  /** The compressed (or plain) byte stream, for encryption and the output. */
  readonly output: Readable
  /** Takes a block (its first `length` bytes); resolves when the next one may be produced. */
  push(block: Buffer, length: number): Promise<void>
}

/** Blocks that came back from the compressor; bounded by the sinks' own limits. */
export class BlockPool {
  private readonly free: Buffer[] = []
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(BLOCK_SIZE)
  }

  give(block: Buffer): void {
    if (this.free.length < 8) this.free.push(block)
  }
}

/**
 * gzip, pigz style: every block becomes its own gzip member, compressed on the thread pool with
 * `gzipConcurrency()` members in flight, and written out in order. Memory is bounded by the
 * members in flight (input block + output member each).
 */
class ParallelGzipSink implements BlockSink {
  readonly output = new PassThrough({highWaterMark: BLOCK_SIZE})
  private readonly inFlight: Array<Promise<Buffer>> = []
  private failure: Error | undefined

  constructor(
    private readonly pool: BlockPool,
    private readonly concurrency = gzipConcurrency(),
  ) {}

  abort(error: Error): void {
    this.failure ??= error
  }

  async finish(): Promise<void> {
    while (this.inFlight.length > 0) await this.writeOldest()
    this.output.end()
  }

  async push(block: Buffer, length: number): Promise<void> {
    if (this.failure) throw this.failure
    const member = gzipMember(block.subarray(0, length)).then((out) => {
      this.pool.give(block)
      return out
    })
    member.catch(() => {}) // surfaced in order by writeOldest
    this.inFlight.push(member)
    // `concurrency` members compress while the next block fills; then wait for the oldest.
    while (this.inFlight.length > this.concurrency) await this.writeOldest()
  }

  private async writeOldest(): Promise<void> {
    const member = await this.inFlight.shift()!
    if (this.failure) throw this.failure
    await writeChunk(this.output, member)
  }
}

/** zstd: one frame through one streaming compressor (on the thread pool); blocks return when consumed. */
class ZstdSink implements BlockSink {
  readonly output: Transform = zstdCompressor()
  private failure: Error | undefined

  constructor(private readonly pool: BlockPool) {}

  abort(error: Error): void {
    this.failure ??= error
  }

  async finish(): Promise<void> {
    if (this.failure) throw this.failure
    this.output.end()
  }

  async push(block: Buffer, length: number): Promise<void> {
    if (this.failure) throw this.failure
    await writeChunk(this.output, block.subarray(0, length), () => {
      this.pool.give(block)
    })
  }
}

/** No compression: blocks go out as they are (and are not reused). */
class PlainSink implements BlockSink {
  readonly output = new PassThrough({highWaterMark: BLOCK_SIZE})
  private failure: Error | undefined

  abort(error: Error): void {
    this.failure ??= error
  }

  async finish(): Promise<void> {
    this.output.end()
  }

  async push(block: Buffer, length: number): Promise<void> {
    if (this.failure) throw this.failure
    await writeChunk(this.output, block.subarray(0, length))
  }
}

/** Lays the tar stream out in blocks and hands full blocks to the sink. */
export class TarBlocks {
  private block: Buffer
  private used = 0

  constructor(
    private readonly pool: BlockPool,
    private readonly sink: BlockSink,
  ) {
    this.block = pool.take()
  }

  /** Commits `n` bytes written into room(). */
  async advance(n: number): Promise<void> {
    this.used += n
    if (this.used === this.block.length) await this.flush()
  }

  async end(): Promise<void> {
    if (this.used > 0) await this.flush()
    await this.sink.finish()
  }

  /** Free space of the current block, to read into; never empty. */
  room(): Buffer {
    return this.block.subarray(this.used)
  }

  async write(bytes: Buffer): Promise<void> {
    let offset = 0
    while (offset < bytes.length) {
      const n = bytes.copy(this.block, this.used, offset)
      offset += n
      await this.advance(n)
    }
  }

  private async flush(): Promise<void> {
    const {block, used} = this
    this.block = this.pool.take()
    this.used = 0
    await this.sink.push(block, used)
  }
}

export function sinkFor(compression: Compression, pool: BlockPool): BlockSink {
  if (compression === 'gzip') return new ParallelGzipSink(pool)
  if (compression === 'zstd') return new ZstdSink(pool)
  return new PlainSink()
}
