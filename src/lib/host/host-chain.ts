import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {PluginRecord} from '../archive/manifest.js'
import type {ReinstallPlugin} from '../import/plugin-plan.js'
import type {HostContext} from './host-context.js'

import {openclawCommand} from '../ui/hints.js'
import {childEnv} from '../util/child-env.js'
import {redactText} from '../util/redact.js'
import {HostCommands, type HostStepResult} from './host-commands.js'
import {OpenClawBinary} from './openclaw-binary.js'
import {isRegistrySpec} from './plugin-spec.js'
import {canonicalStateDir} from './state-rules.js'
import {compareHostVersions} from './version-guard.js'

/**
 * ok; skipped (summary says why); warning (it ran, and summary is what the host said that needs a
 * look); failed (summary is the host's own message, whole).
 */
export type StepStatus = 'failed' | 'ok' | 'skipped' | 'warning'

export type ChainStep = {
  command: string
  durationMs: number
  exitCode: null | number
  /** status !== 'failed' */
  ok: boolean
  /** Why the step did not run, or null. */
  skipped: null | string
  status: StepStatus
  step: string
  summary: string
}

export type ChainOptions = {
  configPath: string
  doctor: boolean
  home: string
  onStep?: (step: ChainStep) => void
  /** A host command is about to run (it may take a while: doctor, a plugin install). */
  onStepStart?: (step: string) => void
  plugins: ReinstallPlugin[]
  profile: null | string
  restart: boolean
  /** The user insisted on stopping (a second Ctrl-C): the running host command ends, no other starts. */
  signal?: AbortSignal
  /** The OpenClaw version that wrote the archive: older than the target's, the host migrates first. */
  sourceVersion?: null | string
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

/** The chain stopped because the user insisted (the caller rolls the import back). */
export class ChainStopped extends Error {
  constructor() {
    super('stopped by the user')
  }
}

/** The last line the host printed that says something (not box drawing), for a step that went well. */
function lastLine(result: Pick<HostStepResult, 'stderr' | 'stdout'>): string {
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((l) => l.replace(/^[\s│┃|└┗├┣◇◆●○•*>-]+/u, '').trim())
    .filter((l) => /\w/.test(l))
  return redactText(lines.at(-1) ?? '')
}

/** Everything the host said, for a step that failed: the user needs its own words, not a cut. */
function wholeMessage(result: Pick<HostStepResult, 'exitCode' | 'stderr' | 'stdout'>): string {
  const text = [result.stderr.trim(), result.stdout.trim()].filter(Boolean).join('\n')
  return redactText(text || `exit ${result.exitCode}`)
}

/** `gateway restart` that could not restart because no service manages this gateway (not a failure). */
const NO_SERVICE =
  /service (is )?(disabled|not installed|not loaded)|service management skipped|no service manager|not supported on this platform/i

function step(
  fields: Pick<ChainStep, 'command' | 'durationMs' | 'exitCode' | 'step' | 'summary'>,
  status: StepStatus,
): ChainStep {
  return {...fields, ok: status !== 'failed', skipped: status === 'skipped' ? fields.summary : null, status}
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
  const stopIfInsisted = () => {
    if (options.signal?.aborted) throw new ChainStopped()
  }

  const record = (step: ChainStep) => {
    steps.push(step)
    options.onStep?.(step)
    return step
  }

  /** Runs a host command; `judge` may call a non-zero exit something other than a failure. */
  const run = async (
    name: string,
    id: string,
    args: string[],
    judge: (r: HostStepResult) => null | {status: StepStatus; summary: string} = () => null,
    timeoutMs = 180_000,
  ) => {
    stopIfInsisted()
    options.onStepStart?.(name)
    const result = await host.run(id, [...args, ...oclifArgs], {signal: options.signal, timeoutMs})
    stopIfInsisted()
    const verdict = judge(result) ?? {
      status: result.exitCode === 0 ? 'ok' : 'failed',
      summary: result.exitCode === 0 ? lastLine(result) : wholeMessage(result),
    }
    const fields = {command: result.command, durationMs: result.durationMs, exitCode: result.exitCode, step: name}
    return {result, step: record(step({...fields, summary: verdict.summary}, verdict.status))}
  }

  const skip = (name: string, command: string, why: string) =>
    record(step({command, durationMs: 0, exitCode: null, step: name, summary: why}, 'skipped'))

  // A newer host rejects an older host's config until its own doctor has migrated it
  // (2026.9 on a 2026.4/2026.6 config: `meta: Unrecognized key "lastTouchedAt"`): migrate first.
  const crossVersion =
    Boolean(options.sourceVersion && target.hostVersion) &&
    compareHostVersions(options.sourceVersion!, target.hostVersion!) < 0
  if (crossVersion && options.doctor)
    await run(`doctor --fix (migrate ${options.sourceVersion} → ${target.hostVersion})`, 'doctor', [
      '--fix',
      '--non-interactive',
    ])
  await run('config validate', 'config:validate', ['--json'])
  let reinstalled = 0
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

    if (!plugin.fromThisMachine && !isRegistrySpec(plugin.spec)) {
      // The archive chose this spec: only an exact npm registry version is installed unasked. A record this
      // machine wrote before the import (this tool's own plugin, e.g. from npm-pack:) is the user's own choice.
      skip(
        `reinstall plugin ${plugin.id}`,
        `openclaw plugins install ${plugin.spec}`,
        `it was installed from ${JSON.stringify(plugin.spec)}, not an npm registry name@version: if you trust that source, install it yourself: \`${openclawCommand(options, 'plugins install <spec>')}\``,
      )
      continue
    }

    stopIfInsisted()
    options.onStepStart?.(`reinstall plugin ${plugin.id}`)
    const install = async () => {
      const installed = await target.binary!.run(
        ['plugins', 'install', plugin.spec!, '--force', '--accept-capabilities'],
        {signal: options.signal, timeoutMs: 300_000},
      )
      stopIfInsisted()
      return installed
    }

    let result = await install()
    let firstFailure: null | string = null
    // The imported install record names a package dir that is not there yet: the host flags the plugin while
    // starting up and fails the first install's load check although the install itself succeeded. Once more settles it.
    if (result.exitCode !== 0) {
      const first = result
      firstFailure = wholeMessage(first)
      result = await install()
      result = {...result, durationMs: first.durationMs + result.durationMs}
    }

    const fields = {
      command: result.command,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      step: `reinstall plugin ${plugin.id}`,
    }
    if (result.exitCode === 0) reinstalled++
    if (result.exitCode !== 0) record(step({...fields, summary: wholeMessage(result)}, 'failed'))
    else if (firstFailure)
      record(step({...fields, summary: `installed on the second attempt; the first said: ${firstFailure}`}, 'warning'))
    else record(step({...fields, summary: lastLine(result)}, 'ok'))
  }

  // After the reinstalls: doctor --fix finishes the plugins' deferred state migrations.
  if (options.doctor) {
    // Cross-version, doctor already ran; again only to finish reinstalled plugins' migrations.
    if (!crossVersion || reinstalled > 0) await run('doctor --fix', 'doctor', ['--fix', '--non-interactive'])
    await run('doctor --lint', 'doctor', ['--lint', '--json', '--severity-min', 'error'])
  } else {
    skip('doctor --fix', 'openclaw doctor --fix --non-interactive', '--no-doctor')
    skip('doctor --lint', 'openclaw doctor --lint --json --severity-min error', '--no-doctor')
  }

  const startCommand = openclawCommand(options, 'gateway run')
  let gatewayRunning = false
  let needStart: null | string = null
  if (options.restart) {
    const {result} = await run(
      'gateway restart',
      'gateway:restart',
      [],
      (r) =>
        r.exitCode !== 0 && NO_SERVICE.test(`${r.stdout}\n${r.stderr}`)
          ? {status: 'skipped', summary: `no service manages this gateway: ${wholeMessage(r)}`}
          : null,
      120_000,
    )
    if (result.exitCode !== 0) {
      needStart = startCommand
      if (options.startGateway && target.binary) {
        stopIfInsisted()
        await startDetached(target.binary, options.stateDir)
        record(
          step(
            {
              command: `${startCommand} (detached)`,
              durationMs: 0,
              exitCode: 0,
              step: 'gateway start',
              summary: `log: ${path.join(options.stateDir, 'logs', 'gateway-migrate.log')}`,
            },
            'ok',
          ),
        )
        needStart = null
      }
    }

    // A gateway takes 20-40 s to answer on a quiet machine, minutes on a busy small one.
    const pollingFrom = Date.now()
    const deadline = pollingFrom + (needStart ? 0 : 300_000)
    for (;;) {
      stopIfInsisted()
      const result = await host.run('gateway:status', ['--json', '--timeout', '3000', ...oclifArgs], {
        signal: options.signal,
        timeoutMs: 60_000,
      })
      stopIfInsisted()
      const data = result.data as null | {rpc?: {ok?: boolean}}
      gatewayRunning = result.exitCode === 0 && Boolean(data?.rpc?.ok ?? target.hostKind === 'oclif')
      if (gatewayRunning || Date.now() >= deadline) {
        const fields = {
          command: result.command,
          durationMs: result.durationMs,
          exitCode: result.exitCode,
          step: 'gateway status',
        }
        if (gatewayRunning) record(step({...fields, summary: 'gateway answers'}, 'ok'))
        else if (needStart) record(step({...fields, summary: `not running: start it with \`${needStart}\``}, 'warning'))
        else record(step({...fields, summary: `${wholeMessage(result)}${gatewayLogTail(options.stateDir)}`}, 'failed'))
        break
      }

      // Often at first: a push counts its downtime until the new gateway answers.
      await sleep(Date.now() - pollingFrom < 15_000 ? 250 : 2000)
    }
  } else {
    skip('gateway restart', 'openclaw gateway restart', '--no-restart')
    needStart = startCommand
  }

  return {gatewayRunning, ok: steps.every((s) => s.ok), startCommand: needStart, steps}
}

/** Why the gateway we started does not answer: the end of its log, secrets redacted. */
function gatewayLogTail(stateDir: string): string {
  const log = path.join(stateDir, 'logs', 'gateway-migrate.log')
  try {
    const text = fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')
    return `\n${log} (last lines):\n${redactText(text)}`
  } catch {
    return ''
  }
}

export async function startDetached(binary: OpenClawBinary, stateDir: string): Promise<void> {
  const logDir = path.join(stateDir, 'logs')
  fs.mkdirSync(logDir, {mode: 0o700, recursive: true})
  const logFile = path.join(logDir, 'gateway-migrate.log')
  // The gateway writes straight into the log file: were its stdout/stderr piped through this
  // process (as execa does for {file}), we could never exit, and once we did it would write into a dead pipe.
  const fd = fs.openSync(logFile, 'a', 0o600)
  try {
    const child = spawn(binary.file, [...binary.profileArgs, 'gateway', 'run'], {
      detached: true,
      // The gateway lives on after we exit: it gets no secret of ours (the passphrase) for life.
      env: childEnv(binary.env),
      stdio: ['ignore', fd, fd],
    })
    child.on('error', () => {})
    child.unref()
  } finally {
    fs.closeSync(fd)
  }
}
