/**
 * Our package as users get it: `npm pack` (prepack builds dist/ and oclif.manifest.json), then
 * installed from the tarball, standalone (`npm install <tgz>`) and as an OpenClaw plugin
 * (`openclaw plugins install npm-pack:<tgz>`, done per HOME by the scenario).
 */
import fs from 'node:fs'
import path from 'node:path'

import {childPath, REPO_ROOT} from './openclaw.js'
import {describeRun, ensureDir, parseJson, runProcess} from './proc.js'

export type Packed = {
  files: string[]
  ms: number
  tgz: string
}

function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, PATH: childPath([path.join(REPO_ROOT, 'node_modules', '.bin')])}
  for (const key of Object.keys(env))
    if (/^npm_(lifecycle|package|config_(global|prefix|save|omit|include|only|dry_run|json))/i.test(key))
      delete env[key]
  return {...env, ...extra}
}

export const REQUIRED_IN_TARBALL = [
  'package/package.json',
  'package/bin/run.js',
  'package/oclif.manifest.json',
  'package/openclaw.plugin.json',
  'package/dist/native/openclaw-entry.js',
  'package/dist/native/run-native.js',
  'package/dist/commands/migrate/export.js',
]

export async function packTool(destination: string): Promise<Packed> {
  ensureDir(destination)
  const started = Date.now()
  const r = await runProcess('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: REPO_ROOT,
    env: npmEnv(),
    timeoutMs: 300_000,
  })
  if (r.code !== 0) throw new Error(`npm pack failed: ${describeRun(r)}`)
  const info = parseJson<Array<{filename: string; files: Array<{path: string}>}>>(r.stdout)
  const filename = info?.[0]?.filename ?? fs.readdirSync(destination).find((f) => f.endsWith('.tgz'))
  if (!filename) throw new Error(`npm pack wrote no tarball: ${describeRun(r)}`)
  const tgz = path.join(destination, filename.replace(/^@[^/]+\//, '').replace('/', '-'))
  if (!fs.existsSync(tgz)) throw new Error(`npm pack reported ${filename}, but ${tgz} does not exist`)
  const list = await runProcess('tar', ['-tzf', tgz], {env: npmEnv()})
  return {files: list.stdout.split('\n').filter(Boolean), ms: Date.now() - started, tgz}
}

/** `npm install <tgz>` into a prefix of its own: the standalone `openclaw-migrate` bin with production deps only. */
export async function installStandalone(tgz: string, dir: string): Promise<{ms: number; runJs: string}> {
  ensureDir(dir)
  const started = Date.now()
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({name: 'openclaw-migrate-e2e-standalone', private: true}) + '\n',
  )
  const r = await runProcess('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tgz], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 300_000,
  })
  if (r.code !== 0) throw new Error(`npm install ${tgz} failed: ${describeRun(r)}`)
  const runJs = path.join(dir, 'node_modules', '@openclaw', 'plugin-migrate', 'bin', 'run.js')
  if (!fs.existsSync(runJs)) throw new Error(`${runJs} is missing after npm install`)
  return {ms: Date.now() - started, runJs}
}
