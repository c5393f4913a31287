/**
 * The main job on an embedded default: generate a realistic OpenClaw home for "alice" on an old
 * machine, export it (encrypted), and import it for "bob" on a new machine where onboarding already
 * created a fresh state dir; then prove the move with `check --against` and show `--undo`.
 * Everything happens under one temp dir; the real ~ is never touched.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {generateHome} from '../test/support/home-generator.ts'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'openclaw-migrate-demo-'))
const oldHome = path.join(root, 'old-machine', 'home', 'alice')
const newHome = path.join(root, 'new-machine', 'home', 'bob')
const archive = path.join(root, 'transfer', 'alice-work.tar.gz.age')
const passFile = path.join(root, 'transfer', 'passphrase')
fs.mkdirSync(path.dirname(archive), {recursive: true})
fs.writeFileSync(passFile, 'correct horse battery staple\n', {mode: 0o600})

function cli(home: string, args: string[]): string {
  const env = {...process.env, HOME: home, OPENCLAW_MIGRATE_OPENCLAW_BIN: ''}
  for (const k of ['OPENCLAW_STATE_DIR', 'OPENCLAW_CONFIG_PATH', 'OPENCLAW_PROFILE', 'OPENCLAW_HOME']) delete env[k]
  console.log(`\n$ openclaw-migrate ${args.join(' ')}    # HOME=${home}`)
  try {
    const out = execFileSync(process.execPath, [path.join(repo, 'bin', 'dev.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    console.log(out.trimEnd())
    return out
  } catch (error) {
    const e = error as {status?: number; stdout?: string}
    console.log(e.stdout?.trimEnd() ?? '')
    throw new Error(`openclaw-migrate ${args[0]} exited ${e.status}`)
  }
}

console.log(`Demo workspace: ${root}`)
const generated = generateHome({home: oldHome, profile: 'work', walPending: false})
console.log(
  `Generated the old machine's OpenClaw: ${generated.stateDir} (profile work, ${generated.counts.agents} agents, ${generated.counts.sessions} sessions, ${generated.counts.cronJobs} cron jobs), a workspace outside the state dir and an external agentDir.`,
)

cli(oldHome, ['check', '--profile', 'work'])
cli(oldHome, ['export', '--profile', 'work', '--passphrase-file', passFile, '-o', archive])
cli(newHome, ['check', archive, '--passphrase-file', passFile])

// Onboarding on the new machine already created a fresh state dir: it must be moved aside, not lost.
fs.mkdirSync(path.join(newHome, '.openclaw-work'), {mode: 0o700, recursive: true})
fs.writeFileSync(path.join(newHome, '.openclaw-work', 'openclaw.json'), '{ "gateway": { "mode": "local" } }\n', {
  mode: 0o600,
})

cli(newHome, ['import', archive, '--passphrase-file', passFile, '--no-host'])
cli(newHome, ['check', '--against', archive, '--passphrase-file', passFile])
console.log(
  `\nDone. Old home: ${oldHome}\nNew home: ${newHome}\nTry \`HOME=${newHome} ${process.execPath} bin/dev.js import --undo\` to put the onboarding dir back (the Node 24 from node_modules: the system node may be older).`,
)
