import {chownr} from 'chownr'
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'

import type {StagedRoot} from './staging.js'

import {MigrateError} from '../errors.js'

export type Owner = {
  gid: number
  uid: number
  user: string
}

export async function resolveOwner(user: string | undefined): Promise<null | Owner> {
  if (!user) return null
  if (process.getuid?.() !== 0)
    throw new MigrateError('USAGE', '--owner only works when importing as root.', {
      suggestions: ['Run the import as the user that will run OpenClaw, without --owner.'],
    })
  const [uid, gid] = await Promise.all([
    execa('id', ['-u', user], {reject: false}),
    execa('id', ['-g', user], {reject: false}),
  ])
  if (uid.exitCode !== 0 || gid.exitCode !== 0)
    throw new MigrateError('USAGE', `No user "${user}" on this machine.`, {
      suggestions: ['Pass an existing user name to --owner.'],
    })
  return {gid: Number(gid.stdout), uid: Number(uid.stdout), user}
}

/** The mode a restored entry gets: private dirs, private secrets, nobody else may write. */
export function finalMode(type: 'dir' | 'file', archivedMode: number, secret: boolean): number {
  if (type === 'dir') return 0o700
  if (secret) return 0o600
  return archivedMode & 0o755
}

/**
 * Gives the staged tree to --owner before activation (modes were set while staging), so the
 * state never becomes live owned by root when a user runs the gateway.
 */
export async function applyOwner(staged: StagedRoot[], owner: null | Owner): Promise<number> {
  if (!owner) return 0
  let count = 0
  const visit = async (abs: string): Promise<void> => {
    const stat = await fs.promises.lstat(abs)
    await fs.promises.lchown(abs, owner.uid, owner.gid)
    count++
    if (stat.isDirectory()) for (const name of await fs.promises.readdir(abs)) await visit(path.join(abs, name))
  }

  for (const s of staged) {
    if (s.nestedIn) continue
    await visit(s.staging)
    // Parents the import created (e.g. ~/work for a workspace) belong to the user too, or the
    // user could not even reach what was imported for them.
    for (const dir of s.createdParents) {
      await fs.promises.lchown(dir, owner.uid, owner.gid)
      count++
    }
  }

  return count
}

/**
 * The tool's own files in a home that belongs to --owner (the journal, so the user's own
 * `--undo` finds the import) go to that user as well. A home of someone else is left alone.
 */
export async function giveToolFilesTo(home: string, toolDir: string, owner: null | Owner): Promise<void> {
  if (!owner) return
  const homeStat = fs.statSync(home, {throwIfNoEntry: false})
  if (homeStat?.uid !== owner.uid || !fs.existsSync(toolDir)) return
  await new Promise<void>((resolve, reject) => {
    chownr(toolDir, owner.uid, owner.gid, (error) => {
      if (error) reject(error instanceof Error ? error : new Error('chownr failed'))
      else resolve()
    })
  })
}
