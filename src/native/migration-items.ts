/**
 * The import engine's outcome in the host's migration vocabulary: what `openclaw migrate openclaw`
 * previews (a verified dry run) and reports (the applied import). One item per archived root, per
 * kind of secret (per channel for logins), per state moved aside, per rebased file, per plugin to
 * reinstall, per host step, per thing left to do by hand. Paths and counts only, never a value.
 */
import type {ImportOutcome} from '../lib/operations/import-operation.js'

import {type MigrationItem, type MigrationPlan, summarizeItems} from './migration-contract.js'

export const PROVIDER_ID = 'openclaw'
/** Past this many rebased files, the rest is one summary item (a preview is read by a person). */
export const MAX_REBASE_ITEMS = 40
export const SECRETS_NEEDED =
  'The state moves whole, with its API keys, channel logins and device key: pass --include-secrets to import it.'
/** The engine says `without --start-gateway …`; `openclaw migrate` has no such flag and never starts the gateway. */
export const GATEWAY_NOT_STARTED =
  '`openclaw migrate` does not start the gateway: the result names the command to start it'

const ROOT_KINDS: Record<string, string> = {
  agentDir: 'file',
  config: 'config',
  env: 'secret',
  include: 'config',
  state: 'file',
  workspace: 'workspace',
}

const REBASE_KINDS: Record<string, string> = {config: 'config', json: 'file', sqlite: 'file', workspace: 'workspace'}

export type PlanContext = {
  archive: string
  includeSecrets: boolean
  /** Said once at the top of the preview (e.g. which identity file opens the archive). */
  notes?: string[]
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replaceAll(/[^a-z0-9]+/g, '-')
      .replaceAll(/^-|-$/g, '') || 'item'
  )
}

/** Secret files grouped by what they are; channel logins one item per channel (credentials/<channel>/…). */
function secretGroups(o: ImportOutcome): Array<{files: number; id: string; kind: string; label: string}> {
  const groups = new Map<string, {files: number; id: string; kind: string; label: string}>()
  const list: Array<{files: number; id: string; kind: string; label: string}> = []
  for (const secret of o.manifest.secrets) {
    const at = secret.path.indexOf('/credentials/')
    const channel = at === -1 ? null : secret.path.slice(at + '/credentials/'.length).split('/')
    const id =
      channel && channel.length > 1
        ? `auth:channel-${slug(channel[0])}`
        : `secret:${slug(secret.kind.split(' (', 1)[0])}`
    let group = groups.get(id)
    if (!group) {
      group = {
        files: 0,
        id,
        kind: id.startsWith('auth:') ? 'auth' : 'secret',
        label: channel && channel.length > 1 ? `${channel[0]} login` : secret.kind,
      }
      groups.set(id, group)
      list.push(group)
    }

    group.files++
  }

  return list
}

/** Where the state goes on this machine: the first profile's state dir. */
function targetStateDir(o: ImportOutcome): string | undefined {
  return o.plan.profiles[0]?.stateDir
}

function rootItems(o: ImportOutcome): MigrationItem[] {
  const secretRoots = new Set(o.manifest.secrets.map((s) => s.path.split('/', 2)[1]))
  return o.plan.targets.map((t) => ({
    action: 'copy',
    details: {profile: t.root.profile, root: t.root.id, rootKind: t.root.kind, type: t.root.type},
    id: `root:${t.root.id}`,
    kind: ROOT_KINDS[t.root.kind] ?? 'file',
    message: `${t.root.kind} → ${t.target} (${t.why})`,
    sensitive: secretRoots.has(t.root.id) || undefined,
    source: t.root.sourcePath,
    status: 'planned',
    target: t.target,
  }))
}

function rebaseItems(o: ImportOutcome): MigrationItem[] {
  const {rewrites} = o.rebase
  const items: MigrationItem[] = rewrites.slice(0, MAX_REBASE_ITEMS).map((r) => ({
    action: 'update',
    details: {paths: r.count, rebase: r.kind, root: r.rootId},
    id: `rebase:${r.rootId}/${r.rel}`,
    kind: REBASE_KINDS[r.kind] ?? 'file',
    message: `${r.count} old path(s) rewritten to this machine's${r.detail ? ` (${r.detail})` : ''}`,
    status: 'planned',
    target: r.file,
  }))
  const rest = rewrites.slice(MAX_REBASE_ITEMS)
  if (rest.length > 0)
    items.push({
      action: 'update',
      details: {files: rest.length, paths: rest.reduce((n, r) => n + r.count, 0)},
      id: 'rebase:more-files',
      kind: 'file',
      message: `${rest.length} more file(s) with ${rest.reduce((n, r) => n + r.count, 0)} old path(s) rewritten`,
      status: 'planned',
    })
  return items
}

/** The preview of an import: `outcome` is the engine's verified dry run of the archive. */
export function planFromOutcome(o: ImportOutcome, context: PlanContext): MigrationPlan {
  const items: MigrationItem[] = [
    ...rootItems(o),
    ...secretGroups(o).map((g) => ({
      action: 'copy',
      details: {files: g.files},
      id: g.id,
      kind: g.kind,
      message: `${g.label}: ${g.files} file(s), moved as they are, never printed`,
      sensitive: true,
      status: 'planned' as const,
      target: targetStateDir(o),
    })),
    ...o.movedAside.map((m) => ({
      action: 'archive',
      id: `aside:${m.target.split('/').pop()}`,
      kind: 'archive',
      message: `the existing ${m.target} is moved aside to ${m.aside}, never deleted`,
      source: m.target,
      status: 'planned' as const,
      target: m.aside,
    })),
    ...rebaseItems(o),
    ...(o.plugins?.reinstall ?? o.manifest.profiles.flatMap((p) => p.plugins)).map((plugin): MigrationItem => ({
      action: 'reinstall',
      details: {spec: plugin.spec, version: plugin.version},
      id: `plugin:${plugin.id}`,
      kind: 'plugin',
      message: plugin.spec
        ? `reinstalled with openclaw plugins install ${plugin.spec}`
        : `no npm spec recorded (${plugin.source}): reinstall it by hand`,
      status: plugin.spec ? 'planned' : 'skipped',
    })),
    // A dry run: the OpenClaw commands the import would run (the applied import reports the steps it ran).
    ...(o.plannedChain ?? [])
      .filter((s) => !s.step.includes('reinstall plugin '))
      .map((s): MigrationItem => ({
        action: 'run',
        details: {command: s.command},
        id: `host:${slug(s.step)}`,
        kind: 'host',
        message: s.when ? `${s.command} (if ${s.when})` : s.command,
        reason: s.skipped ? (s.step === 'gateway start' ? GATEWAY_NOT_STARTED : s.skipped) : undefined,
        status: s.skipped ? 'skipped' : 'planned',
      })),
    ...o.manualSteps.map((step, i) => ({
      action: 'manual',
      id: `manual:step-${i + 1}`,
      kind: 'manual',
      message: step,
      status: 'skipped' as const,
    })),
  ]
  if (!context.includeSecrets)
    for (const item of items)
      if (item.status === 'planned') Object.assign(item, {reason: 'needs --include-secrets', status: 'skipped'})
  return {
    items,
    metadata: {
      archiveId: o.manifest.archiveId,
      entries: o.entries,
      from: {
        home: o.manifest.source.home,
        hostname: o.manifest.source.hostname,
        platform: o.manifest.source.platform,
        profile: o.manifest.source.profile,
      },
      payloadBytes: o.payloadBytes,
      profiles: o.plan.profiles,
      targets: o.plan.targets.map((t) => ({root: t.root.id, target: t.target})),
      verified: true,
      versions: o.versions,
    },
    nextSteps: o.manualSteps,
    providerId: PROVIDER_ID,
    source: context.archive,
    summary: summarizeItems(items),
    target: targetStateDir(o),
    warnings: [
      ...(context.includeSecrets ? [] : [SECRETS_NEEDED]),
      ...(context.notes ?? []),
      ...o.plan.warnings,
      ...o.rebase.remaining
        .slice(0, 5)
        .map((r) => `${r.file} still mentions the old home ${r.count} time(s) (free text, left as it was)`),
    ],
  }
}

function hostItem(step: NonNullable<ImportOutcome['chain']>['steps'][number]): MigrationItem {
  return {
    action: 'run',
    details: {command: step.command, exitCode: step.exitCode},
    id: `host:${slug(step.step)}`,
    kind: 'host',
    message: step.summary ? `${step.step}: ${step.summary}` : step.step,
    reason: step.ok ? (step.skipped ?? undefined) : `exit ${step.exitCode ?? '?'}: ${step.summary}`,
    status: step.status === 'skipped' ? 'skipped' : step.ok ? 'migrated' : 'error',
  }
}

/** The applied import: what the engine did, the checks it ran, and the host's doctor chain. */
export function resultFromOutcome(o: ImportOutcome, context: PlanContext): MigrationPlan {
  const plan = planFromOutcome(o, context)
  const steps = o.chain?.steps ?? []
  const pluginStep = (id: string) => steps.find((s) => s.step.endsWith(`reinstall plugin ${id}`))
  const items: MigrationItem[] = plan.items.map((item) => {
    if (item.kind === 'manual') return item
    if (item.kind === 'plugin') {
      const step = pluginStep(item.id.slice('plugin:'.length))
      if (!step)
        return item.status === 'planned'
          ? {...item, reason: 'not reinstalled (no host step ran)', status: 'skipped'}
          : item
      return {...hostItem(step), ...item, reason: hostItem(step).reason, status: hostItem(step).status}
    }

    return item.status === 'planned' ? {...item, status: 'migrated'} : item
  })
  const problems = o.verification?.report.problems ?? []
  if (o.verification)
    items.push({
      action: 'verify',
      details: {files: o.verification.files.verified, problems: problems.length},
      id: 'verify:target',
      kind: 'host',
      message: problems.length === 0 ? 'every archived path in place (type, size, mode, owner); no old path left' : '',
      reason: problems.map((p) => `${p.message} → ${p.fix ?? ''}`).join('; ') || undefined,
      status: problems.length === 0 ? 'migrated' : 'error',
    })
  items.push(...steps.filter((s) => !s.step.includes('reinstall plugin ')).map((s) => hostItem(s)))
  return {...plan, items, summary: summarizeItems(items)}
}

/** An import that did not happen (or was rolled back): every item skipped, one error saying why and what to do. */
export function failedResult(
  plan: MigrationPlan,
  error: {code?: string; exitCode?: number; message: string; suggestions?: string[]},
): MigrationPlan {
  const items: MigrationItem[] = [
    ...plan.items.map((item) =>
      item.kind === 'manual' || item.status !== 'planned'
        ? item
        : {...item, reason: 'not imported', status: 'skipped' as const},
    ),
    {
      action: 'import',
      details: {code: error.code, exitCode: error.exitCode},
      id: `import:${slug(error.code ?? 'failed')}`,
      kind: 'host',
      message: error.message,
      reason: [error.message, ...(error.suggestions ?? [])].join(' '),
      status: 'error',
    },
  ]
  return {...plan, items, summary: summarizeItems(items)}
}
