import {Command, Flags, type Interfaces, ux} from '@oclif/core'

import {prefixFor, setCommandPrefix} from './cli-face.js'
import {type Envelope, envelope, envelopeError} from './envelope.js'
import {MigrateError} from './errors.js'
import {type HostContext, resolveHostContext} from './host/host-context.js'
import {getNativeHostContext} from './host/native-bridge.js'
import {redactText} from './util/redact.js'
import {terminalSafe} from './util/terminal-text.js'

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
  /** Every positional argument, for commands that take more than they declare (`strict = false`). */
  protected positionals: string[] = []
  protected flags!: BaseFlags<T>
  /** What the run is doing (e.g. `dry-run`, `archive`): with the command, it names the shape of the JSON `result`. */
  protected abstract mode: string
  /** Warnings collected for the result, so --json carries them too. */
  protected readonly warnings: string[] = []

  public override async init(): Promise<void> {
    await super.init()
    // Hints and help name this tool the way it was started: standalone, inside OpenClaw, or in an oclif host.
    setCommandPrefix(prefixFor(this.config.bin, getNativeHostContext() !== undefined))
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof MigrateCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    this.positionals = argv as string[]
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
    if (!this.jsonEnabled()) this.logToStderr(`warning: ${terminalSafe(clean)}`)
  }

  /** Human output goes to stderr when stdout carries archive bytes (`-o -`). */
  protected say(message = '', toStderr = false): void {
    if (this.jsonEnabled()) return
    // Human output carries archive-provided names: never raw control characters.
    if (toStderr) this.logToStderr(terminalSafe(message))
    else this.log(terminalSafe(message))
  }

  /**
   * Ends the run with this error's exit code while still returning a result (a check that found
   * problems, an import whose verification failed): --json carries both.
   */
  protected fail(error: MigrateError): void {
    this.failure = error
    process.exitCode = error.exitCode
    // The report above says what happened; the last line on stderr says which code and what next, as for a thrown error.
    if (!this.jsonEnabled()) this.logToStderr(terminalSafe(renderError(error)))
  }

  private failure?: MigrateError

  /** The verb the user typed (`export`, not `migrate:export`). */
  protected get verb(): string {
    return this.id?.split(':').at(-1) ?? 'unknown'
  }

  protected override toSuccessJson(result: unknown): Envelope {
    return envelope({
      command: this.verb,
      error: this.failure ? envelopeError(this.failure) : undefined,
      mode: this.mode,
      result,
      warnings: this.warnings,
    })
  }

  protected override toErrorJson(err: unknown): Envelope {
    return envelope({
      command: this.verb,
      error: envelopeError(err),
      mode: this.mode,
      result: null,
      warnings: this.warnings,
    })
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    // A parse error is reported as such: not also as "did not parse its arguments" (a dev-mode warning).
    this.parsed = true
    if (ux.action.running) ux.action.stop('failed')
    if (err instanceof MigrateError) {
      err.message = this.jsonEnabled() ? redactText(err.message) : terminalSafe(redactText(err.message))
      if (!this.jsonEnabled()) {
        // Unwrapped, unlike oclif's pretty errors: paths and commands in hints stay copyable.
        this.logToStderr(terminalSafe(renderError(err)))
        process.exitCode = err.exitCode
        this.exit(err.exitCode)
      }
    }

    return super.catch(err)
  }
}

/** `Error: message`, then each suggestion on its own line, then the stable code. */
export function renderError(err: MigrateError): string {
  return [
    `Error: ${err.message}`,
    ...(err.suggestions ?? []).map((s) => `  → ${redactText(s)}`),
    `  (${err.code}, exit ${err.exitCode})`,
  ].join('\n')
}
