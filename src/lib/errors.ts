import {Errors} from '@oclif/core'

/**
 * Exit codes are part of the CLI contract (documented in the README):
 * scripts and the native OpenClaw entry rely on them staying stable.
 */
export const ExitCode = {
  OK: 0,
  /** The check found problems that must be fixed first. */
  NOT_READY: 1,
  /** Bad invocation: wrong flags, missing passphrase source, bad path. */
  USAGE: 2,
  /** The archive is unreadable, corrupted, tampered with or unsafe. */
  ARCHIVE: 3,
  /** The source state cannot be exported as it is (live gateway, remote mode, unreadable files). */
  SOURCE: 4,
  /** The target cannot receive the state (gateway running, no space, wrong owner, older host). */
  TARGET: 5,
  /** A host command (openclaw, doctor, gateway) failed. */
  HOST: 6,
  /** Interrupted by a signal; nothing was activated. */
  INTERRUPTED: 130,
} as const

type ErrorSpec = {exit: number}

/** Stable error codes. The code, not the message, is what scripts should match on. */
export const ErrorCodes = {
  USAGE: {exit: ExitCode.USAGE},
  NODE_UNSUPPORTED: {exit: ExitCode.USAGE},
  AMBIGUOUS_STATE: {exit: ExitCode.USAGE},
  STATE_NOT_FOUND: {exit: ExitCode.SOURCE},
  CONFIG_INVALID: {exit: ExitCode.SOURCE},
  CONFIG_INCLUDE_MISSING: {exit: ExitCode.SOURCE},
  REMOTE_MODE: {exit: ExitCode.SOURCE},
  GATEWAY_RUNNING: {exit: ExitCode.SOURCE},
  GATEWAY_STOP_FAILED: {exit: ExitCode.HOST},
  SOURCE_UNREADABLE: {exit: ExitCode.SOURCE},
  SOURCE_CHANGED: {exit: ExitCode.SOURCE},
  SQLITE_SNAPSHOT_FAILED: {exit: ExitCode.SOURCE},
  SQLITE_INTEGRITY: {exit: ExitCode.SOURCE},
  OUTPUT_EXISTS: {exit: ExitCode.USAGE},
  OUTPUT_INSIDE_SOURCE: {exit: ExitCode.USAGE},
  OUTPUT_UNWRITABLE: {exit: ExitCode.USAGE},
  NO_SPACE: {exit: ExitCode.TARGET},
  PASSPHRASE_REQUIRED: {exit: ExitCode.USAGE},
  PASSPHRASE_MISMATCH: {exit: ExitCode.USAGE},
  KEY_INVALID: {exit: ExitCode.USAGE},
  DECRYPT_FAILED: {exit: ExitCode.ARCHIVE},
  ARCHIVE_ENCRYPTED: {exit: ExitCode.USAGE},
  ARCHIVE_CORRUPT: {exit: ExitCode.ARCHIVE},
  ARCHIVE_TRUNCATED: {exit: ExitCode.ARCHIVE},
  ARCHIVE_UNSAFE_ENTRY: {exit: ExitCode.ARCHIVE},
  ARCHIVE_MISMATCH: {exit: ExitCode.ARCHIVE},
  ARCHIVE_VERSION: {exit: ExitCode.ARCHIVE},
  /** Not an openclaw-migrate archive, nor a foreign one this tool can adapt (plain tar of state dirs, openclaw backup). */
  ARCHIVE_UNKNOWN: {exit: ExitCode.ARCHIVE},
  ARCHIVE_NOT_FOUND: {exit: ExitCode.USAGE},
  /** The archive claims a place this tool never writes (outside home, dotfiles, relative, not in its config). */
  ARCHIVE_UNSAFE_PLACEMENT: {exit: ExitCode.ARCHIVE},
  /** A line, manifest, root, entry or name count beyond the stated limits. */
  ARCHIVE_LIMIT: {exit: ExitCode.ARCHIVE},
  /** A file the manifest calls a SQLite database is not one. */
  ARCHIVE_NOT_DATABASE: {exit: ExitCode.ARCHIVE},
  /** An archived database fails integrity_check. */
  ARCHIVE_DATABASE_CORRUPT: {exit: ExitCode.ARCHIVE},
  /** An archived database's own schema (CHECK, UNIQUE, foreign key…) refuses this machine's paths when they are rebased. */
  ARCHIVE_DATABASE_REBASE: {exit: ExitCode.ARCHIVE},
  /** A database cell above the stated limit holds an old path to rebase. */
  ARCHIVE_CELL_TOO_LARGE: {exit: ExitCode.ARCHIVE},
  /** A root outside the old home: the user says where with --map. */
  PLACEMENT_NEEDS_MAP: {exit: ExitCode.USAGE},
  /** Roots an unauthenticated archive places outside the state dir, or existing non-OpenClaw data, need a yes. */
  PLACEMENT_CONSENT: {exit: ExitCode.USAGE},
  /** An import journal that names paths this tool does not create: never acted on. */
  JOURNAL_INVALID: {exit: ExitCode.TARGET},
  ARCHIVE_UNREADABLE: {exit: ExitCode.ARCHIVE},
  TARGET_EXISTS: {exit: ExitCode.TARGET},
  TARGET_GATEWAY_RUNNING: {exit: ExitCode.TARGET},
  TARGET_UNWRITABLE: {exit: ExitCode.TARGET},
  TARGET_OWNER: {exit: ExitCode.TARGET},
  HOST_MISSING: {exit: ExitCode.TARGET},
  HOST_TOO_OLD: {exit: ExitCode.TARGET},
  HOST_COMMAND_FAILED: {exit: ExitCode.HOST},
  UNDO_NOTHING: {exit: ExitCode.TARGET},
  /** The copy an import moved aside is gone (pruned): undo would restore nothing, so it changes nothing. */
  UNDO_ASIDE_GONE: {exit: ExitCode.TARGET},
  /** A destructive step (`import --prune-asides`) needs a yes: a terminal to ask on, or --yes. */
  CONFIRMATION_REQUIRED: {exit: ExitCode.USAGE},
  // push: the new machine (reached over ssh) could not or would not take the state.
  SSH_FAILED: {exit: ExitCode.TARGET},
  REMOTE_TOOL_MISSING: {exit: ExitCode.TARGET},
  REMOTE_INCOMPATIBLE: {exit: ExitCode.TARGET},
  REMOTE_REFUSED: {exit: ExitCode.TARGET},
  REMOTE_IMPORT_FAILED: {exit: ExitCode.TARGET},
  PUSH_SEED_MISSING: {exit: ExitCode.TARGET},
  PUSH_SEED_DAMAGED: {exit: ExitCode.TARGET},
  RESTORE_NOTHING: {exit: ExitCode.SOURCE},
  IMPORT_LOCKED: {exit: ExitCode.TARGET},
  INTERRUPTED: {exit: ExitCode.INTERRUPTED},
  NOT_READY: {exit: ExitCode.NOT_READY},
  INTERNAL: {exit: 1},
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ErrorCodes

export type MigrateErrorOptions = {
  cause?: unknown
  /** Structured, secret-free details for --json output. */
  details?: Record<string, unknown>
  /** What the user should do next; shown under the message. */
  suggestions?: string[]
}

/**
 * The one error type of the product. It extends oclif's CLIError so that oclif prints the
 * message with its suggestions and exits with the code's exit status.
 * Messages must never contain secret values: callers pass paths and names, never contents.
 */
export class MigrateError extends Errors.CLIError {
  override readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: MigrateErrorOptions = {}) {
    super(message, {code, exit: ErrorCodes[code].exit, suggestions: options.suggestions})
    this.name = 'MigrateError'
    this.code = code
    this.details = options.details
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', {value: options.cause, enumerable: false})
  }

  get exitCode(): number {
    return ErrorCodes[this.code].exit
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      exitCode: this.exitCode,
      message: this.message,
      suggestions: this.suggestions ?? [],
      ...(this.details && {details: this.details}),
    }
  }
}

export function isMigrateError(error: unknown): error is MigrateError {
  return error instanceof MigrateError
}

/** Wraps an unknown failure (fs, sqlite, tar) without losing a MigrateError's code. */
export function asMigrateError(
  error: unknown,
  fallback: ErrorCode,
  message: string,
  suggestions?: string[],
): MigrateError {
  if (error instanceof MigrateError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new MigrateError(fallback, `${message}: ${reason}`, {cause: error, suggestions})
}
