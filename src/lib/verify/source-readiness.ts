import type {Config} from '@oclif/core'

import fs from 'node:fs'
import path from 'node:path'

import type {HostContext} from '../host/host-context.js'

import {isMigrateError} from '../errors.js'
import {detectGateway} from '../host/gateway.js'
import {HostCommands} from '../host/host-commands.js'
import {loadConfig} from '../inventory/config-reader.js'
import {buildExportPlan, type ExportPlan} from '../inventory/export-plan.js'
import {sqliteAdvice, sqliteModuleOrNull, zstdAvailable} from '../runtime/node-runtime.js'
import {openclawCommand, ourCommand} from '../ui/hints.js'
import {currentUser, humanBytes, plural} from '../util/paths.js'
import {CheckReport} from './report.js'

export type SourceReadiness = {
  plan: ExportPlan | null
  report: CheckReport
}

/** Files under the plan's roots with the wrong owner, or secrets others can read. */
async function permissionAnomalies(plan: ExportPlan, report: CheckReport): Promise<void> {
  const {uid} = currentUser()
  const foreign: string[] = []
  const exposed: string[] = []
  const secretPaths = new Set(plan.secrets.map((s) => s.path))
  const {walkRoot} = await import('../inventory/tree-walker.js')
  const {archivePathOf} = await import('../inventory/export-plan.js')
  for (const root of plan.roots) {
    for await (const event of walkRoot(root, plan.walk)) {
      if (event.kind !== 'entry') continue
      const {entry} = event
      if (entry.stat.uid !== uid) foreign.push(entry.abs)
      if (entry.type === 'file' && secretPaths.has(archivePathOf(root, entry.rel)) && (entry.stat.mode & 0o044) !== 0)
        exposed.push(entry.abs)
    }
  }

  if (foreign.length > 0) {
    report.problem(
      'ownership',
      `${foreign.length} path(s) are not owned by ${currentUser().name}, e.g. ${foreign[0]}.`,
      `sudo chown -R ${currentUser().name} ${plan.roots.map((r) => r.sourcePath).join(' ')}`,
    )
  } else report.ok('ownership', `Everything is owned by ${currentUser().name}.`)
  if (exposed.length > 0) {
    report.problem(
      'secret-modes',
      `${exposed.length} secret file(s) are readable by group or others, e.g. ${exposed[0]}.`,
      `chmod 600 ${exposed.slice(0, 5).join(' ')}${exposed.length > 5 ? ' …' : ''}`,
    )
  } else report.ok('secret-modes', 'Secret files are private (no group/other read).')
}

/** The old machine's readiness report: every line says what is wrong and how to fix it. */
export async function checkSource(
  context: HostContext,
  options: {config?: Config; outputDir: string},
): Promise<SourceReadiness> {
  const report = new CheckReport()
  if (!fs.existsSync(context.stateDir)) {
    report.problem(
      'state-dir',
      `No state dir at ${context.stateDir} (from ${context.sources.stateDir}), profile ${context.profile ?? 'default'}.`,
      `Pick the right --profile / --state-dir, or run \`${openclawCommand(context, 'setup')}\`.`,
    )
    return {plan: null, report}
  }

  report.ok(
    'state-dir',
    `State dir ${context.stateDir} (from ${context.sources.stateDir}), profile ${context.profile ?? 'default'}.`,
  )

  const legacy = path.join(context.home, '.clawdbot')
  if (fs.existsSync(legacy) && legacy !== context.stateDir)
    report.warn(
      'legacy-dir',
      `A legacy state dir ${legacy} also exists.`,
      `Run \`${openclawCommand(context, 'doctor')}\` to migrate it, or remove it once you are sure it is unused.`,
    )
  const sqlite = sqliteModuleOrNull() !== null
  if (sqlite)
    report.ok(
      'node',
      `Node ${process.versions.node}: node:sqlite for consistent database snapshots, ${zstdAvailable() ? 'gzip and zstd' : 'gzip (no zstd in this zlib: Node 22.15+ has it)'}.`,
    )
  else
    report.problem(
      'node',
      `Node ${process.versions.node} has no node:sqlite without a flag: export would refuse.`,
      sqliteAdvice().join(' '),
    )
  report.items.push({
    id: 'host',
    message: context.hostVersion
      ? `OpenClaw ${context.hostVersion} (${context.sources.hostVersion}).`
      : 'OpenClaw executable not found: using built-in path rules.',
    status: context.hostVersion ? 'ok' : 'warn',
  })

  try {
    loadConfig(context.configPath)
    report.ok('config', `Config ${context.configPath} parses.`)
  } catch (error) {
    if (!isMigrateError(error)) throw error
    report.problem(
      'config',
      error.message,
      error.suggestions?.[0] ?? 'Fix the config, then run `openclaw config validate`.',
    )
    return {plan: null, report}
  }

  let plan: ExportPlan
  try {
    plan = await buildExportPlan(
      [{configPath: context.configPath, profile: context.profile, stateDir: context.stateDir}],
      {agents: null, allProfiles: false, excludes: [], includeLogs: false, workspaces: true},
      context.home,
    )
  } catch (error) {
    if (!isMigrateError(error)) throw error
    report.problem(
      error.code === 'REMOTE_MODE' ? 'remote-mode' : 'inventory',
      error.message,
      error.suggestions?.[0] ?? 'See the message.',
    )
    return {plan: null, report}
  }

  report.ok('remote-mode', 'Local gateway mode: the state lives on this machine.')
  const workspaces = plan.locations.filter((l) => l.kind === 'workspace')
  report.ok(
    'workspaces',
    `${plural(workspaces.length, 'workspace')} present: ${workspaces.map((w) => w.sourcePath).join(', ') || 'none'}.`,
  )
  for (const w of plan.warnings) report.warn('inventory', w)

  const gateway = await detectGateway(context, new HostCommands(context, options.config))
  if (gateway.running)
    report.warn(
      'gateway',
      `The gateway is running (pid ${gateway.pid ?? '?'}).`,
      `Export with --stop-gateway, or stop it with \`${openclawCommand(context, 'gateway stop')}\`.`,
    )
  else report.ok('gateway', 'The gateway is not running.')

  await permissionAnomalies(plan, report)
  report.ok(
    'secrets',
    `${plural(plan.secrets.length, 'secret file')} found by path (values never read): they travel encrypted.`,
  )

  let free = Infinity
  try {
    const stats = fs.statfsSync(options.outputDir)
    free = stats.bavail * stats.bsize
  } catch {
    report.problem(
      'free-space',
      `Cannot inspect ${path.resolve(options.outputDir)}.`,
      'Choose an existing directory for the archive.',
    )
  }

  const size = `${plan.totals.files} files, ${humanBytes(plan.totals.bytes)} before compression`
  if (free < plan.totals.bytes)
    report.problem(
      'free-space',
      `Export is ${size}; only ${humanBytes(free)} free in ${path.resolve(options.outputDir)}.`,
      `Free space, or export to another disk with --output, or stream it: \`${ourCommand('export -o - --recipient age1…')} | ssh newhost openclaw-migrate import - --identity key.txt\`.`,
    )
  else if (Number.isFinite(free))
    report.ok('free-space', `Export is ${size}; ${humanBytes(free)} free in ${path.resolve(options.outputDir)}.`)
  return {plan, report}
}
