import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * Before a pid is signalled it must be proven to be the gateway of this state dir: a lock file (or
 * an archive that planted one) can name any pid. Proof: the process belongs to this user, its
 * command line is an OpenClaw gateway, and the lock that named it points at this state dir/config.
 */
export function provenGateway(
  pid: number,
  expected: {configPath: string; stateDir: string},
  lock: {configPath?: unknown; stateDir?: unknown},
): {ok: boolean; why: string} {
  if (!Number.isSafeInteger(pid) || pid <= 1) return {ok: false, why: `pid ${pid} is not a process to signal`}
  const same = (a: unknown, b: string) => typeof a === 'string' && path.resolve(a) === path.resolve(b)
  if (!same(lock.stateDir, expected.stateDir) && !same(lock.configPath, expected.configPath))
    return {ok: false, why: 'its lock does not name this state dir or config'}
  const info = processInfo(pid)
  if (!info) return {ok: false, why: `pid ${pid} cannot be inspected`}
  if (typeof process.getuid === 'function' && info.uid !== process.getuid())
    return {ok: false, why: `pid ${pid} belongs to uid ${info.uid}`}
  if (!/openclaw/i.test(info.command) || !/gateway/i.test(info.command))
    return {ok: false, why: `pid ${pid} is not an OpenClaw gateway`}
  return {ok: true, why: `pid ${pid} is this state dir's OpenClaw gateway`}
}

function processInfo(pid: number): null | {command: string; uid: number} {
  try {
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
    return {command, uid}
  } catch {
    // No /proc (macOS): ask ps.
    try {
      const out = execFileSync('ps', ['-o', 'uid=,command=', '-p', String(pid)], {
        encoding: 'utf8',
        env: {PATH: '/bin:/usr/bin'},
      })
      const m = /^\s*(\d+)\s+(.*)$/s.exec(out.trim())
      return m ? {command: m[2], uid: Number(m[1])} : null
    } catch {
      return null
    }
  }
}
