import fs from 'node:fs'
import path from 'node:path'
import {Readable, Writable} from 'node:stream'

import {MigrateError} from '../errors.js'

/** FAT32 cannot hold a file of 4 GiB or more; volumes stay one MiB below that. */
export const FAT32_VOLUME_SIZE = 4096 * 1024 * 1024 - 1024 * 1024

/** `archive.tar.gz.age` → `archive.tar.gz.age.001`: numbered so `ls` and shell globs list them in order. */
export function volumePath(base: string, n: number): string {
  return `${base}.${String(n).padStart(3, '0')}`
}

/** `--split 100M`, `4G`, `512K` or bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim())
  const units: Record<string, number> = {'': 1, g: 1024 ** 3, k: 1024, m: 1024 ** 2, t: 1024 ** 4}
  const size = match ? Math.floor(Number(match[1]) * units[match[2].toLowerCase()]) : NaN
  if (!Number.isFinite(size) || size < 64 * 1024)
    throw new MigrateError('USAGE', `--split ${text} is not a size of at least 64K (e.g. 4000M, 2G).`, {
      suggestions: ['--split 4000M'],
    })
  return size
}

/** The filesystem type of the mount holding `dir`, from /proc/self/mountinfo (Linux), or null. */
export function filesystemType(dir: string): null | string {
  let real: string
  let text: string
  try {
    real = fs.realpathSync(dir)
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return null
  }

  let best: null | {mount: string; type: string} = null
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ', 2)
    const mount = left?.split(' ', 5)[4]?.replaceAll(String.raw`\040`, ' ')
    const type = right?.split(' ', 1)[0]
    if (!mount || !type) continue
    const inside = real === mount || real.startsWith(mount === '/' ? '/' : `${mount}/`)
    if (inside && (!best || mount.length >= best.mount.length)) best = {mount, type}
  }

  return best?.type ?? null
}

/** FAT12/16/32 (the kernel's vfat/msdos, or fusefat): files must stay below 4 GiB. */
export function isFatFilesystem(dir: string): boolean {
  const type = filesystemType(dir)
  return type !== null && /^(vfat|msdos|fat|fuse\.fusefat|fusefat)$/.test(type)
}

/**
 * One byte stream cut into volume files of at most `volumeSize` bytes, each written under a
 * partial name (`partialFor`) and published by the caller once all are complete.
 */
export class VolumeSink extends Writable {
  private fd: null | number = null
  private written = 0
  readonly volumes: Array<{final: string; partial: string}> = []

  constructor(
    private readonly base: string,
    private readonly volumeSize: number,
    private readonly partialFor: (final: string) => string,
  ) {
    super({highWaterMark: 1024 * 1024})
  }

  private closeCurrent(): void {
    if (this.fd === null) return
    const {fd} = this
    this.fd = null
    fs.closeSync(fd)
  }

  private open(): void {
    if (this.fd !== null) {
      fs.fsyncSync(this.fd)
      this.closeCurrent()
    }

    const final = volumePath(this.base, this.volumes.length + 1)
    const partial = this.partialFor(final)
    this.fd = fs.openSync(partial, 'wx', 0o600)
    this.volumes.push({final, partial})
    this.written = 0
  }

  /** Removes every partial volume (after a failure). */
  discard(): void {
    this.closeCurrent()
    for (const v of this.volumes) fs.rmSync(v.partial, {force: true})
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeCurrent()
    callback(error)
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (this.volumes.length === 0) this.open()
      if (this.fd !== null) fs.fsyncSync(this.fd)
      this.closeCurrent()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      let offset = 0
      while (offset < chunk.length) {
        if (this.fd === null || this.written === this.volumeSize) this.open()
        const n = Math.min(chunk.length - offset, this.volumeSize - this.written)
        let done = 0
        while (done < n) done += fs.writeSync(this.fd!, chunk, offset + done, n - done)
        offset += n
        this.written += n
      }

      callback()
    } catch (error) {
      callback(error as Error)
    }
  }
}

/** The volumes of a split archive, given its first volume (`x.001`) or its base name (`x`); null if not split. */
/**
 * The archive named on the command line: one path, or every volume of one split archive as a
 * shell glob expands them (`archive.age.*` → `.001`, `.002`, …), given as its first volume.
 */
export function archiveFromArgs(list: string[]): string | undefined {
  if (list.length <= 1) return list[0]
  const base = list[0].replace(/\.\d{3}$/, '')
  const expected = list.map((_, i) => volumePath(base, i + 1))
  if (list.toSorted().join('\0') !== expected.join('\0'))
    throw new MigrateError(
      'USAGE',
      `Pass one archive, or the volumes of one split archive (${volumePath('NAME', 1)}, ${volumePath('NAME', 2)}, …); got ${list.length} arguments.`,
      {suggestions: ['openclaw-migrate import /media/stick/openclaw.tar.gz.age.001']},
    )
  return expected[0]
}

export function findVolumes(source: string): null | string[] {
  let base: null | string = null
  if (source.endsWith('.001') && fs.existsSync(source)) base = source.slice(0, -4)
  else if (!fs.existsSync(source) && fs.existsSync(volumePath(source, 1))) base = source
  if (base === null) return null
  const volumes: string[] = []
  for (let n = 1; fs.existsSync(volumePath(base, n)); n++) volumes.push(volumePath(base, n))
  return volumes
}

/** The volumes read in order as one stream; a missing tail shows as a truncated archive to the reader. */
export function readVolumes(volumes: string[]): Readable {
  async function* chunks() {
    for (const file of volumes) yield* fs.createReadStream(file, {highWaterMark: 1024 * 1024})
  }

  return Readable.from(chunks(), {objectMode: false})
}

export function describeVolumes(volumes: string[]): string {
  return volumes.length === 1 ? volumes[0] : `${volumes[0]} … ${path.basename(volumes.at(-1)!)}`
}
