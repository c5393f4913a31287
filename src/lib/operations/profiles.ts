import fs from 'node:fs'
import path from 'node:path'

import type {ProfileSource} from '../inventory/export-plan.js'

import {isDirFollowingLinks} from '../util/paths.js'

/**
 * The default profile and every `~/.openclaw-<name>` next to it (moved-aside copies excluded).
 * A name that is not a directory (a dangling link, a file) is no profile: it is skipped with a warning.
 */
export function listProfileSources(home: string, warnings: string[] = []): ProfileSource[] {
  const sources: ProfileSource[] = []
  const main = path.join(home, '.openclaw')
  if (fs.existsSync(main)) sources.push({configPath: path.join(main, 'openclaw.json'), profile: null, stateDir: main})
  for (const name of fs.readdirSync(home).toSorted()) {
    const match = /^\.openclaw-([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(name)
    if (!match || name.includes('.pre-migrate-') || name.includes('.undone-')) continue
    const dir = path.join(home, name)
    if (isDirFollowingLinks(dir))
      sources.push({configPath: path.join(dir, 'openclaw.json'), profile: match[1], stateDir: dir})
    else warnings.push(`${dir} is not a directory (a dangling symlink?); it is not exported as a profile.`)
  }

  return sources
}
