import type {Config} from '@oclif/core'

import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import type {ArchiveManifest, PluginRecord} from '../archive/manifest.js'
import type {HostContext} from '../host/host-context.js'

import {type ArchiveSink, type PayloadEntry, readArchive, type ReadArchiveResult} from '../archive/archive-reader.js'
import {openArchive} from '../archive/archive-source.js'
import {type DecryptionKeys} from '../archive/encryption.js'
import {type HeldBodies} from '../archive/held-bodies.js'
import {MigrateError} from '../errors.js'
import {planHostChain, type PlannedStep} from '../host/chain-plan.js'
import {detectGateway, stopGateway} from '../host/gateway.js'
import {type ChainResult, runHostChain, targetHost} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'
import {guardHostVersion} from '../host/version-guard.js'
import {checkRootsAgainstConfig, ConfigCapture} from '../import/config-claims.js'
import {
  activate,
  ASIDE_MARK,
  type ImportJournal,
  journalDir,
  newJournal,
  recoverInterrupted,
  rollBack,
  saveJournal,
  unresolvedJournals,
} from '../import/import-journal.js'
import {acquireImportLock} from '../import/import-lock.js'
import {FINISHED_AFTER_INTERRUPT, rollBackInsisted} from '../import/late-interrupt.js'
import {applyOwner, finalMode, giveToolFilesTo, type Owner, resolveOwner} from '../import/permissions.js'
import {settleConsent} from '../import/placement-consent.js'
import {type ConsentItem, planTargets, type TargetPlan} from '../import/placement.js'
import {
  type DroppedPlugin,
  dropPluginEntries,
  ownRecordIn,
  planPlugins,
  type PluginPlan,
  type ReinstallPlugin,
} from '../import/plugin-plan.js'
import {rootOverlapGuard} from '../import/root-overlap.js'
import {planStaging, prepareStagingParents, removeStaging, type StagedRoot, StagingSink} from '../import/staging.js'
import {type RebaseReport, rebaseStaged} from '../rebase/staged-rebaser.js'
import {openclawCommand} from '../ui/hints.js'
import {stepLine} from '../ui/step-line.js'
import {boundedSibling, currentUser, fileStamp, humanBytes, isInside, plural, toPosix} from '../util/paths.js'
import {createPrivateTempDir} from '../util/private-temp.js'
import {type VerifyResult, verifyTarget} from '../verify/target-verifier.js'

export type ImportRequest = {
  /** Yes in advance to the roots the plan lists for consent (--accept-placement). */
  acceptPlacement?: boolean
  allowDowngrade: boolean
  config?: Config
  /** Asks the user (on a TTY) to accept the roots listed for consent; absent: refused unless accepted. */
  confirmPlacement?: (items: ConsentItem[]) => Promise<boolean>
  context: HostContext
  doctor: boolean
  dryRun: boolean
  /** `--from-home` for archives made by another tool. */
  fromHome?: string
  getKeys: () => Promise<DecryptionKeys>
  /** The bodies a push's phase one left here (receive only): entries may name them instead of carrying them. */
  heldBodies?: HeldBodies
  /**
   * The user insisted (a second Ctrl-C): after activation, the import is rolled back. Before
   * activation `signal` already stops it.
   */
  insist?: AbortSignal
  /** Keep config entries of plugins that cannot be reinstalled here (the gateway may then wait for them). */
  keepPluginEntries?: boolean
  maps: string[]
  noHost: boolean
  /** A phase begins: the progress reporter shows one stage per phase. */
  onPhase?: (phase: ImportPhase) => void
  onProgress?: (bytes: number, files: number) => void
  onStep?: (message: string) => void
  /** An OpenClaw step begins (its outcome comes through onStep). */
  onStepStart?: (step: string) => void
  owner?: string
  profile?: null | string
  restart: boolean
  rewriteWorkspacePaths: boolean
  /**
   * The channel, not the archive, authenticated the sender: `migrate push` pipes the user's own
   * export over the user's ssh into `receive`. Existing non-OpenClaw data still needs consent.
   */
  senderAuthenticated?: boolean
  /** Checked between entries: set by SIGINT. Once the state is activated, the import finishes instead. */
  signal?: AbortSignal
  source: string
  startGateway: boolean
  stateDir?: string
  stopGateway: boolean
}

export type ImportPhase = 'activate' | 'check' | 'host' | 'open' | 'rebase' | 'verify'

export type ImportOutcome = {
  chain: ChainResult | null
  dryRun: boolean
  entries: number
  gatewayStopped: boolean
  manifest: ArchiveManifest
  manualSteps: string[]
  movedAside: Array<{aside: string; target: string}>
  payloadBytes: number
  plan: TargetPlan
  /** A dry run: the OpenClaw commands the import would run after activation, in order. */
  plannedChain?: PlannedStep[]
  /**
   * Plugins the host chain installs again, and configured ones that cannot be reinstalled here:
   * entries dropped (or kept with --keep-plugin-entries). A dry run previews the reinstalls only.
   */
  plugins?: {dropped: DroppedPlugin[]; kept: DroppedPlugin[]; reinstall: ReinstallPlugin[]}
  rebase: RebaseReport
  recovered: string[]
  verification: null | VerifyResult
  versions: {downgrade: boolean; installed: null | string; source: null | string}
}

function freeBytes(target: string): number {
  let dir = target
  while (!fs.existsSync(dir)) dir = path.dirname(dir)
  const s = fs.statfsSync(dir)
  return s.bavail * s.bsize
}

function interrupted(): MigrateError {
  return new MigrateError(
    'INTERRUPTED',
    'Import interrupted; nothing was activated and the staged files were removed.',
    {suggestions: ['Run the import again.']},
  )
}

/** Pre-write checks against the manifest: version, gateway, owner, free space. Nothing is written before they pass. */
export async function preflight(
  request: ImportRequest,
  manifest: ArchiveManifest,
  plan: TargetPlan,
): Promise<{gatewayStopped: boolean; spaceLimit: number; versions: ImportOutcome['versions']}> {
  const versions = guardHostVersion(manifest, request.context.hostVersion, {
    allowDowngrade: request.allowDowngrade,
    noHost: request.noHost,
  })
  const {uid} = currentUser()
  for (const t of plan.targets) {
    const stat = fs.existsSync(t.target) ? fs.lstatSync(t.target) : null
    if (stat && stat.uid !== uid && uid !== 0) {
      throw new MigrateError(
        'TARGET_OWNER',
        `${t.target} exists and belongs to uid ${stat.uid}, not to you (uid ${uid}); it would have to be moved aside.`,
        {
          suggestions: [
            `Fix its owner (sudo chown -R ${currentUser().name} ${t.target}), or import as root with --owner.`,
          ],
        },
      )
    }
  }

  let gatewayStopped = false
  for (const p of plan.profiles) {
    const target = targetHost(request.context, {
      configPath: p.configPath,
      home: plan.home,
      profile: p.target,
      stateDir: p.stateDir,
    })
    if (!fs.existsSync(p.stateDir)) continue
    const host = new HostCommands(target, request.config)
    const gateway = await detectGateway(target, host, {probe: !request.noHost})
    if (!gateway.running) continue
    if (!request.stopGateway || request.dryRun) {
      if (request.dryRun) continue
      throw new MigrateError(
        'TARGET_GATEWAY_RUNNING',
        `A gateway is running on ${p.stateDir} (${gateway.evidence.join('; ')}); importing over it would corrupt its state.`,
        {
          suggestions: [
            `Pass --stop-gateway to stop it through OpenClaw first, or run \`${openclawCommand({home: plan.home, profile: p.target, stateDir: p.stateDir}, 'gateway stop')}\`.`,
          ],
        },
      )
    }

    await stopGateway(target, host, gateway)
    gatewayStopped = true
  }

  // Bodies a push sent ahead are already on this disk and are moved into place, not written again.
  const needed = Math.max(0, manifest.totals.bytes - (request.heldBodies?.bytes ?? 0))
  const free = Math.min(...plan.targets.map((t) => freeBytes(path.dirname(t.landing ?? t.target))))
  if (free < needed * 1.05 + 16 * 1024 * 1024) {
    throw new MigrateError(
      'NO_SPACE',
      `The archive needs ${humanBytes(needed)} and only ${humanBytes(free)} are free where it goes.`,
      {suggestions: ['Free space on the target disk, or place the state elsewhere with --state-dir / --map.']},
    )
  }

  return {gatewayStopped, spaceLimit: free - 16 * 1024 * 1024, versions}
}

/** A file-system failure on this machine (journal, rebase, owner) with its stable code; anything else as it is. */
function targetError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (error instanceof MigrateError || typeof code !== 'string') return error
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new MigrateError('NO_SPACE', 'The target disk filled up during the import; nothing was activated.', {
      cause: error,
      suggestions: ['Free space on the target disk, then import again.'],
    })
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new MigrateError(
      'TARGET_UNWRITABLE',
      `Cannot write where the import goes (${code}); nothing was activated.`,
      {cause: error, suggestions: ['Check the permissions of the target location.']},
    )
  return error
}

function rethrowTarget(error: unknown): never {
  throw targetError(error)
}

/** Opening waits for the first bytes (stdin may never send any) and for keys: Ctrl-C must end that wait too. */
async function untilAborted<T>(work: Promise<T>, request: ImportRequest): Promise<T> {
  const {signal} = request
  if (!signal) return work
  let onAbort = () => {}
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      if (request.source === '-') process.stdin.destroy()
      reject(interrupted())
    }

    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Dry runs stage into a private temp dir: only what rebasing reads is kept, everything is verified. */
function dryRunStaging(plan: TargetPlan, tempDir: string): StagedRoot[] {
  return plan.targets.map((t) => {
    const staging = path.join(tempDir, t.root.id)
    if (path.dirname(staging) !== tempDir)
      throw new MigrateError('ARCHIVE_UNSAFE_PLACEMENT', `Unsafe root id ${t.root.id}.`)
    return {...t, createdParents: [], staging}
  })
}

/** What activation would move aside: existing top-level targets (a dry run lists them, moves nothing). */
function wouldMoveAside(plan: TargetPlan, runId: string): ImportOutcome['movedAside'] {
  const stamp = fileStamp()
  return planStaging(plan, runId)
    .filter((s) => !s.nestedIn && fs.lstatSync(s.landing ?? s.target, {throwIfNoEntry: false}) !== undefined)
    .map((s) => ({aside: boundedSibling(s.landing ?? s.target, `${ASIDE_MARK}${stamp}`), target: s.target}))
}

/**
 * Imports into one home run one at a time (IMPORT_LOCKED names the run holding it); a dry run
 * writes nothing there and takes no lock.
 */
export async function runImport(request: ImportRequest): Promise<ImportOutcome> {
  const runId = `${fileStamp()}-${randomBytes(3).toString('hex')}`
  if (request.dryRun) return importUnlocked(request, runId)
  const {home} = request.context
  const release = acquireImportLock(home, {command: 'import', runId})
  try {
    return await importUnlocked(request, runId)
  } finally {
    release()
    const owner = await resolveOwner(request.owner).catch(() => null)
    await giveToolFilesTo(home, path.dirname(journalDir(home)), owner).catch(() => {})
  }
}

async function importUnlocked(request: ImportRequest, runId: string): Promise<ImportOutcome> {
  const {home} = request.context
  const recovered = request.dryRun ? [] : recoverInterrupted(home).map((j) => j.runId)
  const owner: null | Owner = await resolveOwner(request.owner)
  request.onPhase?.('open')
  const opened = await untilAborted(openArchive(request.source, request.getKeys, {fromHome: request.fromHome}), request)
  const tempDir = request.dryRun ? createPrivateTempDir('dry') : null

  let plan: TargetPlan | undefined
  let staged: StagedRoot[] = []
  let journal: ImportJournal | undefined
  let pre: Awaited<ReturnType<typeof preflight>> | undefined
  let staging: StagingSink | undefined
  let capture: ConfigCapture | undefined
  let overlap: ((entry: PayloadEntry) => void) | undefined
  let files = 0
  let bytes = 0

  // A placement refusal is reported once the archive is proven intact: a tampered or damaged archive
  // gets its archive code, not a placement complaint about what tampering changed. Nothing is staged meanwhile.
  let refused: MigrateError | undefined
  const sink: ArchiveSink = {
    async adopt(entry, held) {
      if (request.signal?.aborted) throw interrupted()
      if (refused || capture!.captures(entry.path)) return null
      const adopted = await staging!.adopt(entry, held).catch(rethrowTarget)
      if (adopted) request.onProgress?.((bytes += entry.size), ++files)
      return adopted
    },
    async directory(entry) {
      if (request.signal?.aborted) throw interrupted()
      if (refused) return
      overlap!(entry)
      await staging!.directory(entry).catch(rethrowTarget)
    },
    async file(entry) {
      if (request.signal?.aborted) throw interrupted()
      if (refused) return null
      overlap!(entry)
      files++
      bytes += entry.size
      request.onProgress?.(bytes, files)
      const staged = await staging!.file(entry).catch(rethrowTarget)
      // A write that fails on this disk is the target's problem, never reported as a damaged archive.
      const writer = capture!.writer(entry.path, staged)!
      return {
        close: () => writer.close().catch(rethrowTarget),
        write(chunk) {
          try {
            const done = writer.write(chunk)
            return done instanceof Promise ? done.catch(rethrowTarget) : done
          } catch (error) {
            return rethrowTarget(error)
          }
        },
      }
    },
    async manifest(manifest) {
      try {
        plan = planTargets(manifest, {
          authenticated: opened.authenticated || Boolean(request.senderAuthenticated),
          home,
          maps: request.maps,
          profile: request.profile,
          stateDir: request.stateDir,
        })
        // The plan is shown before anything is written.
        for (const t of plan.targets) request.onStep?.(`plan: ${t.root.id} → ${t.target} (${t.why})`)
        await settleConsent(plan, request)
      } catch (error) {
        if (!(error instanceof MigrateError) || error.code === 'USAGE') throw error
        refused = error
        return
      }

      capture = new ConfigCapture(manifest)
      overlap = rootOverlapGuard(plan.targets)
      pre = await preflight(request, manifest, plan)
      if (tempDir) {
        staged = dryRunStaging(plan, tempDir)
      } else {
        staged = planStaging(plan, runId)
        journal = newJournal(runId, manifest.archiveId, staged)
        // A journal or a parent that cannot be written is this machine's problem, not the archive's.
        try {
          saveJournal(home, journal)
          prepareStagingParents(staged)
          for (const [i, s] of journal.steps.entries()) s.createdParents = staged[i].createdParents
          saveJournal(home, journal)
        } catch (error) {
          rethrowTarget(error)
        }
      }

      const secrets = new Set(manifest.secrets.map((s) => s.path))
      request.onPhase?.('verify')
      staging = new StagingSink(
        staged,
        (link) => plan!.mapper.map(link),
        (entry) => finalMode('file', entry.mode, secrets.has(entry.path)),
      )
    },
    async symlink(entry) {
      if (refused) return
      overlap!(entry)
      await staging!.symlink(entry).catch(rethrowTarget)
    },
  }

  let read: ReadArchiveResult | undefined
  let rebase: RebaseReport
  const ownBefore = new Map<string, null | PluginRecord>()
  const cleanup = () => {
    if (tempDir) fs.rmSync(tempDir, {force: true, recursive: true})
    else if (journal) rollBack(home, journal)
    else if (staged.length > 0) removeStaging(staged)
  }

  try {
    const onAbort = () => opened.tar.destroy(interrupted())
    request.signal?.addEventListener('abort', onAbort, {once: true})
    try {
      read = await readArchive(opened.tar, sink, {heldBodies: request.heldBodies, spaceLimit: () => pre?.spaceLimit})
    } finally {
      request.signal?.removeEventListener('abort', onAbort)
    }

    if (request.signal?.aborted) throw interrupted()
    if (refused) throw refused
    checkRootsAgainstConfig(read.manifest, capture!)
    request.onStep?.(
      read.manifest.foreign
        ? `checked ${read.entries.size} entries (${humanBytes(read.payloadBytes)}) of ${read.manifest.foreign.label}: ${read.manifest.foreign.verification}`
        : `verified ${read.entries.size} entries (${humanBytes(read.payloadBytes)}) against the archive index`,
    )
    request.onPhase?.('rebase')
    // Ctrl-C is honoured between database pages: a large (or crafted) database is not rebased to its end first.
    rebase = await rebaseStaged(read.manifest, staged, plan!.mapper, {
      rewriteWorkspacePaths: request.rewriteWorkspacePaths,
      signal: request.signal,
    })
    request.onStep?.(`rebased ${plural(rebase.rewrites.length, 'file')} onto this machine's paths`)
    if (request.dryRun) {
      cleanup()
      read.entries.close()
      return previewOutcome(request, read, plan!, pre!, rebase, recovered, wouldMoveAside(plan!, runId))
    }

    await applyOwner(staged, owner)
    journal!.rewritten = rebase.rewrites.map((r) => ({rel: r.rel, rootId: r.rootId}))
    journal!.profiles = plan!.profiles.map((p) => ({source: p.source, stateDir: p.stateDir, target: p.target}))
    saveJournal(home, journal!)
    if (request.signal?.aborted) throw interrupted()
    request.onPhase?.('activate')
    // Read before the state dir that is here now is moved aside: this machine's own install of this tool.
    for (const p of plan!.profiles)
      ownBefore.set(p.stateDir, fs.existsSync(p.stateDir) ? ownRecordIn(p.stateDir) : null)
    activate(home, journal!)
  } catch (error) {
    read?.entries.close()
    try {
      cleanup()
    } catch {
      // The journal still records what was begun: the next import finishes the rollback. Report the first failure.
    }

    throw targetError(error)
  }

  const archive = read
  try {
    const result = await finishActivated()
    if (request.signal?.aborted) result.manualSteps.unshift(FINISHED_AFTER_INTERRUPT)
    return result
  } catch (error) {
    if (!request.insist?.aborted) throw error
    archive.entries.close()
    throw await rollBackInsisted(request, home, journal!, plan!.profiles)
  }

  /** After activation: plugins, verification and the host's chain; a second Ctrl-C rolls it all back. */
  async function finishActivated(): Promise<ImportOutcome> {
    // Reported by the path the user knows: a linked state dir's aside sits next to its real dir.
    const movedAside = journal!.steps
      .filter((s) => s.aside)
      .map((s) => ({aside: s.aside!, target: plan!.targets.find((t) => t.root.id === s.rootId)?.target ?? s.target}))
    request.onStep?.(
      `activated ${plural(journal!.steps.filter((s) => !s.nested).length, 'root')}${movedAside.length > 0 ? `; moved aside ${movedAside.map((m) => m.aside).join(', ')}` : ''}`,
    )

    // Before the host sees the state: configured plugins that cannot come back here would wedge the gateway.
    const pluginPlans = new Map<string, PluginPlan>()
    for (const p of request.noHost ? [] : plan!.profiles) {
      const archived = archive.manifest.profiles.find((x) => x.profile === p.source)?.plugins ?? []
      const pluginPlan = planPlugins(
        archived,
        p.configPath,
        ownBefore.get(p.stateDir) ?? null,
        Boolean(request.keepPluginEntries),
      )
      pluginPlans.set(p.stateDir, pluginPlan)
      if (
        dropPluginEntries(
          p.configPath,
          pluginPlan.dropped.map((d) => d.id),
        )
      ) {
        const root = plan!.targets.find((t) => t.target === p.configPath || isInside(p.configPath, t.target))
        if (root)
          journal!.rewritten.push({
            rel: root.target === p.configPath ? '' : toPosix(path.relative(root.target, p.configPath)),
            rootId: root.root.id,
          })
        saveJournal(home, journal!)
        request.onStep?.(
          `dropped the config entries of plugin(s) that cannot be reinstalled here: ${pluginPlan.dropped.map((d) => d.id).join(', ')}`,
        )
      }
    }

    request.onPhase?.('check')
    const verification = await verifyTarget({
      entries: archive.entries,
      manifest: archive.manifest,
      mapper: plan!.mapper,
      profiles: plan!.profiles.map((p) => ({configPath: p.configPath, source: p.source, stateDir: p.stateDir})),
      rehash: false,
      rewritten: new Set(journal!.rewritten.map((r) => `${r.rootId}/${r.rel}`)),
      targets: new Map(plan!.targets.map((t) => [t.root.id, t.target])),
      uid: owner?.uid ?? currentUser().uid,
    }).finally(() => {
      archive.entries.close()
    })
    if (request.insist?.aborted) throw interrupted()
    let chain: ChainResult | null = null
    if (!request.noHost) request.onPhase?.('host')
    // Each imported profile gets its own validate → doctor → restart chain.
    for (const p of request.noHost ? [] : plan!.profiles) {
      const label = plan!.profiles.length > 1 ? `[${p.target ?? 'default'}] ` : ''
      const result = await runHostChain(
        request.context,
        {
          configPath: p.configPath,
          doctor: request.doctor,
          home,
          onStep: (s) => request.onStep?.(stepLine({...s, step: `${label}${s.step}`}, '')),
          onStepStart: (name) => request.onStepStart?.(`${label}${name}`),
          plugins: pluginPlans.get(p.stateDir)?.reinstall ?? [],
          profile: p.target,
          restart: request.restart,
          signal: request.insist,
          sourceVersion: pre!.versions.source,
          startGateway: request.startGateway,
          stateDir: p.stateDir,
        },
        request.config,
      )
      for (const step of result.steps) step.step = `${label}${step.step}`
      chain = chain
        ? {
            gatewayRunning: chain.gatewayRunning && result.gatewayRunning,
            ok: chain.ok && result.ok,
            startCommand: [chain.startCommand, result.startCommand].filter(Boolean).join(' ; ') || null,
            steps: [...chain.steps, ...result.steps],
          }
        : result
    }

    const result = outcome(archive, plan!, pre!, rebase, recovered, movedAside, verification, chain, false)
    const dropped = [...pluginPlans.values()].flatMap((x) => x.dropped)
    const kept = [...pluginPlans.values()].flatMap((x) => x.kept)
    const reinstall = [...pluginPlans.values()].flatMap((x) => x.reinstall)
    result.plugins = {dropped, kept, reinstall}
    if (dropped.length > 0)
      result.manualSteps.unshift(
        `Plugins not reinstalled here (their config entries were removed so the gateway starts): ${dropped.map((d) => `${d.id}: ${d.reason}`).join('; ')}. Install them again with \`openclaw plugins install <spec>\` if you need them.`,
      )
    if (kept.length > 0)
      result.manualSteps.unshift(
        `Plugins kept in the config but not installed here (--keep-plugin-entries): ${kept.map((d) => `${d.id}: ${d.reason}`).join('; ')}. Until they are installed the gateway may wait for them.`,
      )
    for (const stuck of unresolvedJournals(home))
      result.manualSteps.unshift(
        `An earlier import (run ${stuck.runId}) could not be rolled back completely; finish it by hand: ${stuck.unresolved?.join('; ')}`,
      )
    return result
  }
}

/** A dry run's outcome: the verified plan, the plugins it would reinstall and the OpenClaw commands it would run. */
function previewOutcome(
  request: ImportRequest,
  read: ReadArchiveResult,
  plan: TargetPlan,
  pre: NonNullable<Awaited<ReturnType<typeof preflight>>>,
  rebase: RebaseReport,
  recovered: string[],
  movedAside: ImportOutcome['movedAside'],
): ImportOutcome {
  const result = outcome(read, plan, pre, rebase, recovered, movedAside, null, null, true)
  result.plugins = {dropped: [], kept: [], reinstall: []}
  result.plannedChain = []
  for (const p of plan.profiles) {
    const archived = read.manifest.profiles.find((x) => x.profile === p.source)?.plugins ?? []
    const own = fs.existsSync(p.stateDir) ? ownRecordIn(p.stateDir) : null
    const {reinstall} = planPlugins(archived, '', own, true)
    result.plugins.reinstall.push(...reinstall)
    if (request.noHost) continue
    const label = plan.profiles.length > 1 ? `[${p.target ?? 'default'}] ` : ''
    const steps = planHostChain({
      configPath: p.configPath,
      doctor: request.doctor,
      home: request.context.home,
      hostVersion: pre.versions.installed,
      plugins: reinstall,
      profile: p.target,
      restart: request.restart,
      sourceVersion: pre.versions.source,
      startGateway: request.startGateway,
      stateDir: p.stateDir,
    })
    result.plannedChain.push(...steps.map((s) => ({...s, step: `${label}${s.step}`})))
  }

  return result
}

function outcome(
  read: ReadArchiveResult,
  plan: TargetPlan,
  pre: NonNullable<Awaited<ReturnType<typeof preflight>>>,
  rebase: RebaseReport,
  recovered: string[],
  movedAside: ImportOutcome['movedAside'],
  verification: null | VerifyResult,
  chain: ChainResult | null,
  dryRun: boolean,
): ImportOutcome {
  const manual: string[] = []
  const first = plan.profiles[0]
  if (chain?.startCommand) manual.push(`Start the gateway: ${chain.startCommand}`)
  const oldStops = read.manifest.profiles.map((p) => `\`${openclawCommand({profile: p.profile}, 'gateway stop')}\``)
  manual.push(
    `On the OLD machine, stop ${oldStops.length > 1 ? 'its gateways' : 'its gateway'} for good (${oldStops.join(', ')}), so two copies never answer the same WhatsApp or Telegram account.`,
  )
  // A channel login is a directory under credentials/ (credentials/whatsapp/..., credentials/telegram/...).
  // One pass without intermediate arrays: a WhatsApp login alone can be tens of thousands of key files.
  const channelSet = new Set<string>()
  for (const {path: p} of read.manifest.secrets) {
    const at = p.indexOf('/credentials/')
    if (at === -1) continue
    const start = at + '/credentials/'.length
    const end = p.indexOf('/', start)
    if (end > start) channelSet.add(p.slice(start, end))
  }

  const channels = [...channelSet]
  if (channels.length > 0)
    manual.push(
      `Check your channels (${channels.join(', ')}): logins were moved, but a channel that binds to a device may ask you to relink (\`${openclawCommand({home: plan.home, profile: first?.target, stateDir: first?.stateDir}, 'channels status')}\`).`,
    )
  if (rebase.workspaceMentions.length > 0)
    manual.push(
      `${plural(rebase.workspaceMentions.length, 'workspace file')} ${rebase.workspaceMentions.length === 1 ? 'mentions' : 'mention'} the old home; review them or import with --rewrite-workspace-paths.`,
    )
  return {
    chain,
    dryRun,
    entries: read.entries.size,
    gatewayStopped: pre.gatewayStopped,
    manifest: read.manifest,
    manualSteps: manual,
    movedAside,
    payloadBytes: read.payloadBytes,
    plan,
    rebase,
    recovered,
    verification,
    versions: pre.versions,
  }
}
