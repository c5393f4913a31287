import type {Config} from '@oclif/core'

import {toConfiguredId} from '@oclif/core'

import type {HostContext} from './host-context.js'

import {MigrateError} from '../errors.js'
import {redactText} from '../util/redact.js'
import {type HostRunResult, parseHostJson} from './openclaw-binary.js'

export interface HostStepResult extends HostRunResult {
  via: 'binary' | 'oclif'
  /** Parsed JSON output (binary) or the command's return value (oclif). */
  data: unknown
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

  async run(id: string, args: string[], options: {timeoutMs?: number} = {}): Promise<HostStepResult> {
    const words = id.split(':')
    if (this.hasOclifCommand(id) && this.config) {
      const started = Date.now()
      const command = `${this.config.bin} ${toConfiguredId(id, this.config).replaceAll(':', ' ')} ${args.join(' ')}`.trim()
      try {
        const data = await this.config.runCommand(id, args)
        return {command, data, durationMs: Date.now() - started, exitCode: 0, stderr: '', stdout: '', timedOut: false, via: 'oclif'}
      } catch (error) {
        const exit = (error as {oclif?: {exit?: number}}).oclif?.exit ?? 1
        return {command, data: null, durationMs: Date.now() - started, exitCode: exit, stderr: redactText((error as Error).message ?? ''), stdout: '', timedOut: false, via: 'oclif'}
      }
    }
    const binary = this.context.binary
    if (!binary) {
      throw new MigrateError('HOST_MISSING', `OpenClaw is not installed here, so \`openclaw ${words.join(' ')}\` cannot run.`, {
        suggestions: ['Install OpenClaw first (npm install -g openclaw), or point --openclaw-bin at it.'],
      })
    }
    const result = await binary.run([...words, ...args], {timeoutMs: options.timeoutMs})
    return {...result, data: parseHostJson(result.stdout), stderr: redactText(result.stderr), stdout: redactText(result.stdout), via: 'binary'}
  }
}
