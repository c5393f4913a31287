import fs from 'node:fs'
import path from 'node:path'

import {getPath} from '../../inventory/config-reader.js'
import {isInside} from '../../util/paths.js'
import {type ArchiveLocation} from '../manifest.js'
import {
  addLocation,
  addRoot,
  type ForeignLayout,
  type LayoutProfile,
  type LayoutRoot,
  namedPlaces,
  readArchivedConfig,
  rootHolding,
  UNKNOWN_HOME,
} from './foreign-layout.js'
import {type ForeignScan} from './foreign-scan.js'
import {HomeVotes} from './home-detection.js'

const STATE_DIR_NAME = /^\.(?:openclaw(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?|clawdbot)$/
const CONFIG_NAMES = ['openclaw.json', 'clawdbot.json']

export type GuideCandidates = {
  /** Top-level `.openclaw*` dirs that hold a config: state dirs. */
  stateDirs: Array<{configName: string; name: string; profile: null | string}>
  /** Top-level `.openclaw*` names without a config (e.g. only a workspace was archived). */
  withoutConfig: string[]
}

/** The state dirs of a plain tar made the guide's way (`cd ~ && tar -czf … .openclaw`). */
export function guideCandidates(scan: ForeignScan): GuideCandidates {
  const tops = new Set<string>()
  for (const [raw] of scan.entries) tops.add(raw.split('/', 1)[0])
  const stateDirs: GuideCandidates['stateDirs'] = []
  const withoutConfig: string[] = []
  for (const name of [...tops].toSorted()) {
    const m = STATE_DIR_NAME.exec(name)
    if (!m) continue
    const configName = CONFIG_NAMES.find((c) => scan.entries.get(`${name}/${c}`)?.type === 'file')
    if (configName) {
      stateDirs.push({configName, name, profile: m[1] ?? null})
    } else {
      withoutConfig.push(name)
    }
  }

  // The legacy dir next to a current one: the host reads only the current one.
  if (stateDirs.some((s) => s.name === '.openclaw')) {
    const legacy = stateDirs.findIndex((s) => s.name === '.clawdbot')
    if (legacy !== -1) stateDirs.splice(legacy, 1)
  }

  return {stateDirs, withoutConfig}
}

function detectHome(scan: ForeignScan, names: string[]): null | string {
  const votes = new HomeVotes(names)
  for (const raw of scan.mirrored)
    if (names.includes(raw.split('/', 1)[0]) && /\.json5?$/.test(raw))
      votes.addFile(path.join(scan.mirror, ...raw.split('/')))
  if (votes.best()) return votes.best()
  for (const name of names) {
    const db = path.join(scan.mirror, name, 'state', 'openclaw.sqlite')
    if (fs.existsSync(db)) votes.addDatabase(db, [...names.map((n) => `/${n}`), ...names.map((n) => `\\${n}`)])
  }

  return votes.best()
}

/**
 * Lays out a plain tar: each `.openclaw[-profile]` dir with a config is a state dir (profile from
 * its name), and the workspaces and agentDirs its config names under the old home are roots too
 * when the tar holds them ("next to" the state dir, relative to the home like the tar itself).
 */
export function guideLayout(scan: ForeignScan, candidates: GuideCandidates, fromHome?: string): ForeignLayout {
  const warnings: string[] = []
  const names = candidates.stateDirs.map((s) => s.name)
  const detected = fromHome ? null : detectHome(scan, names)
  const home = fromHome ?? detected ?? UNKNOWN_HOME
  const homeSource = fromHome ? '--from-home' : detected ? 'paths inside the archived state' : 'unknown'
  if (!fromHome && !detected)
    warnings.push(
      'Nothing in the archive names the old home; if old paths remain after the import, import again with --from-home /old/home.',
    )
  const toRaw = (abs: string) =>
    abs !== home && home !== UNKNOWN_HOME && isInside(abs, home) ? path.posix.relative(home, abs) : null
  const roots: LayoutRoot[] = []
  const locations: ArchiveLocation[] = []
  const profiles: LayoutProfile[] = []
  for (const s of candidates.stateDirs) {
    const stateDir = path.posix.join(home, s.name)
    const root = addRoot(roots, {kind: 'state', profile: s.profile, rawPath: s.name, sourcePath: stateDir, type: 'dir'})
    locations.push({kind: 'state', profile: s.profile, relPath: '', rootId: root.id, sourcePath: stateDir})
    const config = readArchivedConfig(scan.mirror, `${s.name}/${s.configName}`, toRaw, home, warnings)
    profiles.push({
      configPath: path.posix.join(stateDir, s.configName),
      merged: config.merged,
      profile: s.profile,
      rawStateDir: s.name,
      stateDir,
    })
    for (const raw of config.files) {
      const abs = path.posix.join(home, raw)
      const holder = rootHolding(roots, raw)
      const kind = raw === `${s.name}/${s.configName}` ? 'config' : 'include'
      const at = holder ?? addRoot(roots, {kind, profile: s.profile, rawPath: raw, sourcePath: abs, type: 'file'})
      const relPath = holder ? raw.slice(holder.rawPath.length + 1) : path.posix.basename(raw)
      locations.push({kind, profile: s.profile, relPath, rootId: at.id, sourcePath: abs})
    }

    if (scan.entries.get(`${s.name}/.env`)?.type === 'file')
      locations.push({
        kind: 'env',
        profile: s.profile,
        relPath: '.env',
        rootId: root.id,
        sourcePath: `${stateDir}/.env`,
      })
    const places = namedPlaces(config.merged, stateDir, stateDir, home)
    // Before 2026.8 a profile's default workspace was ~/.openclaw/workspace-<profile>, next to the default state dir.
    if (s.profile && !getPath(config.merged, 'agents.defaults.workspace') && !scan.entries.has(`${s.name}/workspace`))
      places[0].sourcePath = path.posix.join(home, '.openclaw', `workspace-${s.profile}`)
    for (const place of places) {
      const raw = toRaw(place.sourcePath)
      if (!raw || scan.entries.get(raw)?.type !== 'dir') {
        if (place.agentId ?? place.configured)
          warnings.push(
            `The ${place.kind} ${place.sourcePath}${place.agentId ? ` of agent ${place.agentId}` : ''} is not in this archive.`,
          )
        continue
      }

      const holder = rootHolding(roots, raw)
      const at =
        holder ??
        addRoot(roots, {
          agentId: place.agentId,
          kind: place.kind,
          profile: s.profile,
          rawPath: raw,
          sourcePath: place.sourcePath,
          type: 'dir',
        })
      const relPath = holder ? raw.slice(holder.rawPath.length + 1) : ''
      addLocation(locations, {
        agentId: place.agentId,
        configured: place.configured,
        kind: place.kind,
        profile: s.profile,
        relPath,
        rootId: at.id,
        sourcePath: place.sourcePath,
      })
    }
  }

  // A root found later can hold one found earlier (an include inside a workspace): roots must not nest.
  for (const r of roots) {
    const outer = roots.find((o) => o !== r && o.type === 'dir' && r.rawPath.startsWith(`${o.rawPath}/`))
    if (outer) warnings.push(`${r.rawPath} lies inside ${outer.rawPath}; it is imported with it.`)
  }

  return {
    createdAt: null,
    home,
    homeSource,
    hostVersion: null,
    kind: 'guide-tar',
    locations,
    platform: /^[A-Za-z]:/.test(home) ? 'win32' : home.startsWith('/Users/') ? 'darwin' : 'linux',
    profiles,
    roots,
    skipPrefixes: [],
    skipped: [],
    structural: new Set(),
    unclaimed: 'skip',
    warnings,
  }
}
