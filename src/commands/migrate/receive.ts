import {Flags} from '@oclif/core'

import {MigrateCommand} from '../../lib/base-command.js'
import {MigrateError} from '../../lib/errors.js'
import {receiveArchive, receivePreflight, receiveSeed} from '../../lib/push/receive.js'

const MAX_MANIFEST = 64 * 1024 * 1024

async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > limit)
      throw new MigrateError('ARCHIVE_CORRUPT', 'The manifest sent for the preflight is implausibly large.')
    chunks.push(chunk as Buffer)
  }

  return Buffer.concat(chunks)
}

export default class MigrateReceive extends MigrateCommand<typeof MigrateReceive> {
  static override description = `The new machine's end of \`push\`, run there over ssh: --preflight reads the manifest on stdin and answers with this machine's plan and problems (writes nothing); without it, imports the archive on stdin and undoes the import if anything after activation fails. Step lines go to stderr, the result to stdout.`
  static override flags = {
    'allow-downgrade': Flags.boolean({description: 'Import even if this OpenClaw is older than the source state.'}),
    doctor: Flags.boolean({allowNo: true, default: true, description: 'Run doctor after activation.'}),
    map: Flags.string({description: 'Place the old path OLD at NEW (repeatable).', multiple: true}),
    preflight: Flags.boolean({description: 'Only answer whether this machine can take the manifest on stdin.'}),
    seed: Flags.string({
      description: "Phase one of a two-phase push: keep the bodies on stdin in push ID's private store.",
      exclusive: ['preflight', 'seeded'],
    }),
    seeded: Flags.string({
      description: "Import the archive on stdin, taking the bodies it names from push ID's store.",
    }),
    'start-gateway': Flags.boolean({description: 'Start the gateway after the import and wait until it answers.'}),
    'stop-gateway': Flags.boolean({description: 'Stop a gateway running on the target state first.'}),
  }

  static override hidden = true
  static override summary = "The new machine's end of `push` (run by push over ssh)."
  protected mode = 'receive'

  async run() {
    const {flags} = this
    const context = await this.hostContext()
    const options = {
      allowDowngrade: flags['allow-downgrade'],
      config: this.config,
      context,
      doctor: flags.doctor,
      maps: flags.map ?? [],
      profile: flags.profile ?? (flags.dev ? 'dev' : undefined),
      startGateway: flags['start-gateway'],
      stateDir: flags['state-dir'],
      stopGateway: flags['stop-gateway'],
    }
    if (flags.preflight) this.mode = 'preflight'
    if (flags.preflight) return receivePreflight(await readStdin(MAX_MANIFEST), options)
    if (flags.seed) {
      this.mode = 'seed'
      return receiveSeed({context, id: flags.seed})
    }

    const abort = new AbortController()
    const onSigint = () => {
      abort.abort()
    }

    process.once('SIGINT', onSigint)
    try {
      return await receiveArchive({
        ...options,
        onStep(message) {
          process.stderr.write(`${message}\n`)
        },
        seeded: flags.seeded,
        signal: abort.signal,
      })
    } finally {
      process.off('SIGINT', onSigint)
    }
  }
}
