import JSON5 from 'json5'
import fs from 'node:fs'

import type {PluginRecord} from '../archive/manifest.js'

import {type JsonObject, loadConfig} from '../inventory/config-reader.js'
import {installRecords} from '../inventory/plugins.js'
import {isOwnPlugin, ownPluginIds} from '../util/tool-info.js'

export type DroppedPlugin = {id: string; reason: string}

/** A plugin to install again; `fromThisMachine` marks a record this machine wrote itself, never one from the archive. */
export type ReinstallPlugin = PluginRecord & {fromThisMachine?: boolean}

export type PluginPlan = {
  /** Installed plugins the new gateway would wait for forever: their config entries are removed. */
  dropped: DroppedPlugin[]
  /** Config entries that stay although the plugin cannot be reinstalled (--keep-plugin-entries). */
  kept: DroppedPlugin[]
  reinstall: ReinstallPlugin[]
}

function configuredPluginIds(config: JsonObject): Set<string> {
  const plugins = (config.plugins ?? {}) as {entries?: unknown; installs?: unknown}
  const ids = new Set<string>()
  for (const section of [plugins.entries, plugins.installs])
    if (section && typeof section === 'object' && !Array.isArray(section))
      for (const id of Object.keys(section)) ids.add(id)
  return ids
}

/** Why a recorded plugin cannot be installed again on this machine, or null when it can. */
function cannotReinstall(plugin: PluginRecord): null | string {
  if (plugin.spec === null)
    return plugin.source.startsWith('extensions/') ? null : `no install spec was recorded (${plugin.source})`
  if (plugin.spec.startsWith('npm-pack:') && !fs.existsSync(plugin.spec.slice('npm-pack:'.length)))
    return `it was installed from ${plugin.spec.slice('npm-pack:'.length)}, which is not on this machine`
  return null
}

/**
 * Which plugins the host chain reinstalls, and which configured plugins cannot come back here. A
 * configured plugin that is not installed keeps the new gateway in maintenance ("pending for
 * plugin(s)"), so those entries are dropped before the host starts, unless the user keeps them.
 * This tool's own entry is never reinstalled from the archive: when this machine had the plugin
 * installed before the import, its own install record is used again.
 */
export function planPlugins(
  archived: PluginRecord[],
  configPath: string,
  ownHere: null | PluginRecord,
  keep: boolean,
): PluginPlan {
  const plan: PluginPlan = {dropped: [], kept: [], reinstall: []}
  let configured = new Set<string>()
  let config: JsonObject = {}
  try {
    config = loadConfig(configPath).merged
    configured = configuredPluginIds(config)
  } catch {}

  const blocked: DroppedPlugin[] = []
  for (const plugin of archived) {
    const reason = cannotReinstall(plugin)
    if (reason) blocked.push({id: plugin.id, reason})
    else plan.reinstall.push({...plugin, fromThisMachine: false})
  }

  // Installed here before the import: it comes back whether or not the old machine had it, so the
  // command that ran the import is still there after it.
  if (ownHere) plan.reinstall.push({...ownHere, fromThisMachine: true})
  for (const id of configured) {
    if (!isOwnPlugin({id}) || ownHere) continue
    blocked.push({
      id,
      reason: `it is openclaw-migrate's own plugin entry from the old machine (install it here with \`openclaw plugins install @openclaw/plugin-migrate\` if you want \`openclaw ${[...ownPluginIds()][0] ?? 'migrate-machine'}\`)`,
    })
  }

  for (const entry of blocked) (keep ? plan.kept : plan.dropped).push(entry)
  return plan
}

/** This tool's install record in the state dir that was here before the import (read before it is moved aside). */
export function ownRecordIn(stateDir: string): null | PluginRecord {
  try {
    const configPath = `${stateDir}/openclaw.json`
    const config = fs.existsSync(configPath) ? loadConfig(configPath).merged : {}
    const plugins = (config.plugins ?? {}) as {installs?: Record<string, {sourcePath?: unknown; spec?: unknown}>}
    for (const [id, rec] of Object.entries(plugins.installs ?? {})) {
      if (!isOwnPlugin({id})) continue
      const spec =
        typeof rec.sourcePath === 'string' && rec.sourcePath.endsWith('.tgz') && fs.existsSync(rec.sourcePath)
          ? `npm-pack:${rec.sourcePath}`
          : typeof rec.spec === 'string'
            ? rec.spec
            : null
      if (spec && !cannotReinstall({id, source: 'this machine', spec, version: null}))
        return {id, source: 'this machine (before the import)', spec, version: null}
    }

    // Hosts since 2026.8 keep install records in the state database, not in the config.
    for (const record of installRecords(stateDir, config)) {
      if (!isOwnPlugin(record) || !record.spec || cannotReinstall(record)) continue
      return {...record, source: 'this machine (before the import)'}
    }
  } catch {}

  return null
}

/**
 * Removes the dropped plugins from the imported config (`plugins.entries`, `plugins.installs`,
 * `plugins.allow`). The host rewrites its config as plain JSON itself; comments cannot survive
 * this edit either. Returns true when the file changed.
 */
export function dropPluginEntries(configPath: string, ids: string[]): boolean {
  if (ids.length === 0) return false
  const text = fs.readFileSync(configPath, 'utf8')
  const config = JSON5.parse(text) as JsonObject
  const plugins = config.plugins as
    undefined | {allow?: unknown; entries?: Record<string, unknown>; installs?: Record<string, unknown>}
  if (!plugins || typeof plugins !== 'object') return false
  let changed = false
  for (const id of ids) {
    for (const section of [plugins.entries, plugins.installs])
      if (section && typeof section === 'object' && id in section) {
        delete section[id]
        changed = true
      }

    if (Array.isArray(plugins.allow) && plugins.allow.includes(id)) {
      plugins.allow = plugins.allow.filter((x) => x !== id)
      changed = true
    }
  }

  if (!changed) return false
  const mode = fs.statSync(configPath).mode & 0o777
  const temp = `${configPath}.migrate-${process.pid}`
  fs.writeFileSync(temp, JSON.stringify(config, null, 2) + '\n', {flag: 'wx', mode})
  fs.renameSync(temp, configPath)
  return true
}
