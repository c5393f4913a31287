/**
 * Child processes for the e2e suite: every command is logged (argv, exit, time) to the run's
 * commands.log, and every long-lived process (gateways) is tracked by PID and stopped even when
 * the suite fails or is interrupted.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

export type RunResult = {
  argv: string[]
  code: null | number
  ms: number
  signal: NodeJS.Signals | null
  stderr: string
  stdout: string
  timedOut: boolean
}

/** A local account a command runs as (the suite runs as root for that). */
export type RunAs = {gid: number; uid: number}

export type RunOptions = {
  cwd?: string
  env: NodeJS.ProcessEnv
  input?: string
  timeoutMs?: number
  user?: RunAs
}

let commandLog: null | string = null
/** Commands still running: ended too when the suite is interrupted. */
const inFlight = new Set<number>()

export function setCommandLog(file: null | string): void {
  commandLog = file
}

function logLine(text: string): void {
  if (commandLog) fs.appendFileSync(commandLog, text + '\n')
}

/** Runs a command to completion (never throws on a non-zero exit), capturing its output. */
export function runProcess(file: string, args: string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    // Own process group, so an interrupted run can end the command with everything it started (npm, workers).
    const child = spawn(file, args, {
      cwd: options.cwd ?? options.env.HOME,
      detached: true,
      env: options.env,
      gid: options.user?.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
      uid: options.user?.uid,
    })
    if (child.pid) inFlight.add(child.pid)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 300_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (child.pid) inFlight.delete(child.pid)
      const result: RunResult = {
        argv: [file, ...args],
        code,
        ms: Date.now() - started,
        signal,
        stderr: Buffer.concat(err).toString('utf8'),
        stdout: Buffer.concat(out).toString('utf8'),
        timedOut,
      }
      logLine(
        `[${new Date().toISOString()}] exit=${code ?? signal}${timedOut ? ' TIMEOUT' : ''} ${(result.ms / 1000).toFixed(1)}s  HOME=${options.env.HOME}  ${args.join(' ')}`,
      )
      if (code !== 0 && commandLog)
        logLine(
          `    stdout: ${result.stdout.slice(-1500).replaceAll('\n', '\n    ')}\n    stderr: ${result.stderr.slice(-1500).replaceAll('\n', '\n    ')}`,
        )
      resolve(result)
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** The first JSON document in output that may carry banner or warning lines around it. */
export function parseJson<T = any>(text: string): null | T {
  const trimmed = text.trim()
  try {
    return JSON.parse(trimmed) as T
  } catch {
    const start = trimmed.search(/^[{[]/m)
    if (start === -1) return null
    try {
      return JSON.parse(trimmed.slice(start)) as T
    } catch {
      return null
    }
  }
}

export function describeRun(r: RunResult): string {
  return `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} after ${(r.ms / 1000).toFixed(1)}s: ${r.argv.slice(1).join(' ')}\n--- stdout (tail)\n${r.stdout.slice(-3000)}\n--- stderr (tail)\n${r.stderr.slice(-3000)}`
}

// ---- long-lived processes ----

const tracked = new Map<number, string>()

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function trackPid(pid: number, label: string): void {
  tracked.set(pid, label)
  logLine(`[track] pid ${pid}: ${label}`)
}

export function trackedPids(): Array<{label: string; pid: number}> {
  return [...tracked].map(([pid, label]) => ({label, pid}))
}

/** SIGTERM, wait, then SIGKILL. Returns how it ended. */
export async function stopPid(pid: number, timeoutMs = 20_000): Promise<'not running' | 'SIGKILL' | 'SIGTERM'> {
  tracked.delete(pid)
  if (!alive(pid)) return 'not running'
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return 'not running'
  }

  const deadline = Date.now() + timeoutMs
  while (alive(pid) && Date.now() < deadline) await sleep(100)
  if (!alive(pid)) return 'SIGTERM'
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}

  return 'SIGKILL'
}

/** The process group a process leads or belongs to (from /proc), or null when it is gone. */
export function processGroup(pid: number): null | number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ")".
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3)[2])
  } catch {
    return null
  }
}

/**
 * Stops a detached process with everything in its process group (a gateway and the workers it
 * started): SIGTERM to the group, wait, then SIGKILL. Never the suite's own group.
 */
export async function stopGroup(pid: number, timeoutMs = 20_000): Promise<'not running' | 'SIGKILL' | 'SIGTERM'> {
  tracked.delete(pid)
  const group = processGroup(pid)
  if (group === null || !alive(pid)) return 'not running'
  const target = group > 1 && group !== processGroup(process.pid) ? -group : pid
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(target, s)
    } catch {}
  }

  signal('SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (alive(pid) && Date.now() < deadline) await sleep(100)
  if (!alive(pid)) {
    signal('SIGKILL') // what is left of the group
    return 'SIGTERM'
  }

  signal('SIGKILL')
  return 'SIGKILL'
}

export async function stopAllTracked(): Promise<string[]> {
  const done: string[] = []
  for (const {label, pid} of trackedPids()) done.push(`${label} (pid ${pid}): ${await stopPid(pid)}`)
  return done
}

// A crash or Ctrl-C still ends every gateway this suite started (synchronously: SIGTERM makes them shut down cleanly).
process.on('exit', () => {
  for (const pid of tracked.keys()) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {}
  }

  for (const pid of inFlight) {
    try {
      process.kill(-pid, 'SIGTERM')
    } catch {}
  }
})
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const pid of tracked.keys()) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {}
    }

    for (const pid of inFlight) {
      try {
        process.kill(-pid, 'SIGTERM')
      } catch {}
    }

    process.exit(130)
  })
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, {recursive: true})
  return path.resolve(dir)
}
