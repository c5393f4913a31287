import {Args, Flags} from '@oclif/core'

import {archiveFromArgs} from '../../lib/archive/volumes.js'
import {MigrateCommand} from '../../lib/base-command.js'
import {MigrateError} from '../../lib/errors.js'
import {checkAgainst, checkArchive} from '../../lib/operations/check-operation.js'
import {archiveSummary, renderArchiveSummary} from '../../lib/ui/archive-report.js'
import {foreignFlags, keyFlags} from '../../lib/ui/import-report.js'
import {resolveDecryption} from '../../lib/ui/passphrase.js'
import {checkSource} from '../../lib/verify/source-readiness.js'

export default class MigrateCheck extends MigrateCommand<typeof MigrateCheck> {
  static override args = {
    archive: Args.string({description: 'Verify this archive (or - for stdin) instead of checking this machine.'}),
  }

  static override description = `Without arguments (old machine): state dir and profile found (and by which source), config parses, workspaces present, gateway, remote mode, ownership and modes, secrets (by path), size and free space.
With an ARCHIVE: decrypt and verify every hash and safety rule, writing nothing outside a temp dir, then summarise the manifest.
With --against ARCHIVE (new machine): every file present with the right hash, counts, modes, owner, no old-machine paths left, gateway status.

Exits 0 when everything is fine, 1 when something must be fixed, with one line per problem saying how.`
  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Is this machine ready to export?'},
    {
      command: '<%= config.bin %> <%= command.id %> archive.tar.gz.age --passphrase-file pass.txt',
      description: 'Verify an archive (decrypt, every hash, every rule) without importing it.',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --against archive.tar.gz.age --json',
      description: 'After an import: prove this machine holds what the archive holds.',
    },
  ]

  static override flags = {
    ...keyFlags,
    ...foreignFlags,
    'accept-placement': Flags.boolean({
      description: 'As for import: accept the roots the plan lists for consent (otherwise the check fails on them).',
    }),
    against: Flags.string({
      description: 'Verify this machine against the archive it was imported from.',
      exclusive: ['output'],
    }),
    map: Flags.string({
      description: 'Same --map OLD=NEW as given to import (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    output: Flags.directory({
      char: 'o',
      default: '.',
      description: 'Directory the archive will be written to, for the free-space check (old machine only).',
    }),
  }

  static override usage = [
    '<%= command.id %> [--profile NAME | --dev | --state-dir DIR] [-o DIR] [--json]',
    '<%= command.id %> ARCHIVE|- [--passphrase-file FILE | -i KEYFILE...] [--json]',
    '<%= command.id %> --against ARCHIVE [--passphrase-file FILE | -i KEYFILE...] [--map OLD=NEW...] [--json]',
  ]

  // The volumes of a split archive come as one shell glob: several arguments (archiveFromArgs).
  static override strict = false
  static override summary = 'Check readiness or verify a move.'
  protected mode = 'source'

  async run() {
    const {flags} = this
    const positional = archiveFromArgs(this.positionals)
    const archive = flags.against ?? positional
    if (flags.against && positional)
      throw new MigrateError('USAGE', 'Pass the archive either as an argument or with --against, not both.')
    if (!archive) return this.checkThisMachine()
    this.mode = flags.against ? 'against' : 'archive'
    // The import's placement on this machine, with the same flags: never OK for what import refuses.
    const {home} = await this.hostContext({noBinary: true})
    const checked = await checkArchive(
      archive,
      () => resolveDecryption(flags),
      {
        // Against an import already made, consent was given (or not) at import time.
        acceptPlacement: flags['accept-placement'] || Boolean(flags.against),
        home,
        maps: flags.map ?? [],
        profile: flags.profile ?? (flags.dev ? 'dev' : undefined),
        stateDir: flags['state-dir'],
      },
      {fromHome: flags['from-home']},
    )
    if (!checked.read) throw checked.error!
    try {
      const placement = checked.plan!.targets.map((t) => ({root: t.root.id, target: t.target, why: t.why}))
      const summary = {...archiveSummary(checked.read, checked), authenticated: checked.authenticated, placement}
      this.say(renderArchiveSummary(checked.read, checked))
      this.say(
        `Import here would place:\n${placement.map((t) => `  ${t.root.padEnd(26)} ${t.target}  (${t.why})`).join('\n')}`,
      )
      if (!flags.against) return {archive, summary}
      const context = await this.hostContext()
      const against = await checkAgainst(context, checked.read, {
        config: this.config,
        maps: flags.map ?? [],
        profile: flags.profile ?? (flags.dev ? 'dev' : undefined),
        stateDir: flags['state-dir'],
      })
      this.say(against.report.render('Verification of this machine against the archive:'))
      if (!against.report.ready) this.fail(against.report.notReady('This machine does not match the archive.'))
      return {archive, checks: against.report.items, ready: against.report.ready, summary, targets: against.targets}
    } finally {
      checked.read.entries.close()
    }
  }

  private async checkThisMachine() {
    const context = await this.hostContext()
    const {report} = await checkSource(context, {config: this.config, outputDir: this.flags.output})
    this.say(report.render(`Export readiness of ${context.stateDir}`))
    if (!report.ready) this.fail(report.notReady('This machine is not ready to export.'))
    return {
      checks: report.items,
      context: {
        configPath: context.configPath,
        hostVersion: context.hostVersion,
        profile: context.profile,
        sources: context.sources,
        stateDir: context.stateDir,
      },
      ready: report.ready,
    }
  }
}
