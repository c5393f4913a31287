import type {Config} from '@oclif/core'

import path from 'node:path'

import type {HostContext} from '../host/host-context.js'

import {readArchive, type ReadArchiveResult} from '../archive/archive-reader.js'
import {openArchive} from '../archive/archive-source.js'
import {type DecryptionKeys} from '../archive/encryption.js'
import {isMigrateError, type MigrateError} from '../errors.js'
import {detectGateway} from '../host/gateway.js'
import {targetHost} from '../host/host-chain.js'
import {HostCommands} from '../host/host-commands.js'
import {listJournals} from '../import/import-journal.js'
import {planTargets} from '../import/target-planner.js'
import {openclawCommand} from '../ui/hints.js'
import {currentUser} from '../util/paths.js'
import {type CheckReport} from '../verify/report.js'
import {type VerifyResult, verifyTarget} from '../verify/target-verifier.js'

export type ArchiveCheck = {
  compression: null | string
  encrypted: boolean
  error: MigrateError | null
  read: null | ReadArchiveResult
}

/** Full verification of an archive (decrypt, every hash, every safety rule) writing nothing. */
export async function checkArchive(source: string, getKeys: () => Promise<DecryptionKeys>): Promise<ArchiveCheck> {
  let encrypted = false
  let compression: null | string = null
  try {
    const opened = await openArchive(source, getKeys)
    encrypted = opened.encrypted
    compression = opened.compression
    return {compression, encrypted, error: null, read: await readArchive(opened.tar)}
  } catch (error) {
    if (!isMigrateError(error)) throw error
    return {compression, encrypted, error, read: null}
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
  options: {config?: Config; maps: string[]; profile?: null | string; stateDir?: string},
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
