import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'
import {currentUser, isInside} from '../util/paths.js'
import {reservedPlace} from './placement-rules.js'

/**
 * A state dir that is a symlink to a directory on another disk (`~/.openclaw -> /mnt/big/openclaw`)
 * is the user's choice of disk: the import keeps the link and lands the state where it points.
 * Staging, the move aside of the old state and activation all happen in the real target's parent
 * (one filesystem, so activation is still a rename), and the journal records those real paths,
 * so rollback and undo restore exactly what was there; the link itself is never touched.
 *
 * Only this one link is expected: the state dir root itself, pointing to a real directory owned by
 * the link's owner (and by the user running the import, unless root). Anything else is `why` the
 * link is not followed; the import then treats it as any unexpected link (consent, moved aside as a
 * link, never written through).
 */
export type LinkedState = {landing: string} | {why: string}

export function linkedState(stateDir: string, home: string): LinkedState | null {
  const link = fs.lstatSync(stateDir, {throwIfNoEntry: false})
  if (!link?.isSymbolicLink()) return null
  let real: string
  try {
    real = fs.realpathSync(stateDir)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    return {why: `it is a symlink whose target ${code === 'ENOENT' ? 'does not exist' : `cannot be reached (${code})`}`}
  }

  const stat = fs.lstatSync(real, {throwIfNoEntry: false})
  if (!stat?.isDirectory()) return {why: `it is a symlink to ${real}, which is not a directory`}
  const {uid} = currentUser()
  if (stat.uid !== link.uid || (uid !== 0 && stat.uid !== uid))
    return {
      why: `it is a symlink to ${real}, which belongs to uid ${stat.uid}, not to ${uid === 0 ? `the link's owner (uid ${link.uid})` : 'you'}`,
    }
  if (isInside(home, real)) return {why: `it is a symlink to ${real}, which is this home or a dir above it`}
  const reserved = reservedPlace(real, home)
  if (reserved) return {why: `it is a symlink to ${real}, inside ${reserved}`}
  try {
    // Staging and the old state's aside are made next to the real dir: its parent must take them.
    fs.accessSync(path.dirname(real), fs.constants.W_OK | fs.constants.X_OK)
  } catch {
    return {
      why: `it is a symlink to ${real}, and you cannot write ${path.dirname(real)}, where the import would stage it`,
    }
  }

  return {landing: real}
}

type Placed = {landing?: string; root: {id: string; kind: string}; target: string; why: string}

/**
 * Lands each linked state dir at its real dir. Refused (PLACEMENT_NEEDS_MAP) when another root
 * would land inside that real dir without being inside the state dir, or around it: moving the old
 * state aside there would carry that root away.
 */
export function landLinkedStates(targets: Placed[], linked: ReadonlyMap<string, LinkedState>): void {
  for (const t of targets) {
    const l = t.root.kind === 'state' ? linked.get(t.target) : undefined
    if (!l || !('landing' in l)) continue
    for (const o of targets) {
      if (o === t || isInside(o.target, t.target)) continue
      const clash = [o.target, o.landing].find(
        (p) => p !== undefined && (isInside(p, l.landing) || isInside(l.landing, p)),
      )
      if (clash)
        throw new MigrateError(
          'PLACEMENT_NEEDS_MAP',
          `${t.target} is a symlink to ${l.landing}, and root ${o.root.id} would land at ${clash}, in or around it.`,
          {suggestions: [`Place ${o.root.id} elsewhere with --map OLD=NEW, or point ${t.target} at a dir of its own.`]},
        )
    }

    t.landing = l.landing
    t.why += `; ${t.target} is a symlink kept as it is: the state is written at ${l.landing}`
  }
}
