import fs from 'node:fs'
import path from 'node:path'

import type {ArchiveManifest, ArchiveRoot} from '../archive/manifest.js'

import {MigrateError} from '../errors.js'
import {canonicalStateDir, validateProfileName} from '../host/state-rules.js'
import {PathMapper, type PathMapping} from '../rebase/path-mapper.js'

export type RootTarget = {
  root: ArchiveRoot
  /** Absolute path on this machine. */
  target: string
  why: string
}

export type TargetPlan = {
  home: string
  mapper: PathMapper
  /** Profile mapping: source profile (null = default) → target profile. */
  profiles: Array<{configPath: string; source: null | string; stateDir: string; target: null | string}>
  sourceHome: string
  targets: RootTarget[]
  warnings: string[]
}

export type TargetOptions = {
  home: string
  maps: string[]
  profile?: null | string
  stateDir?: string
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

function canPlace(target: string): boolean {
  let dir = path.dirname(target)
  while (!fs.existsSync(dir)) {
    const up = path.dirname(dir)
    if (up === dir) return false
    dir = up
  }

  try {
    fs.accessSync(dir, fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Decides where every archived root goes on this machine. State dirs go to the canonical place
 * of their profile (the only place native service management works); whatever lived under the
 * old home goes under this home; anything else keeps its path if it can be written, or needs --map.
 */
export function planTargets(manifest: ArchiveManifest, options: TargetOptions): TargetPlan {
  const warnings: string[] = []
  const sourceHome = manifest.source.home
  const explicitMaps = parseMaps(options.maps)
  if (options.profile) validateProfileName(options.profile)
  if ((options.profile !== undefined || options.stateDir) && manifest.profiles.length > 1) {
    throw new MigrateError(
      'USAGE',
      'This archive holds several profiles; --profile and --state-dir apply to a single-profile archive.',
      {suggestions: ['Import without --profile/--state-dir: each profile goes to its own canonical dir.']},
    )
  }

  const profiles = manifest.profiles.map((p) => {
    const target = options.profile === undefined ? p.profile : options.profile
    if (target !== p.profile)
      warnings.push(
        `The archive was exported from profile ${p.profile ?? 'default'}; importing it as profile ${target ?? 'default'}. Run OpenClaw with ${target ? `--profile ${target}` : 'no --profile'} from now on.`,
      )
    const stateDir = options.stateDir ? path.resolve(options.stateDir) : canonicalStateDir(target, options.home)
    if (options.stateDir && stateDir !== canonicalStateDir(target, options.home))
      warnings.push(
        `${stateDir} is not the canonical state dir of profile ${target ?? 'default'}: \`openclaw gateway install/start\` only manage ${canonicalStateDir(target, options.home)}.`,
      )
    const configName = path.basename(p.configPath.replaceAll('\\', '/'))
    return {configPath: path.join(stateDir, configName), source: p.profile, stateDir, target}
  })

  const stateMappings: PathMapping[] = manifest.profiles.map((p, i) => ({
    from: p.stateDir,
    reason: `state dir of profile ${p.profile ?? 'default'}`,
    to: profiles[i].stateDir,
  }))
  const homeMapping: PathMapping[] = sourceHome
    ? [{from: sourceHome, reason: 'old home → this home', to: options.home}]
    : []
  const pre = new PathMapper([...explicitMaps.map((m) => ({...m, reason: '--map'})), ...stateMappings, ...homeMapping])

  const targets: RootTarget[] = []
  const rootMappings: PathMapping[] = []
  for (const root of manifest.roots) {
    const explicit = explicitMaps.find((m) => new PathMapper([{...m, reason: ''}]).map(root.sourcePath) !== null)
    let target: null | string
    let why: string
    if (root.kind === 'state') {
      const index = manifest.profiles.findIndex((p) => p.stateDir === root.sourcePath)
      target = profiles[Math.max(0, index)].stateDir
      why = 'state dir of the profile'
    } else if (explicit) {
      target = new PathMapper([{...explicit, reason: ''}]).map(root.sourcePath)
      why = `--map ${explicit.from}=${explicit.to}`
    } else if ((target = pre.map(root.sourcePath)) !== null) {
      why = 'under the old home: placed under this home'
    } else if (!/^[A-Za-z]:[\\/]/.test(root.sourcePath) && canPlace(root.sourcePath)) {
      target = root.sourcePath
      why = 'outside the old home: kept at the same path'
    } else {
      throw new MigrateError(
        'USAGE',
        `Cannot place ${root.kind} ${root.sourcePath} on this machine: it was outside the old home and that path is not writable here.`,
        {
          suggestions: [`Pass --map ${root.sourcePath}=/where/it/should/go`],
        },
      )
    }

    targets.push({root, target: target!, why})
    rootMappings.push({from: root.sourcePath, reason: `${root.kind} root ${root.id}`, to: target!})
  }

  for (const a of targets) {
    for (const b of targets) {
      if (a !== b && a.target === b.target)
        throw new MigrateError('USAGE', `Two roots would land on ${a.target} (${a.root.id}, ${b.root.id}).`, {
          suggestions: ['Use --map to place one of them elsewhere.'],
        })
    }
  }

  const mapper = new PathMapper([
    ...rootMappings,
    ...explicitMaps.map((m) => ({...m, reason: '--map'})),
    ...stateMappings,
    ...homeMapping,
  ])
  return {home: options.home, mapper, profiles, sourceHome, targets, warnings}
}
