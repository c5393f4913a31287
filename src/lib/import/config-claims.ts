import JSON5 from 'json5'
import path from 'node:path'

import type {FileWriter} from '../archive/archive-reader.js'
import type {ArchiveManifest, ArchiveRoot} from '../archive/manifest.js'

import {MigrateError} from '../errors.js'
import {configuredAgents, type JsonObject} from '../inventory/config-reader.js'
import {unsafePlacement} from './placement-rules.js'

/** A config or include file larger than this is not a config: refused rather than held in memory. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024
const MAX_INCLUDE_DEPTH = 10

function pathOps(p: string): typeof path.posix {
  return /^[A-Za-z]:[\\/]/.test(p) ? path.win32 : path.posix
}

/** Archive key (`roots/<id>/<rel>`) of a source path, when an archived root holds it. */
function keyOf(roots: ArchiveRoot[], sourcePath: string): null | string {
  const ops = pathOps(sourcePath)
  for (const r of roots) {
    if (r.type === 'file' && r.sourcePath === sourcePath) return `${r.archivePath}/${ops.basename(sourcePath)}`
  }

  let best: ArchiveRoot | undefined
  for (const r of roots) {
    if (r.type !== 'dir') continue
    const rel = ops.relative(r.sourcePath, sourcePath)
    if (rel === '' || rel.startsWith('..') || ops.isAbsolute(rel)) continue
    if (!best || r.sourcePath.length > best.sourcePath.length) best = r
  }

  if (!best) return null
  const rel = ops.relative(best.sourcePath, sourcePath).split(ops.sep).join('/')
  return rel ? `${best.archivePath}/${rel}` : best.archivePath
}

/**
 * Keeps the bytes of the archived config and include files as the reader streams them by, so the
 * roots the manifest declares can be checked against what the config really names.
 */
export class ConfigCapture {
  private readonly texts = new Map<string, Buffer>()
  private readonly wanted = new Set<string>()

  constructor(private readonly manifest: ArchiveManifest) {
    for (const p of manifest.profiles) {
      const key = keyOf(manifest.roots, p.configPath)
      if (key) this.wanted.add(key)
    }

    for (const r of manifest.roots) if (r.kind === 'include' || r.kind === 'config') this.add(r)
    for (const l of manifest.locations ?? [])
      if (l.kind === 'include' || l.kind === 'config') {
        const key = keyOf(manifest.roots, l.sourcePath)
        if (key) this.wanted.add(key)
      }
  }

  /** Whether the entry's body is a config file this capture must see. */
  captures(key: string): boolean {
    return this.wanted.has(key)
  }

  /** A tee for the entry's body when it is a config file, else null. */
  writer(key: string, inner: FileWriter | null): FileWriter | null {
    if (!this.wanted.has(key)) return inner
    const chunks: Buffer[] = []
    let size = 0
    return {
      close: async () => {
        this.texts.set(key, Buffer.concat(chunks))
        await inner?.close()
      },
      async write(chunk: Buffer) {
        size += chunk.length
        if (size > MAX_CONFIG_BYTES)
          throw new MigrateError('ARCHIVE_LIMIT', `${key} is larger than ${MAX_CONFIG_BYTES} bytes: not a config.`)
        chunks.push(chunk)
        return inner?.write(chunk)
      },
    }
  }

  text(sourcePath: string): null | string {
    const key = keyOf(this.manifest.roots, sourcePath)
    const bytes = key ? this.texts.get(key) : undefined
    return bytes ? bytes.toString('utf8') : null
  }

  private add(root: ArchiveRoot): void {
    const key = keyOf(this.manifest.roots, root.sourcePath)
    if (key) this.wanted.add(key)
  }
}

type Named = {agentDirs: Set<string>; configs: Set<string>; includes: Set<string>; workspaces: Set<string>}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function resolveClaim(value: string, base: string, sourceHome: string): string {
  const ops = pathOps(base)
  const expanded = value === '~' ? sourceHome : /^~[\\/]/.test(value) ? ops.join(sourceHome, value.slice(2)) : value
  return ops.resolve(base, expanded)
}

/** What one profile's archived config names: include files, workspaces, agent dirs. */
function namedBy(capture: ConfigCapture, configPath: string, sourceHome: string): Named | null {
  const named: Named = {
    agentDirs: new Set(),
    configs: new Set([configPath]),
    includes: new Set(),
    workspaces: new Set(),
  }
  const load = (file: string, depth: number): unknown => {
    const text = capture.text(file)
    if (text === null) return null
    let node: unknown
    try {
      node = JSON5.parse(text)
    } catch {
      return null
    }

    const base = pathOps(file).dirname(file)
    const visit = (n: unknown): unknown => {
      if (Array.isArray(n)) return n.map((x) => visit(x))
      if (!isObject(n)) return n
      const out: JsonObject = {}
      const inc = n.$include
      for (const entry of Array.isArray(inc) ? inc : inc === undefined ? [] : [inc]) {
        if (typeof entry !== 'string' || depth >= MAX_INCLUDE_DEPTH) continue
        const target = resolveClaim(entry, base, sourceHome)
        named.includes.add(target)
        const loaded = load(target, depth + 1)
        if (isObject(loaded)) Object.assign(out, loaded)
      }

      for (const [k, v] of Object.entries(n)) if (k !== '$include') out[k] = visit(v)
      return out
    }

    return visit(node)
  }

  const merged = load(configPath, 0)
  if (!isObject(merged)) return null
  const base = pathOps(configPath).dirname(configPath)
  const {agents, defaultWorkspace} = configuredAgents(merged)
  if (defaultWorkspace) named.workspaces.add(resolveClaim(defaultWorkspace, base, sourceHome))
  for (const a of agents) {
    if (a.workspace) named.workspaces.add(resolveClaim(a.workspace, base, sourceHome))
    if (a.agentDir) named.agentDirs.add(resolveClaim(a.agentDir, base, sourceHome))
  }

  return named
}

/**
 * Every root outside its profile's state dir must be something the archived config names (or the
 * host's default workspace): a manifest that declares `~/.config/autostart` as a workspace its own
 * config never mentions is refused. The config is the sender's too, so this proves consistency,
 * not good faith: the placement rules and the user's consent do the rest.
 */
export function checkRootsAgainstConfig(manifest: ArchiveManifest, capture: ConfigCapture): void {
  const {home} = manifest.source
  for (const r of manifest.roots)
    if (manifest.profiles.every((p) => p.profile !== r.profile))
      throw unsafePlacement(`Root ${r.id} belongs to a profile the archive does not hold.`)
  for (const p of manifest.profiles) {
    const ops = pathOps(p.stateDir)
    const inState = (x: string) => {
      const rel = ops.relative(p.stateDir, x)
      return rel === '' || (!rel.startsWith('..') && !ops.isAbsolute(rel))
    }

    const named = namedBy(capture, p.configPath, home)
    // After the import the host reads every $include of this config: each must be a file the archive
    // brings (the exporter archives them all), never one of this machine's (`/dev/zero`, `~/.ssh/…`).
    // A foreign archive (a plain tar of a state dir) may leave includes out on purpose: not checked here.
    for (const target of manifest.foreign ? [] : (named?.includes ?? []))
      if (keyOf(manifest.roots, target) === null)
        throw unsafePlacement(
          `The archived config of profile ${p.profile ?? 'default'} includes ${target}, which the archive does not hold: after the import it would be read from this machine.`,
        )
    const outside = manifest.roots.filter(
      (r) => r.profile === p.profile && r.kind !== 'state' && !inState(r.sourcePath),
    )
    if (outside.length === 0) continue
    if (!named)
      throw unsafePlacement(
        `The archive places ${outside.length} root(s) of profile ${p.profile ?? 'default'} outside its state dir, but holds no readable config naming them.`,
      )
    const defaults = new Set([
      ops.join(home, '.openclaw', `workspace${p.profile ? `-${p.profile}` : ''}`),
      ops.join(p.stateDir, 'workspace'),
    ])
    for (const r of outside) {
      const ok =
        (r.kind === 'workspace' && (named.workspaces.has(r.sourcePath) || defaults.has(r.sourcePath))) ||
        (r.kind === 'agentDir' && named.agentDirs.has(r.sourcePath)) ||
        (r.kind === 'include' && named.includes.has(r.sourcePath)) ||
        (r.kind === 'config' && named.configs.has(r.sourcePath))
      if (!ok)
        throw unsafePlacement(
          `Root ${r.id} claims to be a ${r.kind} at ${r.sourcePath}, but the archived config of profile ${p.profile ?? 'default'} names no such ${r.kind}.`,
        )
    }
  }
}
