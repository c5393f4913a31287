import fs from 'node:fs'
import path from 'node:path'

import type {HostContext} from '../host/host-context.js'

import {type AsideCopy, findAsides} from '../import/asides.js'
import {listJournals, saveJournal, syncDir} from '../import/import-journal.js'
import {acquireImportLock} from '../import/import-lock.js'
import {parseDuration} from '../util/duration.js'

export type AsidesRequest = {
  context: HostContext
  /** Only copies at least this old (`30d`), by the time in their name (else their mtime). */
  olderThan?: string
}

export type AsidesListing = {asides: AsideCopy[]; olderThan: null | string; totalBytes: number}

export type PruneOutcome = {
  /** The user said no: nothing was removed. */
  declined: boolean
  failed: Array<{path: string; reason: string}>
  /** Copies left because an unfinished import still needs them. */
  kept: AsideCopy[]
  removed: AsideCopy[]
}

function scopeOf(context: HostContext): {home: string; live: string[]} {
  return {home: context.home, live: [context.stateDir, context.configPath]}
}

/** `import --list-asides`: what this tool left behind, with what each is, its age and size. */
export function listAsides(request: AsidesRequest, now = Date.now()): AsidesListing {
  const limit = request.olderThan === undefined ? null : parseDuration(request.olderThan, '--older-than')
  const asides = findAsides(scopeOf(request.context)).filter(
    (a) => limit === null || now - Date.parse(a.since) >= limit,
  )
  return {
    asides,
    olderThan: request.olderThan ?? null,
    totalBytes: asides.reduce((n, a) => n + a.bytes, 0),
  }
}

/**
 * `import --prune-asides`: removes the listed copies once `confirm` says yes, under the import lock
 * (no import or undo runs meanwhile). A copy an unfinished import needs is kept. Each path is looked
 * at again just before it is removed: only the same real dir or file goes, never what replaced it.
 */
export async function pruneAsides(
  request: AsidesRequest & {confirm: (asides: AsideCopy[]) => Promise<boolean>},
): Promise<PruneOutcome> {
  const {home} = request.context
  const release = acquireImportLock(home, {command: 'import --prune-asides'})
  try {
    const {asides} = listAsides(request)
    const kept = asides.filter((a) => a.keptBecause !== null)
    const chosen = asides.filter((a) => a.keptBecause === null)
    if (chosen.length === 0 || !(await request.confirm(chosen)))
      return {declined: chosen.length > 0, failed: [], kept, removed: []}
    const removed: AsideCopy[] = []
    const failed: PruneOutcome['failed'] = []
    for (const copy of chosen) {
      const reason = removeCopy(copy)
      if (reason) failed.push({path: copy.path, reason})
      else removed.push(copy)
    }

    recordPruned(home, removed)
    return {declined: false, failed, kept, removed}
  } finally {
    release()
  }
}

function removeCopy(copy: AsideCopy): null | string {
  const stat = fs.lstatSync(copy.path, {throwIfNoEntry: false})
  if (!stat) return null // gone already: nothing to do
  if (copy.type === 'dir' ? !stat.isDirectory() : !stat.isFile())
    return 'it is no longer the real dir or file that was listed; left alone'
  try {
    // rm never follows a link below it: a link inside the copy is removed as a link.
    fs.rmSync(copy.path, {force: true, recursive: true})
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message
  }

  syncDir(path.dirname(copy.path))
  return null
}

/** The journals that named a removed copy say so: a later `--undo` then tells exactly what is gone. */
function recordPruned(home: string, removed: AsideCopy[]): void {
  if (removed.length === 0) return
  const at = new Date().toISOString()
  for (const journal of listJournals(home)) {
    const named = removed.filter((r) => journal.steps.some((s) => s.aside === r.path || s.undone === r.path))
    if (named.length === 0) continue
    journal.pruned = [...(journal.pruned ?? []), ...named.map((r) => ({at, path: r.path}))]
    saveJournal(home, journal)
  }
}
