import {Errors} from '@oclif/core'
import {Exit, handle} from '@oclif/core/handle'

/**
 * One command form everywhere (help, examples, hints): the way the user runs this tool in the
 * face in use. `openclaw-migrate import` standalone, `openclaw migrate-machine import` inside
 * OpenClaw, `<bin> migrate import` in an oclif host.
 */
const STANDALONE = 'openclaw-migrate'
export const NATIVE_PREFIX = 'openclaw migrate-machine'
let prefix = STANDALONE

export function setCommandPrefix(value: string): void {
  prefix = value
}

/** The prefix for a command's own root (`bin` of the oclif config that loaded the command). */
export function prefixFor(bin: string, native: boolean): string {
  if (native) return NATIVE_PREFIX
  return bin === STANDALONE ? STANDALONE : `${bin} migrate`
}

/** `ourCommand('import --undo')` → `openclaw-migrate import --undo` in the face in use. */
export function ourCommand(rest: string): string {
  return `${prefix} ${rest}`
}

/** oclif renders our commands as `openclaw-migrate migrate export`: name them the way the face is typed. */
export function rewriteHelp(text: string, facePrefix: string): string {
  return text
    .replaceAll(`${STANDALONE} migrate `, () => `${facePrefix} `)
    .replaceAll(`${STANDALONE} migrate\n`, () => `${facePrefix}\n`)
}

/** Runs fn with everything written to stream passed through rewriteHelp. */
export async function withRewrittenHelp<T>(
  stream: NodeJS.WriteStream,
  facePrefix: string,
  fn: () => Promise<T>,
): Promise<T> {
  const {write} = stream
  stream.write = function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return (write as (c: string, ...r: unknown[]) => boolean).call(stream, rewriteHelp(text, facePrefix), ...rest)
  }

  try {
    return await fn()
  } finally {
    stream.write = write
  }
}

/**
 * oclif's error printing (message, suggestions, the command's usage for parse errors, exit code)
 * for argv as oclif saw it (`migrate import …`), with the usage named the way the face is typed.
 * `exit` decides what ending the run means: process.exit standalone, process.exitCode inside a host.
 */
export async function reportError(
  error: unknown,
  argv: string[],
  facePrefix: string,
  exit: (code: number) => void,
): Promise<void> {
  const err = error instanceof Error ? error : new Error(String(error))
  if (err instanceof Errors.ExitError) {
    exit(err.oclif.exit ?? 0)
    return
  }

  const saved = {argv: process.argv, exit: Exit.exit}
  Exit.exit = exit as typeof Exit.exit
  // handle() renders the usage from process.argv.slice(2): give it the argv oclif parsed.
  process.argv = [saved.argv[0], saved.argv[1], ...argv]
  try {
    await withRewrittenHelp(process.stderr, facePrefix, async () => handle(err))
  } finally {
    Exit.exit = saved.exit
    process.argv = saved.argv
  }
}
