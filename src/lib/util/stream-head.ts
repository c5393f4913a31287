import {PassThrough, Readable} from 'node:stream'

export type StreamHead = {
  ended: boolean
  /** Everything read so far (at least what `enough` asked for, unless the stream ended first). */
  head: Buffer
  /**
   * The stream again, with the head from byte `from` on put back in front. An error the stream
   * raised after the head was read (a payload chunk failing while nobody was reading) is held until
   * then and carried by the returned stream, so it cannot go unheard between two consumers.
   */
  rest(from?: number): Readable
}

/**
 * Reads the start of a stream until `enough(head)` holds or the stream ends, without losing a byte:
 * used to detect the archive's format and to take age's header off the front (works for stdin too).
 */
export async function readHead(stream: Readable, enough: (head: Buffer) => boolean): Promise<StreamHead> {
  return new Promise((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0)
    let held: Error | undefined
    const hold = (error: Error) => {
      held ??= error
    }

    const finish = (ended: boolean) => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', reject)
      // Put back at once, before the stream can see its end and emit it with the head still out.
      if (!ended) {
        stream.pause()
        if (head.length > 0) stream.unshift(head)
      }

      stream.on('error', hold)
      resolve({
        ended,
        head,
        rest(from = 0) {
          stream.off('error', hold)
          if (held) {
            const error = held
            const failed = new PassThrough()
            process.nextTick(() => failed.destroy(error))
            return failed
          }

          if (ended) return Readable.from(head.length > from ? [head.subarray(from)] : [])
          // The head is buffered in front: taking `from` bytes of it is synchronous.
          if (from > 0) stream.read(from)
          return stream
        },
      })
    }

    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
      if (enough(head)) finish(false)
    }

    const onEnd = () => {
      finish(true)
    }

    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', reject)
    stream.resume()
  })
}
