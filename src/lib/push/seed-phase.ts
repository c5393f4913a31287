import fs from 'node:fs'

import {type Compression} from '../archive/compression.js'
import {isMigrateError, MigrateError} from '../errors.js'
import {type ExportPlan} from '../inventory/export-plan.js'
import {createPrivateTempDir} from '../util/private-temp.js'
import {type SeedReceipt, type SeedTotals, writeSeedStream} from './seed-stream.js'
import {collectRemote, spawnSsh, sshFailure, type SshTarget} from './ssh.js'

export type SeedOutcome = {
  /** sha256 of every body the new machine now holds: phase two names these instead of sending them. */
  held: ReadonlySet<string>
  sent: SeedTotals
  skipped: number
}

/**
 * Phase one of a push: while the old gateway keeps answering, every body the export would carry
 * goes to the new machine's seed store (`receive --seed`). Nothing is imported or changed there
 * beyond that private store, and nothing here: a failure leaves both machines as they were.
 */
export async function seedRemote(
  request: {compression: Compression; signal?: AbortSignal; target: SshTarget},
  plan: ExportPlan,
  pushId: string,
  reporter: {onLine?: (line: string) => void; onProgress?: (totals: SeedTotals) => void},
): Promise<SeedOutcome> {
  const {target} = request
  const child = spawnSsh(target, ['receive', '--seed', pushId, '--json'])
  const onAbort = () => {
    child.kill('SIGTERM')
  }

  request.signal?.addEventListener('abort', onAbort, {once: true})
  const remote = collectRemote<SeedReceipt>(child, reporter.onLine)
  const tempDir = createPrivateTempDir('seed')
  let sent: SeedTotals = {bytes: 0, files: 0}
  let local: unknown = null
  try {
    sent = await writeSeedStream(plan, child.stdin!, {
      compression: request.compression,
      onProgress: reporter.onProgress,
      tempDir,
    })
  } catch (error) {
    child.stdin!.destroy()
    local = error
  } finally {
    fs.rmSync(tempDir, {force: true, recursive: true})
  }

  const result = await remote
  request.signal?.removeEventListener('abort', onAbort)
  const receipt = result.json?.ok && result.code === 0 ? result.json.result : null
  if (receipt && !local) return {held: new Set(receipt.held), sent, skipped: receipt.skipped}
  if (request.signal?.aborted)
    throw new MigrateError('INTERRUPTED', 'Push interrupted while sending ahead; nothing was changed.', {
      suggestions: ['Run the push again.'],
    })
  if (isMigrateError(local)) throw local
  const ssh = sshFailure(target, {exitCode: result.code, stderr: result.stderr, stdout: ''})
  if (ssh) throw ssh
  const why = result.json?.error
    ? `${result.json.error.code}: ${result.json.error.message}`
    : ((local as Error | null)?.message ?? `exit ${result.code}`)
  throw new MigrateError(
    'REMOTE_IMPORT_FAILED',
    `Sending the state ahead to ${target.destination} failed (${why.slice(0, 300)}). Nothing was changed on either machine; the gateway here kept running.`,
    {
      suggestions: ['Run the push again, or push with --one-phase (one stream, with the gateway stopped throughout).'],
    },
  )
}
