import {Command, Flags, type Interfaces} from '@oclif/core'

import {MigrateError} from './errors.js'
import {type HostContext, resolveHostContext} from './host/host-context.js'
import {redactText} from './util/redact.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof MigrateCommand)['baseFlags'] & T['flags']
>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Shared flags and behaviour of every `migrate` command: profile selection reused from the host,
 * --json, secret-free error output, and human output that never mixes with JSON or archive bytes.
 */
export abstract class MigrateCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    dev: Flags.boolean({
      description: 'Use the dev profile (~/.openclaw-dev), like `openclaw --dev`.',
      exclusive: ['profile'],
      helpGroup: 'HOST',
    }),
    'openclaw-bin': Flags.string({
      description:
        'Path of the `openclaw` executable to ask for paths and to run doctor/gateway with (default: `openclaw` on PATH).',
      helpGroup: 'HOST',
    }),
    profile: Flags.string({
      description: 'OpenClaw profile, like `openclaw --profile NAME` (state in ~/.openclaw-NAME).',
      helpGroup: 'HOST',
    }),
    'state-dir': Flags.string({
      description: 'Use this state dir, overriding every other resolution.',
      helpGroup: 'HOST',
    }),
  }

  static override enableJsonFlag = true

  protected args!: BaseArgs<T>
  protected flags!: BaseFlags<T>
  /** Warnings collected for the result, so --json carries them too. */
  protected readonly warnings: string[] = []

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof MigrateCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  protected async hostContext(extra: {noBinary?: boolean} = {}): Promise<HostContext> {
    const context = await resolveHostContext({
      config: this.config,
      dev: this.flags.dev,
      noBinary: extra.noBinary,
      openclawBin: this.flags['openclaw-bin'],
      profile: this.flags.profile,
      stateDir: this.flags['state-dir'],
    })
    for (const w of context.warnings) this.note(w)
    return context
  }

  /** A warning for the human (stderr) and for the JSON result. */
  protected note(message: string): void {
    const clean = redactText(message)
    if (!this.warnings.includes(clean)) this.warnings.push(clean)
    if (!this.jsonEnabled()) this.logToStderr(`warning: ${clean}`)
  }

  /** Human output goes to stderr when stdout carries archive bytes (`-o -`). */
  protected say(message = '', toStderr = false): void {
    if (this.jsonEnabled()) return
    if (toStderr) this.logToStderr(message)
    else this.log(message)
  }

  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof MigrateError)
      return {error: {...err.toJSON(), message: redactText(err.message)}, warnings: this.warnings}
    const message = err instanceof Error ? err.message : String(err)
    const exitCode = (err as {oclif?: {exit?: number}})?.oclif?.exit ?? 1
    return {
      error: {code: exitCode === 2 ? 'USAGE' : 'INTERNAL', exitCode, message: redactText(message), suggestions: []},
      warnings: this.warnings,
    }
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    if (err instanceof MigrateError) err.message = redactText(err.message)
    return super.catch(err)
  }
}
