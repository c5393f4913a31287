import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../../errors.js'
import {openReadOnlyQuiet} from '../../sqlite/sqlite-snapshot.js'

/** How far back from a mention a home may start: a path, not a paragraph. */
const MAX_HOME_LENGTH = 256
/** Mentions looked at per text: a config or a state row names the home a few times, not thousands. */
const MAX_MENTIONS = 200
const POSIX_HOME = /^\/[^\s"'\\:*?<>|]+$/
const WINDOWS_HOME = /^[A-Za-z]:(\\[^\s"'\\/:*?<>|]+)+$/

/**
 * The old home of a plain tar: its paths are relative to the home (`cd ~ && tar … .openclaw`), and
 * the home itself is only written inside the state, in absolute paths that end in one of the
 * archived dir names (`/home/ana/.openclaw-work/…` in the config, a cron job's store key…).
 * Every such mention votes for its prefix; the most frequent wins. The search is by plain string
 * search and a bounded look back, linear in the text whatever an archive puts in it.
 */
export class HomeVotes {
  readonly votes = new Map<string, number>()

  constructor(private readonly names: string[]) {}

  add(text: string): void {
    let mentions = 0
    for (const name of this.names) {
      for (
        let at = text.indexOf(name);
        at !== -1 && mentions < MAX_MENTIONS;
        at = text.indexOf(name, at + name.length)
      ) {
        mentions++
        const after = text[at + name.length]
        if (after !== undefined && !/[/\\"'\s]/.test(after)) continue
        // posix `/home/ana/.openclaw`, Windows `C:\Users\ana\.openclaw`, or the same escaped in JSON.
        let end = at - 1
        if (text[end] !== '/' && text[end] !== '\\') continue
        if (end > 0 && text[end - 1] === '\\') end--
        let start = end
        while (start > 0 && end - start < MAX_HOME_LENGTH && !/[\s"'`]/.test(text[start - 1])) start--
        const home = text.slice(start, end).replaceAll('\\\\', '\\')
        if (!POSIX_HOME.test(home) && !WINDOWS_HOME.test(home)) continue
        this.votes.set(home, (this.votes.get(home) ?? 0) + 1)
      }
    }
  }

  addFile(file: string): void {
    try {
      this.add(fs.readFileSync(file, 'utf8'))
    } catch {
      // unreadable copy: no vote
    }
  }

  /** Text cells of a database copy that mention one of the names (read-only, first rows only). */
  addDatabase(file: string, needles: string[]): void {
    let db: ReturnType<typeof openReadOnlyQuiet> | undefined
    try {
      db = openReadOnlyQuiet(file)
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        .all() as Array<{name: string}>
      const q = (id: string) => `"${id.replaceAll('"', '""')}"`
      for (const {name} of tables.slice(0, 200)) {
        const cols = db.prepare('SELECT name, type FROM pragma_table_info(?)').all(name) as Array<{
          name: string
          type: string
        }>
        for (const c of cols) {
          if (c.type !== '' && !/TEXT|CHAR|CLOB|JSON/i.test(c.type)) continue
          const where = needles.map(() => `instr(${q(c.name)}, ?) > 0`).join(' OR ')
          const rows = db
            .prepare(
              `SELECT ${q(c.name)} AS v FROM ${q(name)} WHERE typeof(${q(c.name)}) = 'text' AND (${where}) LIMIT 5`,
            )
            .all(...needles) as Array<{v: string}>
          for (const r of rows) this.add(r.v.slice(0, 64 * 1024))
        }
      }
    } catch {
      // not a database we can read: no vote
    } finally {
      db?.close()
    }
  }

  best(): null | string {
    let best: null | string = null
    let n = 0
    for (const [home, count] of this.votes) if (count > n) [best, n] = [home, count]
    return best
  }
}

/** A `--from-home` value: absolute, normalised, no trailing separator. */
export function normaliseFromHome(value: string): string {
  if (!value.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(value))
    throw new MigrateError('USAGE', `--from-home ${value} is not an absolute path.`, {
      suggestions: ["Pass the old machine's home as it was there, e.g. --from-home /home/ana"],
    })
  if (/^[A-Za-z]:[\\/]/.test(value)) return value.replace(/[\\/]+$/, '')
  return path.posix.normalize(value).replace(/(.)\/+$/, '$1')
}
