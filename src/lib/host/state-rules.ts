import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'
import {expandHome} from '../util/paths.js'

export type ProfileSelection = {
  dev?: boolean
  profile?: string
}

export type ResolvedLocation = {
  configPath: string
  home: string
  profile: null | string
  stateDir: string
  warnings: string[]
}

/** The host's own rule (openclaw src/cli/profile-utils.ts, 2026.9.6): the name becomes a dir name under home. */
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i

export function isValidProfileName(profile: string): boolean {
  return PROFILE_NAME.test(profile)
}

export function validateProfileName(profile: string): string {
  if (!isValidProfileName(profile)) {
    throw new MigrateError('USAGE', `${JSON.stringify(profile).slice(0, 80)} is not a valid profile name.`, {
      suggestions: ['Profile names use letters, digits, "_" and "-" (at most 64), like the host\'s --profile.'],
    })
  }

  return profile
}

/** Home as OpenClaw sees it: OPENCLAW_HOME, then HOME, then USERPROFILE. */
export function hostHome(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.OPENCLAW_HOME || env.HOME || env.USERPROFILE
  if (!raw)
    throw new MigrateError('STATE_NOT_FOUND', 'No home directory: HOME is not set.', {
      suggestions: ['Set HOME, or pass --state-dir.'],
    })
  return path.resolve(expandHome(raw, env.HOME || env.USERPROFILE || raw))
}

/** The canonical state dir of a profile on this machine: the only place native service management works. */
export function canonicalStateDir(profile: null | string, home: string): string {
  return path.join(home, profile ? `.openclaw-${profile}` : '.openclaw')
}

function populated(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0
  } catch {
    return false
  }
}

export function defaultConfigPath(stateDir: string): string {
  const current = path.join(stateDir, 'openclaw.json')
  const legacy = path.join(stateDir, 'clawdbot.json')
  if (!fs.existsSync(current) && fs.existsSync(legacy)) return legacy
  return current
}

/**
 * The host's own resolution rules, for when neither an oclif host nor the `openclaw` binary can answer.
 * Kept identical to the real host (see shared facts): a --profile/--dev selection wins over
 * OPENCLAW_STATE_DIR because the host's --profile rewrites that variable for everything it runs.
 */
export function resolveWithBuiltinRules(
  selection: ProfileSelection,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedLocation {
  const home = hostHome(env)
  const warnings: string[] = []
  const profile = selection.dev ? 'dev' : selection.profile ? validateProfileName(selection.profile) : null

  if (profile) {
    const stateDir = canonicalStateDir(profile, home)
    return {stateDir, configPath: defaultConfigPath(stateDir), profile, home, warnings}
  }

  const envProfile = env.OPENCLAW_PROFILE || null
  let stateDir: string
  if (env.OPENCLAW_STATE_DIR) {
    stateDir = path.resolve(expandHome(env.OPENCLAW_STATE_DIR, home))
  } else {
    const current = path.join(home, '.openclaw')
    const legacy = path.join(home, '.clawdbot')
    const currentUsed = populated(current)
    const legacyUsed = populated(legacy)
    if (currentUsed && legacyUsed) {
      throw new MigrateError(
        'AMBIGUOUS_STATE',
        `Both ${current} and the legacy ${legacy} hold state; not guessing which one is live.`,
        {
          suggestions: [
            `Pass --state-dir ${current} (or ${legacy}) to choose.`,
            'Run `openclaw doctor` on this machine to migrate the legacy dir first.',
          ],
          details: {candidates: [current, legacy]},
        },
      )
    }

    stateDir = !currentUsed && legacyUsed ? legacy : current
    if (stateDir === legacy) warnings.push(`Using the legacy state dir ${legacy}.`)
  }

  const configPath = env.OPENCLAW_CONFIG_PATH
    ? path.resolve(expandHome(env.OPENCLAW_CONFIG_PATH, home))
    : defaultConfigPath(stateDir)
  if (envProfile && !env.OPENCLAW_STATE_DIR) {
    warnings.push(
      `OPENCLAW_PROFILE=${envProfile} is set but does not move the state dir; pass --profile ${envProfile} to use ~/.openclaw-${envProfile}.`,
    )
  }

  return {stateDir, configPath, profile: env.OPENCLAW_STATE_DIR ? envProfile : null, home, warnings}
}
