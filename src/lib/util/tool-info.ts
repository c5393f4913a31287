import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

let cached: string | undefined

/** This package's version, read once from package.json (works from src/ and dist/). */
export function toolVersion(): string {
  if (cached) return cached
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string
  }
  cached = pkg.version
  return cached
}

let ownIds: null | Set<string> = null

/**
 * Names this tool goes by as an OpenClaw plugin: the id in our openclaw.plugin.json and our npm
 * package name. Its entry in a state is never something to reinstall from an archive.
 */
export function ownPluginIds(): Set<string> {
  if (ownIds) return ownIds
  ownIds = new Set<string>()
  for (const [file, key] of [
    ['../../../openclaw.plugin.json', 'id'],
    ['../../../package.json', 'name'],
  ] as const) {
    try {
      const value = (
        JSON.parse(fs.readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8')) as Record<string, unknown>
      )[key]
      if (typeof value === 'string') ownIds.add(value)
    } catch {}
  }

  return ownIds
}

/** True when a plugin record is this tool itself (by id, or by the package its spec names). */
export function isOwnPlugin(plugin: {id: string; spec?: null | string}): boolean {
  const ids = ownPluginIds()
  if (ids.has(plugin.id)) return true
  const spec = plugin.spec ?? ''
  return [...ids].some((name) => name.startsWith('@') && (spec === name || spec.startsWith(`${name}@`)))
}
