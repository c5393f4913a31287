import fs from 'node:fs'
import path from 'node:path'

import type {ProfileSource} from '../inventory/export-plan.js'

/** The default profile and every `~/.openclaw-<name>` next to it (moved-aside copies excluded). */
export function listProfileSources(home: string): ProfileSource[] {
  const sources: ProfileSource[] = []
  const main = path.join(home, '.openclaw')
  if (fs.existsSync(main)) sources.push({configPath: path.join(main, 'openclaw.json'), profile: null, stateDir: main})
  for (const name of fs.readdirSync(home).toSorted()) {
    const match = /^\.openclaw-([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(name)
    if (!match || name.includes('.pre-migrate-')) continue
    const dir = path.join(home, name)
    if (fs.statSync(dir).isDirectory())
      sources.push({configPath: path.join(dir, 'openclaw.json'), profile: match[1], stateDir: dir})
  }

  return sources
}
