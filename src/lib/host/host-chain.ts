import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {PluginRecord} from '../archive/manifest.js'
import type {HostContext} from './host-context.js'

import {redactText} from '../util/redact.js'
import {HostCommands, type HostStepResult} from './host-commands.js'
import {OpenClawBinary} from './openclaw-binary.js'
import {canonicalStateDir} from './state-rules.js'

export type ChainStep = {
  command: string
  durationMs: number
  exitCode: null | number
  ok: boolean
  skipped?: string
  step: string
  summary: string
}

export type ChainOptions = {
  configPath: string
  doctor: boolean
  home: string
  onStep?: (step: ChainStep) => void
  plugins: PluginRecord[]
  profile: null | string
  restart: boolean
  startGateway: boolean
  stateDir: string
}

export type ChainResult = {
  gatewayRunning: boolean
  ok: boolean
  /** Printed when the gateway could not be (re)started by the host itself. */
  startCommand: null | string
  steps: ChainStep[]
}

function targetProfileArgs(profile: null | string): string[] {
  return profile ? ['--profile', profile] : []
}

/** The host, pointed at the imported state: its profile, or explicit env for a non-canonical dir. */
export function targetHost(
  context: HostContext,
  options: Pick<ChainOptions, 'configPath' | 'home' | 'profile' | 'stateDir'>,
): HostContext {
  const env: NodeJS.ProcessEnv = {...(context.binary?.env ?? process.env)}
  delete env.OPENCLAW_STATE_DIR
  delete env.OPENCLAW_CONFIG_PATH
  delete env.OPENCLAW_PROFILE
  if (options.stateDir !== canonicalStateDir(options.profile, options.home)) {
    env.OPENCLAW_STATE_DIR = options.stateDir
    env.OPENCLAW_CONFIG_PATH = options.configPath
  }

  const base = context.binary
  const prefix = base
    ? base.profileArgs.filter((a, i, all) => a !== '--profile' && all[i - 1] !== '--profile' && a !== '--dev')
    : []
  const binary = base ? new OpenClawBinary(base.file, [...prefix, ...targetProfileArgs(options.profile)], env) : null
  return {...context, binary, configPath: options.configPath, profile: options.profile, stateDir: options.stateDir}
}

function summarize(result: HostStepResult): string {
  const text = (result.stderr || result.stdout).trim().split('\n').filter(Boolean).slice(-2).join(' | ')
  return redactText(text).slice(0, 300)
}

/**
 * After activation: validate, repair and lint through the host's own doctor, reinstall recorded
 * plugins, then restart (or start) the gateway and check it answers. Each step is reported.
 */
export async function runHostChain(
  context: HostContext,
  options: ChainOptions,
  config?: import('@oclif/core').Config,
): Promise<ChainResult> {
  const target = targetHost(context, options)
  const host = new HostCommands(target, config)
  const steps: ChainStep[] = []
  const oclifArgs = target.hostKind === 'oclif' ? targetProfileArgs(options.profile) : []
  const record = (step: ChainStep) => {
    steps.push(step)
    options.onStep?.(step)
    return step
  }

  const run = async (
    step: string,
    id: string,
    args: string[],
    ok: (r: HostStepResult) => boolean,
    timeoutMs = 180_000,
  ) => {
    const result = await host.run(id, [...args, ...oclifArgs], {timeoutMs})
    return {
      result,
      step: record({
        command: result.command,
        durationMs: result.durationMs,
        exitCode: result.exitCode,
        ok: ok(result),
        step,
        summary: summarize(result),
      }),
    }
  }

  const skip = (step: string, command: string, why: string) =>
    record({command, durationMs: 0, exitCode: null, ok: true, skipped: why, step, summary: why})

  await run('config validate', 'config:validate', ['--json'], (r) => r.exitCode === 0)
  for (const plugin of options.plugins) {
    if (!plugin.spec) {
      skip(`reinstall plugin ${plugin.id}`, '-', `no npm spec recorded (${plugin.source}); reinstall it by hand`)
      continue
    }

    if (!target.binary) {
      skip(
        `reinstall plugin ${plugin.id}`,
        `openclaw plugins install ${plugin.spec}`,
        'no openclaw executable to install OpenClaw plugins with',
      )
      continue
    }

    if (plugin.spec.startsWith('npm-pack:') && !fs.existsSync(plugin.spec.slice('npm-pack:'.length))) {
      skip(
        `reinstall plugin ${plugin.id}`,
        `openclaw plugins install ${plugin.spec}`,
        `it was installed from the local package ${plugin.spec.slice('npm-pack:'.length)}, which is not on this machine: copy it here and run \`openclaw${targetProfileArgs(
          options.profile,
        )
          .map((a) => ` ${a}`)
          .join('')} plugins install ${plugin.spec} --force\``,
      )
      continue
    }

    const install = () =>
      target.binary!.run(['plugins', 'install', plugin.spec!, '--force', '--accept-capabilities'], {timeoutMs: 300_000})
    let result = await install()
    let retried = ''
    // The imported install record names a package dir that is not there yet: the host flags the plugin while
    // starting up and fails the first install's load check although the install itself succeeded. Once more settles it.
    if (result.exitCode !== 0) {
      const first = result
      result = await install()
      retried = `first attempt exit ${first.exitCode} (${summarize({...first, data: null, via: 'binary'}).slice(0, 120)}); second attempt: `
      result = {...result, durationMs: first.durationMs + result.durationMs}
    }

    record({
      command: result.command,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      ok: result.exitCode === 0,
      step: `reinstall plugin ${plugin.id}`,
      summary: retried + summarize({...result, data: null, via: 'binary'}),
    })
  }

  // After the reinstalls: doctor --fix finishes the plugins' deferred state migrations.
  if (options.doctor) {
    await run('doctor --fix', 'doctor', ['--fix', '--non-interactive'], (r) => r.exitCode === 0)
    await run('doctor --lint', 'doctor', ['--lint', '--json', '--severity-min', 'error'], (r) => r.exitCode === 0)
  } else {
    skip('doctor --fix', 'openclaw doctor --fix --non-interactive', '--no-doctor')
    skip('doctor --lint', 'openclaw doctor --lint --json --severity-min error', '--no-doctor')
  }

  const startCommand = `openclaw ${[...targetProfileArgs(options.profile), 'gateway', 'run'].join(' ')}`
  let gatewayRunning = false
  let needStart: null | string = null
  if (options.restart) {
    const {result} = await run('gateway restart', 'gateway:restart', [], (r) => r.exitCode === 0, 120_000)
    if (result.exitCode !== 0) {
      steps.at(-1)!.ok = true
      steps.at(-1)!.summary = `no service manager here (${steps.at(-1)!.summary || `exit ${result.exitCode}`})`
      needStart = startCommand
      if (options.startGateway && target.binary) {
        await startDetached(target.binary, options.stateDir)
        record({
          command: `${startCommand} (detached)`,
          durationMs: 0,
          exitCode: 0,
          ok: true,
          step: 'gateway start',
          summary: `log: ${path.join(options.stateDir, 'logs', 'gateway-migrate.log')}`,
        })
        needStart = null
      }
    }

    const deadline = Date.now() + (needStart ? 0 : 90_000)
    for (;;) {
      const result = await host.run('gateway:status', ['--json', '--timeout', '3000', ...oclifArgs], {
        timeoutMs: 30_000,
      })
      const data = result.data as null | {rpc?: {ok?: boolean}}
      gatewayRunning = result.exitCode === 0 && Boolean(data?.rpc?.ok ?? target.hostKind === 'oclif')
      if (gatewayRunning || Date.now() >= deadline) {
        record({
          command: result.command,
          durationMs: result.durationMs,
          exitCode: result.exitCode,
          ok: gatewayRunning || needStart !== null,
          step: 'gateway status',
          summary: gatewayRunning
            ? 'gateway answers'
            : needStart
              ? `not running: start it with \`${needStart}\``
              : summarize(result),
        })
        break
      }

      await sleep(2000)
    }
  } else {
    skip('gateway restart', 'openclaw gateway restart', '--no-restart')
    needStart = startCommand
  }

  return {gatewayRunning, ok: steps.every((s) => s.ok), startCommand: needStart, steps}
}

async function startDetached(binary: OpenClawBinary, stateDir: string): Promise<void> {
  const logDir = path.join(stateDir, 'logs')
  fs.mkdirSync(logDir, {mode: 0o700, recursive: true})
  const logFile = path.join(logDir, 'gateway-migrate.log')
  // The gateway writes straight into the log file: were its stdout/stderr piped through this
  // process (as execa does for {file}), we could never exit, and once we did it would write into a dead pipe.
  const fd = fs.openSync(logFile, 'a', 0o600)
  try {
    const child = spawn(binary.file, [...binary.profileArgs, 'gateway', 'run'], {
      detached: true,
      env: {...binary.env},
      stdio: ['ignore', fd, fd],
    })
    child.on('error', () => {})
    child.unref()
  } finally {
    fs.closeSync(fd)
  }
}
