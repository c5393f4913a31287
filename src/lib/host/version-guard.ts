import type {ArchiveManifest} from '../archive/manifest.js'

import {MigrateError} from '../errors.js'

/** Compares OpenClaw versions like 2026.9.6 and 2026.10.1-beta.2 (a pre-release sorts before its release). */
export function compareHostVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [main, pre] = v.split('-', 2)
    return {nums: main.split('.').map((n) => Number.parseInt(n, 10) || 0), pre: pre ?? null}
  }

  const x = parse(a)
  const y = parse(b)
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }

  if (x.pre === y.pre) return 0
  if (x.pre === null) return 1
  if (y.pre === null) return -1
  return x.pre.localeCompare(y.pre, undefined, {numeric: true})
}

/** The newest OpenClaw version that wrote any of the archived state. */
export function sourceStateVersion(manifest: ArchiveManifest): null | string {
  const versions = [manifest.host.version, ...manifest.profiles.map((p) => p.lastTouchedVersion)].filter(
    (v): v is string => typeof v === 'string' && /^\d/.test(v),
  )
  return versions.toSorted(compareHostVersions).at(-1) ?? null
}

/**
 * Database migrations are one-way: an older OpenClaw opening newer state can corrupt it.
 * Refuse unless the user explicitly accepts the risk.
 */
export function guardHostVersion(
  manifest: ArchiveManifest,
  installed: null | string,
  options: {allowDowngrade: boolean; noHost: boolean},
): {downgrade: boolean; installed: null | string; source: null | string} {
  const source = sourceStateVersion(manifest)
  if (!installed) {
    if (options.noHost) return {downgrade: false, installed, source}
    throw new MigrateError('HOST_MISSING', 'OpenClaw is not installed on this machine.', {
      suggestions: [
        `Install OpenClaw first${source ? ` (${source} or newer)` : ''}: npm install -g openclaw${source ? `@${source}` : ''}`,
        'Or pass --no-host to only place the files (no doctor, no gateway).',
      ],
    })
  }

  const downgrade = source !== null && compareHostVersions(installed, source) < 0
  if (downgrade && !options.allowDowngrade) {
    throw new MigrateError(
      'HOST_TOO_OLD',
      `OpenClaw ${installed} is older than ${source}, which last wrote this state; its database migrations are one-way.`,
      {
        suggestions: [
          `Upgrade OpenClaw here first: npm install -g openclaw@${source}`,
          'Or pass --allow-downgrade if you accept the risk.',
        ],
      },
    )
  }

  return {downgrade, installed, source}
}
