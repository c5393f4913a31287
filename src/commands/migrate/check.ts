import {Flags} from '@oclif/core'

import {MigrateCommand} from '../../lib/base-command.js'
import {checkSource} from '../../lib/verify/source-readiness.js'

export default class MigrateCheck extends MigrateCommand<typeof MigrateCheck> {
  static override description = `Check that this machine is ready to export: state dir and profile found (and by which source), config parses, workspaces present, gateway state, remote mode, ownership and modes, secrets present (by path), size and free space.

Exits 0 when ready, 1 when something must be fixed first, with one line per problem saying how.`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile work --json']
  static override flags = {
    output: Flags.string({char: 'o', description: 'Where the archive will be written (for the free-space check).', default: '.'}),
  }

  async run() {
    const context = await this.hostContext()
    const {report} = await checkSource(context, {config: this.config, outputDir: this.flags.output})
    this.say(report.render(`Export readiness of ${context.stateDir}`))
    if (!report.ready) process.exitCode = 1
    return {checks: report.items, context: {configPath: context.configPath, hostVersion: context.hostVersion, profile: context.profile, sources: context.sources, stateDir: context.stateDir}, ready: report.ready, warnings: this.warnings}
  }
}
