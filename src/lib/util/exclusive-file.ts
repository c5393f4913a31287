import fs from 'node:fs'

/**
 * Opens a new file for writing, private by default. Fails (EEXIST) when anything already has the
 * name, a symlink included, so what is written never lands in a file someone else put there.
 */
export function createExclusive(file: string, mode = 0o600): number {
  return fs.openSync(
    file,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    mode,
  )
}
