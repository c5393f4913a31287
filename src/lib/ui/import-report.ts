import {Flags} from '@oclif/core'

import type {ChainResult} from '../host/host-chain.js'
import type {ImportOutcome} from '../operations/import-operation.js'

import {ourCommand} from '../cli-face.js'
import {MigrateError} from '../errors.js'
import {humanBytes, plural} from '../util/paths.js'
import {foreignNotes, verificationNote} from './archive-report.js'
import {stepLine} from './step-line.js'

export const keyFlags = {
  identity: Flags.file({
    char: 'i',
    description: 'age identity file (AGE-SECRET-KEY-1…) for archives encrypted to recipients (repeatable).',
    exists: true,
    multiple: true,
    multipleNonGreedy: true,
  }),
  'passphrase-file': Flags.file({
    description: 'Read the passphrase from this file (else $OPENCLAW_MIGRATE_PASSPHRASE, else a prompt).',
    exists: true,
  }),
}

/** Archives made by another tool (a plain tar of state dirs, `openclaw backup create`). */
export const foreignFlags = {
  'from-home': Flags.string({
    description:
      "The old machine's home, for a plain tar or `openclaw backup create` archive whose own paths do not say it (paths under it are placed under this home).",
  }),
}

export function summarizeImport(o: ImportOutcome) {
  return {
    archiveId: o.manifest.archiveId,
    chain: o.chain,
    foreign: o.manifest.foreign ?? null,
    dryRun: o.dryRun,
    entries: o.entries,
    gatewayStopped: o.gatewayStopped,
    manualSteps: o.manualSteps,
    movedAside: o.movedAside,
    payloadBytes: o.payloadBytes,
    plannedChain: o.plannedChain ?? null,
    profiles: o.plan.profiles,
    rebase: o.rebase,
    recoveredInterruptedImports: o.recovered,
    source: {
      home: o.manifest.source.home,
      hostname: o.manifest.source.hostname,
      platform: o.manifest.source.platform,
      profile: o.manifest.source.profile,
    },
    targets: o.plan.targets.map((t) => ({
      kind: t.root.kind,
      root: t.root.id,
      sourcePath: t.root.sourcePath,
      target: t.target,
      why: t.why,
    })),
    verification: o.verification
      ? {
          checks: o.verification.report.items,
          counts: o.verification.counts,
          files: {
            differ: o.verification.files.differ.length,
            missing: o.verification.files.missing.length,
            rewritten: o.verification.files.rewritten,
            verified: o.verification.files.verified,
          },
          ok: o.verification.report.ready,
        }
      : null,
    versions: o.versions,
  }
}

export function renderImport(o: ImportOutcome): string {
  const lines: string[] = [
    o.dryRun ? 'Import plan (dry run: verified, nothing written outside a temp dir)' : 'Imported',
    `  from        ${o.manifest.source.hostname} (${o.manifest.source.platform}), home ${o.manifest.source.home}, profile ${o.manifest.source.profile ?? 'default'}`,
    `  archive     ${plural(o.entries, 'entry', 'entries')}, ${humanBytes(o.payloadBytes)}, ${verificationNote(o.manifest)}`,
    `  host        OpenClaw ${o.versions.installed ?? 'not installed'}${o.versions.source ? ` (state last written by ${o.versions.source})` : ''}${o.versions.downgrade ? ' — DOWNGRADE allowed' : ''}`,
    ...(o.gatewayStopped
      ? ['  gateway     the gateway on the target state was running: stopped it first (--stop-gateway)']
      : []),
    '',
    'Targets:',
    ...o.plan.targets.map((t) => `  ${t.root.id.padEnd(26)} ${t.target}  (${t.why})`),
  ]
  if (o.movedAside.length > 0)
    lines.push(
      '',
      o.dryRun
        ? 'Would be moved aside (never deleted):'
        : `Moved aside (never deleted; \`${ourCommand('import --undo')}\` puts them back). They hold secrets (API keys, channel logins): remove them once the new state works (\`${ourCommand('import --prune-asides')}\`):`,
      ...o.movedAside.map((m) => `  ${m.target} → ${m.aside}`),
    )
  lines.push(...foreignNotes(o.manifest))
  const r = o.rebase
  lines.push(
    '',
    `Rebased ${plural(
      r.rewrites.reduce((n, x) => n + x.count, 0),
      'path',
    )} in ${plural(r.rewrites.length, 'file')}:`,
    ...r.rewrites.map((x) => `  ${x.file}  ${x.kind} ×${x.count}${x.detail ? ` (${x.detail})` : ''}`),
  )
  if (r.remaining.length > 0)
    lines.push(
      'Old-home paths left as they were (free text, not a path value):',
      ...r.remaining.slice(0, 20).map((x) => `  ${x.file}${x.detail ? ` ${x.detail}` : ''} ×${x.count}`),
    )
  if (r.workspaceMentions.length > 0)
    lines.push(
      'Workspace files mentioning the old home (not rewritten; pass --rewrite-workspace-paths):',
      ...r.workspaceMentions.slice(0, 20).map((x) => `  ${x.file} ×${x.count}`),
    )
  if (o.verification) lines.push('', o.verification.report.render('Verification (check --against):'))
  if (o.chain) {
    lines.push('', 'OpenClaw:')
    for (const s of o.chain.steps) lines.push(stepLine(s))
  }

  if (o.plannedChain && o.plannedChain.length > 0)
    lines.push(
      '',
      'OpenClaw commands it would run after activation:',
      ...o.plannedChain.map(
        (s) =>
          `  ${s.skipped ? '(not run) ' : ''}${s.command === '-' ? s.step : s.command}${s.when ? `  — if ${s.when}` : ''}${s.skipped ? `  — ${s.skipped}` : ''}`,
      ),
    )

  lines.push('', 'Still to do by hand:', ...o.manualSteps.map((m) => `  - ${m}`))
  return lines.join('\n')
}

/** The error an import ends with when an OpenClaw step failed after activation (exit 6). */
export function chainFailure(chain: ChainResult): MigrateError {
  const failed = chain.steps.filter((s) => !s.ok)
  return new MigrateError(
    'HOST_COMMAND_FAILED',
    `The state is in place, but OpenClaw failed at: ${failed.map((s) => s.step).join(', ')}.`,
    {
      details: {failed: failed.map((s) => ({command: s.command, exitCode: s.exitCode, step: s.step}))},
      suggestions: failed.map((s) => `\`${s.command}\` said: ${s.summary}`),
    },
  )
}
