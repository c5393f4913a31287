/**
 * CLI runs inside the test process with `@oclif/test`'s runCommand: the same commands, flags,
 * envelope and exit codes as the bin, without starting Node and loading TypeScript for every run.
 * Runs are serialized (each swaps HOME, the environment and the working directory). Spawned runs
 * (runCli) stay for what needs a real process: signals, faults, a TTY, stdin, the real host.
 */
import {runCommand} from '@oclif/test'

import {standaloneArgv} from '../../src/standalone.js'
import {cliEnv, type CliOptions, type CliResult, REPO_ROOT} from './cli.js'

let queue: Promise<unknown> = Promise.resolve()

export function runInProcess(args: string[], options: CliOptions): Promise<CliResult> {
  if (options.input !== undefined) throw new Error('runInProcess has no stdin: use runCli')
  const run = queue.then(() => runNow(args, options))
  queue = run.catch(() => {})
  return run
}

async function runNow(args: string[], options: CliOptions): Promise<CliResult> {
  const saved = {cwd: process.cwd(), env: process.env, exitCode: process.exitCode}
  process.env = cliEnv(options)
  process.chdir(options.cwd ?? options.home)
  process.exitCode = undefined
  try {
    const [topic, verb, ...rest] = standaloneArgv(args)
    const {error, stderr, stdout} = await runCommand(
      [`${topic}:${verb}`, ...rest],
      {root: REPO_ROOT},
      {stripAnsi: true},
    )
    const code = error ? (error.oclif?.exit ?? 1) : Number(process.exitCode ?? 0)
    // An error oclif would print itself (not one our commands already reported) goes to stderr, as in the bin.
    const printed = error && error.code !== 'EEXIT' ? `Error: ${error.message}\n` : ''
    const out = Buffer.from(stdout)
    return {code, err: stderr + printed, out: stdout, signal: null, stdout: out}
  } finally {
    process.chdir(saved.cwd)
    process.env = saved.env
    process.exitCode = saved.exitCode
  }
}
