import type {Config} from '@oclif/core'

import {setTimeout as sleep} from 'node:timers/promises'

import type {HostContext} from '../host/host-context.js'

import {detectGateway} from '../host/gateway.js'
import {startDetached} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'

/**
 * Starts the old machine's gateway again after a failed push: through the host's service manager
 * when it has one, else detached with `gateway run` as import --start-gateway does. Waits until it
 * is seen running (its lock or the host's status probe).
 */
export async function restartSourceGateway(
  context: HostContext,
  config?: Config,
): Promise<{method: string; running: boolean}> {
  const host = new HostCommands(context, config)
  let method = 'openclaw gateway restart'
  const restart = host.available('gateway:restart')
    ? await host.run('gateway:restart', [], {timeoutMs: 120_000}).catch(() => null)
    : null
  if (restart?.exitCode !== 0) {
    if (!context.binary) return {method: 'none: no openclaw executable here', running: false}
    method = `openclaw${context.profile ? ` --profile ${context.profile}` : ''} gateway run (detached)`
    await startDetached(context.binary, context.stateDir)
  }

  const deadline = Date.now() + 90_000
  for (;;) {
    const state = await detectGateway(context, host)
    if (state.running || Date.now() >= deadline) return {method, running: state.running}
    await sleep(500)
  }
}
