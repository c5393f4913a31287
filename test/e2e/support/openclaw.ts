/**
 * The real OpenClaw host for the e2e suite: installed once per version into the repo's .cache/
 * (never committed), run with Node 24 and a throwaway HOME per simulated machine.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {alive, describeRun, ensureDir, parseJson, type RunAs, runProcess, type RunResult, trackPid} from './proc.js'

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const CACHE_DIR = process.env.OPENCLAW_E2E_CACHE
  ? path.resolve(process.env.OPENCLAW_E2E_CACHE)
  : path.join(REPO_ROOT, '.cache')
export const PROFILE = 'work'

/** OpenClaw needs Node >=24.16 <25 or >=26.1: `npm run test:e2e` runs on the node@24 devDependency. */
export function assertHostNode(): void {
  const [major, minor] = process.versions.node.split('.').map(Number)
  const ok = (major === 24 && minor >= 16) || (major === 26 && minor >= 1) || major > 26
  if (!ok)
    throw new Error(
      `The e2e suite must run on Node 24 (this is ${process.version}); run it with \`npm run test:e2e\`, which puts the node@24 devDependency first on PATH.`,
    )
}

/** PATH for children: Node 24 first (the host's preinstall and `#!/usr/bin/env node` need it), no stray `openclaw`. */
export function childPath(extraFirst: string[] = []): string {
  const rest = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(path.delimiter)
    .filter((d) => d && !fs.existsSync(path.join(d, 'openclaw')) && !fs.existsSync(path.join(d, 'openclaw-migrate')))
  return [...extraFirst, path.dirname(process.execPath), ...rest]
    .filter((d, i, all) => all.indexOf(d) === i)
    .join(path.delimiter)
}

function nodeVersionOf(node: string): string {
  const match = /node-(\d+\.\d+\.\d+)/.exec(node)
  return match ? match[1] : 'other'
}

export type Host = {
  /** A dir holding an `openclaw` wrapper that runs the script with this Node. */
  binDir: string
  dir: string
  /** True when this run installed it (false: reused from the cache). */
  installed: boolean
  installMs: number
  /** The Node that runs this host (the suite's Node 24 unless an older host asks for its own Node 22). */
  node: string
  /** node_modules/openclaw/openclaw.mjs */
  script: string
  version: string
}

function installedVersion(dir: string): null | string {
  try {
    return (
      (
        JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'openclaw', 'package.json'), 'utf8')) as {
          version?: string
        }
      ).version ?? null
    )
  } catch {
    return null
  }
}

function writeWrapper(dir: string, script: string, node: string): string {
  const binDir = ensureDir(path.join(dir, node === process.execPath ? 'e2e-bin' : `e2e-bin-node${nodeVersionOf(node)}`))
  const wrapper = path.join(binDir, 'openclaw')
  const text = `#!/bin/sh\nexec "${node}" "${script}" "$@"\n`
  if (!fs.existsSync(wrapper) || fs.readFileSync(wrapper, 'utf8') !== text) {
    fs.writeFileSync(wrapper, text)
    fs.chmodSync(wrapper, 0o755)
  }

  return binDir
}

/**
 * `.cache/openclaw-<version>/node_modules/openclaw`, installed with Node 24 first on PATH (a Node 20
 * `npm install openclaw` fails in its preinstall). Reused when it is already there.
 */
export async function ensureHost(
  version: string,
  options: {extraPackages?: string[]; node?: string} = {},
): Promise<Host> {
  const node = options.node ?? process.execPath
  if (!options.node) assertHostNode()
  const dir = path.join(CACHE_DIR, `openclaw-${version}`)
  const started = Date.now()
  let installed = false
  if (installedVersion(dir) !== version || !fs.existsSync(path.join(dir, '.e2e-complete'))) {
    const staging = `${dir}.installing-${process.pid}`
    fs.rmSync(staging, {force: true, recursive: true})
    ensureDir(staging)
    fs.writeFileSync(
      path.join(staging, 'package.json'),
      JSON.stringify(
        {
          description: 'OpenClaw host for the e2e suite (cache, not committed)',
          name: 'openclaw-e2e-host',
          private: true,
        },
        null,
        2,
      ) + '\n',
    )
    const env: NodeJS.ProcessEnv = {...process.env, PATH: childPath([path.dirname(node)])}
    for (const key of Object.keys(env))
      if (/^npm_(lifecycle|package|config_(global|prefix|save|omit|include|only))/i.test(key)) delete env[key]
    const result = await runProcess(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `openclaw@${version}`,
        ...(options.extraPackages ?? []),
      ],
      {cwd: staging, env, timeoutMs: 600_000},
    )
    if (result.code !== 0) throw new Error(`Installing openclaw@${version} failed: ${describeRun(result)}`)
    if (installedVersion(staging) !== version)
      throw new Error(`npm installed openclaw ${installedVersion(staging)} instead of ${version}`)
    fs.rmSync(dir, {force: true, recursive: true})
    fs.renameSync(staging, dir)
    fs.writeFileSync(path.join(dir, '.e2e-complete'), new Date().toISOString() + '\n')
    installed = true
  }

  const script = path.join(dir, 'node_modules', 'openclaw', 'openclaw.mjs')
  return {
    binDir: writeWrapper(dir, script, node),
    dir,
    installed,
    installMs: Date.now() - started,
    node,
    script,
    version,
  }
}

/**
 * The environment of one simulated machine: its HOME, Node 24 and `openclaw` on PATH, nothing of
 * the caller's OpenClaw or npm-run state, and no CI flag (the host should behave as on a user's machine). Everything else (proxy and CA settings the registry needs
 * here, locale) passes through.
 */
export function machineEnv(host: Host, home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(OPENCLAW_|npm_|NPM_)/i.test(key) ||
      ['CI', 'COLOR', 'EDITOR', 'FORCE_COLOR', 'HOME', 'INIT_CWD', 'NODE', 'NODE_ENV', 'PATH', 'VISUAL'].includes(key)
    )
      continue
    env[key] = value
  }

  Object.assign(env, {
    FORCE_COLOR: '0',
    HOME: home,
    NO_COLOR: '1',
    PATH: childPath([host.binDir, path.dirname(host.node)]),
    TERM: 'dumb',
    // One npm cache for the plugin installs of every HOME (the host runs npm for plugin dependencies).
    npm_config_audit: 'false',
    npm_config_cache: path.join(CACHE_DIR, 'e2e-npm-cache'),
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  })
  if (process.env.npm_config_registry) env.npm_config_registry = process.env.npm_config_registry
  if (process.env.npm_config_cafile) env.npm_config_cafile = process.env.npm_config_cafile
  return {...env, ...extra}
}

export class Machine {
  constructor(
    readonly host: Host,
    readonly home: string,
    readonly label: string,
    /** The local account this machine's commands run as (default: the suite's own). */
    readonly user?: RunAs,
  ) {
    ensureDir(home)
  }

  get env(): NodeJS.ProcessEnv {
    // Another account cannot write the suite's shared npm cache: it gets its own.
    return machineEnv(this.host, this.home, this.user ? {npm_config_cache: path.join(this.home, '.npm')} : {})
  }

  get stateDir(): string {
    return path.join(this.home, `.openclaw-${PROFILE}`)
  }

  get configPath(): string {
    return path.join(this.stateDir, 'openclaw.json')
  }

  get stateDb(): string {
    return path.join(this.stateDir, 'state', 'openclaw.sqlite')
  }

  /** `openclaw --profile work <args>` */
  oc(args: string[], timeoutMs = 180_000): Promise<RunResult> {
    return runProcess(this.host.node, [this.host.script, '--profile', PROFILE, ...args], {
      env: this.env,
      timeoutMs,
      user: this.user,
    })
  }

  /** Like oc(), but throws with the command's output unless it exits 0. */
  async ocOk(args: string[], timeoutMs = 180_000): Promise<RunResult> {
    const r = await this.oc(args, timeoutMs)
    if (r.code !== 0) throw new Error(`${this.label}: openclaw ${args.join(' ')} failed: ${describeRun(r)}`)
    return r
  }

  async ocJson<T = any>(args: string[], timeoutMs = 180_000): Promise<{data: T; r: RunResult}> {
    const r = await this.ocOk(args, timeoutMs)
    const data = parseJson<T>(r.stdout)
    if (data === null) throw new Error(`${this.label}: openclaw ${args.join(' ')} printed no JSON: ${describeRun(r)}`)
    return {data, r}
  }

  /** The pid in `<stateDir>/tmp/openclaw-<uid>/gateway.state.lock`, when that process is alive. */
  lockedGatewayPid(): null | number {
    const tmp = path.join(this.stateDir, 'tmp')
    let names: string[] = []
    try {
      names = fs.readdirSync(tmp)
    } catch {
      return null
    }

    for (const name of names.filter((n) => n.startsWith('openclaw-'))) {
      try {
        const lock = JSON.parse(fs.readFileSync(path.join(tmp, name, 'gateway.state.lock'), 'utf8')) as {pid?: number}
        if (typeof lock.pid === 'number' && alive(lock.pid)) return lock.pid
      } catch {}
    }

    return null
  }

  /** `gateway status --json --require-rpc --timeout 3000 --port <port>` */
  gatewayStatus(port: number): Promise<RunResult> {
    return this.oc(
      ['gateway', 'status', '--json', '--require-rpc', '--timeout', '3000', '--port', String(port)],
      60_000,
    )
  }

  /** Polls the host's status probe until the RPC answers (or the gateway process exits / time runs out). */
  async waitGatewayReady(
    port: number,
    options: {pid?: number; timeoutMs?: number} = {},
  ): Promise<{ms: number; ready: boolean; status: null | RunResult}> {
    const started = Date.now()
    // A polling deadline, not a timing assertion: a loaded 2-core machine needs minutes to start a gateway.
    const deadline = started + (options.timeoutMs ?? 300_000)
    let status: null | RunResult = null
    while (Date.now() < deadline) {
      if (options.pid !== undefined && !alive(options.pid)) break
      if (await portOpen(port)) {
        status = await this.gatewayStatus(port)
        if (status.code === 0 && parseJson<{rpc?: {ok?: boolean}}>(status.stdout)?.rpc?.ok)
          return {ms: Date.now() - started, ready: true, status}
      }

      await sleep(1000)
    }

    return {ms: Date.now() - started, ready: false, status}
  }

  /**
   * `openclaw --profile work gateway run --bind loopback --port <port>` in the background (own
   * process group, output to a log), tracked by PID so it is stopped whatever happens.
   */
  async startGateway(
    port: number,
    logFile: string,
  ): Promise<{exit: Promise<null | number>; lockPid: null | number; ms: number; pid: number; ready: boolean}> {
    const {spawn} = await import('node:child_process')
    const fd = fs.openSync(logFile, 'a')
    const child = spawn(
      this.host.node,
      [this.host.script, '--profile', PROFILE, 'gateway', 'run', '--bind', 'loopback', '--port', String(port)],
      {
        cwd: this.home,
        detached: true,
        env: this.env,
        gid: this.user?.gid,
        stdio: ['ignore', fd, fd],
        uid: this.user?.uid,
      },
    )
    fs.closeSync(fd)
    const pid = child.pid!
    trackPid(pid, `${this.label} gateway (gateway run --port ${port})`)
    const exit = new Promise<null | number>((resolve) =>
      child.on('exit', (code) => {
        resolve(code)
      }),
    )
    child.unref()
    const ready = await this.waitGatewayReady(port, {pid})
    const lockPid = this.lockedGatewayPid()
    if (lockPid !== null && lockPid !== pid) trackPid(lockPid, `${this.label} gateway (lock file)`)
    return {exit, lockPid, ms: ready.ms, pid, ready: ready.ready}
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      resolve(false)
    })
  })
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => {
        resolve(port)
      })
    })
  })
}
