import {confirm} from '@inquirer/prompts'

import type {AsideCopy} from '../import/asides.js'
import type {AsidesListing, PruneOutcome} from '../operations/asides-operation.js'

import {ourCommand} from '../cli-face.js'
import {MigrateError} from '../errors.js'
import {humanBytes, plural} from '../util/paths.js'
import {terminalSafe} from '../util/terminal-text.js'

const WHAT: Record<AsideCopy['kind'], (a: AsideCopy) => string> = {
  'moved-aside': (a) => `moved aside before ${a.run ? `import ${a.run}` : 'an import'} (was ${a.of})`,
  retired: (a) => `retired by \`migrate push\`${a.run ? ` (${a.run})` : ''} (was ${a.of})`,
  undone: (a) => `the imported copy \`import --undo\` stepped away${a.run ? ` (import ${a.run})` : ''} (was ${a.of})`,
}

function age(since: string, now: number): string {
  const hours = Math.max(0, Math.floor((now - Date.parse(since)) / 3_600_000))
  return hours < 48 ? `${plural(hours, 'hour')} old` : `${plural(Math.floor(hours / 24), 'day')} old`
}

/** One copy: path, what it is, age, size, that it holds secrets, and what removing it costs. */
export function describeAside(a: AsideCopy, now = Date.now()): string {
  const lines = [
    `  ${a.path}`,
    `    ${WHAT[a.kind](a)}; ${age(a.since, now)} (${a.since}); ${a.type === 'dir' ? `${humanBytes(a.bytes)} in ${plural(a.files, 'file')}` : humanBytes(a.bytes)}; holds secrets`,
  ]
  if (a.keptBecause) lines.push(`    kept: ${a.keptBecause}`)
  else if (a.consequence) lines.push(`    once removed, ${a.consequence}`)
  return lines.join('\n')
}

export function renderAsides(listing: AsidesListing): string {
  const within = listing.olderThan ? ` older than ${listing.olderThan}` : ''
  if (listing.asides.length === 0) return `No copies left behind by imports, undos or pushes${within}.`
  return [
    `${plural(listing.asides.length, 'copy', 'copies')}${within} left behind by imports, undos or pushes (${humanBytes(listing.totalBytes)}); they hold secrets (API keys, channel logins, bot tokens):`,
    ...listing.asides.map((a) => describeAside(a)),
    `Remove them: ${ourCommand(`import --prune-asides${listing.olderThan ? ` --older-than ${listing.olderThan}` : ''}`)}`,
  ].join('\n')
}

export function renderPrune(outcome: PruneOutcome): string {
  const lines: string[] = []
  if (outcome.declined) lines.push('Nothing was removed.')
  else if (outcome.removed.length === 0 && outcome.failed.length === 0) lines.push('Nothing to remove.')
  for (const r of outcome.removed) lines.push(`removed ${r.path} (${humanBytes(r.bytes)})`)
  for (const f of outcome.failed) lines.push(`could not remove ${f.path}: ${f.reason}`)
  for (const k of outcome.kept) lines.push(`kept ${k.path}: ${k.keptBecause}`)
  return lines.join('\n')
}

/**
 * The yes a prune needs: asked on a terminal, or given with --yes. Without either (a script, CI,
 * --json) nothing is removed and the error says what to run.
 */
export function pruneConfirmation(options: {interactive: boolean; olderThan?: string; yes: boolean}) {
  return async (asides: AsideCopy[]): Promise<boolean> => {
    if (options.yes) return true
    const total = humanBytes(asides.reduce((n, a) => n + a.bytes, 0))
    if (!options.interactive || !process.stdin.isTTY || !process.stderr.isTTY)
      throw new MigrateError(
        'CONFIRMATION_REQUIRED',
        `Pruning would remove ${plural(asides.length, 'copy', 'copies')} (${total}) for good, and there is no terminal to ask on; nothing was removed.`,
        {
          details: {paths: asides.map((a) => a.path)},
          suggestions: [
            `See them: ${ourCommand('import --list-asides')}`,
            `Remove them without asking: ${ourCommand(`import --prune-asides${options.olderThan ? ` --older-than ${options.olderThan}` : ''} --yes`)}`,
          ],
        },
      )
    process.stderr.write(`${terminalSafe(asides.map((a) => describeAside(a)).join('\n'))}\n`)
    return confirm(
      {default: false, message: `Remove ${plural(asides.length, 'copy', 'copies')} (${total}) for good?`},
      {output: process.stderr},
    )
  }
}
