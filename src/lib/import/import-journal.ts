import fs from 'node:fs'
import path from 'node:path'

import type {StagedRoot} from './staging.js'

import {ourCommand} from '../cli-face.js'
import {MigrateError} from '../errors.js'
import {boundedSibling, fileStamp} from '../util/paths.js'
import {processAlive} from '../util/process.js'
import {ASIDE_MARK, UNDONE_MARK} from './aside-names.js'
import {journalProblem} from './journal-validation.js'

export {ASIDE_MARK, UNDONE_MARK} from './aside-names.js'

export type JournalState =
  'abandoned' | 'activated' | 'activating' | 'rollback-failed' | 'rolled-back' | 'staging' | 'undone'

export type JournalStep = {
  /** Planned before the rename, so a crash in between can still be undone. */
  aside: null | string
  createdParents: string[]
  nested: boolean
  phase: 'activated' | 'moved-aside' | 'pending'
  rootId: string
  staging: string
  target: string
  /** Where `--undo` stepped the imported copy away to (`<target>.undone-<UTC>`). */
  undone?: string
}

export type ImportJournal = {
  /** When activation completed: undo goes by this order, not by start order. */
  activatedAt?: string
  archiveId: string
  createdAt: string
  pid: number
  profiles: Array<{source: null | string; stateDir: string; target: null | string}>
  /** Copies of this run (asides, undone copies) removed by `import --prune-asides`, and when. */
  pruned?: Array<{at: string; path: string}>
  /** Files changed by rebasing, relative to their root, for `check --against`. */
  rewritten: Array<{rel: string; rootId: string}>
  runId: string
  state: JournalState
  steps: JournalStep[]
  targets: Array<{rootId: string; target: string}>
  undoneAt?: string
  /** What a rollback that failed could not do, as exact steps for the user ('rollback-failed'). */
  unresolved?: string[]
  version: 1
}

const MAX_JOURNAL_BYTES = 64 * 1024 * 1024

export function journalDir(home: string): string {
  return path.join(home, '.openclaw-migrate', 'imports')
}

/**
 * Writes the journal durably: the new content is flushed to the disk before it replaces the old
 * one by rename, and the directory is flushed after, so a power cut leaves either the old or the
 * new journal, never an empty or missing one.
 */
export function saveJournal(home: string, journal: ImportJournal): void {
  const dir = journalDir(home)
  fs.mkdirSync(dir, {mode: 0o700, recursive: true})
  const file = path.join(dir, `${journal.runId}.json`)
  const tmp = `${file}.tmp`
  const fd = fs.openSync(tmp, 'w', 0o600)
  try {
    fs.writeFileSync(fd, JSON.stringify(journal, null, 2))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }

  fs.renameSync(tmp, file)
  syncDir(dir)
}

/** fsync(2) of a directory, so a rename or removal in it survives a power cut. */
export function syncDir(dir: string): void {
  let fd: number
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY)
  } catch {
    return
  }

  try {
    fs.fsyncSync(fd)
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL); the rename is then as durable as they make it.
  } finally {
    fs.closeSync(fd)
  }
}

export function listJournals(home: string): ImportJournal[] {
  const dir = journalDir(home)
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .toSorted()
    .map((n) => {
      try {
        const file = path.join(dir, n)
        // Only a regular file of ours; a journal that names anything this tool did not make is ignored.
        if (!fs.lstatSync(file).isFile() || fs.statSync(file).size > MAX_JOURNAL_BYTES) return null
        const journal = JSON.parse(fs.readFileSync(file, 'utf8')) as ImportJournal
        return journalProblem(journal, n, home) === null ? journal : null
      } catch {
        return null
      }
    })
    .filter((j): j is ImportJournal => j !== null)
}

export function newJournal(runId: string, archiveId: string, staged: StagedRoot[]): ImportJournal {
  return {
    archiveId,
    createdAt: new Date().toISOString(),
    pid: process.pid,
    profiles: [],
    rewritten: [],
    runId,
    state: 'staging',
    steps: staged.map((s) => ({
      aside: null,
      createdParents: s.createdParents,
      nested: Boolean(s.nestedIn),
      phase: 'pending',
      rootId: s.root.id,
      staging: s.staging,
      // Real paths: a linked state dir is activated, rolled back and undone at its real dir, the link untouched.
      target: s.landing ?? s.target,
    })),
    // Where each root is reached (a linked state dir through its link), for `check --against`.
    targets: staged.map((s) => ({rootId: s.root.id, target: s.target})),
    version: 1,
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p)
    return true
  } catch {
    return false
  }
}

/**
 * Activation: each top-level staged root replaces its target by rename; an existing target is
 * first renamed aside to `<target>.pre-migrate-<UTC>`. Every intent is journaled before it is
 * done, so an interruption at any point can be rolled back exactly.
 */
export function activate(home: string, journal: ImportJournal, stamp = fileStamp()): void {
  journal.state = 'activating'
  saveJournal(home, journal)
  for (const step of journal.steps) {
    if (step.nested) continue
    if (exists(step.target)) {
      // A second import within the same second must not collide with the first one's aside.
      step.aside = boundedSibling(step.target, `${ASIDE_MARK}${stamp}`)
      for (let n = 2; exists(step.aside); n++) step.aside = boundedSibling(step.target, `${ASIDE_MARK}${stamp}-${n}`)
      saveJournal(home, journal)
      fs.renameSync(step.target, step.aside)
    }

    step.phase = 'moved-aside'
    saveJournal(home, journal)
    fs.renameSync(step.staging, step.target)
    step.phase = 'activated'
    syncDir(path.dirname(step.target))
    saveJournal(home, journal)
  }

  journal.state = 'activated'
  journal.activatedAt = new Date().toISOString()
  saveJournal(home, journal)
}

/**
 * Puts everything back as it was before activation began; the imported copy is discarded. Each
 * step is tried on its own: what cannot be done is recorded in the journal (`rollback-failed`)
 * as the exact command to run, and never blocks later imports.
 */
export function rollBack(home: string, journal: ImportJournal): void {
  const unresolved: string[] = []
  const attempt = (what: string, fn: () => void) => {
    try {
      fn()
    } catch (error) {
      unresolved.push(`${what} (failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
  }

  for (const step of journal.steps.toReversed()) {
    if (step.nested) continue
    const activated =
      step.phase === 'activated' || (step.phase === 'moved-aside' && !exists(step.staging) && exists(step.target))
    if (activated && exists(step.target)) {
      // The imported copy goes back to its staging name and is removed below: the archive still has it.
      attempt(`mv ${shellQuote(step.target)} ${shellQuote(step.staging)}`, () => {
        fs.renameSync(step.target, step.staging)
      })
    }

    if (step.aside && exists(step.aside) && !exists(step.target))
      attempt(`mv ${shellQuote(step.aside)} ${shellQuote(step.target)}`, () => {
        fs.renameSync(step.aside!, step.target)
      })
    step.phase = 'pending'
  }

  for (const step of journal.steps)
    if (!step.nested)
      attempt(`rm -rf ${shellQuote(step.staging)}`, () => {
        fs.rmSync(step.staging, {force: true, recursive: true})
      })
  for (const step of journal.steps.toReversed()) {
    for (const d of step.createdParents.toReversed()) {
      try {
        fs.rmdirSync(d)
      } catch {
        // in use: keep
      }
    }
  }

  if (unresolved.length > 0) {
    journal.state = 'rollback-failed'
    journal.unresolved = unresolved
    saveJournal(home, journal)
    return
  }

  if (journal.state === 'staging') {
    // Nothing was ever activated: leave the machine exactly as it was, journal included.
    forgetJournal(home, journal)
    return
  }

  journal.state = 'rolled-back'
  saveJournal(home, journal)
}

function shellQuote(p: string): string {
  return `'${p.replaceAll("'", String.raw`'\''`)}'`
}

/** Removes a journal that records nothing done, and the journal dirs if that leaves them empty. */
function forgetJournal(home: string, journal: ImportJournal): void {
  const dir = journalDir(home)
  fs.rmSync(path.join(dir, `${journal.runId}.json`), {force: true})
  for (const d of [dir, path.dirname(dir)]) {
    try {
      fs.rmdirSync(d)
    } catch {
      return // other journals are kept there
    }
  }
}

/**
 * Finishes the business of an import that was killed: staging removed, half activation undone.
 * A journal whose rollback fails is left in 'rollback-failed' with its manual steps (see
 * `unresolvedJournals`); it never stops this run.
 */
export function recoverInterrupted(home: string): ImportJournal[] {
  const recovered: ImportJournal[] = []
  for (const journal of listJournals(home)) {
    if ((journal.state === 'staging' || journal.state === 'activating') && !processAlive(journal.pid)) {
      try {
        rollBack(home, journal)
      } catch {
        continue // not even the journal could be written: it is tried again next time
      }

      recovered.push(journal)
    }
  }

  return recovered
}

/** Journals whose rollback could not be completed, with what the user must do by hand. */
export function unresolvedJournals(home: string): ImportJournal[] {
  return listJournals(home).filter((j) => j.state === 'rollback-failed')
}

/** The import `--undo` reverts: the last one activated (not the last one started). */
export function lastActivatedImport(home: string): ImportJournal {
  // Two overlapping imports are undone in the order they were activated, whatever order they started in.
  const journal = listJournals(home)
    .filter((j) => j.state === 'activated')
    .toSorted((a, b) => (a.activatedAt ?? a.createdAt).localeCompare(b.activatedAt ?? b.createdAt))
    .at(-1)
  if (!journal) {
    throw new MigrateError('UNDO_NOTHING', 'There is no completed import to undo on this machine.', {
      suggestions: [
        `Undo reverts the last completed import of this user, once; none is recorded in ${journalDir(home)}. To import again: ${ourCommand('import <archive>')}`,
      ],
    })
  }

  return journal
}

/**
 * Refuses an undo that could not put back what the import replaced: a moved-aside copy that is gone
 * (removed by `import --prune-asides`, or by hand). Nothing is moved then: stepping the imported
 * state away would leave no state at all where the old one was.
 */
export function assertUndoable(journal: ImportJournal): void {
  const gone = journal.steps.filter((s) => !s.nested && s.aside !== null && !exists(s.aside))
  if (gone.length === 0) return
  const how = (aside: string) => {
    const pruned = journal.pruned?.find((p) => p.path === aside)
    return pruned ? `removed by \`import --prune-asides\` at ${pruned.at}` : 'no longer there'
  }

  throw new MigrateError(
    'UNDO_ASIDE_GONE',
    `Import ${journal.runId} cannot be undone: what it replaced can no longer be restored: ${gone.map((s) => `${s.target} (its copy ${s.aside} was ${how(s.aside!)})`).join('; ')}. Nothing was changed; the imported state stays in place.`,
    {
      details: {gone: gone.map((s) => ({aside: s.aside, target: s.target})), runId: journal.runId},
      suggestions: [
        'Keep using the imported state, or import an archive of the old state again.',
        `To see the copies that are left: ${ourCommand('import --list-asides')}`,
      ],
    },
  )
}

/** `import --undo`: the imported state steps aside, the moved-aside state comes back. Nothing is deleted. */
export function undoImport(
  home: string,
  journal: ImportJournal,
  stamp = fileStamp(),
): Array<{from: null | string; importedNowAt: string; target: string}> {
  assertUndoable(journal)
  const restored: Array<{from: null | string; importedNowAt: string; target: string}> = []
  for (const step of journal.steps.toReversed()) {
    if (step.nested) continue
    let importedNowAt = boundedSibling(step.target, `${UNDONE_MARK}${stamp}`)
    for (let n = 2; exists(importedNowAt); n++)
      importedNowAt = boundedSibling(step.target, `${UNDONE_MARK}${stamp}-${n}`)
    if (exists(step.target)) {
      step.undone = importedNowAt
      fs.renameSync(step.target, importedNowAt)
    }

    if (step.aside && exists(step.aside)) fs.renameSync(step.aside, step.target)
    syncDir(path.dirname(step.target))
    restored.push({from: step.aside, importedNowAt, target: step.target})
  }

  journal.state = 'undone'
  journal.undoneAt = new Date().toISOString()
  saveJournal(home, journal)
  return restored
}
