/**
 * Fault injection for the real CLI, loaded into the child with `node --import <this file>`
 * (plain erasable TypeScript, no dependencies, so Node strips the types itself).
 *
 *   HOSTILE_FAULT=kill:<op>:<n>   SIGKILL this process just before the n-th call of <op>
 *   HOSTILE_FAULT=int:<op>:<n>    send SIGINT to this process just before the n-th call (it goes on)
 *   HOSTILE_FAULT=enospc:<op>:<n> make the n-th and every later call of <op> fail with ENOSPC
 *   HOSTILE_FAULT=fill:<op>:<n>   just before the n-th call, fill the filesystem of HOSTILE_FILL
 *                                 (a ballast file) until the kernel says ENOSPC: a real full disk
 *   HOSTILE_MUTATE=<how>:<path>   when <path> is opened for reading, first change it:
 *                                 append (grows), unlink (vanishes), touch (new mtime)
 *   HOSTILE_COUNT_FILE=<file>     on exit, write how often each <op> was called (JSON)
 *
 * <op> is one of: rename, writeFile, mkdir, open, symlink, rm, write.
 * Patching the shared `fs` objects reaches every module that calls `fs.x(...)` or `fs.promises.x(...)`.
 */
import fs from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'

const counts: Record<string, number> = {}
const writeFileSyncUnpatched = fs.writeFileSync
const fault = (process.env.HOSTILE_FAULT ?? '').split(':')
const [action, faultOp] = fault
const faultAt = Number(fault[2] ?? 0)
const mutate = process.env.HOSTILE_MUTATE ?? ''
const mutateHow = mutate.slice(0, mutate.indexOf(':'))
const mutatePath = mutate.slice(mutate.indexOf(':') + 1)
let mutated = false

function enospc(op: string): Error {
  const error = new Error(`ENOSPC: no space left on device, ${op}`) as NodeJS.ErrnoException
  error.code = 'ENOSPC'
  error.errno = -28
  error.syscall = op
  return error
}

function fillUp(ballast: string): void {
  const fd = fs.openSync(ballast, 'a')
  const block = Buffer.alloc(64 * 1024, 0x5a)
  try {
    for (;;) fs.writeSync(fd, block)
  } catch {
    // ENOSPC: full
  }

  for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
    try {
      for (;;) fs.writeSync(fd, block.subarray(0, size))
    } catch {
      // full at this granularity too
    }
  }

  fs.closeSync(fd)
}

/** Counts the call; returns an error to throw instead of doing it, or nothing. */
function before(op: string): Error | undefined {
  const n = (counts[op] = (counts[op] ?? 0) + 1)
  if (op !== faultOp) return undefined
  if (action === 'kill' && n === faultAt) process.kill(process.pid, 'SIGKILL')
  if (action === 'int' && n === faultAt) process.kill(process.pid, 'SIGINT')
  if (action === 'enospc' && n >= faultAt) return enospc(op)
  if (action === 'fill' && n === faultAt && process.env.HOSTILE_FILL) fillUp(process.env.HOSTILE_FILL)
  return undefined
}

function wrapSync<K extends keyof typeof fs>(name: K, op: string, hook?: (args: unknown[]) => void): void {
  const original = fs[name] as unknown as (...args: unknown[]) => unknown
  ;(fs as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    hook?.(args)
    const error = before(op)
    if (error) throw error
    return original.apply(this, args)
  }
}

function wrapAsync(name: keyof typeof fs.promises, op: string, hook?: (args: unknown[]) => void): void {
  const original = fs.promises[name] as unknown as (...args: unknown[]) => Promise<unknown>
  ;(fs.promises as unknown as Record<string, unknown>)[name] = async function (this: unknown, ...args: unknown[]) {
    hook?.(args)
    const error = before(op)
    if (error) throw error
    const result = await original.apply(this, args)
    if (op === 'open' && result && typeof result === 'object') wrapHandle(result as fs.promises.FileHandle)
    return result
  }
}

function wrapHandle(handle: fs.promises.FileHandle): void {
  const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<unknown>
  ;(handle as unknown as Record<string, unknown>).write = async (...args: unknown[]) => {
    const error = before('write')
    if (error) throw error
    return write(...args)
  }
}

function mutateOnOpen(args: unknown[]): void {
  if (mutated || !mutatePath || String(args[0]) !== mutatePath) return
  mutated = true
  if (mutateHow === 'append') fs.appendFileSync(mutatePath, 'changed while exporting\n')
  if (mutateHow === 'unlink') fs.unlinkSync(mutatePath)
  if (mutateHow === 'touch') {
    const later = new Date(Date.now() + 60_000)
    fs.utimesSync(mutatePath, later, later)
  }
}

wrapSync('writeSync', 'write')
wrapSync('openSync', 'open', mutateOnOpen)
wrapSync('symlinkSync', 'symlink')
wrapSync('renameSync', 'rename')
wrapSync('writeFileSync', 'writeFile')
wrapSync('mkdirSync', 'mkdir')
wrapSync('rmSync', 'rm')
wrapAsync('mkdir', 'mkdir')
wrapAsync('open', 'open', mutateOnOpen)
wrapAsync('symlink', 'symlink')
wrapAsync('rm', 'rm')
syncBuiltinESMExports()

if (process.env.HOSTILE_COUNT_FILE) {
  const file = process.env.HOSTILE_COUNT_FILE
  process.on('exit', () => {
    try {
      writeFileSyncUnpatched(file, JSON.stringify(counts))
    } catch {
      // best effort
    }
  })
}
