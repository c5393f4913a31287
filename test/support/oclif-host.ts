/**
 * Drives the fixture oclif host (test/fixtures/oclif-host, bin `openclaw`) in child processes with
 * an isolated HOME and XDG dirs, so `plugins link` writes its user-plugin list under a temp dir and
 * never into the real ~/.local/share. The fixture has no node_modules of its own: Node resolves
 * `@oclif/core` and `@oclif/plugin-plugins` by walking up to the repo root's node_modules.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {checkEnvelope, type Envelope} from './cli.js'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const FIXTURE_HOST_ROOT = path.join(REPO_ROOT, 'test', 'fixtures', 'oclif-host')
export const FIXTURE_HOST_BIN = path.join(FIXTURE_HOST_ROOT, 'bin', 'run.js')
export const FIXTURE_HOST_VERSION = '2026.9.6-fixture'

/** The repo's Node 24 (devDependency `node`), else whatever runs the tests. */
export const NODE_24 = ((): string => {
  const local = path.join(REPO_ROOT, 'node_modules', '.bin', 'node')
  return fs.existsSync(local) ? local : process.execPath
})()

export type HostResult = {
  code: null | number
  stderr: string
  stdout: string
}

export type HostLogLine = {
  argv: string[]
  command: string
  env: Record<string, null | string>
  input?: {dev: boolean; profile: null | string}
  pid: number
  result?: {configPath: string; profile: null | string; stateDir: string}
  stateDir?: string
}

export type OclifHost = {
  cleanup(): void
  clearLog(): void
  /** The host's oclif data dir (user/linked plugin list). */
  dataDir: string
  /** Temp dir holding everything below. */
  dir: string
  env: NodeJS.ProcessEnv
  /** HOME of the child processes (the plugin's built-in rules would look here). */
  home: string
  logFile: string
  readLog(): HostLogLine[]
  run(args: string[], options?: {env?: Record<string, string | undefined>; timeoutMs?: number}): Promise<HostResult>
  /** FIXTURE_HOST_STATE_ROOT: where the host's hook puts `.openclaw[-profile]`. */
  stateRoot: string
}

function pathWithoutOpenClaw(base = process.env.PATH ?? ''): string {
  return base
    .split(path.delimiter)
    .filter((dir) => dir && !fs.existsSync(path.join(dir, 'openclaw')))
    .join(path.delimiter)
}

export function createOclifHost(): OclifHost {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-oclif-host-')))
  const home = path.join(dir, 'home')
  const stateRoot = path.join(dir, 'state-root')
  const xdg = path.join(dir, 'xdg')
  const logFile = path.join(dir, 'host-calls.jsonl')
  for (const d of [home, stateRoot, xdg]) fs.mkdirSync(d, {recursive: true})

  const env: NodeJS.ProcessEnv = {...process.env}
  // OPENCLAW_* also covers oclif's scoped vars for bin `openclaw` (OPENCLAW_DATA_DIR, ...).
  for (const key of Object.keys(env)) if (/^(OPENCLAW_|FIXTURE_HOST_|XDG_)/.test(key)) delete env[key]
  delete env.CI
  Object.assign(env, {
    FIXTURE_HOST_LOG: logFile,
    FIXTURE_HOST_STATE_ROOT: stateRoot,
    HOME: home,
    // test (or development) makes oclif load the linked plugin's src/ through tsx.
    NODE_ENV: 'test',
    NO_COLOR: '1',
    PATH: pathWithoutOpenClaw(),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
  })

  const run: OclifHost['run'] = (args, options = {}) =>
    new Promise((resolve, reject) => {
      const childEnv = {...env}
      for (const [k, v] of Object.entries(options.env ?? {})) {
        if (v === undefined) delete childEnv[k]
        else childEnv[k] = v
      }

      const child = spawn(NODE_24, [FIXTURE_HOST_BIN, ...args], {
        cwd: home,
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({code, stderr, stdout})
      })
    })

  return {
    cleanup() {
      fs.rmSync(dir, {force: true, recursive: true})
    },
    clearLog() {
      fs.rmSync(logFile, {force: true})
    },
    dataDir: path.join(xdg, 'data', 'openclaw-fixture-host'),
    dir,
    env,
    home,
    logFile,
    readLog: () =>
      fs.existsSync(logFile)
        ? fs
            .readFileSync(logFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as HostLogLine)
        : [],
    run,
    stateRoot,
  }
}

/** `plugins link <repo root> --no-install`: never let plugin-plugins run `npm install` in the repo. */
export async function linkPlugin(host: OclifHost): Promise<HostResult> {
  return host.run(['plugins', 'link', REPO_ROOT, '--no-install'])
}

export function parseJson<T = Record<string, unknown>>(result: HostResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    )
  }
}

/** The plugin's JSON envelope printed through the host, checked (as the standalone bin's is). */
export function envelopeOf<R = any>(result: HostResult): Envelope<R> {
  const doc = parseJson<Envelope<R>>(result)
  const problems = checkEnvelope(doc)
  if (doc.exitCode !== result.code) problems.push(`exitCode ${doc.exitCode} but the host exited ${result.code}`)
  if (problems.length > 0) throw new Error(`not the JSON envelope: ${problems.join('; ')}\n${result.stdout}`)
  return doc
}

export function resultOf<R = any>(result: HostResult): R {
  const {result: body} = envelopeOf<R>(result)
  if (body === null) throw new Error(`no result: ${result.stdout}\n${result.stderr}`)
  return body
}
