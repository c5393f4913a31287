import fs from 'node:fs'
import path from 'node:path'

import type {PluginRecord} from '../archive/manifest.js'

import {readJsonCell} from '../sqlite/sqlite-scan.js'
import {isDirFollowingLinks} from '../util/paths.js'
import {isOwnPlugin} from '../util/tool-info.js'
import {getPath, type JsonObject} from './config-reader.js'

function readJson(file: string): null | Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}

/**
 * Installed plugins, recorded so import can reinstall them: their packages (npm/, extensions'
 * node_modules) are not exported because they are rebuilt per machine.
 * Sources: the config's install records, and the npm project dirs the host installs into.
 */
export function listInstalledPlugins(stateDir: string, config: JsonObject): PluginRecord[] {
  // This tool's own entry (left by a native install, even a failed one) is never carried to be reinstalled.
  return installRecords(stateDir, config).filter((p) => !isOwnPlugin(p))
}

/** Every install record of the state dir, this tool's own included, sorted by id. */
export function installRecords(stateDir: string, config: JsonObject): PluginRecord[] {
  const plugins = new Map<string, PluginRecord>()
  const installs = getPath(config, 'plugins.installs')
  if (installs && typeof installs === 'object') {
    for (const [id, raw] of Object.entries(installs as Record<string, unknown>)) {
      const rec = (raw ?? {}) as Record<string, unknown>
      const spec =
        typeof rec.spec === 'string'
          ? rec.spec
          : typeof rec.source === 'string' && typeof rec.name === 'string'
            ? String(rec.name)
            : null
      plugins.set(id, {
        id,
        source: 'config plugins.installs',
        spec,
        version: typeof rec.version === 'string' ? rec.version : null,
      })
    }
  }

  // The host's own install index, wherever its version keeps it: the authoritative record of what `plugins install` did.
  for (const {records, source} of installIndexes(stateDir)) {
    for (const [id, rec] of Object.entries(records)) {
      if (!plugins.has(id) && (rec.spec || rec.source === 'npm')) {
        plugins.set(id, {
          id,
          source,
          spec: reinstallSpec(rec),
          version: typeof rec.version === 'string' ? rec.version : null,
        })
      }
    }
  }

  const projects = path.join(stateDir, 'npm', 'projects')
  if (fs.existsSync(projects)) {
    for (const dir of walkPackageDirs(projects)) {
      const pkg = readJson(path.join(dir, 'package.json'))
      const deps = (pkg?.dependencies ?? {}) as Record<string, string>
      for (const [name, range] of Object.entries(deps)) {
        const installed = readJson(path.join(dir, 'node_modules', name, 'package.json'))
        const manifest = readJson(path.join(dir, 'node_modules', name, 'openclaw.plugin.json'))
        // The host also pins plain dependencies in these projects (e.g. picomatch): only plugin packages count.
        if (!manifest && !(installed?.openclaw as undefined | {extensions?: unknown})?.extensions) continue
        const id = typeof manifest?.id === 'string' ? manifest.id : name
        const known = [...plugins.values()].some((p) => p.spec?.startsWith(`${name}@`))
        if (!plugins.has(id) && !known) {
          plugins.set(id, {
            id,
            source: `npm/projects/${path.relative(projects, dir)}`,
            spec: range.startsWith('file:') ? null : `${name}@${installed?.version ?? range}`,
            version: typeof installed?.version === 'string' ? installed.version : null,
          })
        }
      }
    }
  }

  const extensions = path.join(stateDir, 'extensions')
  if (fs.existsSync(extensions)) {
    for (const name of fs.readdirSync(extensions)) {
      const pkg = readJson(path.join(extensions, name, 'package.json'))
      const manifest = readJson(path.join(extensions, name, 'openclaw.plugin.json'))
      const id = typeof manifest?.id === 'string' ? manifest.id : name
      // A local plugin dir travels as files; its name@version on npm could be someone else's package,
      // so it is never reinstalled from the registry (spec null): only its dependencies need reinstalling.
      if (!plugins.has(id) && pkg)
        plugins.set(id, {
          id,
          source: `extensions/${name}`,
          spec: null,
          version: typeof pkg.version === 'string' ? pkg.version : null,
        })
    }
  }

  return [...plugins.values()].sort((a, b) => a.id.localeCompare(b.id))
}

function* walkPackageDirs(dir: string, depth = 0): Generator<string> {
  if (depth > 2) return
  if (fs.existsSync(path.join(dir, 'package.json'))) {
    yield dir
    return
  }

  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name)
    if (name !== 'node_modules' && isDirFollowingLinks(full)) yield* walkPackageDirs(full, depth + 1)
  }
}

type InstallRecord = {artifactKind?: unknown; source?: unknown; sourcePath?: unknown; spec?: unknown; version?: unknown}

/**
 * How to install a recorded plugin again. A plugin installed from a local tarball
 * (`plugins install npm-pack:/path/pkg.tgz`) is recorded with `spec: "<name>@<version>"` and
 * `artifactKind: "npm-pack"`: that name is usually not on the npm registry, the tarball is.
 */
function reinstallSpec(rec: InstallRecord): null | string {
  if (rec.artifactKind === 'npm-pack' || (typeof rec.spec === 'string' && rec.spec.startsWith('npm-pack:'))) {
    return typeof rec.sourcePath === 'string' && path.isAbsolute(rec.sourcePath) ? `npm-pack:${rec.sourcePath}` : null
  }

  return typeof rec.spec === 'string' ? rec.spec : null
}

type Records = Record<string, InstallRecord>

function asRecords(value: unknown): Records {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Records) : {}
}

/**
 * Install records of every layout: 2026.8+ `config_machine_state['plugins.installedIndex']`,
 * 2026.6 `installed_plugin_index.install_records_json`, and the older `plugins/installs.json`
 * (2026.4 kept them in the config's `plugins.installs`, read above).
 */
function installIndexes(stateDir: string): Array<{records: Records; source: string}> {
  const db = path.join(stateDir, 'state', 'openclaw.sqlite')
  const out: Array<{records: Records; source: string}> = []
  if (fs.existsSync(db)) {
    const machine = readJsonCell(
      db,
      "SELECT value_json AS v FROM config_machine_state WHERE state_key = 'plugins.installedIndex'",
    ) as null | {index?: {installRecords?: unknown}}
    out.push({records: asRecords(machine?.index?.installRecords), source: 'state db plugins.installedIndex'})
    const index = readJsonCell(
      db,
      "SELECT install_records_json AS v FROM installed_plugin_index WHERE index_key = 'installed-plugin-index'",
    )
    out.push({records: asRecords(index), source: 'state db installed_plugin_index'})
  }

  const legacy = readJson(path.join(stateDir, 'plugins', 'installs.json'))
  out.push({records: asRecords(legacy?.installRecords ?? legacy?.installs), source: 'plugins/installs.json'})
  return out
}
