import JSON5 from 'json5'
import fs from 'node:fs'
import path from 'node:path'

import {configuredAgents, deepMerge, type JsonObject} from '../../inventory/config-reader.js'
import {expandHome} from '../../util/paths.js'
import {type ArchiveLocation, type ArchiveRoot, ROOTS_DIR, type SkippedPath} from '../manifest.js'

export type ForeignKind = 'guide-tar' | 'openclaw-backup'

/** A root of the synthesized manifest and where its entries sit in the foreign archive. */
export type LayoutRoot = ArchiveRoot & {
  /** Raw path of the root: a directory for dir roots, the file itself for file roots. */
  rawPath: string
}

export type LayoutProfile = {
  configPath: string
  merged: JsonObject
  profile: null | string
  /** Raw path of the state dir in the archive. */
  rawStateDir: string
  stateDir: string
}

/** What a foreign archive is, worked out from its first pass: the manifest is synthesized from this. */
export type ForeignLayout = {
  createdAt: null | string
  home: string
  homeSource: string
  hostVersion: null | string
  kind: ForeignKind
  locations: ArchiveLocation[]
  platform: NodeJS.Platform
  profiles: LayoutProfile[]
  roots: LayoutRoot[]
  /** Paths the foreign tool itself reported as skipped. */
  skipped: SkippedPath[]
  /** Raw subtrees left out on purpose, with the reason (e.g. a backup's managed skills). */
  skipPrefixes: Array<{prefix: string; reason: string}>
  /** Raw paths that are the archive's own structure (its top dir, a backup's manifest): dropped silently. */
  structural: Set<string>
  /** What happens to an entry under no root: left out with a reason (plain tar) or refused (backup). */
  unclaimed: 'refuse' | 'skip'
  warnings: string[]
}

/** The home a plain tar's paths are relative to, when nothing in the archive names it. */
export const UNKNOWN_HOME = '/nonexistent-old-home'

const SLUG = /[^A-Za-z0-9._-]+/g

export function rootId(
  existing: ArchiveRoot[],
  profile: null | string,
  kind: ArchiveRoot['kind'],
  agentId?: string,
): string {
  const base = `${profile ?? 'default'}.${kind}${agentId ? `.${agentId}` : ''}`.replaceAll(SLUG, '_')
  const taken = new Set(existing.map((r) => r.id))
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}.${n}`
  return id
}

export function addRoot(
  roots: LayoutRoot[],
  spec: {
    agentId?: string
    kind: ArchiveRoot['kind']
    profile: null | string
    rawPath: string
    sourcePath: string
    type: 'dir' | 'file'
  },
): LayoutRoot {
  const id = rootId(roots, spec.profile, spec.kind, spec.agentId)
  const root: LayoutRoot = {...spec, archivePath: `${ROOTS_DIR}/${id}`, id}
  roots.push(root)
  return root
}

/**
 * Adds a location once per place, like the export (one location per path; an agent's id wins over
 * the default's), so nothing is counted twice.
 */
export function addLocation(locations: ArchiveLocation[], location: ArchiveLocation): void {
  const same = locations.find(
    (l) => l.kind === location.kind && l.sourcePath === location.sourcePath && l.profile === location.profile,
  )
  if (!same) locations.push(location)
  else if (!same.agentId && location.agentId) same.agentId = location.agentId
}

/** The dir root that holds a raw path, if any (roots never nest). */
export function rootHolding(roots: LayoutRoot[], raw: string): LayoutRoot | undefined {
  return roots.find((r) => r.type === 'dir' && (raw === r.rawPath || raw.startsWith(`${r.rawPath}/`)))
}

/**
 * Reads an archived config from the mirror the way the host reads it (JSON5, `$include` merged),
 * resolving every include inside the archive only: an include the archive does not hold is
 * reported, never read from this machine.
 */
export function readArchivedConfig(
  mirror: string,
  rawConfig: string,
  toRaw: (oldAbsolute: string) => null | string,
  home: string,
  warnings: string[],
): {files: string[]; merged: JsonObject} {
  const files: string[] = []
  const load = (raw: string, chain: string[]): unknown => {
    const file = path.join(mirror, ...raw.split('/'))
    let parsed: unknown
    try {
      parsed = JSON5.parse(fs.readFileSync(file, 'utf8'))
    } catch {
      warnings.push(`${raw} in the archive is not valid JSON5; its paths are not known.`)
      return {}
    }

    files.push(raw)
    return resolve(parsed, raw, chain)
  }

  const resolve = (node: unknown, raw: string, chain: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => resolve(n, raw, chain))
    if (typeof node !== 'object' || node === null) return node
    let result: unknown = {}
    const include = (node as JsonObject).$include
    for (const entry of include === undefined ? [] : Array.isArray(include) ? include : [include]) {
      if (typeof entry !== 'string') continue
      const expanded = expandHome(entry, home)
      const target =
        path.posix.isAbsolute(expanded) || /^[A-Za-z]:[\\/]/.test(expanded)
          ? toRaw(expanded)
          : path.posix.normalize(path.posix.join(path.posix.dirname(raw), entry))
      if (
        !target ||
        target.startsWith('..') ||
        chain.includes(target) ||
        chain.length > 10 ||
        !mirrorHas(mirror, target)
      ) {
        warnings.push(`${raw} includes ${entry}, which this archive does not hold; paths named there are not known.`)
        continue
      }

      result = deepMerge(result, load(target, [...chain, target]))
    }

    const own: JsonObject = {}
    for (const [k, v] of Object.entries(node as JsonObject)) if (k !== '$include') own[k] = resolve(v, raw, chain)
    return deepMerge(result, own)
  }

  const merged = load(rawConfig, [rawConfig])
  return {files, merged: (typeof merged === 'object' && merged !== null ? merged : {}) as JsonObject}
}

function mirrorHas(mirror: string, raw: string): boolean {
  return fs.lstatSync(path.join(mirror, ...raw.split('/')), {throwIfNoEntry: false})?.isFile() ?? false
}

/** Workspaces and agentDirs a config names, as absolute paths of the old machine. */
export function namedPlaces(
  merged: JsonObject,
  stateDir: string,
  configDir: string,
  home: string,
): Array<{agentId?: string; configured?: string; kind: 'agentDir' | 'workspace'; sourcePath: string}> {
  const resolveOld = (value: string) => {
    const expanded = expandHome(value, home)
    if (/^[A-Za-z]:[\\/]/.test(expanded)) return expanded
    return path.posix.resolve(configDir, expanded)
  }

  const {agents, defaultWorkspace} = configuredAgents(merged)
  const places: ReturnType<typeof namedPlaces> = [
    {
      configured: defaultWorkspace,
      kind: 'workspace',
      sourcePath: defaultWorkspace ? resolveOld(defaultWorkspace) : path.posix.join(stateDir, 'workspace'),
    },
  ]
  for (const a of agents) {
    if (a.workspace)
      places.push({agentId: a.id, configured: a.workspace, kind: 'workspace', sourcePath: resolveOld(a.workspace)})
    if (a.agentDir)
      places.push({agentId: a.id, configured: a.agentDir, kind: 'agentDir', sourcePath: resolveOld(a.agentDir)})
  }

  return places
}
