import type {Config} from '@oclif/core'

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
import {type PreflightAnswer, type ReceiveOutcome} from './receive.js'
import {remotePreflight} from './remote-preflight.js'
import {type RetiredCopy, retireSource} from './retire.js'
import {restartSourceGateway} from './source-gateway.js'
import {parseRemoteEnvelope, spawnSsh, sshFailure, type SshTarget} from './ssh.js'

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
}

export type PushReporter = {
  onPhase?: (phase: 'preflight' | 'retire' | 'rollback' | 'stream', message: string) => void
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
  target: string
}

type RemoteResult = {
  code: null | number
  json: ReturnType<typeof parseRemoteEnvelope<ReceiveOutcome>>
  stderr: string
}

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

  reporter.onPhase?.('stream', `streaming to ${target.destination}`)
  const streamed = await streamToRemote(
    request,
    {prepared, request: exportRequest},
    ['receive', ...args, ...(request.startGateway ? ['--start-gateway'] : [])],
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
    target: target.destination,
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
  const remote = collectRemote(child, reporter)
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
  return {answeredAt: Date.now(), exported, result, stoppingAt: stoppingAt as null | number, totals}
}

async function collectRemote(child: ReturnType<typeof spawnSsh>, reporter: PushReporter): Promise<RemoteResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = []
    let stderr = ''
    let pending = ''
    child.stdout!.on('data', (c: Buffer) => {
      out.push(c)
    })
    child.stderr!.on('data', (c: Buffer) => {
      const text = pending + c.toString('utf8')
      const lines = text.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        stderr += `${line}\n`
        if (line.trim()) reporter.onRemoteLine?.(line)
      }
    })
    child.stdin!.on('error', () => {
      // EPIPE when the remote ends early: its exit status and answer say why.
    })
    child.on('error', () => {
      resolve({code: null, json: null, stderr})
    })
    child.on('close', (code) => {
      if (pending.trim()) reporter.onRemoteLine?.(pending)
      resolve({
        code,
        json: parseRemoteEnvelope<ReceiveOutcome>(Buffer.concat(out).toString('utf8')),
        stderr: stderr + pending,
      })
    })
  })
}

/** Which side failed, with its code: the remote's own answer wins over a local write error it caused. */
function remoteError(target: SshTarget, result: RemoteResult, local: unknown, signal?: AbortSignal): MigrateError {
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
