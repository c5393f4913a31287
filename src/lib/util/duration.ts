import {MigrateError} from '../errors.js'

const UNIT_MS: Record<string, number> = {d: 86_400_000, h: 3_600_000, m: 60_000, w: 7 * 86_400_000}

/**
 * `30d`, `12h`, `2w`, `90m` as milliseconds. Deliberately strict: a bare number or a typo must not
 * silently mean "everything" to a command that deletes.
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d{1,6})([dhmw])$/.exec(text.trim())
  if (!m)
    throw new MigrateError('USAGE', `${flag} ${text} is not a duration.`, {
      suggestions: [
        `Write a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), e.g. ${flag} 30d.`,
      ],
    })
  return Number(m[1]) * UNIT_MS[m[2]]
}
