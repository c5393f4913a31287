import type {Config} from '@oclif/core'

import fs from 'node:fs'

import type {HostContext} from '../host/host-context.js'

import {MigrateError} from '../errors.js'
import {detectGateway, stopGateway} from '../host/gateway.js'
import {targetHost} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'
import {
  assertUndoable,
  type ImportJournal,
  lastActivatedImport,
  recoverInterrupted,
  undoImport,
} from '../import/import-journal.js'
import {acquireImportLock} from '../import/import-lock.js'

export type UndoRequest = {config?: Config; context: HostContext; noHost?: boolean; stopGateway: boolean}

export type UndoOutcome = {
  gatewaysStopped: string[]
  /** Imports killed mid-way whose rollback this undo finished (then nothing else is undone). */
  recovered: ImportJournal[]
  restored: Array<{from: null | string; importedNowAt: string; target: string}>
  undone: ImportJournal | null
}

/**
 * Refuses to pull a state away from under a running gateway (it would go on running on a
 * vanished state dir), or stops it first with --stop-gateway.
 */
async function guardGateways(request: UndoRequest, journal: ImportJournal): Promise<string[]> {
  const stopped: string[] = []
  for (const p of journal.profiles) {
    if (!fs.existsSync(p.stateDir)) continue
    const configPath = `${p.stateDir}/openclaw.json`
    const target = targetHost(request.context, {
      configPath,
      home: request.context.home,
      profile: p.target,
      stateDir: p.stateDir,
    })
    const host = new HostCommands(target, request.config)
    const gateway = await detectGateway(target, host, {probe: !request.noHost})
    if (!gateway.running) continue
    if (!request.stopGateway)
      throw new MigrateError(
        'TARGET_GATEWAY_RUNNING',
        `A gateway is running on ${p.stateDir} (${gateway.evidence.join('; ')}); undoing under it would leave it running on a vanished state.`,
        {suggestions: ['Pass --stop-gateway to stop it first, or run `openclaw gateway stop`, then undo again.']},
      )
    await stopGateway(target, host, gateway)
    stopped.push(p.stateDir)
  }

  return stopped
}

/** `import --undo`, under the import lock: finish an interrupted import's rollback, else undo the last activated one. */
export async function runUndo(request: UndoRequest): Promise<UndoOutcome> {
  const {home} = request.context
  const release = acquireImportLock(home, {command: 'import --undo'})
  try {
    // An import killed mid-activation is the last import: undoing it means finishing its rollback.
    const recovered = recoverInterrupted(home)
    if (recovered.length > 0) return {gatewaysStopped: [], recovered, restored: [], undone: null}
    const journal = lastActivatedImport(home)
    // Before any gateway is stopped: an undo that cannot restore what the import replaced changes nothing.
    assertUndoable(journal)
    const gatewaysStopped = await guardGateways(request, journal)
    const restored = undoImport(home, journal)
    return {gatewaysStopped, recovered, restored, undone: journal}
  } finally {
    release()
  }
}
