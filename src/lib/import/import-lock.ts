import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {MigrateError} from '../errors.js'
import {createExclusive} from '../util/exclusive-file.js'
import {processAlive} from '../util/process.js'
import {journalDir, syncDir} from './import-journal.js'

/** Who holds the lock, written into it so a refused run can name the holder. */
export type LockHolder = {command: string; host: string; pid: number; runId: null | string; startedAt: string}

/** A lock file still empty after this long belongs to a run that died while taking it. */
const EMPTY_LOCK_GRACE_MS = 10_000

export function importLockPath(home: string): string {
  return path.join(path.dirname(journalDir(home)), 'import.lock')
}

function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder
  } catch {
    return null
  }
}

function stale(file: string, holder: LockHolder | null): boolean {
  if (!holder) {
    const stat = fs.statSync(file, {throwIfNoEntry: false})
    return !stat || Date.now() - stat.mtimeMs > EMPTY_LOCK_GRACE_MS
  }

  // A holder on another host (a home on NFS) cannot be checked from here: never stale.
  return holder.host === os.hostname() && !processAlive(holder.pid)
}

export function unwritableHome(dir: string, error: unknown): MigrateError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error'
  return new MigrateError('TARGET_UNWRITABLE', `Cannot write ${dir} (${code}); nothing was changed.`, {
    cause: error,
    suggestions: [
      'Run the import as the user who owns this home (or fix the ownership and permissions of the home and ~/.openclaw-migrate).',
    ],
  })
}

/**
 * Imports and undos into one home run one at a time: they move the same state dirs and write
 * the same journals. The lock is a file created exclusively (O_EXCL) holding the run's pid; a
 * lock whose process is gone (SIGKILL, power cut) is taken over. A second run refuses at once
 * with IMPORT_LOCKED, naming the run that holds it. Returns the release function.
 */
export function acquireImportLock(home: string, who: {command: string; runId?: null | string}): () => void {
  const file = importLockPath(home)
  const holder: LockHolder = {
    command: who.command,
    host: os.hostname(),
    pid: process.pid,
    runId: who.runId ?? null,
    startedAt: new Date().toISOString(),
  }
  let created: string | undefined
  try {
    created = fs.mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
  } catch (error) {
    throw unwritableHome(path.dirname(file), error)
  }

  for (let attempt = 0; ; attempt++) {
    let fd: number
    try {
      fd = createExclusive(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritableHome(path.dirname(file), error)
      const current = readHolder(file)
      if (attempt < 2 && stale(file, current)) {
        // Renamed away first, so two runs taking over one stale lock cannot both succeed.
        const away = `${file}.stale-${process.pid}`
        try {
          fs.renameSync(file, away)
          fs.rmSync(away, {force: true})
        } catch {
          // another run took it over first
        }

        continue
      }

      throw locked(home, current)
    }

    try {
      fs.writeFileSync(fd, JSON.stringify(holder))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }

    syncDir(path.dirname(file))
    let released = false
    return () => {
      if (released) return
      released = true
      if (readHolder(file)?.pid === process.pid) fs.rmSync(file, {force: true})
      // A run refused before it wrote anything leaves the home as it was: the tool dir too.
      if (created)
        try {
          fs.rmdirSync(path.dirname(file))
        } catch {
          // journals live there now
        }
    }
  }
}

function locked(home: string, holder: LockHolder | null): MigrateError {
  const who = holder
    ? `${holder.command}${holder.runId ? ` (run ${holder.runId})` : ''}, pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}`
    : 'a run that is just starting'
  return new MigrateError('IMPORT_LOCKED', `Another import or undo into ${home} is running: ${who}.`, {
    details: holder ? {holder} : undefined,
    suggestions: [
      'Wait for it to finish, then run this again.',
      `If that process is gone for good, remove ${importLockPath(home)}.`,
    ],
  })
}
