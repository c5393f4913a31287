import {Args, Flags} from '@oclif/core'

import {MigrateCommand} from '../../lib/base-command.js'
import {MigrateError} from '../../lib/errors.js'
import {checkAgainst, checkArchive} from '../../lib/operations/check-operation.js'
import {keyFlags} from '../../lib/ui/import-report.js'
import {resolveDecryption} from '../../lib/ui/passphrase.js'
import {humanBytes} from '../../lib/util/paths.js'
import {checkSource} from '../../lib/verify/source-readiness.js'

export default class MigrateCheck extends MigrateCommand<typeof MigrateCheck> {
  static override args = {
    archive: Args.string({description: 'Verify this archive (or - for stdin) instead of checking this machine.'}),
  }

  static override description = `Check readiness or verify a move.

Without arguments (old machine): state dir and profile found (and by which source), config parses, workspaces present, gateway, remote mode, ownership and modes, secrets (by path), size and free space.
With an ARCHIVE: decrypt and verify every hash and safety rule, writing nothing outside a temp dir, then summarise the manifest.
With --against ARCHIVE (new machine): every file present with the right hash, counts, modes, owner, no old-machine paths left, gateway status.

Exits 0 when everything is fine, 1 when something must be fixed, with one line per problem saying how.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> archive.tar.gz.age',
    '<%= config.bin %> <%= command.id %> --against archive.tar.gz.age --json',
  ]

  static override flags = {
    ...keyFlags,
    against: Flags.string({
      description: 'Verify this machine against the archive it was imported from.',
      exclusive: ['output'],
    }),
    map: Flags.string({description: 'Same --map OLD=NEW as given to import (repeatable).', multiple: true}),
    output: Flags.string({
      char: 'o',
      default: '.',
      description: 'Where the archive will be written (for the free-space check).',
    }),
  }

  async run() {
    const {args, flags} = this
    const archive = flags.against ?? args.archive
    if (flags.against && args.archive)
      throw new MigrateError('USAGE', 'Pass the archive either as an argument or with --against, not both.')
    if (!archive) return this.checkThisMachine()
    const checked = await checkArchive(archive, () => resolveDecryption(flags))
    if (!checked.read) {
      process.exitCode = 1
      this.say(
        `Archive check FAILED: ${checked.error!.message}${checked.error!.suggestions?.length ? `\n  → ${checked.error!.suggestions[0]}` : ''}`,
      )
      return {archive, error: checked.error!.toJSON(), ok: false, warnings: this.warnings}
    }

    try {
      const {manifest} = checked.read
      const summary = {
        archiveId: manifest.archiveId,
        createdAt: manifest.createdAt,
        encrypted: checked.encrypted,
        entries: checked.read.entries.size,
        payloadBytes: checked.read.payloadBytes,
        profiles: manifest.profiles.map((p) => ({
          counts: p.counts,
          lastTouchedVersion: p.lastTouchedVersion,
          plugins: p.plugins,
          profile: p.profile,
        })),
        roots: manifest.roots.map((r) => ({id: r.id, kind: r.kind, sourcePath: r.sourcePath})),
        source: manifest.source,
        tool: manifest.tool,
      }
      this.say(
        `Archive OK: ${summary.entries} entries, ${humanBytes(summary.payloadBytes)}, every hash verified (${checked.encrypted ? 'age-encrypted' : 'NOT encrypted'}, ${checked.compression}).\n  from ${manifest.source.hostname} (${manifest.source.platform}) ${manifest.source.home}, profile ${manifest.source.profile ?? 'default'}, ${manifest.createdAt}\n${manifest.profiles.map((p) => `  ${p.profile ?? 'default'}: ${p.counts.agents} agents, ${p.counts.sessions} sessions, ${p.counts.cronJobs} cron jobs, ${p.counts.credentialDirs} credential dirs`).join('\n')}`,
      )
      if (!flags.against) return {archive, ok: true, summary, warnings: this.warnings}
      const context = await this.hostContext()
      const against = await checkAgainst(context, checked.read, {
        config: this.config,
        maps: flags.map ?? [],
        profile: flags.profile ?? (flags.dev ? 'dev' : undefined),
        stateDir: flags['state-dir'],
      })
      this.say(against.report.render('Verification of this machine against the archive:'))
      if (!against.report.ready) process.exitCode = 1
      return {
        archive,
        checks: against.report.items,
        ok: against.report.ready,
        summary,
        targets: against.targets,
        warnings: this.warnings,
      }
    } finally {
      checked.read.entries.close()
    }
  }

  private async checkThisMachine() {
    const context = await this.hostContext()
    const {report} = await checkSource(context, {config: this.config, outputDir: this.flags.output})
    this.say(report.render(`Export readiness of ${context.stateDir}`))
    if (!report.ready) process.exitCode = 1
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
      warnings: this.warnings,
    }
  }
}
