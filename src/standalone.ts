import {flush, run} from '@oclif/core'

import {reportError, withRewrittenHelp} from './lib/cli-face.js'
import {envelope, envelopeError} from './lib/envelope.js'
import {ExitCode, MigrateError} from './lib/errors.js'

/**
 * The standalone bin speaks `openclaw-migrate export|import|check`; the commands live under the
 * `migrate` topic so an oclif host shows them as `openclaw migrate ...`. Map one onto the other.
 */
const VERBS = new Set(['check', 'export', 'import', 'push', 'receive'])
const PREFIX = 'openclaw-migrate'

export function standaloneArgv(argv: string[]): string[] {
  const [first, ...rest] = argv
  if (first && VERBS.has(first)) return ['migrate', first, ...rest]
  if (first === undefined || ['--help', '-h', 'help'].includes(first)) {
    return rest.length > 0 && VERBS.has(rest[0]) ? ['migrate', rest[0], '--help'] : ['migrate', '--help']
  }

  return argv
}

/**
 * `openclaw-migrate …`: help and parse errors name the commands as typed here (exit 2 with the
 * usage, no stack), like the `migrate` form.
 */
export async function runStandalone(argv: string[], root: string): Promise<void> {
  const args = standaloneArgv(argv)
  process.removeAllListeners('SIGINT') // the bin's own, while it was loading
  process.on('SIGINT', () => {
    interruptedBeforeCommand(args)
  })
  const help = args.includes('--help') || args.includes('-h')
  try {
    const go = async () => run(args, root)
    await (help ? withRewrittenHelp(process.stdout, PREFIX, go) : go())
    await flush()
  } catch (error) {
    await reportError(error, args, PREFIX, (code) => process.exit(code))
  }
}

const FIRST_MODE: Record<string, string> = {check: 'source', export: 'export', import: 'import'}

/**
 * Ctrl-C before a command has taken over SIGINT (while oclif loads, or in a command that needs
 * no clean-up): nothing was changed yet, so end now with the documented 130 instead of dying by
 * the signal. A command that registered its own handler gets the signal instead.
 */
function interruptedBeforeCommand(args: string[]): void {
  if (process.listenerCount('SIGINT') > 1) return
  const error = new MigrateError('INTERRUPTED', 'Interrupted before anything was changed.')
  const verb = args[1] ?? 'unknown'
  if (args.includes('--json')) {
    const doc = envelope({
      command: verb,
      error: envelopeError(error),
      mode: FIRST_MODE[verb] ?? verb,
      result: null,
      warnings: [],
    })
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
  } else process.stderr.write(`Error: ${error.message}\n`)
  process.exit(ExitCode.INTERRUPTED)
}
