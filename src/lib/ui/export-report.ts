import {Flags} from '@oclif/core'

import type {EncryptionSpec} from '../archive/encryption.js'
import type {HostContext} from '../host/host-context.js'
import type {ExportOutcome, ExportPreparation} from '../operations/export-operation.js'

import {describeVolumes} from '../archive/volumes.js'
import {ourCommand} from '../cli-face.js'
import {humanBytes, plural} from '../util/paths.js'
import {countsLine} from './archive-report.js'

export const exportFlags = {
  agent: Flags.string({description: 'Export only this agent (repeatable).', multiple: true, multipleNonGreedy: true}),
  'all-profiles': Flags.boolean({
    description: 'Export the default profile and every ~/.openclaw-* profile in one archive.',
    exclusive: ['profile', 'dev', 'state-dir'],
  }),
  compression: Flags.option({
    default: 'gzip',
    description: 'Compression of the tar stream.',
    options: ['gzip', 'zstd'] as const,
  })(),
  encrypt: Flags.boolean({
    allowNo: true,
    default: true,
    description:
      'Encrypt with age to a passphrase or to recipients (the default); --no-encrypt writes API keys and channel logins in the clear.',
  }),
  exclude: Flags.string({
    description: 'Skip paths matching this glob (relative to a root, or absolute; repeatable).',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'include-logs': Flags.boolean({description: 'Also export logs/.'}),
  'passphrase-file': Flags.file({
    description: 'Read the passphrase from this file (else $OPENCLAW_MIGRATE_PASSPHRASE, else a prompt).',
    exclusive: ['recipient', 'recipients-file'],
    exists: true,
  }),
  recipient: Flags.string({
    description: 'Encrypt to this age public key (age1…) instead of a passphrase (repeatable).',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'recipients-file': Flags.file({description: 'Encrypt to the age public keys listed in this file.', exists: true}),
  workspace: Flags.boolean({
    allowNo: true,
    default: true,
    description: 'Include workspaces (--no-workspace leaves them out).',
  }),
}

function contextSummary(context: HostContext) {
  return {
    configPath: context.configPath,
    home: context.home,
    hostVersion: context.hostVersion,
    profile: context.profile,
    sources: context.sources,
    stateDir: context.stateDir,
  }
}

export function summarizePlan(prepared: ExportPreparation, context: HostContext) {
  const {plan} = prepared
  return {
    context: contextSummary(context),
    dryRun: true,
    gateway: {pid: prepared.gateway.pid, running: prepared.gateway.running},
    output: prepared.outputPath ?? '-',
    plugins: plan.profiles.flatMap((p) => p.plugins),
    profiles: plan.profiles.map((p) => ({counts: p.counts, profile: p.profile, stateDir: p.stateDir})),
    roots: plan.roots.map((r) => ({id: r.id, kind: r.kind, sourcePath: r.sourcePath})),
    secrets: plan.secrets,
    skipped: plan.skipped,
    sqlite: plan.sqlite,
    symlinksOutside: plan.symlinksOutside,
    totals: plan.totals,
  }
}

export function renderExportPlan(prepared: ExportPreparation, context: HostContext): string {
  const {plan} = prepared
  const lines = [
    `Export plan (dry run, nothing written)`,
    `  state dir   ${context.stateDir} (from ${context.sources.stateDir})`,
    `  profile     ${context.profile ?? 'default'}`,
    `  host        ${context.hostVersion ? `OpenClaw ${context.hostVersion}` : 'OpenClaw not found'}`,
    `  gateway     ${prepared.gateway.running ? `running (pid ${prepared.gateway.pid ?? '?'})` : 'not running'}`,
    `  output      ${prepared.outputPath ?? 'stdout'}`,
    `  total       ${plural(plan.totals.files, 'file')}, ${plural(plan.totals.dirs, 'dir')}, ${plural(plan.totals.symlinks, 'symlink')}, ${humanBytes(plan.totals.bytes)}`,
    '',
    'Roots:',
    ...plan.roots.map((r) => `  ${r.id.padEnd(28)} ${r.sourcePath}`),
    '',
    `Secrets found (by path, ${plan.secrets.length}):`,
    ...plan.secrets.slice(0, 40).map((s) => `  ${s.path}  (${s.kind})`),
    ...(plan.secrets.length > 40 ? [`  … and ${plan.secrets.length - 40} more`] : []),
    '',
    `SQLite databases (snapshotted consistently, ${plan.sqlite.length}):`,
    ...plan.sqlite.map((s) => `  ${s.source}`),
    '',
    `Skipped (${plan.skipped.length}):`,
    ...plan.skipped.slice(0, 40).map((s) => `  ${s.path}  — ${s.reason}`),
    ...(plan.skipped.length > 40 ? [`  … and ${plan.skipped.length - 40} more`] : []),
  ]
  for (const p of plan.profiles) {
    lines.push('', `Counts (${p.profile ?? 'default'}): ${countsLine(p.counts)}`)
    if (p.plugins.length > 0) lines.push(`Plugins to reinstall: ${p.plugins.map((x) => x.spec ?? x.id).join(', ')}`)
  }

  return lines.join('\n')
}

export function summarizeExport(outcome: ExportOutcome, context: HostContext, encryption: EncryptionSpec) {
  const {manifest, written} = outcome
  return {
    archive: outcome.outputPath ?? '-',
    volumes: written.volumes,
    archiveBytes: written.archiveBytes,
    archiveId: manifest.archiveId,
    archiveSha256: written.archiveSha256,
    context: contextSummary(context),
    encryption: encryption.kind,
    entries: written.entries,
    gateway: outcome.gateway,
    payloadBytes: written.payloadBytes,
    plugins: manifest.profiles.flatMap((p) => p.plugins),
    profiles: manifest.profiles.map((p) => ({counts: p.counts, profile: p.profile, stateDir: p.stateDir})),
    published: written.published,
    roots: manifest.roots.map((r) => ({id: r.id, kind: r.kind, sourcePath: r.sourcePath})),
    skipped: manifest.skipped,
    sqlite: written.sqliteSnapshots,
    sweptPartials: outcome.sweptPartials,
  }
}

export function renderExportResult(outcome: ExportOutcome, encryption: EncryptionSpec): string {
  const {manifest, written} = outcome
  const lines = [
    `Exported ${plural(written.entries, 'entry', 'entries')} (${humanBytes(written.payloadBytes)}) from ${plural(manifest.roots.length, 'root')} into ${outcome.outputPath ?? 'stdout'}`,
    `  archive     ${humanBytes(written.archiveBytes)}, sha256 ${written.archiveSha256}`,
    `  encryption  ${encryption.kind === 'none' ? 'NONE' : `age (${encryption.kind})`}`,
    `  databases   ${plural(written.sqliteSnapshots.length, 'SQLite snapshot')}, integrity ok`,
    `  skipped     ${plural(manifest.skipped.length, 'regenerable path')}`,
  ]
  if (written.volumes)
    lines.push(
      `  volumes     ${written.volumes.length} (${describeVolumes(written.volumes)}); import or check the first one, the others are read in order`,
    )
  if (written.published === 'copy')
    lines.push('  published   by exclusive copy (this filesystem has no hard links, e.g. exFAT or FAT32)')
  if (outcome.sweptPartials.length > 0)
    lines.push(`  swept       ${outcome.sweptPartials.length} partial archive(s) left by killed exports`)
  if (outcome.gateway.stopped)
    lines.push(
      `  gateway     was running; stopped (${outcome.gateway.method}). It stays stopped: the new machine takes over.`,
    )
  if (outcome.outputPath)
    lines.push('', `Next: copy the archive to the new machine and run \`${ourCommand('import <archive>')}\` there.`)
  return lines.join('\n')
}
