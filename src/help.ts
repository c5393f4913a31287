import {type Command, Help} from '@oclif/core'

import {ExitCode} from './lib/errors.js'

/** The README's exit-code table, in every command's help. */
const EXIT_STATUS: Array<[string, string]> = [
  [String(ExitCode.OK), 'done / ready'],
  [String(ExitCode.NOT_READY), 'check found something to fix; an import whose verification failed'],
  [String(ExitCode.USAGE), 'usage: bad flags, no passphrase source, output exists or is inside the state'],
  [String(ExitCode.ARCHIVE), 'archive: unreadable, corrupted, truncated, tampered or unsafe'],
  [String(ExitCode.SOURCE), 'source: gateway running, remote mode, unreadable or changing files, bad SQLite'],
  [String(ExitCode.TARGET), 'target: gateway running, no space, owned by someone else, OpenClaw missing or too old'],
  [String(ExitCode.HOST), 'an OpenClaw command (doctor, gateway) failed after activation'],
  [String(ExitCode.INTERRUPTED), 'interrupted; nothing was activated'],
]

/** oclif's help, plus an EXIT STATUS section for our commands (`--json` carries the code too). */
export default class MigrateHelp extends Help {
  protected override formatCommand(command: Command.Loadable): string {
    const text = super.formatCommand(command)
    if (!/^migrate[: ]/.test(command.id)) return text
    return `${text}\n\n${this.section('EXIT STATUS', EXIT_STATUS)}`
  }

  /** This help only runs with our package as the root (standalone, native): the verbs stand alone there. */
  protected override formatCommands(commands: Command.Loadable[]): string {
    return super.formatCommands(commands).replaceAll(/^(\s+)migrate /gm, '$1')
  }
}
