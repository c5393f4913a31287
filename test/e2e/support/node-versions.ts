/**
 * Older Node versions for the e2e suite, installed like the hosts: `npm install node@<version>`
 * into the cache dir (the npm `node` package fetches the official binary from the registry), once.
 * Users' old machines run OpenClaw before 2026.9 on Node 22; the tool must run there too.
 */
import fs from 'node:fs'
import path from 'node:path'

import {CACHE_DIR, childPath, REPO_ROOT} from './openclaw.js'
import {describeRun, ensureDir, runProcess} from './proc.js'
import {installStandalone, packTool} from './tool.js'

/** The newest Node 22 (has node:sqlite with backup() and zstd) and the oldest the tool supports. */
export const NODE22 = '22.23.3'

export async function ensureNode(version: string): Promise<string> {
  const dir = path.join(CACHE_DIR, `node-${version}`)
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node')
  if (fs.existsSync(path.join(dir, '.e2e-complete')) && fs.existsSync(bin)) return bin
  const staging = ensureDir(`${dir}.installing-${process.pid}`)
  fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({name: 'node-e2e', private: true}) + '\n')
  const env: NodeJS.ProcessEnv = {...process.env, PATH: childPath([path.join(REPO_ROOT, 'node_modules', '.bin')])}
  for (const key of Object.keys(env))
    if (/^npm_(lifecycle|package|config_(global|prefix|save))/i.test(key)) delete env[key]
  const r = await runProcess('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `node@${version}`], {
    cwd: staging,
    env,
    timeoutMs: 600_000,
  })
  if (r.code !== 0) throw new Error(`Installing node@${version} failed: ${describeRun(r)}`)
  fs.rmSync(dir, {force: true, recursive: true})
  fs.renameSync(staging, dir)
  fs.writeFileSync(path.join(dir, '.e2e-complete'), new Date().toISOString() + '\n')
  return bin
}

let standalone: null | Promise<{ms: number; runJs: string}> = null

/** The packed tool installed standalone once per suite run, shared by the files that need it. */
export function sharedStandalone(runRoot: string): Promise<{ms: number; runJs: string}> {
  standalone ??= (async () => {
    const started = Date.now()
    const packed = await packTool(path.join(runRoot, 'pack'))
    const {runJs} = await installStandalone(packed.tgz, path.join(runRoot, 'standalone-install'))
    return {ms: Date.now() - started, runJs}
  })()
  return standalone
}
