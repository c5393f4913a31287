import path from 'node:path'

import type {ArchiveManifest, ArchiveRoot} from '../archive/manifest.js'

import {MigrateError} from '../errors.js'
import {canonicalStateDir, isValidProfileName} from '../host/state-rules.js'
import {PathMapper, type PathMapping} from '../rebase/path-mapper.js'
import {isInside} from '../util/paths.js'
import {landLinkedStates, linkedState, type LinkedState} from './linked-state.js'
import {
  checkSourcePath,
  checkTarget,
  existingTargetOk,
  MAX_PROFILES,
  MAX_ROOTS,
  unsafePlacement,
} from './placement-rules.js'

/**
 * Placement: the one place where an archive's claims become paths on this machine. The archive
 * (native, or a foreign one through its adapter) only describes its roots: kind, old absolute
 * path, profile. Targets come from this machine: the profile's canonical state dir, this home, and
 * the user's --map. See SECURITY.md.
 */
export type RootTarget = {
  /**
   * Where a top-level root is physically written, when it differs from `target`: the real dir of a
   * state dir that is a symlink (linked-state.ts). Staging, aside and journal use it; the link stays.
   */
  landing?: string
  root: ArchiveRoot
  /** Absolute path on this machine. */
  target: string
  why: string
}

/** A root the user must say yes to before anything is written (or pass --accept-placement). */
export type ConsentItem = {reason: string; rootId: string; target: string}

export type TargetPlan = {
  /** Whether the archive's sender is authenticated (passphrase-encrypted). */
  authenticated: boolean
  consent: ConsentItem[]
  home: string
  mapper: PathMapper
  /** Profile mapping: source profile (null = default) → target profile. */
  profiles: Array<{configPath: string; source: null | string; stateDir: string; target: null | string}>
  sourceHome: string
  targets: RootTarget[]
  warnings: string[]
}

/** What an archive claims, in neutral terms: foreign archive adapters produce the same. */
export type PlacementClaims = {
  profiles: Array<{configPath: string; profile: null | string; stateDir: string}>
  roots: ArchiveRoot[]
  sourceHome: string
}

export type TargetOptions = {
  /** Passphrase-encrypted archives are authenticated; recipient-encrypted and plain ones are not. */
  authenticated?: boolean
  home: string
  maps: string[]
  profile?: null | string
  stateDir?: string
}

export function claimsFromManifest(manifest: ArchiveManifest): PlacementClaims {
  return {profiles: manifest.profiles, roots: manifest.roots, sourceHome: manifest.source?.home}
}

function parseMaps(maps: string[]): Array<{from: string; to: string}> {
  return maps.map((m) => {
    const at = m.indexOf('=')
    if (at <= 0 || at === m.length - 1)
      throw new MigrateError('USAGE', `--map ${m} is not OLD=NEW.`, {
        suggestions: ['Example: --map /Users/ana/notes=/home/ana/notes'],
      })
    return {from: m.slice(0, at), to: path.resolve(m.slice(at + 1))}
  })
}

/** An archive's profile name, checked with the host's own rule ("default" is the default profile). */
function archivedProfile(profile: unknown): null | string {
  if (profile === null || profile === undefined) return null
  if (typeof profile !== 'string' || !isValidProfileName(profile))
    throw unsafePlacement(
      `The archive names a profile ${JSON.stringify(String(profile)).slice(0, 80)} that OpenClaw would refuse.`,
    )
  return profile.toLowerCase() === 'default' ? null : profile
}

function checkClaims(claims: PlacementClaims): void {
  if (!Array.isArray(claims.roots) || !Array.isArray(claims.profiles))
    throw unsafePlacement('The archive lists no roots or profiles.')
  if (claims.roots.length > MAX_ROOTS || claims.profiles.length > MAX_PROFILES)
    throw new MigrateError(
      'ARCHIVE_LIMIT',
      `The archive claims ${claims.roots.length} roots and ${claims.profiles.length} profiles; at most ${MAX_ROOTS} and ${MAX_PROFILES} are accepted.`,
      {suggestions: ['An export of one machine has a handful; this archive was not made by openclaw-migrate.']},
    )
  if (claims.profiles.length === 0) throw unsafePlacement('The archive holds no profile.')
  checkSourcePath('The old home', claims.sourceHome)
  const ids = new Set<string>()
  for (const root of claims.roots) {
    if (typeof root.id !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(root.id) || /^\.+$/.test(root.id))
      throw unsafePlacement(`The archive names an unsafe root id ${JSON.stringify(String(root.id)).slice(0, 80)}.`)
    if (ids.has(root.id)) throw unsafePlacement(`The archive names root ${root.id} twice.`)
    ids.add(root.id)
    if (!['agentDir', 'config', 'env', 'include', 'state', 'workspace'].includes(root.kind))
      throw unsafePlacement(`Root ${root.id} has an unknown kind.`)
    if (root.type !== 'dir' && root.type !== 'file') throw unsafePlacement(`Root ${root.id} has an unknown type.`)
    checkSourcePath(`Root ${root.id}`, root.sourcePath)
    archivedProfile(root.profile)
  }

  for (const p of claims.profiles) {
    archivedProfile(p.profile)
    checkSourcePath(`The state dir of profile ${p.profile ?? 'default'}`, p.stateDir)
    checkSourcePath(`The config of profile ${p.profile ?? 'default'}`, p.configPath)
  }
}

/**
 * Decides where every archived root goes on this machine, from this machine: state dirs to the
 * canonical dir of their profile (the only place native service management works), whatever lived
 * under the old home to the same place under this home, anything else only where --map says.
 * Nothing lands outside this home or a --map destination, in another program's dotfiles or in this
 * tool's own dir. Roots outside the state dir of an unauthenticated archive, and existing data that
 * does not look like OpenClaw's, are listed in `consent`.
 */
export function planTargets(manifest: ArchiveManifest, options: TargetOptions): TargetPlan {
  return planPlacement(claimsFromManifest(manifest), options)
}

export function planPlacement(claims: PlacementClaims, options: TargetOptions): TargetPlan {
  checkClaims(claims)
  const warnings: string[] = []
  const home = path.resolve(options.home)
  const {sourceHome} = claims
  const explicitMaps = parseMaps(options.maps)
  if (options.profile && !isValidProfileName(options.profile))
    throw new MigrateError('USAGE', `"${options.profile}" is not a valid profile name.`, {
      suggestions: ['Profile names use letters, digits, "_" and "-" (at most 64), like the host\'s --profile.'],
    })

  if ((options.profile !== undefined || options.stateDir) && claims.profiles.length > 1) {
    throw new MigrateError(
      'USAGE',
      'This archive holds several profiles; --profile and --state-dir apply to a single-profile archive.',
      {suggestions: ['Import without --profile/--state-dir: each profile goes to its own canonical dir.']},
    )
  }

  const profiles = claims.profiles.map((p) => {
    const source = archivedProfile(p.profile)
    const target = options.profile === undefined ? source : options.profile
    if (target !== source)
      warnings.push(
        `The archive was exported from profile ${source ?? 'default'}; importing it as profile ${target ?? 'default'}. Run OpenClaw with ${target ? `--profile ${target}` : 'no --profile'} from now on.`,
      )
    const canonical = canonicalStateDir(target, home)
    const stateDir = options.stateDir ? path.resolve(options.stateDir) : canonical
    if (options.stateDir && stateDir !== canonical)
      warnings.push(
        `${stateDir} is not the canonical state dir of profile ${target ?? 'default'}: \`openclaw gateway install/start\` only manage ${canonical}.`,
      )
    const configName = path.basename(p.configPath.replaceAll('\\', '/'))
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(configName) || configName.startsWith('..'))
      throw unsafePlacement(`The config of profile ${source ?? 'default'} has an unusable name.`)
    return {configPath: path.join(stateDir, configName), source, stateDir, target}
  })
  if (new Set(profiles.map((p) => p.stateDir)).size !== profiles.length)
    throw unsafePlacement('Two profiles of the archive would share one state dir.')

  const stateMappings: PathMapping[] = claims.profiles.map((p, i) => ({
    from: p.stateDir,
    reason: `state dir of profile ${profiles[i].source ?? 'default'}`,
    to: profiles[i].stateDir,
  }))
  const homeMapping: PathMapping[] = [{from: sourceHome, reason: 'old home → this home', to: home}]
  const pre = new PathMapper([...stateMappings, ...homeMapping])
  const mapBases = [...explicitMaps.map((m) => m.to), ...(options.stateDir ? [path.resolve(options.stateDir)] : [])]

  // A state dir that is a symlink to a dir of the user's is the one link an import goes through.
  const linked = new Map<string, LinkedState>()
  for (const p of profiles) {
    const l = linkedState(p.stateDir, home)
    if (l) linked.set(p.stateDir, l)
  }

  const linkedDirs = new Set([...linked].filter(([, l]) => 'landing' in l).map(([dir]) => dir))
  const targets: RootTarget[] = []
  const mappedRoots = new Set<string>()
  const rootMappings: PathMapping[] = []
  for (const root of claims.roots) {
    const what = `${root.kind} root ${root.id} (${root.sourcePath})`
    const explicit = explicitMaps.find((m) => new PathMapper([{...m, reason: ''}]).map(root.sourcePath) !== null)
    let target: null | string
    let why: string
    if (root.kind === 'state') {
      const index = claims.profiles.findIndex((p) => p.stateDir === root.sourcePath)
      if (index === -1)
        throw unsafePlacement(`State root ${root.id} is not the state dir of any profile of the archive.`)
      target = profiles[index].stateDir
      why = 'state dir of the profile'
    } else if (explicit) {
      target = new PathMapper([{...explicit, reason: ''}]).map(root.sourcePath)
      why = `--map ${explicit.from}=${explicit.to}`
      mappedRoots.add(root.id)
    } else if ((target = pre.map(root.sourcePath)) === null) {
      throw new MigrateError(
        'PLACEMENT_NEEDS_MAP',
        `Cannot place ${root.kind} ${root.sourcePath}: it was outside the old home, and this tool places nothing outside this home unless you say where.`,
        {suggestions: [`Pass --map ${root.sourcePath}=/where/it/should/go`]},
      )
    } else {
      why = 'under the old home: placed under this home'
    }

    checkTarget(what, target!, home, mappedRoots.has(root.id) || root.kind === 'state', mapBases, linkedDirs)
    targets.push({root, target: target!, why})
    rootMappings.push({from: root.sourcePath, reason: `${root.kind} root ${root.id}`, to: target!})
  }

  const seen = new Map<string, string>()
  for (const t of targets) {
    const other = seen.get(t.target)
    if (other)
      throw new MigrateError('USAGE', `Two roots would land on ${t.target} (${other}, ${t.root.id}).`, {
        suggestions: ['Use --map to place one of them elsewhere.'],
      })
    seen.set(t.target, t.root.id)
  }

  landLinkedStates(targets, linked)
  const consent = consentNeeded(targets, profiles, mappedRoots, options.authenticated ?? false, linked)
  const mapper = new PathMapper([
    ...rootMappings,
    ...explicitMaps.map((m) => ({...m, reason: '--map'})),
    ...stateMappings,
    ...homeMapping,
  ])
  return {
    authenticated: options.authenticated ?? false,
    consent,
    home,
    mapper,
    profiles,
    sourceHome,
    targets,
    warnings,
  }
}

function consentNeeded(
  targets: RootTarget[],
  profiles: TargetPlan['profiles'],
  mappedRoots: Set<string>,
  authenticated: boolean,
  linked: ReadonlyMap<string, LinkedState>,
): ConsentItem[] {
  const items: ConsentItem[] = []
  const dirTargets = targets.filter((t) => t.root.type === 'dir')
  for (const t of targets) {
    const nested = dirTargets.some((o) => o !== t && isInside(t.target, o.target))
    const inState = profiles.some((p) => isInside(t.target, p.stateDir))
    if (!authenticated && !inState && !mappedRoots.has(t.root.id))
      items.push({
        reason: 'outside the state dir, placed by an archive whose sender is not authenticated',
        rootId: t.root.id,
        target: t.target,
      })
    if (nested) continue
    const existing = existingTargetOk(t.root.kind, t.root.type, t.landing ?? t.target)
    const link = linked.get(t.target)
    const why = link && 'why' in link ? `${link.why} (the link itself would be moved aside)` : existing.why
    if (!existing.ok)
      items.push({reason: `exists and would be moved aside, but ${why}`, rootId: t.root.id, target: t.target})
  }

  return items
}
