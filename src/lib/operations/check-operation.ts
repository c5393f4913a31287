import path from 'node:path'

import type {ArchiveManifest} from '../archive/manifest.js'
import type {HostContext} from '../host/host-context.js'

import {type ArchiveSink, type PayloadEntry, readArchive, type ReadArchiveResult} from '../archive/archive-reader.js'
import {openArchive} from '../archive/archive-source.js'
import {type DecryptionKeys} from '../archive/encryption.js'
import {type ForeignOptions} from '../archive/foreign/foreign-archive.js'
import {isMigrateError, type MigrateError} from '../errors.js'
import {detectGateway} from '../host/gateway.js'
import {targetHost} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'
import {compareHostVersions, sourceStateVersion} from '../host/version-guard.js'
import {checkRootsAgainstConfig, ConfigCapture} from '../import/config-claims.js'
import {DatabaseCopies} from '../import/database-copies.js'
import {listJournals} from '../import/import-journal.js'
import {settleConsent} from '../import/placement-consent.js'
import {planTargets, type TargetOptions, type TargetPlan} from '../import/placement.js'
import {rootOverlapGuard} from '../import/root-overlap.js'
import {openclawCommand} from '../ui/hints.js'
import {currentUser} from '../util/paths.js'
import {type CheckReport} from '../verify/report.js'
import {type VerifyResult, verifyTarget} from '../verify/target-verifier.js'

export type ArchiveCheck = {
  authenticated: boolean
  compression: null | string
  encrypted: boolean
  error: MigrateError | null
  plan: null | TargetPlan
  read: null | ReadArchiveResult
}

/** The import's placement inputs: a check of an archive applies the same rules as the import would. */
export type PlacementInputs = Omit<TargetOptions, 'authenticated'> & {acceptPlacement?: boolean}

/**
 * Full verification of an archive (decrypt, every hash, every safety rule) writing nothing; with
 * placement inputs, also the import's placement on this machine (where every root would land, roots
 * checked against the archived config, consent), so `check` never passes an archive import refuses.
 */
export async function checkArchive(
  source: string,
  getKeys: () => Promise<DecryptionKeys>,
  placement?: PlacementInputs,
  foreign: ForeignOptions = {},
): Promise<ArchiveCheck> {
  let encrypted = false
  let authenticated = false
  let compression: null | string = null
  let plan: null | TargetPlan = null
  let capture: ConfigCapture | undefined
  let databases: DatabaseCopies | undefined
  // The import refuses an entry of one root where another root lands as it arrives: so does the check.
  let overlap: ((entry: PayloadEntry) => void) | undefined
  // As in the import: a placement refusal is reported once the archive is proven intact.
  let refused: MigrateError | undefined
  const sink: ArchiveSink = {
    async directory(entry) {
      overlap?.(entry)
    },
    async file(entry) {
      overlap?.(entry)
      return capture?.writer(entry.path, databases?.writer(entry.path) ?? null) ?? null
    },
    async manifest(manifest) {
      if (!placement) return
      try {
        plan = planTargets(manifest, {...placement, authenticated})
        await settleConsent(plan, placement)
      } catch (error) {
        if (!isMigrateError(error) || error.code === 'USAGE') throw error
        refused = error
        return
      }

      overlap = rootOverlapGuard(plan.targets)
      databases = new DatabaseCopies(manifest, plan.mapper)
      capture = new ConfigCapture(manifest)
    },
    async symlink(entry) {
      overlap?.(entry)
      databases?.link(entry.path)
    },
  }
  try {
    const opened = await openArchive(source, getKeys, foreign)
    encrypted = opened.encrypted
    authenticated = opened.authenticated
    compression = opened.compression
    const read = await readArchive(opened.tar, sink)
    try {
      if (refused) throw refused
      if (capture) checkRootsAgainstConfig(read.manifest, capture)
      // The import opens and rebases every archived database before activation: so does the check.
      await databases?.inspect()
    } catch (error) {
      read.entries.close()
      throw error
    }

    return {authenticated, compression, encrypted, error: null, plan, read}
  } catch (error) {
    if (!isMigrateError(error)) throw error
    return {authenticated, compression, encrypted, error, plan, read: null}
  } finally {
    databases?.remove()
  }
}

export type AgainstCheck = {
  fromJournal: null | string
  report: CheckReport
  targets: Array<{rootId: string; target: string}>
  verification: null | VerifyResult
}

/**
 * `check --against`: the new machine compared with the archive. Targets and the files the
 * import rewrote come from the import journal of this archive when there is one.
 */
export async function checkAgainst(
  context: HostContext,
  read: ReadArchiveResult,
  options: {config?: import('@oclif/core').Config; maps: string[]; profile?: null | string; stateDir?: string},
): Promise<AgainstCheck> {
  const plan = planTargets(read.manifest, {
    home: context.home,
    maps: options.maps,
    profile: options.profile,
    stateDir: options.stateDir,
  })
  const journal = listJournals(context.home).findLast(
    (j) => j.archiveId === read.manifest.archiveId && j.state === 'activated',
  )
  const targets = new Map(
    (journal?.targets ?? plan.targets.map((t) => ({rootId: t.root.id, target: t.target}))).map((t) => [
      t.rootId,
      t.target,
    ]),
  )
  const profiles = journal?.profiles.length
    ? journal.profiles.map((p) => ({
        configPath: path.join(
          p.stateDir,
          path.basename(read.manifest.profiles.find((m) => m.profile === p.source)?.configPath ?? 'openclaw.json'),
        ),
        source: p.source,
        stateDir: p.stateDir,
        target: p.target,
      }))
    : plan.profiles
  const verification = await verifyTarget({
    entries: read.entries,
    manifest: read.manifest,
    mapper: plan.mapper,
    profiles,
    rewritten: new Set((journal?.rewritten ?? []).map((r) => `${r.rootId}/${r.rel}`)),
    rehash: true,
    targets,
    uid: currentUser().uid,
    upgradedBy: newerHost(read.manifest, context.hostVersion),
  })
  const {report} = verification
  if (!journal)
    report.warn(
      'journal',
      'No import of this archive is recorded here: files the import rebased are reported as differing.',
      'Run the check as the user who imported it.',
    )
  for (const p of profiles) {
    const host = targetHost(context, {
      configPath: p.configPath,
      home: context.home,
      profile: p.target,
      stateDir: p.stateDir,
    })
    const gateway = await detectGateway(host, new HostCommands(host, options.config))
    if (gateway.running)
      report.ok('gateway', `The gateway of ${p.stateDir} is running (${gateway.evidence.join('; ')}).`)
    else
      report.warn(
        'gateway',
        `The gateway of ${p.stateDir} is not running.`,
        `Start it: \`${openclawCommand({home: context.home, profile: p.target, stateDir: p.stateDir}, 'gateway run')}\` (or \`gateway restart\` where a service manager exists).`,
      )
  }

  return {
    fromJournal: journal?.runId ?? null,
    report,
    targets: [...targets].map(([rootId, target]) => ({rootId, target})),
    verification,
  }
}

/** The OpenClaw here when it is newer than the one that wrote the archive (it migrates the state its way). */
function newerHost(manifest: ArchiveManifest, installed: null | string | undefined): null | string {
  const source = sourceStateVersion(manifest)
  return source && installed && compareHostVersions(source, installed) < 0 ? installed : null
}
