/**
 * Archives made by other tools, built for the foreign-archive tests: the migration guide's plain
 * tar (real GNU tar, `cd ~ && tar -czf … .openclaw …`), an `openclaw backup create` archive laid
 * out to its schema 1 (manifest, `<root>/payload/posix/<absolute path>`), and crafted tars.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

import {encodeTarHeader, tarPadding, tarTrailer} from '../../src/lib/archive/tar-format.js'

export function gnuTar(args: string[], cwd: string): void {
  const r = spawnSync('tar', args, {cwd, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')} failed: ${r.stderr}`)
}

/** The guide's step 0, for the given dirs of one home (GNU tar reads live files: a WAL is archived as it is). */
export function guideTar(home: string, out: string, names: string[], options: {dotSlash?: boolean} = {}): string {
  const args = out.endsWith('.tar') ? ['-cf', out] : ['-czf', out]
  gnuTar([...args, ...names.map((n) => (options.dotSlash ? `./${n}` : n))], home)
  return out
}

export type BackupAsset = {kind: string; sourcePath: string}

/**
 * An archive laid out like `openclaw backup create` writes it: each asset copied (links kept) to
 * `<root>/payload/posix/<absolute path>`, the manifest last (as 2026.9.x writes it).
 */
export function backupArchive(
  scratch: string,
  out: string,
  assets: BackupAsset[],
  extra: {manifest?: (m: any) => any; paths?: Record<string, unknown>; runtimeVersion?: string} = {},
): string {
  const root = '2026-11-20T08-00-00.000+00-00-openclaw-backup'
  const stage = fs.mkdtempSync(path.join(scratch, 'backup-stage-'))
  const archivePath = (p: string) => path.posix.join(root, 'payload', 'posix', p.slice(1))
  for (const a of assets) {
    const dest = path.join(stage, archivePath(a.sourcePath))
    fs.mkdirSync(path.dirname(dest), {recursive: true})
    const r = spawnSync('cp', ['-a', a.sourcePath, dest])
    if (r.status !== 0) throw new Error(`cp ${a.sourcePath}: ${r.stderr}`)
  }

  let manifest: any = {
    archiveRoot: root,
    assets: assets.map((a) => ({archivePath: archivePath(a.sourcePath), kind: a.kind, sourcePath: a.sourcePath})),
    createdAt: '2026-11-20T08:00:00.000Z',
    externalSymbolicLinks: [],
    nodeVersion: 'v22.23.0',
    options: {includeWorkspace: true, onlyConfig: false},
    paths: extra.paths ?? {},
    platform: 'linux',
    runtimeVersion: extra.runtimeVersion ?? '2026.8.2',
    schemaVersion: 1,
    skipped: [],
  }
  if (extra.manifest) manifest = extra.manifest(manifest)
  fs.writeFileSync(path.join(stage, root, 'manifest.json'), JSON.stringify(manifest, null, 2))
  gnuTar(['-czf', out, `${root}/payload`, `${root}/manifest.json`], stage)
  fs.rmSync(stage, {force: true, recursive: true})
  return out
}

export type CraftedEntry = {
  body?: Buffer | string
  linkpath?: string
  mode?: number
  path: string
  type: 'dir' | 'file' | 'symlink'
}

/** A (gzip) tar with exactly these entries and names (no tool normalises them). */
export function craftedTar(entries: CraftedEntry[], gzip = true): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body)
    parts.push(
      encodeTarHeader({
        linkpath: e.linkpath,
        mode: e.mode ?? (e.type === 'dir' ? 0o755 : 0o644),
        mtime: new Date(1_763_000_000_000),
        path: e.path,
        size: body.length,
        type: e.type,
      }),
    )
    if (e.type === 'file') {
      parts.push(body)
      const pad = tarPadding(body.length)
      if (pad) parts.push(pad)
    }
  }

  parts.push(tarTrailer())
  return gzip ? gzipSync(Buffer.concat(parts)) : Buffer.concat(parts)
}
