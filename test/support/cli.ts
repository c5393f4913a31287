/**
 * Helpers for the export-side integration tests: run the real CLI (bin/dev.js, the development
 * face of `openclaw-migrate`) in a child process with its own HOME, PATH and TMPDIR, and inspect
 * the archives it writes with GNU tar / zstd / node:sqlite.
 */
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const DEV_BIN = path.join(REPO_ROOT, 'bin', 'dev.js')

export type CliResult = {
  code: null | number
  err: string
  /** stdout as UTF-8 text. */
  out: string
  signal: NodeJS.Signals | null
  stdout: Buffer
}

export type CliOptions = {
  /** Run as this (unprivileged) user through runuser(1); the caller must be root. */
  asUser?: string
  cwd?: string
  /** Extra environment (merged over a clean base); `undefined` values delete the variable. */
  env?: Record<string, string | undefined>
  home: string
  /** Written to stdin, then closed. stdin is a pipe, never a TTY. */
  input?: string
  timeoutMs?: number
}

/** PATH without any directory that holds an `openclaw` executable, so no real host answers. */
export function pathWithoutOpenClaw(base = process.env.PATH ?? ''): string {
  return base
    .split(path.delimiter)
    .filter((dir) => dir && !fs.existsSync(path.join(dir, 'openclaw')))
    .join(path.delimiter)
}

export function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const key of Object.keys(env)) if (key.startsWith('OPENCLAW_')) delete env[key]
  delete env.CI
  env.HOME = options.home
  env.PATH = pathWithoutOpenClaw()
  env.NO_COLOR = '1'
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }

  return env
}

/** Runs `openclaw-migrate <args>` (standalone face) and collects everything it printed. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const command = options.asUser
      ? ['runuser', '-m', '-u', options.asUser, '--', process.execPath, DEV_BIN, ...args]
      : [process.execPath, DEV_BIN, ...args]
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd ?? options.home,
      env: cliEnv(options),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(out)
      resolve({code, err: Buffer.concat(err).toString('utf8'), out: stdout.toString('utf8'), signal, stdout})
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** The one JSON envelope every `--json` run prints (README, "JSON output"). */
export type Envelope<R = any> = {
  command: string
  error?: {code: string; details?: Record<string, unknown>; exitCode: number; message: string; suggestions: string[]}
  exitCode: number
  mode: string
  ok: boolean
  result: null | R
  warnings: string[]
}

/**
 * Parses the single JSON document a `--json` run prints on stdout and checks it is the envelope:
 * the field types, `ok` ⇔ exit 0 ⇔ no `error`, and the process's exit code equal to `exitCode`.
 */
export function parseJson<R = any>(result: CliResult): Envelope<R> {
  let doc: Envelope<R>
  try {
    doc = JSON.parse(result.out) as Envelope<R>
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.out}\n--- stderr:\n${result.err}`)
  }

  const problems = checkEnvelope(doc)
  if (result.code !== null && doc.exitCode !== result.code)
    problems.push(`exitCode ${doc.exitCode} but the process exited ${result.code}`)
  if (problems.length > 0)
    throw new Error(`not the JSON envelope: ${problems.join('; ')}\n${result.out.slice(0, 2000)}`)
  return doc
}

/** What is wrong with doc as an envelope (empty when nothing). */
export function checkEnvelope(doc: any): string[] {
  const problems: string[] = []
  const keys = Object.keys(doc ?? {})
    .sort()
    .join(',')
  const expected = doc?.error
    ? 'command,error,exitCode,mode,ok,result,warnings'
    : 'command,exitCode,mode,ok,result,warnings'
  if (keys !== expected) problems.push(`keys ${keys}`)
  if (typeof doc.command !== 'string' || typeof doc.mode !== 'string') problems.push('command/mode not strings')
  if (typeof doc.ok !== 'boolean' || doc.ok !== (doc.exitCode === 0) || doc.ok === Boolean(doc.error))
    problems.push('ok, exitCode and error disagree')
  if (!Array.isArray(doc.warnings) || doc.warnings.some((w: unknown) => typeof w !== 'string'))
    problems.push('warnings is not an array of strings')
  if (doc.result !== null && (typeof doc.result !== 'object' || Array.isArray(doc.result))) problems.push('result')
  if (doc.error) {
    const e = doc.error
    if (typeof e.code !== 'string' || typeof e.message !== 'string' || e.exitCode !== doc.exitCode)
      problems.push('error fields')
    if (!Array.isArray(e.suggestions)) problems.push('error.suggestions')
  }

  return problems
}

export function describeRun(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\n--- stdout:\n${result.out.slice(0, 4000)}\n--- stderr:\n${result.err.slice(0, 4000)}`
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ocm-test-${prefix}-`))
}

export function rmrf(...dirs: Array<string | undefined>): void {
  for (const dir of dirs) if (dir) fs.rmSync(dir, {force: true, recursive: true})
}

function run(
  cmd: string,
  args: string[],
  input?: Buffer | string,
  env?: NodeJS.ProcessEnv,
): {status: null | number; stderr: string; stdout: Buffer} {
  const r = spawnSync(cmd, args, {env: env ?? {...process.env, LC_ALL: 'C.UTF-8'}, input, maxBuffer: 256 * 1024 * 1024})
  if (r.error) throw r.error
  return {status: r.status, stderr: r.stderr.toString('utf8'), stdout: r.stdout}
}

export function mustRun(cmd: string, args: string[], input?: Buffer | string, env?: NodeJS.ProcessEnv): Buffer {
  const r = run(cmd, args, input, env)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

/** `tar -t` (names only, in archive order) of an uncompressed/gzip/zstd tar given as a file or bytes. */
export function tarNames(source: Buffer | string, compression: 'gzip' | 'none' | 'zstd' = 'gzip'): string[] {
  return tarRaw(source, compression, ['-t']).split('\n').filter(Boolean)
}

/** `tar -tv` lines, in archive order. */
export function tarVerbose(source: Buffer | string, compression: 'gzip' | 'none' | 'zstd' = 'gzip'): string[] {
  return tarRaw(source, compression, ['-tv']).split('\n').filter(Boolean)
}

function tarRaw(source: Buffer | string, compression: 'gzip' | 'none' | 'zstd', mode: string[]): string {
  const bytes = typeof source === 'string' ? fs.readFileSync(source) : source
  const plain = compression === 'zstd' ? mustRun('zstd', ['-dc'], bytes) : bytes
  const z = compression === 'gzip' ? ['-z'] : []
  return mustRun('tar', [...mode, ...z, '--quoting-style=literal', '-f', '-'], plain).toString('utf8')
}

/** Extracts entries of a gzip tar (file or bytes) into dir. */
export function tarExtract(source: Buffer | string, dir: string, entries: string[] = []): void {
  const bytes = typeof source === 'string' ? fs.readFileSync(source) : source
  mustRun('tar', ['-xz', '-f', '-', '-C', dir, ...entries], bytes)
}

/** One entry's content from a gzip tar (file or bytes). */
export function tarCat(source: Buffer | string, entry: string): Buffer {
  const bytes = typeof source === 'string' ? fs.readFileSync(source) : source
  return mustRun('tar', ['-xzO', '-f', '-', entry], bytes)
}

/** Every path below dir (not following symlinks) with type, size, mode and mtime: a before/after fingerprint. */
export function treeFingerprint(...dirs: string[]): Map<string, string> {
  const out = new Map<string, string>()
  const visit = (p: string) => {
    const st = fs.lstatSync(p)
    // Not ctime: SQLite (run as root) fchowns -wal/-shm to their owner on every open, a no-op that bumps ctime.
    out.set(
      p,
      `${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'} ${st.size} ${(st.mode & 0o7777).toString(8)} ${st.mtimeMs}`,
    )
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name))
  }

  for (const dir of dirs) visit(dir)
  return out
}

/** Files (recursively) below dir, for scanning what a run left behind. */
export function listFiles(dir: string): string[] {
  const out: string[] = []
  const visit = (p: string) => {
    let st: fs.Stats
    try {
      st = fs.lstatSync(p)
    } catch {
      return
    }

    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name))
    else out.push(p)
  }

  visit(dir)
  return out
}

/** Rewrites the generated config (JSON5 text) into remote mode. */
export function makeRemote(configPath: string, url = 'wss://gateway.example.net:18789'): void {
  const text = fs.readFileSync(configPath, 'utf8')
  const next = text.replace('mode: "local"', `mode: "remote", remote: { url: "${url}" }`)
  if (next === text) throw new Error('could not switch the fixture config to remote mode')
  fs.writeFileSync(configPath, next)
}

/** Where an absolute source path sits in the archive, per the manifest's roots (innermost root wins). */
export function archivePathIn(
  manifest: {roots: Array<{archivePath: string; sourcePath: string; type: string}>},
  abs: string,
): null | string {
  const root = manifest.roots
    .filter((r) => r.type === 'dir' && (abs === r.sourcePath || abs.startsWith(`${r.sourcePath}/`)))
    .sort((a, b) => b.sourcePath.length - a.sourcePath.length)[0]
  if (!root) return null
  const rel = path.relative(root.sourcePath, abs).split(path.sep).join('/')
  return rel ? `${root.archivePath}/${rel}` : root.archivePath
}

/**
 * Starts independent CLI runs a few at a time (the runs are mostly CPU-bound start-up), so a
 * suite can launch them all in a before hook and each test awaits its own by name.
 */
export class RunBatch {
  private active = 0
  private readonly runs = new Map<string, Promise<CliResult>>()
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly concurrency = 3,
    /** How runs are made: spawned by default; runInProcess for runs that need no real process. */
    private readonly runner: (args: string[], options: CliOptions) => Promise<CliResult> = runCli,
  ) {}

  /** `spawn`: this run needs a real process (binary stdout, stdin, signals) whatever the runner. */
  start(name: string, args: string[], options: CliOptions & {spawn?: boolean}): void {
    if (this.runs.has(name)) throw new Error(`run ${name} started twice`)
    const run = this.slot(() => (options.spawn ? runCli : this.runner)(args, options))
    run.catch(() => {}) // awaited (and reported) by the test that owns it
    this.runs.set(name, run)
  }

  get(name: string): Promise<CliResult> {
    const run = this.runs.get(name)
    if (!run) throw new Error(`no run named ${name}`)
    return run
  }

  /** Resolves once every started run has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.runs.values())
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await fn()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

/** The `result` of a `--json` run's envelope (checked as parseJson does). */
export function resultOf<R = any>(result: CliResult): R {
  const doc = parseJson<R>(result)
  if (doc.result === null) throw new Error(`the run has no result: ${describeRun(result)}`)
  return doc.result
}
