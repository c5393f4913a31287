import {Args, Flags} from '@oclif/core'

import {MigrateCommand} from '../../lib/base-command.js'
import {runPush} from '../../lib/push/push-operation.js'
import {restoreSource} from '../../lib/push/retire.js'
import {parseDestination} from '../../lib/push/ssh.js'
import {exportFlags} from '../../lib/ui/export-report.js'
import {renderPush, renderRestore, summarizePush} from '../../lib/ui/push-report.js'
import {StageProgress} from '../../lib/ui/stage-progress.js'
import {humanBytes} from '../../lib/util/paths.js'

const {agent, 'all-profiles': allProfiles, compression, exclude, 'include-logs': includeLogs, workspace} = exportFlags

export default class MigratePush extends MigrateCommand<typeof MigratePush> {
  static override args = {destination: Args.string({description: 'The new machine, as ssh reaches it: [user@]host.'})}
  static override description = `Run on the old machine. The new machine is asked first (this tool and its archive format there, OpenClaw not older than this one, free space, a gateway running there, where everything would go); any problem stops the push with nothing changed on either side. Then, while the gateway here keeps running, the state is sent ahead over the system ssh (your ~/.ssh/config, agent and known_hosts) into a private store there; only then does the gateway here stop, and what changed meanwhile streams straight into the import there (the unchanged files are named by their sha256 and verified where they lie), and this copy is moved aside to <state dir>.moved-to-<host>-<UTC time> so no second gateway can start on it. Any failure leaves this machine as it was, its gateway started again, and the new one rolled back.`
  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> alice@newbox --start-gateway',
      description: 'Move everything and start the gateway there; prints how long it was down.',
    },
    {
      command: '<%= config.bin %> <%= command.id %> newbox --keep-source',
      description: 'Leave this copy in place (its gateway stays stopped).',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --restore-source',
      description: 'Put back the copy the last push moved aside.',
    },
  ]

  static override flags = {
    agent,
    'all-profiles': allProfiles,
    'allow-downgrade': Flags.boolean({
      description: 'Push even if OpenClaw there is older than the one that last wrote this state.',
    }),
    compression,
    doctor: Flags.boolean({allowNo: true, default: true, description: 'Run doctor there after the import.'}),
    exclude,
    'include-logs': includeLogs,
    'keep-source': Flags.boolean({description: 'Do not move this copy aside after a successful push.'}),
    map: Flags.string({
      description: 'There: place the old path OLD at NEW (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    port: Flags.integer({char: 'p', description: 'ssh port (else from ~/.ssh/config).'}),
    'one-phase': Flags.boolean({
      description:
        'Stop the gateway first and send everything in one stream (longer downtime; the default sends ahead while it runs).',
    }),
    'remote-command': Flags.string({
      default: 'openclaw-migrate',
      description: 'How this tool is run there (e.g. "openclaw migrate-machine").',
    }),
    'remote-profile': Flags.string({description: 'Profile there (default: the same as here).'}),
    'restore-source': Flags.boolean({
      description: 'Put back the copy the last push moved aside, and stop.',
      exclusive: ['keep-source'],
    }),
    'ssh-option': Flags.string({
      description: 'Passed to ssh as -o OPTION (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'start-gateway': Flags.boolean({
      description: 'Start the gateway there and wait until it answers (measures the downtime).',
    }),
    'stop-target-gateway': Flags.boolean({description: 'Stop a gateway running on the target state there first.'}),
    workspace,
  }

  static override summary = 'Move this gateway to another machine over ssh in one command.'
  protected mode = 'push'

  async run() {
    const {args, flags} = this
    const context = await this.hostContext()
    if (flags['restore-source']) {
      this.mode = 'restore-source'
      const record = await restoreSource(context, this.config)
      this.say(renderRestore(record))
      return {restored: record, warnings: this.warnings}
    }

    if (!args.destination) this.error('Where to? Pass the new machine as [user@]host.', {exit: 2})
    const progress = StageProgress.forCommand(this.jsonEnabled())
    const abort = new AbortController()
    const onSigint = () => {
      abort.abort()
    }

    process.once('SIGINT', onSigint)
    try {
      const outcome = await runPush(
        {
          allowDowngrade: flags['allow-downgrade'],
          compression: flags.compression,
          config: this.config,
          context,
          doctor: flags.doctor,
          keepSource: flags['keep-source'],
          maps: flags.map ?? [],
          remoteProfile: flags['remote-profile'],
          selection: {
            agents: flags.agent ?? null,
            allProfiles: flags['all-profiles'],
            excludes: flags.exclude ?? [],
            includeLogs: flags['include-logs'],
            workspaces: flags.workspace,
          },
          signal: abort.signal,
          startGateway: flags['start-gateway'],
          stopTargetGateway: flags['stop-target-gateway'],
          twoPhase: !flags['one-phase'],
          target: {
            ...parseDestination(args.destination),
            options: flags['ssh-option'] ?? [],
            port: flags.port,
            remoteCommand: flags['remote-command'].split(' ').filter(Boolean),
          },
        },
        {
          onPhase: (phase, message) => {
            if (progress.active) progress.stage(message)
            else this.say(message, true)
          },
          onProgress(bytes, files) {
            progress.status(`${humanBytes(bytes)}, ${files} files`)
          },
          onRemoteLine: (line) => {
            if (progress.active) progress.line(`  [${args.destination}] ${line}`)
            else this.say(`  [${args.destination}] ${line}`, true)
          },
        },
      )
      progress.done()
      this.say(renderPush(outcome))
      return summarizePush(outcome, this.warnings)
    } finally {
      progress.done()
      process.off('SIGINT', onSigint)
    }
  }
}
