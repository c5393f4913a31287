import {type Command, Help} from '@oclif/core'

import {ExitCode} from './lib/errors.js'

/** The README's exit-code table, in every command's help. */
const EXIT_STATUS: Array<[string, string]> = [
  [String(ExitCode.OK), 'done / ready'],
  [String(ExitCode.NOT_READY), '`check` found something to fix; an import whose verification failed'],
  [
    String(ExitCode.USAGE),
    'usage: bad flags, no passphrase source, output exists or is inside the state, a prune with no terminal to confirm on and no `--yes`',
  ],
  [
    String(ExitCode.ARCHIVE),
    'archive: unreadable, corrupted, truncated, tampered or unsafe, or not an archive this tool knows (ARCHIVE_UNKNOWN)',
  ],
  [String(ExitCode.SOURCE), 'source: gateway running, remote mode, unreadable or changing files, bad SQLite'],
  [
    String(ExitCode.TARGET),
    'target: gateway running, no space, not writable, owned by someone else, another import running, OpenClaw missing or too old',
  ],
  [String(ExitCode.HOST), 'an OpenClaw command (doctor, gateway) failed after activation'],
  [
    String(ExitCode.INTERRUPTED),
    'interrupted: before activation nothing was activated; after it, a second Ctrl-C rolled the import back',
  ],
]

/** oclif repeats the summary as the first paragraph of DESCRIPTION; it is already the help's first line. */
function withoutRepeatedSummary(text: string, summary: string | undefined): string {
  if (!summary) return text
  const words = (s: string) => s.replaceAll(/\s+/g, ' ').trim()
  return text.replace(/^DESCRIPTION\n((?: {2}\S.*\n)+)\n/m, (all, first: string) =>
    words(first) === words(summary) ? 'DESCRIPTION\n' : all,
  )
}

/** oclif's help, plus an EXIT STATUS section for our commands (`--json` carries the code too). */
export default class MigrateHelp extends Help {
  protected override formatCommand(command: Command.Loadable): string {
    const text = withoutRepeatedSummary(super.formatCommand(command), command.summary)
    if (!/^migrate[: ]/.test(command.id)) return text
    return `${text}\n\n${this.section('EXIT STATUS', EXIT_STATUS)}`
  }

  /** This help only runs with our package as the root (standalone, native): the verbs stand alone there. */
  protected override formatCommands(commands: Command.Loadable[]): string {
    return super.formatCommands(commands).replaceAll(/^(\s+)migrate /gm, '$1')
  }
}
