import type {Config} from '@oclif/core'

import {randomBytes} from 'node:crypto'

import type {HostContext} from '../host/host-context.js'

import {type Compression} from '../archive/compression.js'
import {isMigrateError, MigrateError} from '../errors.js'
import {type ExportSelection} from '../inventory/export-plan.js'
import {
  buildManifest,
  type ExportOutcome,
  type ExportPreparation,
  type ExportRequest,
  prepareExport,
  runExport,
} from '../operations/export-operation.js'
import {type PreflightAnswer, type ReceiveOutcome, RECEIVER_READY} from './receive.js'
import {remotePreflight} from './remote-preflight.js'
import {type RetiredCopy, retireSource} from './retire.js'
import {type SeedOutcome, seedRemote} from './seed-phase.js'
import {restartSourceGateway} from './source-gateway.js'
import {collectRemote, type RemoteResult, spawnSsh, sshFailure, type SshTarget} from './ssh.js'

export type PushRequest = {
  allowDowngrade: boolean
  compression: Compression
  config?: Config
  context: HostContext
  doctor: boolean
  keepSource: boolean
  maps: string[]
  /** Profile on the new machine (default: the source's). */
  remoteProfile?: string
  selection: ExportSelection
  signal?: AbortSignal
  startGateway: boolean
  stopTargetGateway: boolean
  target: SshTarget
  /** Send everything ahead while the gateway runs, then only what changed (default); else one stream. */
  twoPhase: boolean
}

export type PushReporter = {
  onPhase?: (phase: 'preflight' | 'retire' | 'rollback' | 'seed' | 'stream', message: string) => void
  onProgress?: (bytes: number, files: number) => void
  /** A step line of the remote import, as it arrives. */
  onRemoteLine?: (line: string) => void
}

export type PushOutcome = {
  /** Old gateway told to stop → new gateway answering; null when either side had none. */
  downtimeMs: null | number
  exported: {bytes: number; files: number}
  gateway: {stopped: boolean; wasRunning: boolean}
  keptSource: boolean
  preflight: PreflightAnswer
  received: ReceiveOutcome
  retired: null | RetiredCopy
  /** Phase one (two-phase push): what went ahead while the gateway ran; null for a one-phase push. */
  sentAhead: null | {bytes: number; files: number; ms: number; skipped: number}
  target: string
  /** Files of the final stream sent as references to what went ahead. */
  withheld: number
}

const READY_TIMEOUT_MS = 60_000

function remoteArgs(request: PushRequest): string[] {
  const args = ['--json']
  if (request.remoteProfile) args.push('--profile', request.remoteProfile)
  if (request.allowDowngrade) args.push('--allow-downgrade')
  if (request.stopTargetGateway) args.push('--stop-gateway')
  if (!request.doctor) args.push('--no-doctor')
  for (const m of request.maps) args.push(`--map=${m}`)
  return args
}

/**
 * One command from the old machine to the new one: preflight there (nothing changes anywhere if it
 * refuses), stop the gateway here, stream the export into the remote import over ssh, then retire
 * this copy so no second gateway can start on it. Any failure leaves this machine as it was (its
 * gateway started again) and the new one rolled back by its journal.
 */
export async function runPush(request: PushRequest, reporter: PushReporter = {}): Promise<PushOutcome> {
  const {context, target} = request
  const exportRequest: ExportRequest = {
    compression: request.compression,
    config: request.config,
    context,
    dryRun: false,
    encrypted: false,
    output: '-',
    selection: request.selection,
    stopGateway: true,
  }
  const prepared = await prepareExport(exportRequest)
  const args = remoteArgs(request)
  reporter.onPhase?.('preflight', `asking ${target.destination} whether it can take ${context.stateDir}`)
  const preview = buildManifest(prepared.plan, context, {
    method: null,
    stopped: false,
    wasRunning: prepared.gateway.running,
  })
  const preflight = await remotePreflight(target, JSON.stringify(preview), args)

  let seed: null | SeedOutcome = null
  let sentAhead: PushOutcome['sentAhead'] = null
  const pushId = randomBytes(16).toString('hex')
  if (request.twoPhase) {
    reporter.onPhase?.('seed', `sending the state ahead to ${target.destination} while the gateway here keeps running`)
    const started = Date.now()
    seed = await seedRemote(request, prepared.plan, pushId, {
      onLine: reporter.onRemoteLine,
      onProgress: (t) => reporter.onProgress?.(t.bytes, t.files),
    })
    sentAhead = {...seed.sent, ms: Date.now() - started, skipped: seed.skipped}
    exportRequest.withheld = seed.held
  }

  reporter.onPhase?.(
    'stream',
    seed
      ? `stopping the gateway and sending what changed to ${target.destination}`
      : `streaming to ${target.destination}`,
  )
  const streamed = await streamToRemote(
    request,
    {prepared, request: exportRequest},
    ['receive', ...args, ...(request.startGateway ? ['--start-gateway'] : []), ...(seed ? ['--seeded', pushId] : [])],
    reporter,
  )
  const {exported, result} = streamed
  const received = result.json?.ok && result.code === 0 ? result.json.result : null
  if (!received || exported.error) {
    const error = remoteError(target, result, exported.error, request.signal)
    const stopped = exported.outcome?.gateway.stopped ?? streamed.stoppingAt !== null
    const restarted = stopped && prepared.gateway.running ? await startSourceAgain(context, request, reporter) : ''
    throw new MigrateError(error.code, `${error.message}\nThis machine is as it was before the push.${restarted}`, {
      cause: error,
      details: error.details,
      suggestions: error.suggestions,
    })
  }

  let retired: null | RetiredCopy = null
  if (!request.keepSource) {
    reporter.onPhase?.('retire', `moving this copy aside so no second gateway can start on it`)
    retired = await retireSource(context, target.label, request.config)
  }

  const {answeredAt, stoppingAt} = streamed
  return {
    downtimeMs: stoppingAt !== null && received.gatewayRunning ? answeredAt - stoppingAt : null,
    exported: streamed.totals,
    gateway: {stopped: exported.outcome!.gateway.stopped, wasRunning: prepared.gateway.running},
    keptSource: request.keepSource,
    preflight,
    received,
    retired,
    sentAhead,
    target: target.destination,
    withheld: exported.outcome!.written.withheld,
  }
}

async function startSourceAgain(context: HostContext, request: PushRequest, reporter: PushReporter): Promise<string> {
  reporter.onPhase?.('rollback', 'starting the gateway here again')
  const again = await restartSourceGateway(context, request.config)
  return again.running
    ? ` Its gateway was started again (${again.method}).`
    : ` Its gateway could not be started again: start it with \`openclaw${context.profile ? ` --profile ${context.profile}` : ''} gateway run\`.`
}

/** The export (gateway stopped first) piped into `receive` over ssh; both ends awaited, errors kept apart. */
async function streamToRemote(
  request: PushRequest,
  exporting: {prepared: ExportPreparation; request: ExportRequest},
  receiveArgs: string[],
  reporter: PushReporter,
) {
  const {prepared} = exporting
  const exportRequest = exporting.request
  const child = spawnSsh(request.target, receiveArgs)
  const onAbort = () => {
    child.kill('SIGTERM')
  }

  request.signal?.addEventListener('abort', onAbort, {once: true})
  // The gateway stops only once the receiver is up (ssh connected, tool started): its start-up is
  // not downtime. A receiver that ends or never says so is waited for no longer than that.
  let answeredAt: null | number = null
  let onReady = () => {}
  const ready = new Promise<void>((resolve) => {
    onReady = resolve
    setTimeout(resolve, READY_TIMEOUT_MS).unref()
  })
  const remote = collectRemote<ReceiveOutcome>(child, (line) => {
    if (line === RECEIVER_READY) onReady()
    else {
      // The step line of the status check that saw the new gateway answer, as it arrives here.
      if (/^\s*ok\s+gateway status\b/.test(line)) answeredAt ??= Date.now()
      reporter.onRemoteLine?.(line)
    }
  })
  void remote.finally(onReady)
  await ready
  let stoppingAt: null | number = null
  const totals = {bytes: 0, files: 0}
  let exported: {error: unknown; outcome: ExportOutcome | null}
  try {
    const outcome = await runExport(
      exportRequest,
      prepared,
      {kind: 'none'},
      {
        onGatewayStopping() {
          stoppingAt = Date.now()
        },
        onProgress(bytes, files) {
          totals.bytes = bytes
          totals.files = files
          reporter.onProgress?.(bytes, files)
        },
        stdout: child.stdin!,
      },
    )
    exported = {error: null, outcome}
  } catch (error) {
    child.stdin!.destroy()
    exported = {error, outcome: null}
  }

  const result = await remote
  request.signal?.removeEventListener('abort', onAbort)
  // Without the status line (an older receiver), the end of the remote run bounds it from above.
  return {
    answeredAt: (answeredAt as null | number) ?? Date.now(),
    exported,
    result,
    stoppingAt: stoppingAt as null | number,
    totals,
  }
}

/** Which side failed, with its code: the remote's own answer wins over a local write error it caused. */
function remoteError(
  target: SshTarget,
  result: RemoteResult<ReceiveOutcome>,
  local: unknown,
  signal?: AbortSignal,
): MigrateError {
  if (signal?.aborted)
    return new MigrateError('INTERRUPTED', 'Push interrupted; the new machine rolls the partial import back.', {
      suggestions: ['Run the push again.'],
    })
  // A failure of the export here (a file changed, unreadable, the gateway would not stop) cuts the
  // stream short: the remote's complaint (an empty or truncated archive) is only its echo. A remote
  // that failed first shows here as a closed pipe, which is not one of our errors.
  if (isMigrateError(local)) return local
  const sshError = sshFailure(target, {exitCode: result.code, stderr: result.stderr, stdout: ''})
  if (result.json?.error)
    return new MigrateError(
      'REMOTE_IMPORT_FAILED',
      `The import on ${target.destination} failed (${result.json.error.code}): ${result.json.error.message} It rolled back by its journal.`,
      {details: {remote: result.json.error}, suggestions: ['Fix the cause on the new machine, then push again.']},
    )
  if (isMigrateError(local)) return local
  if (sshError) return sshError
  if (local)
    return new MigrateError('SOURCE_UNREADABLE', `The export here failed: ${(local as Error).message ?? local}.`)
  return new MigrateError(
    'REMOTE_IMPORT_FAILED',
    `The import on ${target.destination} ended without a result (exit ${result.code}); a partial import there is rolled back by its journal.`,
    {
      suggestions: [
        `Check the new machine (ssh ${target.destination} openclaw-migrate import --undo), then push again.`,
      ],
    },
  )
}
