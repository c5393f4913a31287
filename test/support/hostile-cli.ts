/**
 * The real CLI under hostile conditions: fault injection (hostile-faults.ts preloaded), signals
 * at chosen moments, and bookkeeping for the secret scan (every output of the suite is kept).
 */
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {cliEnv, type CliResult, DEV_BIN} from './cli.js'

export const FAULTS = fileURLToPath(new URL('hostile-faults.ts', import.meta.url))

export type HostileRunOptions = {
  /** Where the preload writes its call counts on exit. */
  countFile?: string
  cwd?: string
  env?: Record<string, string | undefined>
  /** HOSTILE_FAULT for the preload (kill:rename:3, enospc:write:1, ...). */
  fault?: string
  /** HOSTILE_FILL for the preload's fill action: a ballast file on the filesystem to fill up. */
  fill?: string
  /** Keep stdin open (never send EOF) until the child exits. */
  holdStdin?: boolean
  home: string
  input?: Buffer | string
  /** HOSTILE_MUTATE for the preload (append:/path, unlink:/path). */
  mutate?: string
  /** Run the child as another user (setpriv), or drop root's file-permission override. */
  setpriv?: string[]
  /** Send this signal when stderr first matches `when` (or after `afterMs`). */
  signal?: {afterMs?: number; name: NodeJS.Signals; whenStderr?: RegExp}
  timeoutMs?: number
}

/** Every run of the hostile suites, for the final secret scan. */
export const ALL_RUNS: Array<{name: string; result: CliResult}> = []

export function runHostile(name: string, args: string[], options: HostileRunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = cliEnv({env: options.env, home: options.home})
    if (options.fault) env.HOSTILE_FAULT = options.fault
    if (options.mutate) env.HOSTILE_MUTATE = options.mutate
    if (options.countFile) env.HOSTILE_COUNT_FILE = options.countFile
    if (options.fill) env.HOSTILE_FILL = options.fill
    const nodeArgs = ['--import', FAULTS, DEV_BIN, ...args]
    const [cmd, argv] = options.setpriv
      ? ['setpriv', [...options.setpriv, '--', process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs]
    const child = spawn(cmd, argv, {cwd: options.cwd ?? options.home, env, stdio: ['pipe', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let signalled = false
    const sendSignal = () => {
      if (signalled || !options.signal) return
      signalled = true
      child.kill(options.signal.name)
    }

    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => {
      err.push(c)
      if (options.signal?.whenStderr?.test(Buffer.concat(err).toString('utf8'))) sendSignal()
    })
    const signalTimer =
      options.signal?.afterMs === undefined ? undefined : setTimeout(sendSignal, options.signal.afterMs)
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      clearTimeout(signalTimer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(signalTimer)
      const stdout = Buffer.concat(out)
      const result: CliResult = {
        code,
        err: Buffer.concat(err).toString('utf8'),
        out: stdout.toString('utf8'),
        signal,
        stdout,
      }
      ALL_RUNS.push({name, result})
      resolve(result)
    })
    child.stdin.on('error', () => {})
    if (options.holdStdin) child.on('exit', () => child.stdin.destroy())
    else child.stdin.end(options.input ?? '')
  })
}

/** The JSON error a failed `--json` run prints: {error: {code, exitCode, message, suggestions}}. */
export function jsonError(
  result: CliResult,
): null | {code: string; exitCode: number; message: string; suggestions: string[]} {
  try {
    return (
      (JSON.parse(result.out) as {error?: {code: string; exitCode: number; message: string; suggestions: string[]}})
        .error ?? null
    )
  } catch {
    return null
  }
}

/** True when the output looks like a raw stack trace (an unhandled error, not a MigrateError). */
export function hasStackTrace(result: CliResult): boolean {
  return /\n\s+at .+\(.+:\d+:\d+\)|\n\s+at (async )?\S+ \(node:|UnhandledPromiseRejection|TypeError:|ReferenceError:/.test(
    `${result.out}\n${result.err}`,
  )
}

/**
 * A content fingerprint of a home: every path (not following links) with type, mode and the
 * sha256 of files (or the link target), leaving out the tool's own journal dir.
 */
export function homeFingerprint(home: string, options: {mtimes?: boolean} = {}): Map<string, string> {
  const out = new Map<string, string>()
  const visit = (p: string) => {
    const st = fs.lstatSync(p)
    const rel = path.relative(home, p)
    if (rel === '.openclaw-migrate') return
    let what: string
    if (st.isDirectory()) what = `d ${(st.mode & 0o7777).toString(8)}`
    else if (st.isSymbolicLink()) what = `l -> ${fs.readlinkSync(p)}`
    else what = `f ${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`
    // Directory mtimes move whenever the tool's journal or a staging dir comes and goes next to them.
    if (options.mtimes && st.isFile()) what += ` ${st.mtimeMs}`
    out.set(rel || '.', what)
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name))
  }

  visit(home)
  return out
}

export function diffFingerprints(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = []
  for (const [k, v] of before)
    if (after.get(k) !== v) diff.push(`${after.has(k) ? '~' : '-'} ${k} (${v} → ${after.get(k) ?? 'gone'})`)
  for (const [k, v] of after) if (!before.has(k)) diff.push(`+ ${k} (${v})`)
  return diff
}

/** Staging dirs or partial archives left anywhere below dir. */
export function leftovers(dir: string): string[] {
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
      if (/\.migrate-staging-|\.partial-(\d+-)?[0-9a-f]+$/.test(name)) found.push(abs)
      let st: fs.Stats
      try {
        st = fs.lstatSync(abs)
      } catch {
        continue
      }

      if (st.isDirectory()) visit(abs)
    }
  }

  visit(dir)
  return found
}

/** The import journals of a home (state of each run). */
export function journals(home: string): Array<{runId: string; state: string}> {
  const dir = path.join(home, '.openclaw-migrate', 'imports')
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as {runId: string; state: string})
}

/** Files below dir whose bytes contain any of the secrets (plain text only: encrypted bytes cannot match). */
export function filesWithSecrets(dir: string, secrets: string[]): string[] {
  const hits: string[] = []
  const visit = (p: string) => {
    let st: fs.Stats
    try {
      st = fs.lstatSync(p)
    } catch {
      return
    }

    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name))
      return
    }

    if (!st.isFile()) return
    const bytes = fs.readFileSync(p)
    if (secrets.some((s) => bytes.includes(s))) hits.push(p)
  }

  visit(dir)
  return hits
}

/** Asserts-by-return: the runs whose stdout or stderr contain any secret. */
export function leakingRuns(secrets: string[], runs = ALL_RUNS): string[] {
  return runs
    .filter(({result}) =>
      secrets.some((s) => result.out.includes(s) || result.err.includes(s) || result.stdout.includes(s)),
    )
    .map((r) => r.name)
}
