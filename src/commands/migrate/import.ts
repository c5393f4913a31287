import {Args, Flags} from '@oclif/core'

import {archiveFromArgs} from '../../lib/archive/volumes.js'
import {MigrateCommand} from '../../lib/base-command.js'
import {ourCommand} from '../../lib/cli-face.js'
import {MigrateError} from '../../lib/errors.js'
import {listAsides, pruneAsides} from '../../lib/operations/asides-operation.js'
import {type ImportPhase, runImport} from '../../lib/operations/import-operation.js'
import {runUndo} from '../../lib/operations/undo-operation.js'
import {pruneConfirmation, renderAsides, renderPrune} from '../../lib/ui/asides-report.js'
import {chainFailure, foreignFlags, keyFlags, renderImport, summarizeImport} from '../../lib/ui/import-report.js'
import {resolveDecryption} from '../../lib/ui/passphrase.js'
import {confirmPlacementOnTty} from '../../lib/ui/placement-prompt.js'
import {StageProgress} from '../../lib/ui/stage-progress.js'
import {humanBytes} from '../../lib/util/paths.js'

const IMPORT_STAGES: Record<ImportPhase, string> = {
  activate: 'Activating (rename into place, old state moved aside)',
  check: 'Checking the result against the archive',
  host: 'Handing over to OpenClaw',
  open: 'Opening the archive (decrypt, manifest, preflight checks)',
  rebase: "Rebasing paths onto this machine's home",
  verify: 'Staging and verifying every entry against the index',
}

/** Flags that only mean something when an archive is imported. */
const ARCHIVE_ONLY = ['dry-run', 'map', 'owner', 'rewrite-workspace-paths', 'identity', 'passphrase-file']

export default class MigrateImport extends MigrateCommand<typeof MigrateImport> {
  static override args = {
    archive: Args.string({
      description:
        'Archive written by `migrate export` (or - for stdin), a plain tar of ~/.openclaw* state dirs, or an `openclaw backup create` archive.',
    }),
  }

  // The volumes of a split archive come as one shell glob: several arguments (archiveFromArgs).
  static override strict = false
  static override description = `Every entry is verified against the archive's index while it is staged next to its target; paths are rebased for this machine, then activated by rename; OpenClaw's config validate, plugin reinstalls, doctor and gateway restart follow.

An existing state dir or workspace (e.g. one onboarding created) is moved aside to <path>.pre-migrate-<UTC time>, never deleted; --undo puts it back.`
  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> openclaw-migrate-work-laptop-20261124T101500Z.tar.gz.age',
      description: 'Import an archive copied from the old machine (asks for its passphrase on a TTY).',
    },
    {
      command:
        'ssh oldhost openclaw-migrate export -o - --passphrase-file p | <%= config.bin %> <%= command.id %> - --passphrase-file p',
      description: 'Stream the export from the old machine straight into the import.',
    },
    {
      command: '<%= config.bin %> <%= command.id %> archive.tar.gz.age --dry-run',
      description: 'Verify the archive and print the plan (targets, moves aside, rewrites, OpenClaw commands).',
    },
    {command: '<%= config.bin %> <%= command.id %> --undo', description: 'Put back what the last import moved aside.'},
    {
      command: '<%= config.bin %> <%= command.id %> --list-asides',
      description: 'List the copies imports, undos and pushes left behind (they hold secrets).',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --prune-asides --older-than 30d',
      description: 'Remove those older than 30 days, after a yes (or --yes).',
    },
  ]

  static override flags = {
    ...keyFlags,
    ...foreignFlags,
    'accept-placement': Flags.boolean({
      description:
        "Accept without asking the roots the plan lists for consent: outside the state dir in an archive that is not passphrase-encrypted, or over existing data that does not look like OpenClaw's.",
    }),
    'allow-downgrade': Flags.boolean({
      description: 'Import even if this OpenClaw is older than the one that last wrote the state.',
    }),
    doctor: Flags.boolean({
      allowNo: true,
      default: true,
      description: 'Run `openclaw doctor --fix` and `doctor --lint` after activation.',
    }),
    'dry-run': Flags.boolean({
      description:
        'Verify the archive and print the full plan (targets, moves aside, rewrites, commands); write nothing.',
    }),
    host: Flags.boolean({
      allowNo: true,
      default: true,
      description:
        'Run OpenClaw after the files are placed (config validate, plugins, doctor, gateway); --no-host only places and verifies the files, no OpenClaw needed.',
    }),
    map: Flags.string({
      description: 'Place the old path OLD at NEW (repeatable), for paths outside the old home.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    owner: Flags.string({description: 'When importing as root: give everything to this user.'}),
    restart: Flags.boolean({allowNo: true, default: true, description: 'Restart the gateway after the import.'}),
    'list-asides': Flags.boolean({
      description:
        'List the copies imports moved aside (*.pre-migrate-*), undos stepped away (*.undone-*) and pushes retired (*.moved-to-*): what each is, its age, its size. They hold secrets.',
      exclusive: ['prune-asides', 'undo', ...ARCHIVE_ONLY],
    }),
    'older-than': Flags.string({
      description: 'With --list-asides or --prune-asides: only copies at least this old (30d, 12h, 2w).',
    }),
    'prune-asides': Flags.boolean({
      description:
        'Remove those copies for good, after a yes on the terminal (or --yes); a copy an unfinished import still needs is kept.',
      exclusive: ['undo', ...ARCHIVE_ONLY],
    }),
    yes: Flags.boolean({char: 'y', description: 'With --prune-asides: remove without asking.'}),
    'keep-plugin-entries': Flags.boolean({
      description:
        'Keep the config entries of plugins that cannot be reinstalled here (by default they are dropped so the gateway starts).',
    }),
    'rewrite-workspace-paths': Flags.boolean({
      description:
        'Also rewrite old-home paths inside workspace text files and session transcript headers (otherwise only reported).',
    }),
    'start-gateway': Flags.boolean({
      description: 'Without a service manager, start the gateway detached with `openclaw gateway run`.',
    }),
    'stop-gateway': Flags.boolean({
      description: 'Stop a gateway running on the target state first (refused otherwise).',
    }),
    undo: Flags.boolean({
      description: 'Undo the last completed import: the imported state steps aside, the moved-aside state comes back.',
      exclusive: ['dry-run', 'map', 'owner', 'rewrite-workspace-paths', 'identity', 'passphrase-file'],
    }),
  }

  static override usage = [
    '<%= command.id %> ARCHIVE|- [--passphrase-file FILE | -i KEYFILE...] [--profile NAME | --dev | --state-dir DIR] [--map OLD=NEW...] [--owner USER] [--stop-gateway] [--start-gateway] [--no-doctor] [--no-restart] [--no-host] [--allow-downgrade] [--rewrite-workspace-paths] [--dry-run] [--json]',
    '<%= command.id %> --undo [--json]',
    '<%= command.id %> --list-asides | --prune-asides [--older-than 30d] [--yes] [--json]',
  ]

  static override summary = 'Import an archive: verify, rebase, activate, run OpenClaw.'
  protected mode = 'import'

  async run() {
    const {flags} = this
    if (flags.undo) return this.undo()
    if (flags['list-asides'] || flags['prune-asides']) return this.asides()
    if (flags['older-than'] || flags.yes)
      throw new MigrateError('USAGE', '--older-than and --yes go with --list-asides or --prune-asides.', {
        suggestions: [ourCommand('import --prune-asides --older-than 30d')],
      })
    if (flags['dry-run']) this.mode = 'dry-run'
    const archive = archiveFromArgs(this.positionals)
    if (!archive)
      throw new MigrateError('USAGE', 'Which archive? Pass its path, or - to read it from stdin.', {
        suggestions: [ourCommand('import <archive>'), ourCommand('import --undo')],
      })
    const context = await this.hostContext({noBinary: !flags.host})
    const abort = new AbortController()
    const insist = new AbortController()
    let activated = false
    // Before activation Ctrl-C stops the import; after it, the import finishes unless pressed again.
    // The answer goes to stderr even with --json: it replies to the key the person just pressed.
    const onSigint = () => {
      if (abort.signal.aborted) {
        if (activated && !insist.signal.aborted) process.stderr.write('Rolling the import back…\n')
        insist.abort()
        return
      }

      abort.abort()
      if (activated)
        process.stderr.write(
          'The imported state is already in place: finishing the import. Press Ctrl-C again to roll it back.\n',
        )
    }

    process.on('SIGINT', onSigint)
    const progress = StageProgress.forCommand(this.jsonEnabled())
    try {
      const outcome = await runImport({
        acceptPlacement: flags['accept-placement'],
        allowDowngrade: flags['allow-downgrade'],
        doctor: flags.doctor,
        dryRun: flags['dry-run'],
        maps: flags.map ?? [],
        noHost: !flags.host,
        owner: flags.owner,
        restart: flags.restart,
        keepPluginEntries: flags['keep-plugin-entries'],
        rewriteWorkspacePaths: flags['rewrite-workspace-paths'],
        startGateway: flags['start-gateway'],
        stopGateway: flags['stop-gateway'],
        config: this.config,
        confirmPlacement: this.jsonEnabled() ? undefined : confirmPlacementOnTty,
        context,
        fromHome: flags['from-home'],
        getKeys: () => progress.pause(() => resolveDecryption(flags)),
        insist: insist.signal,
        onPhase(phase) {
          if (phase === 'activate' || phase === 'check' || phase === 'host') activated = true
          progress.stage(IMPORT_STAGES[phase])
        },
        onProgress(bytes, files) {
          progress.status(`${humanBytes(bytes)}, ${files} files`)
        },
        onStep: (message) => {
          if (!progress.active) {
            this.say(`  ${message}`, true)
            return
          }

          progress.done()
          progress.line(`  ${message}`)
        },
        onStepStart(step) {
          progress.stage(`OpenClaw: ${step}`)
        },
        profile: flags.profile ?? (flags.dev ? 'dev' : undefined),
        signal: abort.signal,
        source: archive,
        stateDir: flags['state-dir'],
      })
      progress.done()
      for (const w of outcome.plan.warnings) this.note(w)
      this.say(renderImport(outcome))
      if (outcome.verification && !outcome.verification.report.ready)
        this.fail(outcome.verification.report.notReady('The imported state does not match the archive.'))
      else if (outcome.chain && !outcome.chain.ok) this.fail(chainFailure(outcome.chain))
      return summarizeImport(outcome)
    } finally {
      process.off('SIGINT', onSigint)
    }
  }

  private async asides() {
    const {flags} = this
    this.mode = flags['prune-asides'] ? 'prune-asides' : 'list-asides'
    const context = await this.hostContext({noBinary: true})
    const request = {context, olderThan: flags['older-than']}
    if (!flags['prune-asides']) {
      const listing = listAsides(request)
      this.say(renderAsides(listing))
      return listing
    }

    const confirm = pruneConfirmation({
      interactive: !this.jsonEnabled(),
      olderThan: flags['older-than'],
      yes: flags.yes,
    })
    const outcome = await pruneAsides({...request, confirm})
    this.say(renderPrune(outcome))
    if (outcome.failed.length > 0)
      this.fail(
        new MigrateError('TARGET_UNWRITABLE', `${outcome.failed.length} cop(ies) could not be removed.`, {
          suggestions: outcome.failed.map((f) => `${f.path}: ${f.reason}`),
        }),
      )
    return outcome
  }

  private async undo() {
    this.mode = 'undo'
    const {flags} = this
    const context = await this.hostContext({noBinary: !flags.host})
    const outcome = await runUndo({
      config: this.config,
      context,
      noHost: !flags.host,
      stopGateway: flags['stop-gateway'],
    })
    for (const j of outcome.recovered)
      this.say(`The interrupted import ${j.runId} was rolled back: everything it had moved is back in place.`)
    for (const dir of outcome.gatewaysStopped) this.say(`Stopped the gateway running on ${dir}.`)
    for (const r of outcome.restored)
      this.say(
        r.from
          ? `${r.target}: restored from ${r.from}; the imported copy is now ${r.importedNowAt}`
          : `${r.target}: nothing was there before; the imported copy is now ${r.importedNowAt}`,
      )
    if (outcome.restored.length > 0)
      this.say(
        `The imported copies (*.undone-*) hold secrets (API keys, channel logins): remove them once you no longer need them (${ourCommand('import --prune-asides')}).`,
      )
    return {
      archiveId: (outcome.undone ?? outcome.recovered.at(-1))?.archiveId ?? null,
      gatewaysStopped: outcome.gatewaysStopped,
      recovered: outcome.recovered.map((j) => j.runId),
      restored: outcome.restored,
      undone: outcome.undone?.runId ?? null,
    }
  }
}
