import {type ChildProcess, spawn} from 'node:child_process'

import {MigrateError} from '../errors.js'

/**
 * The new machine as the system `ssh` reaches it: the user's ~/.ssh/config, agent and known_hosts
 * decide everything; we only add the options the user passed through. No key handling of our own.
 */
export type SshTarget = {
  /** `[user@]host` exactly as typed, also a Host alias of ~/.ssh/config. */
  destination: string
  /** A name for file names and messages: the host part, without the user. */
  label: string
  /** Extra `-o` options, passed through. */
  options: string[]
  port?: number
  /** The remote command that runs this tool there, split into words (default `openclaw-migrate`). */
  remoteCommand: string[]
}

export function parseDestination(destination: string): Pick<SshTarget, 'destination' | 'label'> {
  // ssh itself would read a leading "-" as an option: refuse it instead of letting it through.
  if (!/^(?:[\w.+-]+@)?[\w.:[\]-]+$/.test(destination) || destination.startsWith('-'))
    throw new MigrateError('USAGE', `"${destination}" is not a [user@]host ssh destination.`, {
      suggestions: ['openclaw-migrate push newhost', 'openclaw-migrate push alice@192.168.1.20'],
    })
  const host = destination.slice(destination.lastIndexOf('@') + 1)
  return {destination, label: host.replaceAll(/[^\w.-]+/g, '-')}
}

/** POSIX shell quoting: the remote side runs the command through the user's login shell. */
export function shellQuote(word: string): string {
  return /^[\w./=:@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", String.raw`'\''`)}'`
}

export function sshArgv(target: SshTarget, remoteArgs: string[]): string[] {
  const argv: string[] = []
  if (target.port) argv.push('-p', String(target.port))
  for (const o of target.options) argv.push('-o', o)
  // `--` ends ssh's options; the command is one string, run by the remote shell.
  argv.push('--', target.destination, [...target.remoteCommand, ...remoteArgs].map((w) => shellQuote(w)).join(' '))
  return argv
}

export function spawnSsh(target: SshTarget, remoteArgs: string[]): ChildProcess {
  return spawn('ssh', sshArgv(target, remoteArgs), {stdio: ['pipe', 'pipe', 'pipe']})
}

export type SshResult = {exitCode: null | number; stderr: string; stdout: string}

/** Runs one remote command to completion, with `input` on its stdin. */
export async function runSsh(target: SshTarget, remoteArgs: string[], input = ''): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawnSsh(target, remoteArgs)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (c: Buffer) => {
      out.push(c)
    })
    child.stderr!.on('data', (c: Buffer) => {
      err.push(c)
    })
    child.on('error', (error) => {
      reject(
        new MigrateError('SSH_FAILED', `Could not run ssh: ${error.message}.`, {
          suggestions: ['Install an OpenSSH client (ssh) on this machine.'],
        }),
      )
    })
    child.on('close', (code) => {
      resolve({
        exitCode: code,
        stderr: Buffer.concat(err).toString('utf8'),
        stdout: Buffer.concat(out).toString('utf8'),
      })
    })
    child.stdin!.on('error', () => {
      // EPIPE when the remote command ends without reading: its exit status says why.
    })
    child.stdin!.end(input)
  })
}

/** ssh's own failures (no route, auth, host key) exit 255; the remote shell's "not found" is 127. */
export function sshFailure(target: SshTarget, result: SshResult): MigrateError | null {
  const why = result.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 300)
  if (result.exitCode === 255)
    return new MigrateError(
      'SSH_FAILED',
      `ssh ${target.destination} failed: ${why || 'exit 255'}. Nothing was changed.`,
      {
        suggestions: [
          `Check that \`ssh ${target.destination} true\` works without a password prompt (ssh-agent, ~/.ssh/config, known_hosts).`,
        ],
      },
    )
  if (result.exitCode === 126 || result.exitCode === 127)
    return new MigrateError(
      'REMOTE_TOOL_MISSING',
      `${target.remoteCommand.join(' ')} is not installed on ${target.destination} (${why || `exit ${result.exitCode}`}). Nothing was changed.`,
      {
        suggestions: [
          `Install it there: ssh ${target.destination} npm install -g @openclaw/plugin-migrate`,
          'Or name the command that runs it there with --remote-command.',
        ],
      },
    )
  return null
}

/** The remote command's --json envelope (`{ok, result, error}`), or null when it printed none. */
export function parseRemoteEnvelope<R>(
  stdout: string,
): null | {error?: {code: string; message: string}; ok: boolean; result: null | R} {
  const text = stdout.trim()
  const start = text.indexOf('{')
  if (start === -1) return null
  try {
    const parsed = JSON.parse(text.slice(start)) as {error?: {code: string; message: string}; ok?: unknown; result?: R}
    return typeof parsed.ok === 'boolean' ? {error: parsed.error, ok: parsed.ok, result: parsed.result ?? null} : null
  } catch {
    return null
  }
}

export type RemoteResult<R> = {
  code: null | number
  json: ReturnType<typeof parseRemoteEnvelope<R>>
  stderr: string
}

/** The remote command's answer (its --json envelope on stdout) and its step lines on stderr, as they arrive. */
export async function collectRemote<R>(child: ChildProcess, onLine?: (line: string) => void): Promise<RemoteResult<R>> {
  return new Promise((resolve) => {
    const out: Buffer[] = []
    let stderr = ''
    let pending = ''
    child.stdout!.on('data', (c: Buffer) => {
      out.push(c)
    })
    child.stderr!.on('data', (c: Buffer) => {
      const text = pending + c.toString('utf8')
      const lines = text.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        stderr += `${line}\n`
        if (line.trim()) onLine?.(line)
      }
    })
    child.stdin!.on('error', () => {
      // EPIPE when the remote ends early: its exit status and answer say why.
    })
    child.on('error', () => {
      resolve({code: null, json: null, stderr})
    })
    child.on('close', (code) => {
      if (pending.trim()) onLine?.(pending)
      resolve({
        code,
        json: parseRemoteEnvelope<R>(Buffer.concat(out).toString('utf8')),
        stderr: stderr + pending,
      })
    })
  })
}
