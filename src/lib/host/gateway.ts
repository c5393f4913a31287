import fs from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import type {HostContext} from './host-context.js'

import {MigrateError} from '../errors.js'
import {processAlive} from '../util/process.js'
import {findGatewayLocks, type GatewayLock, type GatewayProof, proveGatewayPid} from './gateway-locks.js'
import {type HostCommands, type HostStepResult} from './host-commands.js'

export type GatewayState = {
  /** What told us: the lock file with a live pid, the host's status probe, or nothing. */
  evidence: string[]
  /** The lock naming our config or state dir with a live pid (any host version's location). */
  lock?: GatewayLock
  lockPath: null | string
  pid: null | number
  port: null | number
  running: boolean
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
  for (const lock of findGatewayLocks(context.stateDir, context.configPath)) {
    if (!processAlive(lock.pid) || state.lock?.pid === lock.pid) continue
    Object.assign(state, {lock, lockPath: lock.file, pid: lock.pid, port: lock.port, running: true})
    state.evidence.push(`lock ${lock.file} names live pid ${lock.pid}`)
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

/** `gateway stop` arguments this host version knows: `--force` came with 2026.7; older ones have none. */
function stopArgs(hostVersion: null | string | undefined): string[] {
  const [year, month] = (hostVersion ?? '').split('.').map(Number)
  const old = Number.isFinite(year) && Number.isFinite(month) && (year < 2026 || (year === 2026 && month < 7))
  return old ? ['--json'] : ['--force', '--json']
}

function hostStopSummary(result: HostStepResult | null): string {
  if (!result) return 'no host command to stop it'
  const text = `${result.stdout}\n${result.stderr}`
  if (/not-loaded|not loaded/i.test(text))
    return `exit ${result.exitCode}, "not-loaded" (the host manages no service here)`
  return `exit ${result.exitCode}`
}

/**
 * Stops the gateway through the host's own verb for its version, then, only if the process is
 * still there and proven to be that gateway (its lock names our config or state dir, its command
 * line is `openclaw … gateway`, its start time matches the lock), by SIGTERM to that pid.
 */
export async function stopGateway(
  context: HostContext,
  host: HostCommands,
  state: GatewayState,
): Promise<{method: string}> {
  const args = stopArgs(context.hostVersion)
  let method = `openclaw gateway stop ${args.filter((a) => a !== '--json').join(' ')}`.trim()
  let result = host.available('gateway:stop')
    ? await host.run('gateway:stop', args, {timeoutMs: 60_000}).catch(() => null)
    : null
  if (result && result.exitCode !== 0 && args.includes('--force') && /unknown option.*--force/i.test(result.stderr)) {
    method = 'openclaw gateway stop'
    result = await host.run('gateway:stop', ['--json'], {timeoutMs: 60_000}).catch(() => null)
  }

  const gone = () => state.pid === null || !processAlive(state.pid)
  const stopping = result?.exitCode === 0 && !/not-loaded|not loaded/i.test(`${result.stdout}\n${result.stderr}`)
  // Wait for the host's stop only when it said it stopped something.
  const deadline = Date.now() + (stopping ? 30_000 : 0)
  while (!gone() && Date.now() < deadline) await sleep(250)
  let proof: GatewayProof | null = null
  if (!gone() && state.lock) {
    proof = proveGatewayPid(state.lock)
    if (proof.proven) {
      method = result
        ? `${method} (${hostStopSummary(result)}), then SIGTERM to pid ${state.pid}`
        : `SIGTERM to pid ${state.pid}`
      try {
        process.kill(state.lock.pid, 'SIGTERM')
      } catch {
        // EPERM: another user's process; reported below as still running
      }

      const hardDeadline = Date.now() + 30_000
      while (!gone() && Date.now() < hardDeadline) await sleep(250)
    }
  }

  if (!gone()) {
    throw new MigrateError(
      'GATEWAY_STOP_FAILED',
      `The gateway (pid ${state.pid}) is still running after \`${method}\` (${hostStopSummary(result)})${proof && !proof.proven ? `; not signalled: ${proof.reason}` : state.lock ? '' : '; no lock names it, so it was not signalled'}.`,
      {
        details: {lock: state.lockPath, method, pid: state.pid},
        suggestions: [
          `Stop it where it runs (Ctrl-C in its terminal, or \`kill ${state.pid ?? '<pid>'}\` once you are sure it is this state's gateway), then run the command again.`,
        ],
      },
    )
  }

  return {method}
}
