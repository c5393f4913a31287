import fs from 'node:fs'
import path from 'node:path'

import type {FileWriter} from '../archive/archive-reader.js'
import type {ArchiveManifest} from '../archive/manifest.js'
import type {PathMapper} from '../rebase/path-mapper.js'

import {MigrateError} from '../errors.js'
import {rebaseDatabase} from '../rebase/sqlite-rebaser.js'
import {createExclusive} from '../util/exclusive-file.js'
import {createPrivateTempDir} from '../util/private-temp.js'

const SIDE = ['-journal', '-wal', '-shm']

/**
 * `check ARCHIVE` writes nothing but, like the import, must open and rebase every archived database
 * before it says OK (not a database, malformed, oversized cells, side files that are links, a schema
 * that refuses this machine's paths): the databases and their side files are copied into a private
 * 0700 temp dir as they stream by, rebased there with the import's own code and plan, removed.
 */
export class DatabaseCopies {
  private dir: null | string = null
  private readonly links: string[] = []
  private readonly names = new Map<string, string>()

  constructor(
    manifest: ArchiveManifest,
    /** The plan's mapper: the import rebases with it, so the check does too. */
    private readonly mapper: PathMapper,
  ) {
    for (const [i, s] of (manifest.sqlite ?? []).entries()) {
      this.names.set(s.path, `${i}.sqlite`)
      for (const suffix of SIDE) this.names.set(`${s.path}${suffix}`, `${i}.sqlite${suffix}`)
    }
  }

  async inspect(): Promise<void> {
    if (this.links.length > 0)
      throw new MigrateError('ARCHIVE_UNSAFE_ENTRY', `${this.links[0]} is not a regular file; refusing to open it.`)
    for (const [key, name] of this.names) {
      if (!name.endsWith('.sqlite') || !this.dir) continue
      const file = path.join(this.dir, name)
      if (fs.existsSync(file)) await rebaseDatabase(file, this.mapper, {shown: key})
    }
  }

  /** A symlink entry: one standing for a database's side file would be written through by SQLite. */
  link(key: string): void {
    if (this.names.has(key)) this.links.push(key)
  }

  remove(): void {
    if (this.dir) fs.rmSync(this.dir, {force: true, recursive: true})
    this.dir = null
  }

  writer(key: string): FileWriter | null {
    const name = this.names.get(key)
    if (!name) return null
    this.dir ??= createPrivateTempDir('check')
    const fd = createExclusive(path.join(this.dir, name))
    let closed = false
    return {
      async close() {
        if (!closed) fs.closeSync(fd)
        closed = true
      },
      write(chunk: Buffer) {
        let offset = 0
        while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset)
      },
    }
  }
}
