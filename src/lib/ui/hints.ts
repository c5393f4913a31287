import {canonicalStateDir} from '../host/state-rules.js'

export {ourCommand} from '../cli-face.js'

/** Where an `openclaw` command should act: a profile, and the state dir when it is not that profile's own. */
export type HintTarget = {home?: string; profile?: null | string; stateDir?: string}

function shellQuote(value: string): string {
  return /^[\w./:@%+=-]+$/.test(value) ? value : `'${value.replaceAll("'", String.raw`'\''`)}'`
}

/**
 * An `openclaw` command line that acts on target as printed: `openclaw --profile work gateway stop`,
 * or with OPENCLAW_STATE_DIR for a state dir that is not its profile's canonical one.
 */
export function openclawCommand(target: HintTarget, words: string): string {
  const profile = target.profile ? ` --profile ${shellQuote(target.profile)}` : ''
  const canonical =
    !target.stateDir || !target.home || canonicalStateDir(target.profile ?? null, target.home) === target.stateDir
  return canonical
    ? `openclaw${profile} ${words}`
    : `OPENCLAW_STATE_DIR=${shellQuote(target.stateDir!)} openclaw ${words}`
}
