import fs from 'node:fs'

import {parseManifest} from '../archive/archive-reader.js'
import {FORMAT_NAME, FORMAT_VERSION} from '../archive/manifest.js'
import {isMigrateError, MigrateError} from '../errors.js'
import {detectGateway} from '../host/gateway.js'
import {targetHost} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'
import {planTargets} from '../import/placement.js'
import {type ImportOutcome, type ImportRequest, preflight, runImport} from '../operations/import-operation.js'
import {runUndo} from '../operations/undo-operation.js'
import {toolVersion} from '../util/tool-info.js'
import {SeedStore} from './seed-store.js'
import {receiveSeedStream, type SeedReceipt} from './seed-stream.js'

/** The receiver's step line once it is up and about to read the archive: the sender stops its gateway only then. */
export const RECEIVER_READY = 'ready to receive'

/** What the new machine says about a push before anything moves on either side. */
export type PreflightAnswer = {
  format: {name: string; version: number}
  gateways: Array<{evidence: string[]; running: boolean; stateDir: string}>
  host: {version: null | string}
  node: string
  problems: Array<{code: string; message: string; suggestions: string[]}>
  targets: Array<{moveAside: boolean; target: string}>
  tool: {version: string}
}

export type ReceiveOptions = Pick<
  ImportRequest,
  'allowDowngrade' | 'config' | 'context' | 'doctor' | 'maps' | 'profile' | 'startGateway' | 'stateDir' | 'stopGateway'
>

function problemOf(error: unknown): PreflightAnswer['problems'][number] {
  if (isMigrateError(error)) return {code: error.code, message: error.message, suggestions: error.suggestions ?? []}
  return {code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), suggestions: []}
}

/**
 * The target's own plan for the manifest the old machine is about to send: the same path plan,
 * version guard, owner and free-space checks the import runs, plus the gateway state. Writes nothing.
 */
export async function receivePreflight(manifestJson: Buffer, options: ReceiveOptions): Promise<PreflightAnswer> {
  const answer: PreflightAnswer = {
    format: {name: FORMAT_NAME, version: FORMAT_VERSION},
    gateways: [],
    host: {version: options.context.hostVersion},
    node: process.version,
    problems: [],
    targets: [],
    tool: {version: toolVersion()},
  }
  try {
    const manifest = parseManifest(manifestJson)
    const plan = planTargets(manifest, {
      home: options.context.home,
      maps: options.maps,
      profile: options.profile,
      stateDir: options.stateDir,
    })
    answer.targets = plan.targets.map((t) => ({moveAside: fs.existsSync(t.target), target: t.target}))
    for (const p of plan.profiles) {
      if (!fs.existsSync(p.stateDir)) continue
      const target = targetHost(options.context, {...p, home: plan.home, profile: p.target})
      const gateway = await detectGateway(target, new HostCommands(target, options.config))
      answer.gateways.push({evidence: gateway.evidence, running: gateway.running, stateDir: p.stateDir})
      if (gateway.running && !options.stopGateway)
        answer.problems.push({
          code: 'TARGET_GATEWAY_RUNNING',
          message: `A gateway is running on ${p.stateDir} there (${gateway.evidence.join('; ')}).`,
          suggestions: ['Pass --stop-target-gateway to stop it as part of the push, or stop it there first.'],
        })
    }

    await preflight(
      {
        ...options,
        dryRun: true,
        getKeys: noKeys,
        noHost: false,
        restart: true,
        rewriteWorkspacePaths: false,
        source: '-',
      },
      manifest,
      plan,
    )
  } catch (error) {
    answer.problems.push(problemOf(error))
  }

  return answer
}

async function noKeys(): Promise<never> {
  throw new MigrateError('ARCHIVE_ENCRYPTED', 'push sends archives in the clear over ssh; this one is encrypted.')
}

export type ReceiveOutcome = {
  archiveId: string
  entries: number
  gatewayRunning: boolean
  manualSteps: string[]
  movedAside: ImportOutcome['movedAside']
  payloadBytes: number
  steps: Array<{ok: boolean; step: string; summary: string}>
}

/**
 * Imports the archive on stdin. A failure before activation is rolled back by the import itself; a
 * failure after it (verification not ready, a host step failed, the gateway asked for did not
 * answer) stops what was started on the imported state and undoes the import, so this machine is
 * as it was before the push.
 */
export async function receiveArchive(
  options: ReceiveOptions & {onStep: (message: string) => void; seeded?: string; signal?: AbortSignal},
): Promise<ReceiveOutcome> {
  const store = options.seeded ? SeedStore.open(options.context.home, options.seeded) : undefined
  options.onStep(RECEIVER_READY)
  try {
    return await importReceived(options, store)
  } finally {
    // What phase one sent and the import did not move into place (or all of it, after a failure).
    store?.remove()
  }
}

/** Phase one of a push: the bodies sent ahead on stdin go to a private store; nothing else changes. */
export async function receiveSeed(options: {context: ReceiveOptions['context']; id: string}): Promise<SeedReceipt> {
  const store = SeedStore.create(options.context.home, options.id)
  try {
    const receipt = await receiveSeedStream(process.stdin, store)
    store.flush()
    return receipt
  } catch (error) {
    store.remove()
    throw error
  }
}

async function importReceived(
  options: ReceiveOptions & {onStep: (message: string) => void; signal?: AbortSignal},
  heldBodies: SeedStore | undefined,
): Promise<ReceiveOutcome> {
  const outcome = await runImport({
    ...options,
    dryRun: false,
    getKeys: noKeys,
    heldBodies,
    noHost: false,
    onStep: options.onStep,
    restart: true,
    rewriteWorkspacePaths: false,
    // push runs this over the user's own ssh from the user's own export (SECURITY.md).
    senderAuthenticated: true,
    source: '-',
  })
  const failed: string[] = []
  if (outcome.verification && !outcome.verification.report.ready) failed.push('the imported files did not verify')
  for (const s of outcome.chain?.steps ?? []) if (!s.ok) failed.push(`${s.step} failed (${s.summary})`)
  if (options.startGateway && !outcome.chain?.gatewayRunning) failed.push('the gateway did not answer after its start')
  if (failed.length === 0)
    return {
      archiveId: outcome.manifest.archiveId,
      entries: outcome.entries,
      gatewayRunning: outcome.chain?.gatewayRunning ?? false,
      manualSteps: outcome.manualSteps,
      movedAside: outcome.movedAside,
      payloadBytes: outcome.payloadBytes,
      steps: (outcome.chain?.steps ?? []).map((s) => ({ok: s.ok, step: s.step, summary: s.summary})),
    }

  await undoReceived(options)
  options.onStep('the import was undone: this machine is as it was before the push')
  throw new MigrateError(
    'REMOTE_IMPORT_FAILED',
    `The import failed after activation: ${failed.join('; ')}. It was undone.`,
    {
      suggestions: ['Fix the cause on the new machine, then push again.'],
    },
  )
}

/** Undoes the import just made, stopping the gateway it may have started. */
async function undoReceived(options: ReceiveOptions): Promise<void> {
  await runUndo({config: options.config, context: options.context, stopGateway: true})
}
