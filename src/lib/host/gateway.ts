import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {HostContext} from './host-context.js'

import {MigrateError} from '../errors.js'
import {processAlive} from '../util/process.js'
import {type HostCommands} from './host-commands.js'

export type GatewayState = {
  /** What told us: the lock file with a live pid, the host's status probe, or nothing. */
  evidence: string[]
  lockPath: null | string
  pid: null | number
  port: null | number
  running: boolean
}

/** `<stateDir>/tmp/openclaw-<uid>/gateway.state.lock`, for any uid (a copy made by another user has another). */
export function findGatewayLocks(stateDir: string): string[] {
  const tmp = path.join(stateDir, 'tmp')
  let names: string[] = []
  try {
    names = fs.readdirSync(tmp)
  } catch {
    return []
  }

  return names
    .filter((n) => n.startsWith('openclaw-'))
    .map((n) => path.join(tmp, n, 'gateway.state.lock'))
    .filter((f) => fs.existsSync(f))
}

function readLock(file: string): {pid?: number; port?: number} {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as {pid?: number; port?: number}
  } catch {
    return {}
  }
}

type StatusJson = {
  port?: {listeners?: Array<{pid?: number}>; port?: number}
  rpc?: {ok?: boolean}
}

/** A running gateway is one whose lock names a live process, or one the host's status probe finds. */
export async function detectGateway(
  context: HostContext,
  host: HostCommands,
  options: {probe?: boolean} = {},
): Promise<GatewayState> {
  const state: GatewayState = {evidence: [], lockPath: null, pid: null, port: null, running: false}
  for (const lock of findGatewayLocks(context.stateDir)) {
    const data = readLock(lock)
    if (typeof data.pid === 'number' && processAlive(data.pid)) {
      Object.assign(state, {lockPath: lock, pid: data.pid, port: data.port ?? null, running: true})
      state.evidence.push(`lock ${lock} names live pid ${data.pid}`)
    }
  }

  if (options.probe !== false && host.available('gateway:status') && fs.existsSync(context.configPath)) {
    const status = await host
      .run('gateway:status', ['--json', '--timeout', '3000'], {timeoutMs: 30_000})
      .catch(() => null)
    const data = status?.data as null | StatusJson | undefined
    const listener = data?.port?.listeners?.find((l) => typeof l.pid === 'number')
    if (listener || data?.rpc?.ok) {
      state.running = true
      state.pid ??= listener?.pid ?? null
      state.port ??= data?.port?.port ?? null
      state.evidence.push(`host status: ${data?.rpc?.ok ? 'RPC answers' : `pid ${listener?.pid} listens`}`)
    }
  }

  return state
}

/** Stops the gateway through the host, then waits for the process to be gone. */
export async function stopGateway(
  context: HostContext,
  host: HostCommands,
  state: GatewayState,
): Promise<{method: string}> {
  let method = 'openclaw gateway stop --force'
  const result = host.available('gateway:stop')
    ? await host.run('gateway:stop', ['--force', '--json'], {timeoutMs: 60_000}).catch(() => null)
    : null
  const deadline = Date.now() + 30_000
  const gone = () => state.pid === null || !processAlive(state.pid)
  // Wait for the host's stop only when it ran and succeeded: otherwise nothing is stopping the gateway.
  while (result?.exitCode === 0 && !gone() && Date.now() < deadline) await sleep(250)
  if (!gone() && state.pid !== null && state.lockPath) {
    // An unmanaged `gateway run` the host could not stop: it is ours to signal, it holds our state dir's lock.
    method = `SIGTERM to pid ${state.pid}`
    try {
      process.kill(state.pid, 'SIGTERM')
    } catch {
      // EPERM: another user's process; reported below as still running
    }

    const hardDeadline = Date.now() + 30_000
    while (!gone() && Date.now() < hardDeadline) await sleep(250)
  }

  if (!gone()) {
    throw new MigrateError(
      'GATEWAY_STOP_FAILED',
      `The gateway (pid ${state.pid}) is still running after \`${method}\`${result ? ` (exit ${result.exitCode})` : ''}.`,
      {
        suggestions: ['Stop it by hand (`openclaw gateway stop`, or end the process), then run the command again.'],
      },
    )
  }

  return {method}
}
