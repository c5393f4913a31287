import JSON5 from 'json5'
import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'

const INCLUDE_KEY = '$include'
const MAX_INCLUDE_DEPTH = 10
/** A config or include file larger than this is not a config (and `/dev/zero` is not a file). */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024

export type JsonObject = Record<string, unknown>

export type LoadedConfig = {
  /** Include files named by an absolute path in the config (these need rebasing on import). */
  exists: boolean
  /** The main config file and every included file, absolute. */
  files: string[]
  /** The config with every $include merged in, the way the host sees it. */
  merged: JsonObject
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function deepMerge(target: unknown, source: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(source)) return [...target, ...source]
  if (isObject(target) && isObject(source)) {
    const out: JsonObject = {...target}
    for (const [k, v] of Object.entries(source)) out[k] = k in out ? deepMerge(out[k], v) : v
    return out
  }

  return source
}

/** Reads a config file: a regular file of bounded size, never a device, fifo or endless stream. */
function readConfigText(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile())
      throw new MigrateError('CONFIG_INVALID', `${file} is not a regular file; a config can only include files.`)
    if (stat.size > MAX_CONFIG_FILE_BYTES)
      throw new MigrateError('CONFIG_INVALID', `${file} is larger than ${MAX_CONFIG_FILE_BYTES} bytes: not a config.`)
    return fs.readFileSync(fd, 'utf8')
  } finally {
    fs.closeSync(fd)
  }
}

export function parseJson5File(file: string): unknown {
  let text: string
  try {
    text = readConfigText(file)
  } catch (error) {
    if (error instanceof MigrateError) throw error
    throw new MigrateError(
      'SOURCE_UNREADABLE',
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
      {
        suggestions: ['Check the file exists and is readable by this user.'],
      },
    )
  }

  try {
    return JSON5.parse(text)
  } catch (error) {
    // JSON5 errors carry line/column only, never the offending text: safe to show.
    const {columnNumber, lineNumber} = error as {columnNumber?: number; lineNumber?: number}
    throw new MigrateError(
      'CONFIG_INVALID',
      `${file} is not valid JSON5 (line ${lineNumber ?? '?'}, column ${columnNumber ?? '?'}).`,
      {
        suggestions: ['Fix the syntax, then run `openclaw config validate`.'],
      },
    )
  }
}

/**
 * Reads the config like the host: JSON5, `$include` (a path or a list, relative to the including
 * file) resolved recursively and deep-merged, sibling keys winning over included ones.
 */
export function loadConfig(configPath: string, options: {within?: string[]} = {}): LoadedConfig {
  const files: string[] = []
  if (!fs.existsSync(configPath)) return {exists: false, files, merged: {}}

  const resolveNode = (node: unknown, baseDir: string, chain: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => resolveNode(n, baseDir, chain))
    if (!isObject(node)) return node
    let result: unknown = {}
    const include = node[INCLUDE_KEY]
    if (include !== undefined) {
      const list = Array.isArray(include) ? include : [include]
      for (const entry of list) {
        if (typeof entry !== 'string')
          throw new MigrateError('CONFIG_INVALID', `A $include in ${chain.at(-1)} is not a path.`)
        const target = path.resolve(
          baseDir,
          entry.startsWith('~/') ? path.join(process.env.HOME ?? '', entry.slice(2)) : entry,
        )
        // After an import, the config is the archive's: it may include only files inside what was imported.
        if (options.within && !options.within.some((r) => target === r || target.startsWith(`${r}${path.sep}`)))
          throw new MigrateError('CONFIG_INVALID', `${chain.at(-1)} includes ${target}, outside everything imported.`)
        if (chain.includes(target))
          throw new MigrateError('CONFIG_INVALID', `Circular $include: ${[...chain, target].join(' -> ')}.`)
        if (chain.length > MAX_INCLUDE_DEPTH)
          throw new MigrateError('CONFIG_INVALID', `$include nesting deeper than ${MAX_INCLUDE_DEPTH} at ${target}.`)
        if (!fs.existsSync(target)) {
          throw new MigrateError(
            'CONFIG_INCLUDE_MISSING',
            `${chain.at(-1)} includes ${target}, which does not exist.`,
            {
              suggestions: ['Restore the included file or remove the $include, then run `openclaw config validate`.'],
            },
          )
        }

        if (!files.includes(target)) files.push(target)
        result = deepMerge(result, resolveNode(parseJson5File(target), path.dirname(target), [...chain, target]))
      }
    }

    const own: JsonObject = {}
    for (const [k, v] of Object.entries(node)) if (k !== INCLUDE_KEY) own[k] = resolveNode(v, baseDir, chain)
    return deepMerge(result, own)
  }

  files.push(configPath)
  const merged = resolveNode(parseJson5File(configPath), path.dirname(configPath), [configPath])
  if (!isObject(merged)) throw new MigrateError('CONFIG_INVALID', `${configPath} does not hold a JSON object.`)
  return {exists: true, files, merged}
}

export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj
  for (const key of dotted.split('.')) {
    if (!isObject(cur)) return undefined
    cur = cur[key]
  }

  return cur
}

export type AgentConfig = {
  agentDir?: string
  id: string
  workspace?: string
}

/**
 * Agents as configured. The host has used both `agents.entries.<id>` and `agents.list[]`;
 * both are read so no workspace is missed.
 */
export function configuredAgents(config: JsonObject): {agents: AgentConfig[]; defaultWorkspace?: string} {
  const agents = new Map<string, AgentConfig>()
  const add = (id: unknown, value: unknown) => {
    if (typeof id !== 'string' || !isObject(value)) return
    const prev = agents.get(id) ?? {id}
    if (typeof value.workspace === 'string') prev.workspace = value.workspace
    if (typeof value.agentDir === 'string') prev.agentDir = value.agentDir
    agents.set(id, prev)
  }

  const entries = getPath(config, 'agents.entries')
  if (isObject(entries)) for (const [id, v] of Object.entries(entries)) add(id, v)
  const list = getPath(config, 'agents.list')
  if (Array.isArray(list)) for (const v of list) if (isObject(v)) add(v.id, v)
  const defaultWorkspace = getPath(config, 'agents.defaults.workspace')
  return {
    agents: [...agents.values()],
    defaultWorkspace: typeof defaultWorkspace === 'string' ? defaultWorkspace : undefined,
  }
}
