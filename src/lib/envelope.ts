import {ExitCode, MigrateError} from './errors.js'
import {redactText} from './util/redact.js'

/** The `error` member of the envelope: present exactly when `exitCode` is not 0. */
export type EnvelopeError = {
  code: string
  details?: Record<string, unknown>
  exitCode: number
  message: string
  suggestions: string[]
}

/**
 * The one JSON document every command prints with --json, in every mode and on failure.
 * `result` has one shape per `command` + `mode` (null when the command failed before producing
 * one); `warnings` is always an array of strings; `error` is there exactly when `ok` is false.
 */
export type Envelope<R = unknown> = {
  command: string
  error?: EnvelopeError
  exitCode: number
  mode: string
  ok: boolean
  result: null | R
  warnings: string[]
}

/** The envelope's error for anything thrown: a MigrateError keeps its code, oclif's parse errors are USAGE. */
export function envelopeError(err: unknown): EnvelopeError {
  if (err instanceof MigrateError) {
    const json = err.toJSON() as EnvelopeError
    return {...json, message: redactText(err.message)}
  }

  // oclif's parse errors carry layout for the terminal ("\n\t", "See more help"): one line here.
  const message = (err instanceof Error ? err.message : String(err))
    .replace(/See more help with --help/, '')
    .replaceAll(/\s+/g, ' ')
    .trim()
  const exitCode = (err as {oclif?: {exit?: number}})?.oclif?.exit ?? 1
  return {
    code: exitCode === ExitCode.USAGE ? 'USAGE' : exitCode === ExitCode.INTERRUPTED ? 'INTERRUPTED' : 'INTERNAL',
    exitCode,
    message: redactText(message),
    suggestions: [],
  }
}

export function envelope<R>(parts: {
  command: string
  error?: EnvelopeError
  mode: string
  result: null | R
  warnings: string[]
}): Envelope<R> {
  const exitCode = parts.error?.exitCode ?? ExitCode.OK
  return {
    command: parts.command,
    ...(parts.error && {error: parts.error}),
    exitCode,
    mode: parts.mode,
    ok: exitCode === ExitCode.OK,
    result: parts.result,
    warnings: [...parts.warnings],
  }
}
