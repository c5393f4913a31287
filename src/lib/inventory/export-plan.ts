import fs from 'node:fs'
import path from 'node:path'

import {
  type ArchiveLocation,
  type ArchiveRoot,
  emptyCounts,
  type ProfileCounts,
  type ProfileManifest,
  ROOTS_DIR,
  type SkippedPath,
} from '../archive/manifest.js'
import {MigrateError} from '../errors.js'
import {expandHome, isDirFollowingLinks, isInside, toPosix} from '../util/paths.js'
import {configuredAgents, getPath, type JsonObject, loadConfig} from './config-reader.js'
import {listInstalledPlugins} from './plugins.js'
import {isSqliteName, secretKind} from './rules.js'
import {countState} from './state-counts.js'
import {linkEscapes, type WalkOptions, walkRoot} from './tree-walker.js'

export type ProfileSource = {
  configPath: string
  profile: null | string
  stateDir: string
}

export type ExportSelection = {
  agents: null | string[]
  allProfiles: boolean
  excludes: string[]
  includeLogs: boolean
  workspaces: boolean
}

export type ExportPlan = {
  home: string
  locations: ArchiveLocation[]
  profiles: ProfileManifest[]
  roots: ArchiveRoot[]
  secrets: Array<{kind: string; path: string}>
  selection: ExportSelection
  skipped: SkippedPath[]
  /** SQLite databases: captured as snapshots, never copied raw. */
  sqlite: Array<{path: string; source: string}>
  symlinksOutside: Array<{path: string; target: string}>
  totals: {bytes: number; dirs: number; files: number; symlinks: number}
  walk: WalkOptions
  warnings: string[]
}

const SLUG = /[^A-Za-z0-9._-]+/g

function profileKey(profile: null | string): string {
  return profile ?? 'default'
}

/** The host's default workspace when the config names none: `<stateDir>/workspace` (what `setup` creates). */
export function defaultWorkspace(stateDir: string): string {
  return path.join(stateDir, 'workspace')
}

function resolveConfigured(value: string, home: string, base: string): string {
  return path.resolve(base, expandHome(value, home))
}

export function remoteModeError(configPath: string, url: unknown): MigrateError {
  return new MigrateError(
    'REMOTE_MODE',
    `This OpenClaw is in remote mode (gateway.mode "remote"${typeof url === 'string' ? `, ${url}` : ''}): the remote gateway host owns the sessions and workspace, so migrating this machine moves nothing of the gateway's.`,
    {
      details: {configPath},
      suggestions: [
        'Run openclaw-migrate on the gateway host instead (migrate the gateway host).',
        'To move only this client, copy its config: it holds just the remote URL and token.',
      ],
    },
  )
}

/**
 * Builds the export from the config, not from guesses: the state dir, every configured
 * workspace and agentDir (also outside the state dir), $include files and the config itself
 * when they live elsewhere. Then surveys the trees once for counts, sizes, secrets and skips.
 */
export async function buildExportPlan(
  sources: ProfileSource[],
  selection: ExportSelection,
  home: string,
): Promise<ExportPlan> {
  const roots: ArchiveRoot[] = []
  const locations: ArchiveLocation[] = []
  const warnings: string[] = []
  const prune = new Map<string, string>()
  const profiles: ProfileManifest[] = []

  const addRoot = (
    kind: ArchiveRoot['kind'],
    profile: null | string,
    sourcePath: string,
    type: 'dir' | 'file',
    agentId?: string,
  ): ArchiveRoot => {
    const existing = roots.find((r) => r.sourcePath === sourcePath)
    if (existing) return existing
    const base = `${profileKey(profile)}.${kind}${agentId ? `.${agentId}` : ''}`.replaceAll(SLUG, '_')
    let id = base

    for (let n = 2; roots.some((r) => r.id === id); n++) id = `${base}.${n}`
    const root: ArchiveRoot = {agentId, archivePath: `${ROOTS_DIR}/${id}`, id, kind, profile, sourcePath, type}
    roots.push(root)
    return root
  }

  const containing = (p: string) =>
    roots
      .filter((r) => r.type === 'dir' && isInside(p, r.sourcePath))
      .toSorted((a, b) => b.sourcePath.length - a.sourcePath.length)[0]
  const locate = (
    kind: ArchiveLocation['kind'],
    profile: null | string,
    sourcePath: string,
    type: 'dir' | 'file',
    extra: {agentId?: string; configured?: string} = {},
  ) => {
    const inside = containing(sourcePath)
    const root = inside ?? addRoot(kind, profile, sourcePath, type, extra.agentId)
    const relPath = inside
      ? toPosix(path.relative(root.sourcePath, sourcePath))
      : type === 'file'
        ? path.basename(sourcePath)
        : ''
    if (
      !locations.some(
        (l) => l.kind === kind && l.sourcePath === sourcePath && l.agentId === extra.agentId && l.profile === profile,
      )
    ) {
      locations.push({kind, profile, relPath, rootId: root.id, sourcePath, ...extra})
    }
  }

  for (const source of sources) {
    if (!fs.existsSync(source.stateDir)) {
      throw new MigrateError('STATE_NOT_FOUND', `No OpenClaw state at ${source.stateDir}.`, {
        suggestions: ['Check --profile / --state-dir, or run `openclaw setup` if OpenClaw was never set up here.'],
      })
    }

    const config = loadConfig(source.configPath)
    if (getPath(config.merged, 'gateway.mode') === 'remote')
      throw remoteModeError(source.configPath, getPath(config.merged, 'gateway.remote.url'))
    const stateRoot = addRoot('state', source.profile, source.stateDir, 'dir')
    locations.push({
      kind: 'state',
      profile: source.profile,
      relPath: '',
      rootId: stateRoot.id,
      sourcePath: source.stateDir,
    })
    for (const file of config.files)
      locate(file === source.configPath ? 'config' : 'include', source.profile, file, 'file')
    const envFile = path.join(source.stateDir, '.env')
    if (fs.existsSync(envFile)) locate('env', source.profile, envFile, 'file')

    const {agents, defaultWorkspace: configuredDefault} = configuredAgents(config.merged)
    const agentIds = new Set(agents.map((a) => a.id))
    const agentsDir = path.join(source.stateDir, 'agents')
    for (const name of fs.existsSync(agentsDir) ? fs.readdirSync(agentsDir) : []) {
      if (isDirFollowingLinks(path.join(agentsDir, name))) agentIds.add(name)
    }

    const selected = (id: string) => !selection.agents || selection.agents.includes(id)
    for (const wanted of selection.agents ?? []) {
      if (!agentIds.has(wanted))
        throw new MigrateError('USAGE', `No agent "${wanted}" in ${source.stateDir}.`, {
          suggestions: [`Agents found: ${[...agentIds].join(', ') || 'none'}.`],
        })
    }

    for (const id of agentIds) if (!selected(id)) prune.set(path.join(agentsDir, id), 'agent not selected (--agent)')

    const fallbackWorkspace = configuredDefault
      ? resolveConfigured(configuredDefault, home, path.dirname(source.configPath))
      : defaultWorkspace(source.stateDir)
    const workspaceFor = (id: string) => {
      const agent = agents.find((a) => a.id === id)
      return agent?.workspace
        ? {configured: agent.workspace, path: resolveConfigured(agent.workspace, home, path.dirname(source.configPath))}
        : {configured: configuredDefault, path: fallbackWorkspace}
    }

    const workspaces = new Map<string, {agentId: string; configured?: string}>()
    workspaces.set(fallbackWorkspace, {agentId: '*', configured: configuredDefault})
    for (const id of agentIds) {
      const ws = workspaceFor(id)
      if (selected(id)) workspaces.set(ws.path, {agentId: id, configured: ws.configured})
      else if (!workspaces.has(ws.path) || workspaces.get(ws.path)!.agentId === '*')
        prune.set(ws.path, 'workspace of an agent not selected (--agent)')
    }

    for (const [wsPath, info] of workspaces) {
      if (!fs.existsSync(wsPath)) {
        if (info.agentId !== '*')
          warnings.push(`Workspace of agent ${info.agentId} (${wsPath}) does not exist; nothing to export for it.`)
        continue
      }

      if (!selection.workspaces) {
        prune.set(wsPath, 'workspace excluded by --no-workspace')
        continue
      }

      if (info.agentId === '*' && selection.agents) {
        // With --agent, the default workspace goes along only when a selected agent uses it (then it is keyed by that agent).
        if (!prune.has(wsPath)) prune.set(wsPath, 'workspace of no selected agent (--agent)')
        continue
      }

      prune.delete(wsPath)
      locate('workspace', source.profile, wsPath, 'dir', {
        agentId: info.agentId === '*' ? undefined : info.agentId,
        configured: info.configured,
      })
    }

    for (const agent of agents) {
      if (!agent.agentDir || !selected(agent.id)) continue
      const dir = resolveConfigured(agent.agentDir, home, path.dirname(source.configPath))
      if (fs.existsSync(dir))
        locate('agentDir', source.profile, dir, 'dir', {agentId: agent.id, configured: agent.agentDir})
      else warnings.push(`agentDir of agent ${agent.id} (${dir}) does not exist.`)
    }

    profiles.push({
      configPath: source.configPath,
      counts: emptyCounts(),
      gatewayMode: (getPath(config.merged, 'gateway.mode') as string | undefined) ?? null,
      lastTouchedVersion: lastTouchedVersion(config.merged),
      plugins: listInstalledPlugins(source.stateDir, config.merged),
      profile: source.profile,
      stateDir: source.stateDir,
    })
  }

  // A root nested inside another one is walked by the outer root only once.
  for (const root of roots) {
    for (const other of roots)
      if (other !== root && other.type === 'dir' && isInside(root.sourcePath, other.sourcePath))
        prune.set(root.sourcePath, `exported as root ${root.id}`)
  }

  const plan: ExportPlan = {
    home,
    locations,
    profiles,
    roots,
    secrets: [],
    selection,
    skipped: [],
    sqlite: [],
    symlinksOutside: [],
    totals: {bytes: 0, dirs: 0, files: 0, symlinks: 0},
    walk: {excludes: selection.excludes, includeLogs: selection.includeLogs, prune},
    warnings,
  }
  await surveyPlan(plan)
  return plan
}

function lastTouchedVersion(config: JsonObject): null | string {
  const v = getPath(config, 'meta.lastTouchedVersion')
  return typeof v === 'string' ? v : null
}

export function archivePathOf(root: ArchiveRoot, rel: string): string {
  if (root.type === 'file') return `${root.archivePath}/${rel}`
  return rel ? `${root.archivePath}/${rel}` : root.archivePath
}

/** One pass over every root: totals, counts, secrets by path, SQLite files, escaping symlinks. */
async function surveyPlan(plan: ExportPlan): Promise<void> {
  for (const root of plan.roots) {
    const profile = plan.profiles.find((p) => p.profile === root.profile)!
    const {counts} = profile
    const workspaceLocations = plan.locations.filter((l) => l.kind === 'workspace' && l.rootId === root.id)
    // The config and every $include can hold tokens, wherever they live.
    const configFiles = new Set(
      plan.locations
        .filter((l) => l.kind === 'config' || l.kind === 'include' || l.kind === 'env')
        .map((l) => l.sourcePath),
    )
    for await (const event of walkRoot(root, plan.walk)) {
      if (event.kind === 'skip') {
        plan.skipped.push({path: event.path, reason: event.reason})
        continue
      }

      const {entry} = event
      const archivePath = archivePathOf(root, entry.rel)
      if (entry.type === 'dir') {
        plan.totals.dirs++
        if (root.kind === 'state' && /^credentials\/[^/]+$/.test(entry.rel)) counts.credentialDirs++
        continue
      }

      if (entry.type === 'symlink') {
        plan.totals.symlinks++
        if (linkEscapes(entry, plan.roots)) plan.symlinksOutside.push({path: entry.abs, target: entry.linkTarget!})
        continue
      }

      plan.totals.files++
      plan.totals.bytes += entry.stat.size
      const secret = configFiles.has(entry.abs) ? 'config (tokens, API keys)' : secretKind(root.kind, entry.rel)
      if (secret) plan.secrets.push({kind: secret, path: archivePath})
      if (isSqliteName(entry.rel) && (await hasSqliteMagic(entry.abs))) {
        plan.sqlite.push({path: archivePath, source: entry.abs})
        counts.sqliteDatabases++
      }

      if (root.kind === 'state' && entry.rel.startsWith('credentials/')) counts.credentialFiles++

      for (const ws of workspaceLocations) {
        if (ws.relPath === '' || entry.rel.startsWith(`${ws.relPath}/`)) {
          const key = ws.agentId ?? 'default'
          counts.workspaceFiles[key] = (counts.workspaceFiles[key] ?? 0) + 1
        }
      }
    }
  }

  // Agents, sessions and cron jobs: the one rule verification counts the target with, on any layout.
  for (const root of plan.roots.filter((r) => r.kind === 'state'))
    Object.assign(
      plan.profiles.find((p) => p.profile === root.profile)!.counts,
      countState(root.sourcePath, {agents: plan.selection.agents}),
    )

  for (const link of plan.symlinksOutside)
    plan.warnings.push(
      `Symlink ${link.path} points outside the exported roots (${link.target}); it is kept as a link and may dangle on the new machine.`,
    )
}

async function hasSqliteMagic(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r').catch(() => null)
  if (!handle) return false
  try {
    const buf = Buffer.alloc(16)
    const {bytesRead} = await handle.read(buf, 0, 16, 0)
    return bytesRead === 16 && buf.toString('latin1') === 'SQLite format 3\0'
  } finally {
    await handle.close()
  }
}
