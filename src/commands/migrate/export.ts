import {Flags} from '@oclif/core'

import {parseSize} from '../../lib/archive/volumes.js'
import {MigrateCommand} from '../../lib/base-command.js'
import {ExitCode, MigrateError} from '../../lib/errors.js'
import {abandonExport, prepareExport, runExport} from '../../lib/operations/export-operation.js'
import {
  exportFlags,
  renderExportPlan,
  renderExportResult,
  summarizeExport,
  summarizePlan,
} from '../../lib/ui/export-report.js'
import {resolveEncryption, willPromptForEncryption} from '../../lib/ui/passphrase.js'
import {StageProgress} from '../../lib/ui/stage-progress.js'
import {humanBytes} from '../../lib/util/paths.js'

export default class MigrateExport extends MigrateCommand<typeof MigrateExport> {
  static override description = `State dir, credentials, sessions, channel logins and workspaces go into one archive, encrypted with age by default.

The inventory comes from the config: the whole state dir, every workspace and agentDir (also outside the state dir), $include files and .env. Regenerable paths (tmp, cache, npm, logs, node_modules) are skipped with a reason; SQLite databases are captured as consistent snapshots.`
  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> --passphrase-file ~/.migrate-pass',
      description: 'Export the default profile, encrypted to the passphrase in a file.',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --profile work --stop-gateway -o ~/work.tar.gz.age',
      description: 'Export the work profile, stopping its gateway first.',
    },
    {
      command:
        '<%= config.bin %> <%= command.id %> --recipient age1... -o - | ssh newhost openclaw-migrate import - --identity key.txt',
      description: "Stream the archive over ssh, encrypted to the new machine's age key; nothing is stored in between.",
    },
    {
      command: '<%= config.bin %> <%= command.id %> --dry-run',
      description: 'Print what would be exported; write nothing.',
    },
    {
      command: '<%= config.bin %> <%= command.id %> -o /media/stick/ --split 2G',
      description: 'Write the archive onto a stick in volumes of at most 2 GiB (automatic below 4 GiB on FAT32).',
    },
  ]

  static override flags = {
    ...exportFlags,
    'dry-run': Flags.boolean({
      description: 'Print the plan (what, sizes, secrets found by path, skipped, warnings) and write nothing.',
    }),
    output: Flags.string({
      char: 'o',
      description:
        'Write the archive to this file, or into this directory; "-" streams it to stdout. Default: ./openclaw-migrate-<profile>-<host>-<UTC time>.tar.gz.age',
    }),
    split: Flags.string({
      description:
        'Cut the archive into volumes <output>.001, .002, … of at most SIZE (e.g. 4000M, 2G). Automatic below 4 GiB when the output is on FAT32.',
    }),
    'stop-gateway': Flags.boolean({
      description: 'Stop a running gateway through OpenClaw before exporting (refused otherwise).',
    }),
  }

  static override usage = [
    '<%= command.id %> [-o FILE|DIR|-] [--profile NAME | --dev | --state-dir DIR | --all-profiles] [--passphrase-file FILE | --recipient AGE1... | --recipients-file FILE | --no-encrypt] [--compression gzip|zstd] [--agent ID...] [--exclude GLOB...] [--no-workspace] [--include-logs] [--stop-gateway] [--dry-run] [--json]',
  ]

  static override summary = "Export this machine's gateway into one encrypted archive."

  protected mode = 'export'

  async run() {
    const {flags} = this
    const toStdout = flags.output === '-'
    if (flags['dry-run']) this.mode = 'dry-run'
    if (toStdout && this.jsonEnabled())
      throw new MigrateError('USAGE', '--json and -o - both want stdout; write the archive to a file to get JSON.')
    // A passphrase typed now, not after the inventory's long silence.
    const early = !flags['dry-run'] && willPromptForEncryption(flags) ? await resolveEncryption(flags) : null
    const progress = StageProgress.forCommand(this.jsonEnabled())
    progress.stage('Planning the export (inventory, SQLite, gateway)')
    const context = await this.hostContext()
    const request = {
      compression: flags.compression,
      config: this.config,
      context,
      dryRun: flags['dry-run'],
      encrypted: flags.encrypt,
      output: flags.output,
      selection: {
        agents: flags.agent ?? null,
        allProfiles: flags['all-profiles'],
        excludes: flags.exclude ?? [],
        includeLogs: flags['include-logs'],
        workspaces: flags.workspace,
      },
      split: flags.split === undefined ? undefined : parseSize(flags.split),
      stopGateway: flags['stop-gateway'],
    }
    const prepared = await prepareExport(request).catch((error) => {
      progress.done('failed')
      throw error
    })
    progress.done()
    for (const w of prepared.plan.warnings) this.note(w)
    if (flags['dry-run']) {
      if (prepared.gateway.running) this.note(`The gateway is running; the export will need --stop-gateway.`)
      this.say(renderExportPlan(prepared, context), toStdout)
      return summarizePlan(prepared, context)
    }

    const encryption = early ?? (await resolveEncryption(flags))
    if (encryption.kind === 'none')
      this.note(
        '--no-encrypt: the archive holds API keys, OAuth tokens and channel logins in the clear. Store and move it like a password.',
      )
    const {bytes: totalBytes, files: totalFiles} = prepared.plan.totals
    // Ctrl-C: nothing half-written may stay behind (a partial archive, snapshots in the temp dir).
    const onSigint = () => {
      progress.done('interrupted')
      abandonExport()
      const error = new MigrateError(
        'INTERRUPTED',
        'Export interrupted; the partial archive and the temporary files were removed.',
        {suggestions: ['Run the export again.']},
      )
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(this.toErrorJson(error), null, 2)}\n`)
      else process.stderr.write(`Error: ${error.message}\n`)
      process.exit(ExitCode.INTERRUPTED)
    }

    process.once('SIGINT', onSigint)
    progress.stage('Writing the archive')
    const outcome = await runExport(request, prepared, encryption, {
      onProgress(b, f) {
        progress.status(
          `${humanBytes(b)} of ${humanBytes(totalBytes)}, ${f}/${totalFiles} files (${totalBytes > 0 ? Math.floor((100 * b) / totalBytes) : 100}%)`,
        )
      },
    })
      .then(
        (result) => {
          progress.done()
          return result
        },
        (error) => {
          progress.done('failed')
          throw error
        },
      )
      .finally(() => {
        process.off('SIGINT', onSigint)
      })
    this.say(renderExportResult(outcome, encryption), toStdout)
    return summarizeExport(outcome, context, encryption)
  }
}
