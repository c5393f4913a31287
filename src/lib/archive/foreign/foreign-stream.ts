import {createHash} from 'node:crypto'
import fs from 'node:fs'
import {PassThrough, type Readable} from 'node:stream'

import {MigrateError} from '../../errors.js'
import {type EntryLedger} from '../entry-ledger.js'
import {type ArchiveManifest, INDEX_ENTRY, type IndexTrailer, MANIFEST_ENTRY} from '../manifest.js'
import {encodeTarHeader, tarPadding, tarTrailer} from '../tar-format.js'
import {type ForeignLayout} from './foreign-layout.js'
import {ForeignTranslator} from './foreign-translate.js'
import {rawEntryOf, walkTar} from './tar-walk.js'

const CHUNK = 1024 * 1024

/**
 * The second pass: the foreign archive read again and re-emitted as a native archive stream
 * (manifest first, `roots/<id>/…`, the index of the first pass last), for the native reader to
 * verify and stage like any other. An archive that changed between the passes no longer matches
 * that index and is refused by the reader.
 */
export function nativeStream(
  foreignTar: Readable,
  layout: ForeignLayout,
  folded: Map<string, string>,
  manifest: ArchiveManifest,
  index: EntryLedger,
  onEnd: () => void,
): Readable {
  const out = new PassThrough({highWaterMark: CHUNK})
  let closed = false
  out.on('close', () => {
    closed = true
    foreignTar.destroy()
  })
  const write = async (chunk: Buffer | null) => {
    if (!chunk) return
    if (closed) throw new MigrateError('INTERRUPTED', 'The archive stream was closed.')
    if (out.write(chunk)) return
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done)
        out.off('close', done)
        resolve()
      }

      out.on('drain', done)
      out.on('close', done)
    })
  }

  const file = async (path: string, size: number, body: Buffer) => {
    await write(encodeTarHeader({mode: 0o600, mtime: new Date(0), path, size, type: 'file'}))
    await write(body)
    await write(tarPadding(size))
  }

  const run = async () => {
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2))
    await file(MANIFEST_ENTRY, manifestBytes.length, manifestBytes)
    const translator = new ForeignTranslator(layout, folded)
    let payloadBytes = 0
    await walkTar(foreignTar, async (entry) => {
      const raw = rawEntryOf(entry)
      const t = raw ? translator.next(raw) : {action: 'drop' as const}
      if (t.action !== 'emit') {
        entry.resume()
        return
      }

      for (const e of t.entries) {
        const size = e.type === 'file' ? (e.substitute ? fs.statSync(e.substitute).size : raw!.size) : 0
        await write(
          encodeTarHeader({
            linkpath: e.linkpath,
            mode: e.mode,
            mtime: new Date(e.mtime),
            path: e.archivePath,
            size,
            type: e.type,
          }),
        )
        if (e.type !== 'file' || !e.raw) continue
        let sent = 0
        if (e.substitute) {
          entry.resume()
          for await (const chunk of fs.createReadStream(e.substitute, {highWaterMark: CHUNK})) {
            sent += (chunk as Buffer).length
            await write(chunk as Buffer)
          }
        } else {
          for await (const chunk of entry) {
            sent += chunk.length
            await write(chunk)
          }
        }

        if (sent !== size)
          throw new MigrateError('ARCHIVE_MISMATCH', `${e.raw} changed while the archive was being read.`, {
            suggestions: ['Nothing may write to the archive file during an import: copy it again and retry.'],
          })
        payloadBytes += size
        await write(tarPadding(size))
      }

      if (t.entries.at(-1)?.type !== 'file' || !t.entries.at(-1)?.raw) entry.resume()
    })

    // The index of the first pass, with the trailer the native reader expects.
    const lines = (function* () {
      for (const [p, seen] of index) yield Buffer.from(`${JSON.stringify({path: p, ...seen})}\n`)
    })()
    let indexSize = 0
    for (const line of lines) indexSize += line.length
    const trailer: IndexTrailer = {
      archiveId: manifest.archiveId,
      bytes: payloadBytes,
      end: true,
      entries: index.size,
      manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
    }
    const trailerLine = Buffer.from(`${JSON.stringify(trailer)}\n`)
    await write(
      encodeTarHeader({
        mode: 0o600,
        mtime: new Date(0),
        path: INDEX_ENTRY,
        size: indexSize + trailerLine.length,
        type: 'file',
      }),
    )
    for (const [p, seen] of index) await write(Buffer.from(`${JSON.stringify({path: p, ...seen})}\n`))
    await write(trailerLine)
    await write(tarPadding(indexSize + trailerLine.length))
    await write(tarTrailer())
  }

  run()
    .then(() => out.end())
    .catch((error: unknown) => out.destroy(error as Error))
    .finally(onEnd)
  return out
}
