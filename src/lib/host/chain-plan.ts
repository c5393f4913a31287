import type {ReinstallPlugin} from '../import/plugin-plan.js'
import type {ChainOptions} from './host-chain.js'

import {openclawCommand} from '../ui/hints.js'
import {isRegistrySpec} from './plugin-spec.js'
import {compareHostVersions} from './version-guard.js'

/** One OpenClaw command the import would run after activation, as the user could type it. */
export type PlannedStep = {
  command: string
  /** Why it would not run by itself (the user runs it, or nothing does), else null. */
  skipped: null | string
  step: string
  /** When it runs only if an earlier step ends a certain way. */
  when: null | string
}

export type ChainPlanOptions = Pick<
  ChainOptions,
  'configPath' | 'doctor' | 'home' | 'profile' | 'restart' | 'sourceVersion' | 'startGateway' | 'stateDir'
> & {
  /** The installed OpenClaw's version, null when there is none. */
  hostVersion: null | string
  plugins: ReinstallPlugin[]
}

/**
 * The commands `runHostChain` runs, in its order and by its rules, for a dry run to list:
 * doctor first across versions, validate, plugin reinstalls, doctor, lint, restart or start, status.
 */
export function planHostChain(options: ChainPlanOptions): PlannedStep[] {
  const command = (words: string) => openclawCommand(options, words)
  const steps: PlannedStep[] = []
  const add = (step: string, words: string, extra: Partial<PlannedStep> = {}) => {
    steps.push({command: command(words), skipped: null, step, when: null, ...extra})
  }

  const crossVersion =
    Boolean(options.sourceVersion && options.hostVersion) &&
    compareHostVersions(options.sourceVersion!, options.hostVersion!) < 0
  if (crossVersion && options.doctor)
    add(`doctor --fix (migrate ${options.sourceVersion} → ${options.hostVersion})`, 'doctor --fix --non-interactive')
  add('config validate', 'config validate --json')
  let reinstalls = 0
  for (const plugin of options.plugins) {
    const step = `reinstall plugin ${plugin.id}`
    if (!plugin.spec) {
      steps.push({
        command: '-',
        skipped: `no npm spec recorded (${plugin.source}); reinstall it by hand`,
        step,
        when: null,
      })
      continue
    }

    const {spec} = plugin
    // Not `isRegistrySpec(spec)` directly: it narrows, and the refused spec is what the user must see.
    const fromRegistry: boolean = isRegistrySpec(spec)
    if (!plugin.fromThisMachine && !fromRegistry) {
      add(step, `plugins install ${spec}`, {
        skipped: 'not an npm registry name@version: listed for you to install if you trust it',
      })
      continue
    }

    reinstalls++
    add(step, `plugins install ${spec} --force --accept-capabilities`)
  }

  if (options.doctor) {
    if (!crossVersion || reinstalls > 0) add('doctor --fix', 'doctor --fix --non-interactive')
    add('doctor --lint', 'doctor --lint --json --severity-min error')
  } else {
    add('doctor --fix', 'doctor --fix --non-interactive', {skipped: '--no-doctor'})
    add('doctor --lint', 'doctor --lint --json --severity-min error', {skipped: '--no-doctor'})
  }

  if (!options.restart) {
    add('gateway restart', 'gateway restart', {skipped: '--no-restart'})
    return steps
  }

  add('gateway restart', 'gateway restart')
  if (options.startGateway)
    add('gateway start', 'gateway run', {when: 'no service manages this gateway: started detached'})
  else
    add('gateway start', 'gateway run', {
      skipped: 'without --start-gateway the import prints this command for you',
      when: 'no service manages this gateway',
    })
  add('gateway status', 'gateway status --json --timeout 3000')
  return steps
}
