/**
 * Shared pieces of the import tests: a source home exported once per test run (encrypted and
 * plain archives of the same generated home, reused by every import test file), an import child
 * process that can be signalled mid-flight, and home snapshots (listing + modes + sha256, no
 * timestamps) to prove a refused or interrupted import changed nothing.
 */
import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {cliEnv, type CliOptions, type CliResult, describeRun, DEV_BIN, resultOf, rmrf, tarCat, tmpDir} from './cli.js'
import {type GeneratedHome, generateHome, type HomeSpec} from './home-generator.js'
import {runInProcess as runCli} from './in-process.js'

export const PASSPHRASE = 'import tests: correct horse battery staple'
export const STAGING_MARK = '.migrate-staging-'

export type ExportedSource = {
  /** age-encrypted (passphrase) gzip archive. */
  encrypted?: string
  /** `export --json` summaries. */
  exported: {encrypted?: any; plain: any}
  g: GeneratedHome
  /** manifest.json of the plain archive (same source, same inventory as the encrypted one). */
  manifest: any
  passFile: string
  /** --no-encrypt archive. */
  plain: string
  /** Temp dir holding the source home, the archives and the passphrase file. */
  root: string
}

const cache = new Map<string, Promise<ExportedSource>>()
const cleanups: Array<() => void> = []
process.once('exit', () => {
  for (const c of cleanups) {
    try {
      c()
    } catch {
      // best effort at exit
    }
  }
})

function expectExit0(result: CliResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed: ${describeRun(result)}`)
}

export type SourceOptions = {
  compression?: 'gzip' | 'zstd'
  encrypted?: boolean
  /** Called after generation, before the export (e.g. to move a workspace out of the home). */
  prepare?: (g: GeneratedHome, root: string) => void
  /** Extra generator settings (home, profile are set here). */
  spec?: Partial<HomeSpec>
  /** User name of the source home: <root>/home/<user>. */
  user?: string
}

/**
 * Generates <tmp>/home/<user> (profile `work`, workspace and agentDir outside the state dir) and
 * exports it. Memoized by key for the whole mocha run; removed at process exit.
 */
export function exportedSource(key: string, options: SourceOptions = {}): Promise<ExportedSource> {
  let promise = cache.get(key)
  if (!promise) {
    promise = (async () => {
      const root = tmpDir(`import-src-${key}`)
      const user = options.user ?? 'alice'
      const home = path.join(root, 'home', user)
      fs.mkdirSync(home, {recursive: true})
      const g = generateHome({home, profile: 'work', ...options.spec})
      cleanups.push(() => {
        for (const h of g.holders) h.close()
        rmrf(root)
      })
      options.prepare?.(g, root)
      const passFile = path.join(root, 'passphrase')
      fs.writeFileSync(passFile, `${PASSPHRASE}\n`, {mode: 0o600})
      const plain = path.join(root, `plain.tar.${options.compression === 'zstd' ? 'zst' : 'gz'}`)
      const encrypted = options.encrypted ? path.join(root, 'encrypted.tar.gz.age') : undefined
      const cli = {cwd: root, home, timeoutMs: 120_000}
      const [p, e] = await Promise.all([
        runCli(
          [
            'export',
            '--profile',
            'work',
            '--no-encrypt',
            '--compression',
            options.compression ?? 'gzip',
            '-o',
            plain,
            '--json',
          ],
          cli,
        ),
        encrypted
          ? runCli(['export', '--profile', 'work', '--passphrase-file', passFile, '-o', encrypted, '--json'], cli)
          : Promise.resolve(null),
      ])
      expectExit0(p, 'plain export')
      if (e) expectExit0(e, 'encrypted export')
      const manifest =
        options.compression === 'zstd' ? null : JSON.parse(tarCat(plain, 'manifest.json').toString('utf8'))
      return {
        encrypted,
        exported: {encrypted: e ? resultOf(e) : undefined, plain: resultOf(p)},
        g,
        manifest,
        passFile,
        plain,
        root,
      }
    })()
    cache.set(key, promise)
  }

  return promise
}

/** The source every roundtrip/chaining test imports: a realistic home with a pending WAL. */
export function standardSource(): Promise<ExportedSource> {
  return exportedSource('standard', {encrypted: true})
}

/** A fresh empty target home <tmp>/home/<user> (a different absolute path and user name than the source). */
export function targetHome(user: string): {cleanup: () => void; home: string; root: string} {
  const root = tmpDir(`import-dst-${user}`)
  const home = path.join(root, 'home', user)
  fs.mkdirSync(home, {recursive: true})
  return {
    cleanup() {
      rmrf(root)
    },
    home,
    root,
  }
}

/** What onboarding leaves behind: a state dir with something in it that must survive the import. */
export function onboardedStateDir(home: string, profile = 'work', marker = 'onboarded before the import\n'): string {
  const dir = path.join(home, `.openclaw-${profile}`)
  fs.mkdirSync(dir, {mode: 0o700, recursive: true})
  fs.writeFileSync(path.join(dir, 'MARKER'), marker)
  fs.writeFileSync(path.join(dir, 'openclaw.json'), '{ agents: {} }\n', {mode: 0o600})
  return dir
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

export type TreeNode = {
  link?: string
  mode: number
  sha256?: string
  size: number
  type: 'dir' | 'file' | 'symlink'
}

/**
 * Every entry below `root` (or `root` itself when it is a file), keyed by path relative to it ('' =
 * root), with type, permission bits, size, content hash and link text; `skip(abs)` prunes.
 */
export function scanTree(root: string, skip: (abs: string) => boolean = () => false): Map<string, TreeNode> {
  const out = new Map<string, TreeNode>()
  const visit = (abs: string, rel: string) => {
    if (skip(abs)) return
    const st = fs.lstatSync(abs)
    const mode = st.mode & 0o7777
    if (st.isSymbolicLink()) out.set(rel, {link: fs.readlinkSync(abs), mode, size: 0, type: 'symlink'})
    else if (st.isDirectory()) {
      out.set(rel, {mode, size: 0, type: 'dir'})
      for (const name of fs.readdirSync(abs).sort()) visit(path.join(abs, name), rel ? `${rel}/${name}` : name)
    } else out.set(rel, {mode, sha256: sha256(fs.readFileSync(abs)), size: st.size, type: 'file'})
  }

  visit(root, '')
  return out
}

/** A home fingerprint without timestamps: what a refused import must leave exactly as it was. */
export function snapshotHome(home: string, options: {ignore?: (rel: string) => boolean} = {}): Map<string, string> {
  const out = new Map<string, string>()
  for (const [rel, n] of scanTree(home, (abs) => options.ignore?.(path.relative(home, abs)) ?? false)) {
    out.set(rel, `${n.type} ${n.mode.toString(8)} ${n.size} ${n.sha256 ?? n.link ?? ''}`)
  }

  return out
}

/** Human-readable differences between two snapshots (empty when equal). */
export function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const diffs: string[] = []
  for (const [k, v] of before) {
    if (!after.has(k)) diffs.push(`- ${k || '.'} (${v})`)
    else if (after.get(k) !== v) diffs.push(`~ ${k || '.'}: ${v} → ${after.get(k)}`)
  }

  for (const [k, v] of after) if (!before.has(k)) diffs.push(`+ ${k || '.'} (${v})`)
  return diffs
}

/** Staging dirs (`.<name>.migrate-staging-<run>`) anywhere below dir. */
export function findStaging(dir: string): string[] {
  const found: string[] = []
  const visit = (p: string) => {
    let names: string[]
    try {
      names = fs.readdirSync(p)
    } catch {
      return
    }

    for (const name of names) {
      const abs = path.join(p, name)
      if (name.includes(STAGING_MARK)) found.push(abs)
      else if (fs.lstatSync(abs).isDirectory()) visit(abs)
    }
  }

  visit(dir)
  return found
}

/** Entries of `dir` named `<base>.pre-migrate-*` / `.undone-*`. */
export function siblings(dir: string, pattern: RegExp): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => pattern.test(n)) : []
}

export function journals(home: string): any[] {
  const dir = path.join(home, '.openclaw-migrate', 'imports')
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')))
}

export type SpawnedCli = {
  child: ChildProcess
  done: Promise<CliResult>
  /** What it has printed on stderr so far. */
  stderrSoFar(): string
}

/** Starts `openclaw-migrate <args>` (bin/dev.js) without waiting, so a test can signal it mid-flight. */
export function spawnCli(
  args: string[],
  options: CliOptions & {processGroup?: boolean; user?: {gid: number; uid: number}},
): SpawnedCli {
  const child = spawn(process.execPath, [DEV_BIN, ...args], {
    cwd: options.cwd ?? options.home,
    // Its own process group, so a test can signal the group the way a terminal's Ctrl-C does.
    detached: Boolean(options.processGroup),
    // As another user directly (root only), not through runuser: the signals reach the tool itself.
    ...(options.user && {gid: options.user.gid, uid: options.user.uid}),
    env: cliEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(out)
      resolve({code, err: Buffer.concat(err).toString('utf8'), out: stdout.toString('utf8'), signal, stdout})
    })
  })
  return {child, done, stderrSoFar: () => Buffer.concat(err).toString('utf8')}
}

/** Polls until `test()` is true (or the child exited / the deadline passed); returns whether it became true. */
export async function waitFor(
  test: () => boolean,
  options: {child?: ChildProcess; everyMs?: number; timeoutMs?: number} = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  while (Date.now() < deadline) {
    if (test()) return true
    if (options.child && options.child.exitCode !== null) return test()
    await new Promise((r) => setTimeout(r, options.everyMs ?? 5))
  }

  return test()
}

/**
 * Walks every imported root on both sides (source paths the export skipped left out) and checks:
 * same entries, same types and link texts, every file byte-identical unless it is in `rewritten`
 * (absolute target paths the import reported as rebased), and the final modes (dirs 0700, secrets
 * 0600, others as archived minus group/other write).
 */
export function compareWithSource(
  src: ExportedSource,
  targets: Array<{root: string; sourcePath: string; target: string}>,
  rewritten: Set<string>,
  options: {sqliteSideFiles?: boolean} = {},
): {compared: number} {
  const skipped: string[] = src.manifest.skipped.map((s: any) => s.path)
  // SQLite side files are never exported (and the export's own read of a database may leave empty ones behind).
  const isSkipped = (abs: string) =>
    /\.sqlite-(wal|shm)$/.test(abs) || skipped.some((s) => abs === s || abs.startsWith(`${s}/`))
  const secrets = new Set<string>(src.manifest.secrets.map((s: any) => s.path))
  const rootsById = new Map<string, any>(src.manifest.roots.map((r: any) => [r.id, r]))
  expect(targets.map((t) => t.root).sort(), 'imported roots').to.deep.equal([...rootsById.keys()].sort())
  let compared = 0
  const differing: string[] = []
  for (const t of targets) {
    const root = rootsById.get(t.root)
    const a = scanTree(t.sourcePath, isSkipped)
    // A process killed while it had a database open leaves SQLite's -wal/-shm: SQLite's own business.
    const b = scanTree(t.target, (abs) => Boolean(options.sqliteSideFiles) && /\.sqlite-(wal|shm)$/.test(abs))
    expect([...b.keys()].sort(), `entries of ${t.target}`).to.deep.equal([...a.keys()].sort())
    for (const [rel, na] of a) {
      const nb = b.get(rel)!
      const abs = rel ? path.join(t.target, rel) : t.target
      expect(nb.type, abs).to.equal(na.type)
      if (na.type === 'symlink') {
        expect(nb.link, abs).to.equal(na.link)
        continue
      }

      if (na.type === 'dir') {
        expect(nb.mode, `${abs} mode`).to.equal(0o700)
        continue
      }

      const archivePath =
        root.type === 'file' ? `${root.archivePath}/${path.basename(root.sourcePath)}` : `${root.archivePath}/${rel}`
      expect(nb.mode.toString(8), `${abs} mode`).to.equal(
        (secrets.has(archivePath) ? 0o600 : na.mode & 0o755).toString(8),
      )
      compared++
      if (rewritten.has(abs)) {
        if (nb.sha256 === na.sha256) differing.push(`${abs} reported as rewritten but unchanged`)
      } else if (nb.sha256 !== na.sha256)
        differing.push(`${abs} differs from ${rel ? path.join(t.sourcePath, rel) : t.sourcePath}`)
    }
  }

  expect(differing).to.deep.equal([])
  return {compared}
}
