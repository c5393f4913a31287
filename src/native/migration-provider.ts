/**
 * `openclaw [--profile X] migrate openclaw --from ARCHIVE`: the host's migration provider over the
 * same import engine as `migrate-machine import` (verified, staged, rebased, journaled, then the
 * doctor chain). Loaded from the plugin's install dir by the entry, only when the host calls it.
 *
 * The host makes its verified backup (outside the state, in the cwd or the home) and a report dir
 * under the state dir before apply. The import moves that state dir aside, so the report is written
 * after activation, at the same path, which is then inside the imported state where the user looks.
 */
import fs from 'node:fs'
import path from 'node:path'

import type {DecryptionKeys} from '../lib/archive/encryption.js'

import {archiveSeal, findArchives, identityBeside} from '../lib/archive/archive-discovery.js'
import {NATIVE_PREFIX, setCommandPrefix} from '../lib/cli-face.js'
import {MigrateError} from '../lib/errors.js'
import {resolveHostContext} from '../lib/host/host-context.js'
import {type NativeHostContext, setNativeHostContext} from '../lib/host/native-bridge.js'
import {canonicalStateDir, hostHome} from '../lib/host/state-rules.js'
import {type ImportOutcome, runImport} from '../lib/operations/import-operation.js'
import {renderImport, summarizeImport} from '../lib/ui/import-report.js'
import {PASSPHRASE_ENV, resolveDecryption} from '../lib/ui/passphrase.js'
import {expandHome, fileStamp, isInside} from '../lib/util/paths.js'
import {
  type MigrationApplyResult,
  type MigrationDetection,
  type MigrationPlan,
  type MigrationProviderContext,
} from './migration-contract.js'
import {failedResult, planFromOutcome, PROVIDER_ID, resultFromOutcome} from './migration-items.js'

/** What the entry knows about the running host (its command, version, profile); the state dir comes from ctx. */
export type ProviderHost = Omit<NativeHostContext, 'stateDir'>

/** Keys asked for once per archive and process: the host plans, then applies, in one run. */
const keyCache = new Map<string, Promise<DecryptionKeys>>()

function searchDirs(): string[] {
  const home = hostHome()
  return [process.cwd(), path.join(home, 'Downloads'), home]
}

export async function detectArchive(ctx: MigrationProviderContext): Promise<MigrationDetection> {
  const candidates = ctx.source ? [archivePath(ctx.source)] : findArchives(searchDirs()).map((a) => a.path)
  const found = candidates.find((file) => fs.existsSync(file) && archiveSeal(file) !== 'unknown')
  return found
    ? {
        confidence: ctx.source ? 'high' : 'medium',
        found: true,
        label: 'OpenClaw (another machine)',
        message: `openclaw-migrate archive found (${archiveSeal(found)}).`,
        source: found,
      }
    : {
        confidence: 'low',
        found: false,
        label: 'OpenClaw (another machine)',
        message: 'No openclaw-migrate archive found.',
      }
}

function archivePath(source: string): string {
  return path.resolve(expandHome(source, hostHome()))
}

function resolveArchive(ctx: MigrationProviderContext): string {
  if (ctx.source) return archivePath(ctx.source)
  const [newest] = findArchives(searchDirs())
  if (!newest)
    throw new Error(
      `Which archive? None named openclaw-migrate-*.tar.gz[.age] in ${searchDirs().join(', ')}. Pass --from ARCHIVE (made by \`openclaw migrate-machine export\`).`,
    )
  return newest.path
}

/** Passphrase from $OPENCLAW_MIGRATE_PASSPHRASE or a prompt on a TTY; for an archive sealed to age keys, the identity file beside it. */
function decryption(archive: string): {getKeys: () => Promise<DecryptionKeys>; notes: string[]} {
  const seal = archiveSeal(archive)
  const identity = seal === 'recipients' ? identityBeside(archive) : null
  const notes = identity
    ? [`The archive is sealed to an age key; it is opened with the identity file ${identity}.`]
    : []
  const getKeys = async () => {
    if (seal === 'recipients' && !identity)
      throw new MigrateError(
        'KEY_INVALID',
        `${archive} is encrypted to an age key and no identity file sits next to it.`,
        {
          suggestions: [
            `Put the key beside it as ${archive}.key (or key.txt), or run openclaw migrate-machine import --identity KEYFILE.`,
          ],
        },
      )
    let keys = keyCache.get(archive)
    if (!keys) {
      keys = resolveDecryption({identity: identity ? [identity] : []})
      keyCache.set(archive, keys)
      keys.catch(() => keyCache.delete(archive))
    }

    return keys
  }

  return {getKeys, notes}
}

/** The import request for the host's current profile and state dir: the place the user ran `openclaw [--profile X]` for. */
async function importRequest(ctx: MigrationProviderContext, host: ProviderHost, dryRun: boolean) {
  const archive = resolveArchive(ctx)
  const {getKeys, notes} = decryption(archive)
  setNativeHostContext({...host, stateDir: ctx.stateDir})
  let context: Awaited<ReturnType<typeof resolveHostContext>>
  try {
    context = await resolveHostContext({noBinary: true, profile: host.profile ?? undefined})
  } finally {
    setNativeHostContext(undefined)
  }

  const canonical = path.resolve(ctx.stateDir) === canonicalStateDir(host.profile, context.home)
  return {
    archive,
    notes,
    request: {
      allowDowngrade: false,
      context,
      doctor: true,
      dryRun,
      getKeys,
      maps: [],
      noHost: false,
      onStep(message: string) {
        ctx.logger.info(`  ${message}`)
      },
      profile: canonical ? host.profile : undefined,
      restart: true,
      rewriteWorkspacePaths: false,
      signal: ctx.signal,
      source: archive,
      startGateway: false,
      stateDir: canonical ? undefined : ctx.stateDir,
      stopGateway: false,
    },
  }
}

/** How `openclaw migrate openclaw` gets the keys of an archive (see decryption()). */
export const KEYS_HINT = `Set ${PASSPHRASE_ENV} to the passphrase given at export (or run it on a terminal to be asked); an archive sealed to an age key opens with its identity file next to it (ARCHIVE.key).`

/** Our error in the host's words: its flags cannot say --stop-gateway, --map or --identity, so the hints name what can. */
function describeError(
  error: unknown,
  host: ProviderHost,
): {code?: string; exitCode?: number; message: string; suggestions: string[]} {
  if (!(error instanceof MigrateError))
    return {message: error instanceof Error ? error.message : String(error), suggestions: []}
  const profile = host.profile ? ` --profile ${host.profile}` : ''
  const suggestions =
    error.code === 'TARGET_GATEWAY_RUNNING'
      ? [`Stop it first (openclaw${profile} gateway stop --force), then run the migration again.`]
      : [
          // Its own hints name --passphrase-file and --identity, which the host's flags cannot say.
          ...(error.code === 'PASSPHRASE_REQUIRED' || error.code === 'DECRYPT_FAILED' ? [KEYS_HINT] : []),
          ...(error.suggestions ?? []).filter(
            (s) => !/--(stop-gateway|map|identity|passphrase-file|profile|state-dir)\b/.test(s),
          ),
          ...(error.exitCode === 2
            ? [
                `openclaw${profile} migrate-machine import ARCHIVE takes --identity, --passphrase-file, --map and --stop-gateway.`,
              ]
            : []),
        ]
  return {code: error.code, exitCode: error.exitCode, message: error.message, suggestions}
}

function hostError(error: unknown, host: ProviderHost): Error {
  const e = describeError(error, host)
  return new Error([e.message, ...e.suggestions].join(' '), {cause: error})
}

export async function planArchive(ctx: MigrationProviderContext, host: ProviderHost): Promise<MigrationPlan> {
  // Inside OpenClaw: hints and the report name `openclaw migrate-machine …`, not the standalone bin.
  setCommandPrefix(NATIVE_PREFIX)
  try {
    const {archive, notes, request} = await importRequest(ctx, host, true)
    const outcome = await runImport(request)
    return planFromOutcome(outcome, {archive, includeSecrets: Boolean(ctx.includeSecrets), notes})
  } catch (error) {
    throw hostError(error, host)
  }
}

/** The report's first line: where the host's pre-migration backup is (its own record of it stays in the state moved aside). */
export function backupLine(backupPath: string | undefined): string {
  return backupPath
    ? `Backup made by OpenClaw before this migration: ${backupPath}`
    : 'No backup was made by OpenClaw before this migration (--no-backup, or no state to back up).'
}

/**
 * The report, at the path the host named, in whichever state dir is live now; the empty dir the host
 * made is left out of the moved-aside copy. It names the host's backup: after an import the host's own
 * record of that backup (backup_runs in state/openclaw.sqlite) is in the state moved aside.
 */
function writeReport(ctx: MigrationProviderContext, result: MigrationPlan, outcome: ImportOutcome | null): string {
  const reportDir = ctx.reportDir ?? path.join(ctx.stateDir, 'migration', PROVIDER_ID, fileStamp())
  fs.mkdirSync(reportDir, {mode: 0o700, recursive: true})
  const report = {
    backupPath: ctx.backupPath ?? null,
    reportDir,
    result,
    ...(outcome && {import: summarizeImport(outcome)}),
  }
  fs.writeFileSync(path.join(reportDir, 'report.json'), JSON.stringify(report, null, 2) + '\n', {mode: 0o600})
  const failure = result.items.find((i) => i.kind === 'host' && i.id.startsWith('import:') && i.status === 'error')
  const body = outcome ? renderImport(outcome) : (failure?.reason ?? failure?.message ?? 'Nothing was imported.')
  fs.writeFileSync(path.join(reportDir, 'report.txt'), `${backupLine(ctx.backupPath)}\n\n${body}\n`, {mode: 0o600})
  const aside = outcome?.movedAside.find((m) => path.resolve(m.target) === path.resolve(ctx.stateDir))?.aside
  if (aside && isInside(reportDir, ctx.stateDir)) {
    // Up to <aside>/migration, as long as each dir is empty (what the host created just before apply).
    for (let rel = path.relative(ctx.stateDir, reportDir); rel && rel !== '.'; rel = path.dirname(rel)) {
      try {
        fs.rmdirSync(path.join(aside, rel))
      } catch {
        break // not empty or not there: it is the user's, leave it
      }
    }
  }

  return reportDir
}

function targetsOf(plan: MigrationPlan | undefined): string[] {
  const targets = (plan?.metadata?.targets ?? []) as Array<{target?: unknown}>
  return targets.map((t) => t.target).filter((t): t is string => typeof t === 'string')
}

export async function applyArchive(
  ctx: MigrationProviderContext,
  plan: MigrationPlan | undefined,
  host: ProviderHost,
): Promise<MigrationApplyResult> {
  setCommandPrefix(NATIVE_PREFIX)
  const planned = plan ?? (await planArchive(ctx, host))
  const done = (result: MigrationPlan, outcome: ImportOutcome | null): MigrationApplyResult => ({
    ...result,
    backupPath: ctx.backupPath,
    reportDir: writeReport(ctx, result, outcome),
  })
  if (!ctx.includeSecrets)
    return done(
      failedResult(planned, {code: 'USAGE', message: `Nothing was imported. ${planned.warnings?.[0] ?? ''}`}),
      null,
    )
  const holding = ctx.backupPath ? targetsOf(planned).find((t) => isInside(ctx.backupPath!, t)) : undefined
  if (holding)
    return done(
      failedResult(planned, {
        code: 'USAGE',
        message: `Nothing was imported: the pre-migration backup ${ctx.backupPath} lies inside ${holding}, which the import moves aside.`,
        suggestions: ['Run again with --backup-output DIR outside it.'],
      }),
      null,
    )
  let outcome: ImportOutcome
  let archive: string
  try {
    const prepared = await importRequest(ctx, host, false)
    archive = prepared.archive
    outcome = await runImport(prepared.request)
  } catch (error) {
    return done(failedResult(planned, describeError(error, host)), null)
  }

  if (planned.metadata?.archiveId && planned.metadata.archiveId !== outcome.manifest.archiveId)
    ctx.logger.warn(
      `The archive changed since the preview (archive id ${outcome.manifest.archiveId}); it was verified again.`,
    )
  return done(resultFromOutcome(outcome, {archive, includeSecrets: true}), outcome)
}

export {PASSPHRASE_ENV} from '../lib/ui/passphrase.js'
