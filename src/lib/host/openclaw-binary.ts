import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'

import {MigrateError} from '../errors.js'
import {childEnv} from '../util/child-env.js'

export type HostRunResult = {
  command: string
  durationMs: number
  exitCode: number
  stderr: string
  stdout: string
  timedOut: boolean
}

export type HostRunOptions = {
  /** Extra environment for this call only. */
  env?: NodeJS.ProcessEnv
  input?: string
  /** Ends the call (SIGTERM to the host process): the user insisted on stopping. */
  signal?: AbortSignal
  timeoutMs?: number
}

const VERSION_PATTERN = /\b(\d{4}\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)\b/

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/** Finds `openclaw` the way a shell would, so the tool drives the same host the user runs. */
export function locateOpenClaw(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): null | string {
  if (explicit) {
    const resolved = path.resolve(explicit)
    if (!isExecutable(resolved)) {
      throw new MigrateError('USAGE', `--openclaw-bin ${explicit} is not an executable file.`, {
        suggestions: ['Point --openclaw-bin at the `openclaw` executable, e.g. $(command -v openclaw).'],
      })
    }

    return resolved
  }

  if (env.OPENCLAW_MIGRATE_OPENCLAW_BIN)
    return locateOpenClaw(env.OPENCLAW_MIGRATE_OPENCLAW_BIN, {...env, OPENCLAW_MIGRATE_OPENCLAW_BIN: ''})
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, 'openclaw')
    if (isExecutable(candidate)) return candidate
  }

  return null
}

/** Pulls the first JSON document out of host output that may carry banner or warning lines around it. */
export function parseHostJson<T>(stdout: string): null | T {
  const trimmed = stdout.trim()
  try {
    return JSON.parse(trimmed) as T
  } catch {
    const start = trimmed.search(/^[{[]/m)
    if (start === -1) return null
    try {
      return JSON.parse(trimmed.slice(start)) as T
    } catch {
      return null
    }
  }
}

export function parseHostVersion(text: string): null | string {
  return VERSION_PATTERN.exec(text)?.[1] ?? null
}

/**
 * The real `openclaw` executable. Every call carries the profile selection so the host applies
 * its own profile and env rules, exactly as the user's own invocation would.
 */
export class OpenClawBinary {
  constructor(
    readonly file: string,
    readonly profileArgs: string[] = [],
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async run(args: string[], options: HostRunOptions = {}): Promise<HostRunResult> {
    const fullArgs = [...this.profileArgs, ...args]
    const started = Date.now()
    const result = await execa(this.file, fullArgs, {
      cancelSignal: options.signal,
      // Its own process group: a Ctrl-C in the terminal reaches this tool, which decides whether a
      // host step (doctor after activation) finishes or is stopped; it does not kill the step midway.
      detached: true,
      env: childEnv({...this.env, ...options.env, NO_COLOR: '1', FORCE_COLOR: '0'}),
      extendEnv: false,
      reject: false,
      timeout: options.timeoutMs ?? 120_000,
      input: options.input ?? '',
      stripFinalNewline: true,
    })
    return {
      command: ['openclaw', ...fullArgs].join(' '),
      exitCode: result.exitCode ?? (result.timedOut ? 124 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      durationMs: Date.now() - started,
      timedOut: Boolean(result.timedOut),
    }
  }

  async json<T>(args: string[], options: HostRunOptions = {}): Promise<{data: null | T; result: HostRunResult}> {
    const result = await this.run(args, options)
    return {result, data: parseHostJson<T>(result.stdout)}
  }

  async version(): Promise<null | string> {
    const result = await this.run(['--version'], {timeoutMs: 30_000})
    return result.exitCode === 0 ? parseHostVersion(result.stdout) : null
  }
}
