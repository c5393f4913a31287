import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {processAlive} from './process.js'

const PREFIX = 'openclaw-migrate-'

/**
 * A private (0700) scratch dir named after this process. It can hold SQLite snapshots and
 * decrypted files in the clear, so a run that was SIGKILLed must not leave it behind for good:
 * every new run first removes the scratch dirs of runs whose process is gone.
 */
export function createPrivateTempDir(purpose: string): string {
  sweepStaleTempDirs()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${purpose}-${process.pid}-`))
  fs.chmodSync(dir, 0o700)
  return dir
}

export function sweepStaleTempDirs(): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = fs.readdirSync(os.tmpdir())
  } catch {
    return removed
  }

  const uid = process.getuid?.()
  for (const name of names) {
    const match = new RegExp(String.raw`^${PREFIX}[a-z]+-(\d+)-[A-Za-z0-9]{6}$`).exec(name)
    if (!match || processAlive(Number(match[1]))) continue
    const dir = path.join(os.tmpdir(), name)
    try {
      if (uid !== undefined && fs.lstatSync(dir).uid !== uid) continue
      fs.rmSync(dir, {force: true, recursive: true})
      removed.push(dir)
    } catch {
      // another run got there first, or it is not ours to remove
    }
  }

  return removed
}
