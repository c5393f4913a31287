import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {processAlive} from '../util/process.js'

/**
 * Where each OpenClaw version keeps the lock of a running gateway:
 * - 2026.8+: `<stateDir>/tmp/openclaw-<uid>/gateway.state.lock` (JSON with pid, stateDir,
 *   configPath, port) and `gateway.<sha256(configPath):8>.lock` next to it;
 * - up to 2026.7 (2026.4, 2026.6): `<os.tmpdir()>/openclaw-<uid>/gateway.<sha256(configPath):8>.lock`
 *   (JSON with pid, configPath, createdAt, startTime), outside the state dir.
 */
export type GatewayLock = {
  configPath: null | string
  file: string
  /** Its content names our config or state dir (a lock in our state dir without those fields does not). */
  namesUs: boolean
  pid: number
  port: null | number
  startTime: null | number
  stateDir: null | string
}

type LockJson = {configPath?: unknown; pid?: unknown; port?: unknown; startTime?: unknown; stateDir?: unknown}

function readLock(file: string): GatewayLock | null {
  try {
    const stat = fs.lstatSync(file)
    if (!stat.isFile() || stat.size > 64 * 1024) return null
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as LockJson
    if (typeof data.pid !== 'number' || !Number.isSafeInteger(data.pid) || data.pid <= 1) return null
    const text = (v: unknown) => (typeof v === 'string' ? v : null)
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
    return {
      configPath: text(data.configPath),
      file,
      namesUs: false,
      pid: data.pid,
      port: num(data.port),
      startTime: num(data.startTime),
      stateDir: text(data.stateDir),
    }
  } catch {
    return null
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

function real(p: string): string {
  try {
    return fs.realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

export function configHash(configPath: string): string {
  return createHash('sha256').update(configPath).digest('hex').slice(0, 8)
}

/** The tmp dirs an older gateway may have used for its lock: ours, and the system default. */
function tmpRoots(): string[] {
  return [...new Set([os.tmpdir(), '/tmp'].map((d) => path.resolve(d)))]
}

/**
 * Every lock of this state dir, wherever the host version put it: any lock inside the state dir's
 * own tmp/, and those in the system tmp dir whose content names our config or state dir. Only a
 * lock whose content names us (namesUs) can ever lead to a signal.
 */
export function findGatewayLocks(stateDir: string, configPath: string): GatewayLock[] {
  const ours = {config: real(configPath), state: real(stateDir)}
  const hashes = new Set([configHash(configPath), configHash(ours.config)])
  const candidates: string[] = []
  for (const name of listDir(path.join(stateDir, 'tmp'))) {
    if (!name.startsWith('openclaw-')) continue
    const dir = path.join(stateDir, 'tmp', name)
    for (const file of listDir(dir)) if (/^gateway\.[\w.-]+\.lock$/.test(file)) candidates.push(path.join(dir, file))
  }

  const uid = typeof process.getuid === 'function' ? process.getuid() : null
  for (const root of tmpRoots()) {
    const dir = path.join(root, uid === null ? 'openclaw' : `openclaw-${uid}`)
    for (const hash of hashes) candidates.push(path.join(dir, `gateway.${hash}.lock`))
  }

  const found: GatewayLock[] = []
  for (const file of new Set(candidates)) {
    const lock = readLock(file)
    if (!lock) continue
    lock.namesUs =
      (lock.configPath !== null && real(lock.configPath) === ours.config) ||
      (lock.stateDir !== null && real(lock.stateDir) === ours.state)
    if (lock.namesUs || file.startsWith(path.join(stateDir, 'tmp') + path.sep)) found.push(lock)
  }

  return found
}

/** The command line of a process (Linux /proc; elsewhere null: then no signal is ever sent). */
export function processArgv(pid: number): null | string[] {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return raw.split('\0').filter(Boolean)
  } catch {
    return null
  }
}

/** Start time in clock ticks since boot (/proc/<pid>/stat field 22), as OpenClaw records it. */
function processStartTime(pid: number): null | number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const value = Number(fields[19])
    return Number.isFinite(value) ? value : null
  } catch {
    return null
  }
}

const ENTRIES = ['openclaw.mjs', 'dist/index.js', 'dist/entry.js', 'scripts/run-node.mjs']

/** True when argv is `openclaw … gateway …` (the host's own test, isGatewayArgv, in every version). */
export function isGatewayArgv(argv: string[]): boolean {
  if (!argv.includes('gateway')) return false
  const exe = (argv[0] ?? '').replace(/\.(bat|cmd|exe)$/i, '')
  if (exe === 'openclaw' || exe.endsWith('/openclaw') || exe.endsWith('/openclaw-gateway')) return true
  return argv.some((a) => ENTRIES.some((e) => a.endsWith(`/${e}`) || a === e))
}

/** A process that renamed itself: its whole command line is `openclaw` or `openclaw-<command>`. */
function isOpenClawTitle(argv: string[]): boolean {
  return /^openclaw(-[a-z-]+)?$/.test(argv.join(' ').trim())
}

export type GatewayProof = {proven: boolean; reason: string}

/**
 * Whether the lock's pid is that gateway, so it may be signalled: alive, its command line is an
 * OpenClaw gateway, and (when the lock recorded it) it started when the lock says: a pid a file
 * names is never signalled on the file's word alone.
 */
export function proveGatewayPid(lock: GatewayLock): GatewayProof {
  if (!processAlive(lock.pid)) return {proven: false, reason: `pid ${lock.pid} is not running`}
  if (!lock.namesUs) return {proven: false, reason: `the lock ${lock.file} does not name this config or state dir`}
  const argv = processArgv(lock.pid)
  if (!argv) return {proven: false, reason: `the command line of pid ${lock.pid} cannot be read here`}
  const started = lock.startTime === null ? null : processStartTime(lock.pid)
  if (lock.startTime !== null && started !== null && started !== lock.startTime)
    return {proven: false, reason: `pid ${lock.pid} started after the lock was written (a reused pid)`}
  if (isGatewayArgv(argv))
    return {proven: true, reason: `pid ${lock.pid} runs \`openclaw … gateway\` and holds the lock ${lock.file}`}
  // The gateway renames itself (process.title "openclaw", "openclaw-gateway"), which replaces its
  // command line. Such a title counts only with the lock's record of the process start time matching.
  if (isOpenClawTitle(argv) && lock.startTime !== null && started === lock.startTime)
    return {
      proven: true,
      reason: `pid ${lock.pid} is titled ${argv.join(' ').trim()} and started exactly when the lock ${lock.file} says`,
    }
  return {
    proven: false,
    reason: `pid ${lock.pid} is not provably an OpenClaw gateway (${argv.join(' ').trim().slice(0, 60)})`,
  }
}
