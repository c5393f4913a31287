import {MigrateError} from '../errors.js'

/**
 * The bodies the receiving end of a push holds from its phase one (push/seed-store.ts), which the
 * phase-two archive names by sha256 instead of carrying them.
 */
export type HeldBodies = {
  /** Their total size, already on this disk. */
  readonly bytes: number
  /** Where the body lies, and whether the sink may move it into place (its first use). */
  claim(sha256: string): {movable: boolean; path: string}
  /** The sink moved the body to `to`: later uses read it there. */
  moved(sha256: string, to: string): void
}

export function heldBodyMissing(sha256: string): MigrateError {
  return new MigrateError('PUSH_SEED_MISSING', `A file sent ahead by the push (${sha256.slice(0, 12)}…) is gone.`, {
    suggestions: ['Run the push again from the old machine.'],
  })
}
