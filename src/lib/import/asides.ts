import fs from 'node:fs'
import path from 'node:path'

import {listRetired} from '../push/retire.js'
import {isInside} from '../util/paths.js'
import {type AsideKind, isCopyOf, markedName, parseMarked, stampTime} from './aside-names.js'
import {type ImportJournal, listJournals} from './import-journal.js'
import {OPENCLAW_DOT} from './placement-rules.js'

/** A copy this tool left behind: a state moved aside by an import, stepped away by an undo, or retired by a push. */
export type AsideCopy = {
  bytes: number
  /** What removing it costs (an undo or a restore that could no longer bring it back), or null. */
  consequence: null | string
  files: number
  /** Always true: these are whole state dirs (API keys, channel logins) or configs (bot tokens). */
  holdsSecrets: true
  /** Why `--prune-asides` leaves it (an unfinished import needs it to roll back), or null. */
  keptBecause: null | string
  kind: AsideKind
  /** The path it is a copy of. */
  of: string
  path: string
  /** The import run or push record that made it, when a record of it is left. */
  run: null | string
  /** When it was made: the UTC time in its name (else its mtime). */
  since: string
  type: 'dir' | 'file'
}

export type AsideScope = {
  home: string
  /** The live state dir(s) and config of this profile: never listed, whatever their names. */
  live: string[]
}

/** Journal states in which the run may still roll back: its copies are not the user's to remove yet. */
const UNFINISHED = new Set(['activating', 'rollback-failed', 'staging'])

/** A path a record names (with what the record says of it), or a name found next to a known target. */
type Known = {extra?: Partial<AsideCopy>; kind?: AsideKind; of: string}

function realpathOrNull(p: string): null | string {
  try {
    return fs.realpathSync(p)
  } catch {
    return null
  }
}

/** Bytes and files below `p`, by lstat: a link is counted as itself, never followed. */
export function diskUsage(p: string): {bytes: number; files: number} {
  let bytes = 0
  let files = 0
  const stack = [p]
  while (stack.length > 0) {
    const current = stack.pop()!
    let stat: fs.Stats
    try {
      stat = fs.lstatSync(current)
    } catch {
      continue
    }

    if (stat.isDirectory()) {
      try {
        for (const name of fs.readdirSync(current)) stack.push(path.join(current, name))
      } catch {
        // unreadable: counted as far as it could be read
      }
    } else {
      bytes += stat.size
      files++
    }
  }

  return {bytes, files}
}

function journalNotes(journal: ImportJournal, known: Map<string, Known>): void {
  const unfinished = UNFINISHED.has(journal.state)
  for (const step of journal.steps) {
    if (step.nested) continue
    const kept = unfinished
      ? `import ${journal.runId} is unfinished (${journal.state}); its rollback needs this copy`
      : null
    if (step.aside)
      known.set(step.aside, {
        kind: 'moved-aside',
        extra: {
          consequence:
            journal.state === 'activated'
              ? `\`import --undo\` of import ${journal.runId} could no longer put back ${step.target}`
              : null,
          keptBecause: kept,
          run: journal.runId,
        },
        of: step.target,
      })
    if (step.undone)
      known.set(step.undone, {extra: {keptBecause: kept, run: journal.runId}, kind: 'undone', of: step.target})
  }
}

/**
 * Every copy this tool left behind for this home: those its import journals and push records name
 * (the exact paths), and those found by name next to the targets they name and the live state (a
 * record may be gone). Only exact names of ours, only real dirs and files (lstat: a link is never
 * followed, never listed), never the live state or anything around it.
 */
export function findAsides(scope: AsideScope): AsideCopy[] {
  const home = path.resolve(scope.home)
  const journals = listJournals(home)
  const known = new Map<string, Known>()
  const targets = new Set<string>()
  const live = new Set<string>()
  for (const p of scope.live) {
    live.add(path.resolve(p))
    const real = realpathOrNull(p)
    if (real) live.add(real)
  }

  for (const journal of journals) {
    for (const step of journal.steps) {
      if (step.nested) continue
      targets.add(step.target)
      // What an import put in place (or may still roll back) is live, whatever its name.
      if (journal.state === 'activated' || UNFINISHED.has(journal.state)) live.add(step.target)
      if (UNFINISHED.has(journal.state)) live.add(step.staging)
    }

    journalNotes(journal, known)
  }

  for (const record of listRetired(home)) {
    for (const move of Array.isArray(record.moves) ? record.moves : []) {
      if (typeof move?.from !== 'string' || typeof move.to !== 'string' || !path.isAbsolute(move.from)) continue
      if (!isCopyOf(move.to, move.from, 'retired')) continue
      targets.add(move.from)
      known.set(move.to, {
        kind: 'retired',
        extra: {
          consequence: record.restoredAt
            ? null
            : `\`push --restore-source\` could no longer bring back ${move.from} (pushed to ${record.host})`,
          run: record.id,
        },
        of: move.from,
      })
    }
  }

  for (const p of live) targets.add(p)

  const found = new Map<string, Known>()
  for (const [p, k] of known) found.set(p, k)
  for (const [dir, bases] of groupByDir(targets)) {
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }

    for (const name of names) {
      const marked = parseMarked(name)
      if (!marked) continue
      const p = path.join(dir, name)
      if (found.has(p)) continue
      const base = [...bases].find((b) => markedName(b, marked) === name)
      const stem = name.slice(0, -marked.suffix.length)
      // With no record left, a state dir of this home still says by its name whose copy it is.
      if (base !== undefined) found.set(p, {kind: marked.kind, of: path.join(dir, base)})
      else if (dir === home && OPENCLAW_DOT.test(stem)) found.set(p, {kind: marked.kind, of: path.join(dir, stem)})
    }
  }

  const copies: AsideCopy[] = []
  for (const [p, k] of found) {
    const copy = describe(p, k, live)
    if (copy) copies.push(copy)
  }

  return copies.toSorted((a, b) => a.path.localeCompare(b.path))
}

function groupByDir(paths: Iterable<string>): Map<string, Set<string>> {
  const byDir = new Map<string, Set<string>>()
  for (const p of paths) {
    const dir = path.dirname(p)
    if (!byDir.has(dir)) byDir.set(dir, new Set())
    byDir.get(dir)!.add(path.basename(p))
  }

  return byDir
}

function describe(p: string, k: Known, live: Set<string>): AsideCopy | null {
  const marked = parseMarked(path.basename(p))
  if (!marked || (k.kind && marked.kind !== k.kind) || !isCopyOf(p, k.of, marked.kind)) return null
  const stat = fs.lstatSync(p, {throwIfNoEntry: false})
  if (!stat || !(stat.isDirectory() || stat.isFile())) return null
  for (const l of live) if (isInside(l, p) || isInside(p, l)) return null
  const usage = diskUsage(p)
  return {
    bytes: usage.bytes,
    consequence: null,
    files: usage.files,
    holdsSecrets: true,
    keptBecause: null,
    kind: marked.kind,
    of: k.of,
    path: p,
    run: null,
    since: (stampTime(marked.stamp) ?? stat.mtime).toISOString(),
    type: stat.isDirectory() ? 'dir' : 'file',
    ...k.extra,
  }
}
