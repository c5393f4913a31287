import {type Config, toConfiguredId} from '@oclif/core'

import type {HostContext} from './host-context.js'

import {MigrateError} from '../errors.js'
import {redactText} from '../util/redact.js'
import {type HostRunResult, parseHostJson} from './openclaw-binary.js'

export type HostStepResult = HostRunResult & {
  /** Parsed JSON output (binary) or the command's return value (oclif). */
  data: unknown
  via: 'binary' | 'oclif'
}

const PROFILE_ENV = ['OPENCLAW_STATE_DIR', 'OPENCLAW_CONFIG_PATH', 'OPENCLAW_PROFILE'] as const

/**
 * Runs a host command inside this process the way the host would run it for our profile: with the
 * profile's env (the real host's --profile sets these for everything it runs), its stdout/stderr
 * captured instead of mixed into ours (our --json output, or archive bytes on `-o -`), and
 * process.exitCode (which oclif's Command.catch sets on failure) restored and reported instead.
 */
async function inHostProcess(
  context: HostContext,
  run: () => Promise<unknown>,
): Promise<{data: unknown; error: unknown; exitCode: number; stderr: string; stdout: string}> {
  const savedEnv = PROFILE_ENV.map((k) => [k, process.env[k]] as const)
  const savedExitCode = process.exitCode
  const writes = {stderr: process.stderr.write, stdout: process.stdout.write}
  const out = {stderr: '', stdout: ''}
  const capture = (stream: 'stderr' | 'stdout') =>
    function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined
      callback?.()
      return true
    }

  process.env.OPENCLAW_STATE_DIR = context.stateDir
  process.env.OPENCLAW_CONFIG_PATH = context.configPath
  if (context.profile) process.env.OPENCLAW_PROFILE = context.profile
  else delete process.env.OPENCLAW_PROFILE
  process.exitCode = undefined
  process.stdout.write = capture('stdout')
  process.stderr.write = capture('stderr')
  let data: unknown
  let error: unknown
  try {
    data = await run()
  } catch (error_) {
    error = error_ ?? new Error('host command failed')
  } finally {
    process.stdout.write = writes.stdout
    process.stderr.write = writes.stderr
  }

  const exitCode = Number(process.exitCode ?? 0) || 0
  process.exitCode = savedExitCode
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }

  return {data, error, exitCode, ...out}
}

/**
 * Runs host commands (doctor, gateway ...) in whichever host we live in: an oclif host's own
 * commands through config.runCommand, otherwise the `openclaw` executable.
 * Command ids are oclif-style (`gateway:restart`); the binary gets them as words.
 */
export class HostCommands {
  constructor(
    private readonly context: HostContext,
    private readonly config?: Config,
  ) {}

  /** True when the oclif host itself has this command. */
  hasOclifCommand(id: string): boolean {
    return this.context.hostKind === 'oclif' && Boolean(this.config?.findCommand(id))
  }

  available(id: string): boolean {
    return this.hasOclifCommand(id) || this.context.binary !== null
  }

  async run(
    id: string,
    args: string[],
    options: {signal?: AbortSignal; timeoutMs?: number} = {},
  ): Promise<HostStepResult> {
    const words = id.split(':')
    if (this.hasOclifCommand(id) && this.config) {
      const started = Date.now()
      const command =
        `${this.config.bin} ${toConfiguredId(id, this.config).replaceAll(':', ' ')} ${args.join(' ')}`.trim()
      const {data, error, exitCode, stderr, stdout} = await inHostProcess(this.context, () =>
        this.config!.runCommand(id, args),
      )
      const exit = error ? ((error as {oclif?: {exit?: number}}).oclif?.exit ?? 1) : exitCode
      const message = error ? [(error as Error).message ?? '', stderr].filter(Boolean).join('\n') : stderr
      return {
        command,
        data: error ? null : (data ?? parseHostJson(stdout)),
        durationMs: Date.now() - started,
        exitCode: exit,
        stderr: redactText(message),
        stdout: redactText(stdout),
        timedOut: false,
        via: 'oclif',
      }
    }

    const {binary} = this.context
    if (!binary) {
      throw new MigrateError(
        'HOST_MISSING',
        `OpenClaw is not installed here, so \`openclaw ${words.join(' ')}\` cannot run.`,
        {
          suggestions: ['Install OpenClaw first (npm install -g openclaw), or point --openclaw-bin at it.'],
        },
      )
    }

    const result = await binary.run([...words, ...args], {signal: options.signal, timeoutMs: options.timeoutMs})
    return {
      ...result,
      data: parseHostJson(result.stdout),
      stderr: redactText(result.stderr),
      stdout: redactText(result.stdout),
      via: 'binary',
    }
  }
}
