import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'
import {isInside} from '../util/paths.js'

/**
 * Where an archive root may land on this machine, decided from this machine alone. The archive's
 * paths (and its config) are the sender's claims: they choose nothing but the place below this home
 * they map to, and that place must be one OpenClaw data can live in.
 */

/** The tool's own dir (journals, asides list): no archive root may land in or above it. */
export const TOOL_DIR_NAME = '.openclaw-migrate'
/** Never written by an import, whatever the archive or a --map says. */
const RESERVED = new Set(['.aws', '.docker', '.gnupg', '.kube', '.pki', '.ssh', TOOL_DIR_NAME])
/** Dot-dirs of home OpenClaw data lives in; every other dotfile belongs to another program. */
export const OPENCLAW_DOT = /^\.(openclaw(-[A-Za-z0-9_-]{1,64})?|clawdbot)$/

export const MAX_ROOTS = 4096
export const MAX_PROFILES = 64
export const MAX_SOURCE_PATH = 4096

export function unsafePlacement(message: string, suggestions: string[] = []): MigrateError {
  return new MigrateError('ARCHIVE_UNSAFE_PLACEMENT', message, {
    suggestions: [
      ...suggestions,
      'The archive claims a place this tool will not write; if it is yours and really lives there, place it yourself with --map OLD=NEW.',
    ],
  })
}

/** An absolute, normalised source path of either OS; anything else (relative, `..`, NUL, huge) is refused. */
export function checkSourcePath(what: string, p: unknown): string {
  if (typeof p !== 'string' || p.length === 0 || p.length > MAX_SOURCE_PATH || /[\0\n\r]/.test(p))
    throw unsafePlacement(`${what} has no usable source path.`)
  const win = /^[A-Za-z]:[\\/]/.test(p)
  if (!win && !p.startsWith('/')) throw unsafePlacement(`${what} has a relative source path ${JSON.stringify(p)}.`)
  const parts = (win ? p.slice(3) : p.slice(1)).split(win ? /[\\/]/ : '/')
  if (parts.some((s) => s === '..' || s === '.'))
    throw unsafePlacement(`${what} has a non-normalised source path ${JSON.stringify(p)}.`)
  if (!win && p !== '/' && (p.endsWith('/') || p.includes('//')))
    throw unsafePlacement(`${what} has a non-normalised source path ${JSON.stringify(p)}.`)
  return p
}

/** The dir of this home that belongs to another program or to this tool, when `target` lies in one. */
export function reservedPlace(target: string, home: string): null | string {
  if (!isInside(target, home) || target === home) return null
  const first = path.relative(home, target).split(path.sep)[0]
  return RESERVED.has(first) ? path.join(home, first) : null
}

/**
 * Refuses a target this tool must never write. `allowedBases` are this home and the --map
 * destinations that placed this root; `mapped` says the user chose the place with --map.
 * `linkedStateDirs` are state dirs that are the one symlink an import goes through (linked-state.ts).
 */
export function checkTarget(
  what: string,
  target: string,
  home: string,
  mapped: boolean,
  mapBases: string[],
  linkedStateDirs: ReadonlySet<string> = new Set(),
): void {
  if (!path.isAbsolute(target) || path.normalize(target) !== target)
    throw unsafePlacement(`${what} would land on a non-normalised path ${target}.`)
  const inHome = isInside(target, home)
  if (!inHome && mapBases.every((b) => !isInside(target, b)))
    throw unsafePlacement(`${what} would land on ${target}, outside this home (${home}) and outside every --map.`)
  if (isInside(home, target)) throw unsafePlacement(`${what} would replace this home or a dir above it (${target}).`)
  const base = inHome ? home : mapBases.filter((b) => isInside(target, b)).sort((a, b) => b.length - a.length)[0]
  linkOnTheWay(what, base, target, linkedStateDirs)
  if (!inHome) return
  const first = path.relative(home, target).split(path.sep)[0]
  if (RESERVED.has(first))
    throw unsafePlacement(
      `${what} would land in ${path.join(home, first)}, which belongs to ${first === TOOL_DIR_NAME ? 'this tool' : 'another program'}.`,
    )
  if (first.startsWith('.') && !OPENCLAW_DOT.test(first) && !mapped)
    throw unsafePlacement(
      `${what} would land in ${path.join(home, first)}: dotfiles of this home belong to other programs.`,
    )
}

/** Writes never go through a symlink below this home (or the --map destination), whoever made it. */
function linkOnTheWay(what: string, base: string, target: string, linkedStateDirs: ReadonlySet<string>): void {
  let current = base
  const parts = path.relative(base, target).split(path.sep).filter(Boolean)
  for (const part of parts.slice(0, -1)) {
    current = path.join(current, part)
    if (linkedStateDirs.has(current)) continue
    const stat = fs.lstatSync(current, {throwIfNoEntry: false})
    if (!stat) return
    if (stat.isSymbolicLink() || !stat.isDirectory())
      throw new MigrateError(
        'PLACEMENT_NEEDS_MAP',
        `${what} would be written through ${current}, which is ${stat.isSymbolicLink() ? 'a symlink' : 'not a directory'} on this machine; this tool does not write through links.`,
        {suggestions: ['Place it at its real location with --map OLD=NEW.']},
      )
  }
}

/** Names whose presence makes an existing dir look like what a root of this kind replaces. */
const LOOKS_LIKE: Record<string, string[]> = {
  agentDir: ['agent', 'sessions', 'auth-profiles.json', 'models.json', 'openclaw-agent.sqlite'],
  state: ['openclaw.json', 'clawdbot.json', 'agents', 'credentials', 'state', 'identity'],
  workspace: ['AGENTS.md', 'SOUL.md', 'MEMORY.md', 'USER.md', 'IDENTITY.md', 'TOOLS.md', 'HEARTBEAT.md', 'memory'],
}

/**
 * Whether an existing target can be moved aside without asking: nothing there, an empty dir, a dir
 * that looks like what this root is (an OpenClaw state dir, workspace or agent dir), or a JSON file
 * for a config/include file root. Anything else is someone's data: only the user's yes moves it.
 */
export function existingTargetOk(kind: string, type: 'dir' | 'file', target: string): {ok: boolean; why?: string} {
  const stat = fs.lstatSync(target, {throwIfNoEntry: false})
  if (!stat) return {ok: true}
  if (stat.isSymbolicLink()) return {ok: false, why: 'it is a symlink'}
  if (type === 'file') {
    if (!stat.isFile()) return {ok: false, why: 'it is not a regular file'}
    return /\.(json5?|env)$/i.test(target) || path.basename(target) === '.env'
      ? {ok: true}
      : {ok: false, why: 'it is not an OpenClaw config file'}
  }

  if (!stat.isDirectory()) return {ok: false, why: 'it is not a directory'}
  let names: string[]
  try {
    names = fs.readdirSync(target)
  } catch {
    return {ok: false, why: 'it cannot be read'}
  }

  if (names.length === 0) return {ok: true}
  const marks = LOOKS_LIKE[kind === 'agentDir' || kind === 'state' ? kind : 'workspace']
  return names.some((n) => marks.includes(n))
    ? {ok: true}
    : {
        ok: false,
        why: `it is a non-empty dir that does not look like an OpenClaw ${kind === 'state' ? 'state dir' : kind}`,
      }
}
