/**
 * Runs untrusted archive bytes through the product's own reading path (openArchive → readArchive
 * → StagingSink, exactly what `import` uses) inside a sandbox, and reports what happened: the
 * error code (or success), whether anything was written outside the staging dir, and how long it took.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {ArchiveManifest} from '../../src/lib/archive/manifest.js'

import {type ArchiveSink, readArchive, type ReadArchiveResult} from '../../src/lib/archive/archive-reader.js'
import {openArchive} from '../../src/lib/archive/archive-source.js'
import {type DecryptionKeys} from '../../src/lib/archive/encryption.js'
import {ErrorCodes, isMigrateError} from '../../src/lib/errors.js'
import {type StagedRoot, StagingSink} from '../../src/lib/import/staging.js'

export type Attempt = {
  code: null | string
  exit: null | number
  message: string
  ms: number
  ok: boolean
  /** Paths created in the sandbox outside the staging dir. */
  outside: string[]
  /** A non-MigrateError escaped (a raw exception: always a bug). */
  raw?: unknown
  read?: ReadArchiveResult
  /** Staged files, relative to the staging dir, with their contents. */
  staged: Map<string, Buffer | string>
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return out
  }

  for (const name of names) {
    const abs = path.join(dir, name)
    out.push(path.relative(base, abs))
    const st = fs.lstatSync(abs)
    if (st.isDirectory()) walk(abs, base, out)
  }

  return out
}

export function newSandbox(prefix = 'hostile'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ocm-${prefix}-`))
  fs.mkdirSync(path.join(dir, 'staging'))
  fs.mkdirSync(path.join(dir, 'outside'))
  fs.writeFileSync(path.join(dir, 'outside', 'canary'), 'untouched')
  return dir
}

/**
 * Reads `input` (bytes, written to a file first, or a path) through openArchive + readArchive into
 * a StagingSink rooted at `<sandbox>/staging`, then inspects the sandbox.
 */
export async function attemptRead(
  input: Buffer | string,
  options: {keys?: DecryptionKeys; sandbox: string; spaceLimit?: number; timeoutMs?: number},
): Promise<Attempt> {
  const {sandbox} = options
  const staging = path.join(sandbox, 'staging')
  fs.rmSync(staging, {force: true, recursive: true})
  fs.mkdirSync(staging)
  let file: string
  if (typeof input === 'string') file = input
  else {
    file = path.join(sandbox, 'archive.bin')
    fs.writeFileSync(file, input)
  }

  let inner: StagingSink | undefined
  const sink: ArchiveSink = {
    directory: (e) => inner!.directory(e),
    file: (e) => inner!.file(e),
    async manifest(manifest: ArchiveManifest) {
      const staged: StagedRoot[] = manifest.roots.map((root) => ({
        createdParents: [],
        root,
        staging: path.join(staging, root.id),
        target: path.join(sandbox, 'target', root.id),
        why: 'test',
      }))
      inner = new StagingSink(
        staged,
        () => null,
        (e) => e.mode & 0o755,
      )
    },
    symlink: (e) => inner!.symlink(e),
  }
  const started = Date.now()
  let result: Omit<Attempt, 'ms' | 'outside' | 'staged'>
  let timer: NodeJS.Timeout | undefined
  try {
    const work = (async () => {
      const opened = await openArchive(file, async () => options.keys ?? {})
      return readArchive(opened.tar, sink, {spaceLimit: () => options.spaceLimit})
    })()
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`HANG: no result after ${options.timeoutMs ?? 20_000} ms`))
      }, options.timeoutMs ?? 20_000)
    })
    const read = await Promise.race([work, timeout])
    read.entries.close()
    result = {code: null, exit: 0, message: 'ok', ok: true, read}
  } catch (error) {
    result = isMigrateError(error)
      ? {code: error.code, exit: ErrorCodes[error.code].exit, message: error.message, ok: false}
      : {code: null, exit: null, message: String((error as Error)?.stack ?? error), ok: false, raw: error}
  } finally {
    clearTimeout(timer)
  }

  const ms = Date.now() - started
  const outside = walk(sandbox).filter(
    (p) =>
      p !== 'staging' &&
      !p.startsWith(`staging${path.sep}`) &&
      !['archive.bin', 'outside', path.join('outside', 'canary')].includes(p),
  )
  if (fs.readFileSync(path.join(sandbox, 'outside', 'canary'), 'utf8') !== 'untouched')
    outside.push('outside/canary (modified)')
  const staged = new Map<string, Buffer | string>()
  for (const rel of walk(staging)) {
    const abs = path.join(staging, rel)
    const st = fs.lstatSync(abs)
    if (st.isSymbolicLink()) staged.set(rel, `-> ${fs.readlinkSync(abs)}`)
    else if (st.isFile()) staged.set(rel, fs.readFileSync(abs))
    else staged.set(rel, 'dir')
  }

  return {...result, ms, outside, staged}
}
