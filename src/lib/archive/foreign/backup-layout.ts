import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../../errors.js'
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

type BackupAsset = {archivePath: string; kind: string; sourcePath: string}
type BackupManifest = {
  archiveRoot: string
  assets: BackupAsset[]
  createdAt?: string
  paths?: {agentRoots?: Array<{agentId?: string; sourcePath?: string}>; configPath?: string; stateDir?: string}
  platform?: string
  runtimeVersion?: string
  schemaVersion: number
  skipped?: Array<{kind?: string; reason?: string; sourcePath?: string}>
}

const STATE_DIR_NAME = /^\.(?:openclaw(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?|clawdbot)$/

function refused(why: string): MigrateError {
  return new MigrateError('ARCHIVE_UNSAFE_ENTRY', `Refusing this openclaw backup archive: ${why}.`, {
    suggestions: [
      'The archive was damaged or tampered with; do not import it. Make a new one with `openclaw backup create`.',
    ],
  })
}

/** The raw path of a backup's manifest (`<root>/manifest.json`), when the archive has exactly one. */
export function findBackupManifest(scan: ForeignScan): null | string {
  const found = [...scan.mirrored].filter((raw) => /^[^/]+\/manifest\.json$/.test(raw))
  return found.length === 1 ? found[0] : null
}

/** Parses a backup manifest; null when it is not one (another tool's manifest.json). */
export function parseBackupManifest(scan: ForeignScan, raw: string): BackupManifest | null {
  let data: BackupManifest
  try {
    const file = path.join(scan.mirror, ...raw.split('/'))
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as BackupManifest
  } catch {
    return null
  }

  if (
    typeof data !== 'object' ||
    data === null ||
    !Array.isArray(data.assets) ||
    typeof data.schemaVersion !== 'number'
  )
    return null
  return data
}

/** The archive path `openclaw backup create` gives a source path (its encodeAbsolutePathForBackupArchive). */
function payloadPath(archiveRoot: string, sourcePath: string): null | string {
  const normalized = sourcePath.replaceAll('\\', '/')
  const win = /^([A-Za-z]):\/(.*)$/.exec(normalized)
  if (win) return path.posix.join(archiveRoot, 'payload', 'windows', win[1].toUpperCase(), win[2])
  if (normalized.startsWith('/')) return path.posix.join(archiveRoot, 'payload', 'posix', normalized.slice(1))
  return null
}

function validAsset(a: unknown): a is BackupAsset {
  const x = a as BackupAsset
  return typeof x?.kind === 'string' && typeof x.sourcePath === 'string' && typeof x.archivePath === 'string'
}

/**
 * Lays out an `openclaw backup create` archive (schema 1, any version): its manifest maps each asset
 * to its old absolute path, and each asset's place in the archive must be exactly where the host
 * itself would have put it, so the manifest cannot point a root at another part of the archive.
 * Roots: the state dir (profile from its name), config and include files outside it, workspaces
 * and agent dirs; entries under no asset are refused.
 */
export function backupLayout(
  scan: ForeignScan,
  manifestRaw: string,
  manifest: BackupManifest,
  fromHome?: string,
): ForeignLayout {
  if (manifest.schemaVersion !== 1)
    throw new MigrateError(
      'ARCHIVE_VERSION',
      `This openclaw backup archive has manifest schema ${manifest.schemaVersion}; this tool reads schema 1.`,
      {
        suggestions: [
          'Restore it with the OpenClaw that made it (`openclaw backup restore`), or upgrade openclaw-migrate.',
        ],
      },
    )
  const archiveRoot = manifestRaw.split('/', 1)[0]
  if (manifest.archiveRoot !== undefined && manifest.archiveRoot !== archiveRoot)
    throw refused('its manifest names another archive root')
  const warnings: string[] = []
  const assets = manifest.assets.filter((a) => validAsset(a))
  if (assets.length !== manifest.assets.length) throw refused('an asset of its manifest is malformed')
  for (const a of assets) {
    const clean = a.sourcePath.replaceAll('\\', '/')
    if (
      path.posix.normalize(clean) !== clean ||
      clean.endsWith('/') ||
      payloadPath(archiveRoot, a.sourcePath) !== a.archivePath
    )
      throw refused(`asset ${JSON.stringify(a.sourcePath.slice(0, 200))} is not stored where openclaw backup stores it`)
  }

  const state = assets.find((a) => a.kind === 'state')
  if (!state) throw refused('it holds no state dir asset (made with --only-config?)')
  const stateDir = state.sourcePath
  const base = path.posix.basename(stateDir.replaceAll('\\', '/'))
  const named = STATE_DIR_NAME.exec(base)
  const profile = named?.[1] ?? null
  if (!named)
    warnings.push(
      `The state dir ${stateDir} is not a canonical ~/.openclaw[-profile]; it is imported as the default profile.`,
    )
  const home = fromHome ?? (named ? path.posix.dirname(stateDir) : UNKNOWN_HOME)
  const toRaw = (abs: string) => {
    const holder = assets.find((a) => isInside(abs, a.sourcePath))
    return holder ? path.posix.join(holder.archivePath, path.posix.relative(holder.sourcePath, abs)) : null
  }

  const roots: LayoutRoot[] = []
  const locations: ArchiveLocation[] = []
  const stateRoot = addRoot(roots, {
    kind: 'state',
    profile,
    rawPath: state.archivePath,
    sourcePath: stateDir,
    type: 'dir',
  })
  locations.push({kind: 'state', profile, relPath: '', rootId: stateRoot.id, sourcePath: stateDir})
  const configPath = manifest.paths?.configPath ?? path.posix.join(stateDir, 'openclaw.json')
  const configRaw = toRaw(configPath)
  const config = configRaw ? readArchivedConfig(scan.mirror, configRaw, toRaw, home, warnings) : {files: [], merged: {}}
  if (!configRaw) warnings.push(`The config ${configPath} is not in this archive.`)
  const skipPrefixes: ForeignLayout['skipPrefixes'] = []
  for (const a of assets) {
    if (a === state) continue
    if (a.kind === 'config') {
      addRoot(roots, {
        kind: a.sourcePath === configPath ? 'config' : 'include',
        profile,
        rawPath: a.archivePath,
        sourcePath: a.sourcePath,
        type: 'file',
      })
    } else if (a.kind === 'workspace' || a.kind === 'agent') {
      const agentId = manifest.paths?.agentRoots?.find((r) => r.sourcePath === a.sourcePath)?.agentId
      addRoot(roots, {
        agentId,
        kind: a.kind === 'agent' ? 'agentDir' : 'workspace',
        profile,
        rawPath: a.archivePath,
        sourcePath: a.sourcePath,
        type: 'dir',
      })
    } else {
      // Only the kinds above have a place the target decides; anything else stays out, said plainly.
      const todo =
        a.kind === 'credentials'
          ? `copy it into ${path.posix.join('<state dir>', 'credentials')} on this machine by hand`
          : 'reinstall it on this machine'
      skipPrefixes.push({
        prefix: a.archivePath,
        reason: `${a.kind} outside the state dir, not placed by this tool (${todo})`,
      })
      warnings.push(`The ${a.kind} ${a.sourcePath} in the archive is not imported: ${todo}.`)
    }
  }

  for (const raw of config.files) {
    const holder = rootHolding(roots, raw) ?? roots.find((r) => r.type === 'file' && r.rawPath === raw)
    if (!holder) continue
    const kind = raw === configRaw ? 'config' : 'include'
    const relPath = holder.type === 'file' ? path.posix.basename(raw) : raw.slice(holder.rawPath.length + 1)
    locations.push({
      kind,
      profile,
      relPath,
      rootId: holder.id,
      sourcePath: path.posix.join(holder.sourcePath, holder.type === 'file' ? '' : relPath),
    })
  }

  if (scan.entries.get(`${state.archivePath}/.env`)?.type === 'file')
    locations.push({
      kind: 'env',
      profile,
      relPath: '.env',
      rootId: stateRoot.id,
      sourcePath: path.posix.join(stateDir, '.env'),
    })
  for (const place of namedPlaces(config.merged, stateDir, path.posix.dirname(configPath), home)) {
    const raw = toRaw(place.sourcePath)
    const holder = raw ? rootHolding(roots, raw) : undefined
    if (!raw || !holder || scan.entries.get(raw)?.type !== 'dir') continue
    if (holder.rawPath === raw && holder.kind === place.kind && place.agentId && !holder.agentId)
      holder.agentId = place.agentId
    addLocation(locations, {
      agentId: place.agentId,
      configured: place.configured,
      kind: place.kind,
      profile,
      relPath: raw.slice(holder.rawPath.length + 1),
      rootId: holder.id,
      sourcePath: place.sourcePath,
    })
  }

  const profiles: LayoutProfile[] = [
    {configPath, merged: config.merged, profile, rawStateDir: state.archivePath, stateDir},
  ]
  const structural = new Set([archiveRoot, manifestRaw])
  for (const a of assets)
    for (let p = path.posix.dirname(a.archivePath); p !== '.' && p !== archiveRoot; p = path.posix.dirname(p))
      structural.add(p)
  return {
    createdAt: typeof manifest.createdAt === 'string' ? manifest.createdAt : null,
    home,
    homeSource: fromHome ? '--from-home' : named ? 'the backup manifest (state dir)' : 'unknown',
    hostVersion: typeof manifest.runtimeVersion === 'string' ? manifest.runtimeVersion : null,
    kind: 'openclaw-backup',
    locations,
    platform: manifest.platform === 'darwin' || manifest.platform === 'win32' ? manifest.platform : 'linux',
    profiles,
    roots,
    skipPrefixes,
    skipped: (manifest.skipped ?? [])
      .filter((s) => typeof s?.sourcePath === 'string')
      .map((s) => ({
        path: s.sourcePath!,
        reason: `left out by openclaw backup (${s.reason ?? s.kind ?? 'skipped'})`,
      })),
    structural,
    unclaimed: 'refuse',
    warnings,
  }
}
