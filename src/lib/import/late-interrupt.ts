import type {Config} from '@oclif/core'

import type {HostContext} from '../host/host-context.js'

import {ourCommand} from '../cli-face.js'
import {MigrateError} from '../errors.js'
import {detectGateway, stopGateway} from '../host/gateway.js'
import {targetHost} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'
import {type ImportJournal, rollBack} from './import-journal.js'

/**
 * Ctrl-C once the state is in place. Stopping halfway would leave a state the host never
 * checked, so a first Ctrl-C lets the import finish (verification and the host's chain) and says
 * so; a second one is the user insisting: the running host step ends, and the import is rolled
 * back to what was there before.
 */
export const FINISHED_AFTER_INTERRUPT = `Ctrl-C came after the imported state was put in place: the import was finished (verified, OpenClaw's steps run) rather than left half-done. To revert it: \`${ourCommand('import --undo')}\`.`

export type ActivatedProfile = {configPath: string; stateDir: string; target: null | string}

/**
 * Rolls an activated import back because the user insisted: first stops a gateway running on the
 * imported state (the chain may have started it), then puts back what was there before.
 * Returns the error to report (INTERRUPTED, exit 130).
 */
export async function rollBackInsisted(
  request: {config?: Config; context: HostContext},
  home: string,
  journal: ImportJournal,
  profiles: ActivatedProfile[],
): Promise<MigrateError> {
  for (const p of profiles) {
    const target = targetHost(request.context, {...p, home, profile: p.target})
    const host = new HostCommands(target, request.config)
    try {
      const gateway = await detectGateway(target, host, {probe: false})
      if (gateway.running) await stopGateway(target, host, gateway)
    } catch {
      // Reported through the rollback: a state still in use cannot be moved back.
    }
  }

  rollBack(home, journal)
  if (journal.state === 'rollback-failed')
    return new MigrateError(
      'INTERRUPTED',
      `Interrupted twice after the state was put in place; the rollback could not be completed.`,
      {suggestions: [`Finish it by hand: ${journal.unresolved?.join('; ')}`]},
    )
  return new MigrateError(
    'INTERRUPTED',
    `Interrupted twice after the state was put in place: the import was rolled back; ${journal.steps
      .filter((s) => !s.nested)
      .map((s) => s.target)
      .join(', ')} ${journal.steps.length === 1 ? 'is' : 'are'} as before the import.`,
    {suggestions: ['Run the import again when you are ready.']},
  )
}
