/**
 * `npm run bench:push`: the gateway downtime of `push` (old gateway told to stop → new gateway
 * answering) over a real sshd on 127.0.0.1 between two local users, on generated homes.
 *
 *   npm run bench:push -- [--sizes 60mb,600mb] [--runs N]
 *
 * Needs root (useradd, sshd) and openssh-server, like the push tests. Both machines run the
 * stand-in openclaw of the tests (its `gateway run` is up at once and its doctor is instant), so
 * the figure is what this tool adds: stop, export, ssh, import, verification, activation.
 * Results are printed as one JSON line per run; BENCHMARKS.md keeps the figures.
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {cliEnv} from '../test/support/cli.js'
import {chownTree, ensureUser, type LocalUser, removeUser, sshdUnavailable, TestSshd} from '../test/support/sshd.js'
import {installStandInOpenClaw} from '../test/support/stand-in-openclaw.js'
import {generateBenchHome, SIZES} from './generate-home.js'

const DEV_BIN = fileURLToPath(new URL('../bin/dev.js', import.meta.url))
const argv = process.argv.slice(2)
const option = (name: string, fallback: string) => {
  const at = argv.indexOf(`--${name}`)
  return at === -1 ? fallback : argv[at + 1]
}

const sizes = option('sizes', '60mb,600mb').split(',')
const runs = Number(option('runs', '1'))
const modes = option('modes', 'one-phase,two-phase').split(',')

async function main(): Promise<void> {
  const why = sshdUnavailable()
  if (why) throw new Error(`bench:push ${why}`)
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-bench-push-'))
  fs.chmodSync(base, 0o755)
  const sshd = new TestSshd(path.join(base, 'sshd'))
  const tag = randomBytes(2).toString('hex')
  const users: string[] = []
  await sshd.start([`ocb${tag}*`])
  try {
    for (const name of sizes) {
      for (let run = 1; run <= runs; run++)
        for (const mode of modes) {
          const root = path.join(base, `${name}-${run}-${mode}`)
          users.push(`ocb${tag}${users.length}`, `ocb${tag}${users.length + 1}`)
          const old = ensureUser(users.at(-2)!, path.join(root, 'old', 'home', 'alice'))
          const neu = ensureUser(users.at(-1)!, path.join(root, 'new', 'home', 'bob'))
          const home = generateBenchHome(old.home, SIZES[name])
          const oldTools = installStandInOpenClaw(path.join(root, 'old', 'tools'))
          const newTools = installStandInOpenClaw(path.join(root, 'new', 'tools'))
          fs.writeFileSync(
            path.join(newTools.binDir, 'openclaw-migrate'),
            `#!/bin/sh\nexec ${process.execPath} ${DEV_BIN} "$@"\n`,
            {mode: 0o755},
          )
          chownTree(path.join(root, 'old'), old)
          chownTree(path.join(root, 'new'), neu)
          sshd.authorize(old, neu, 'newbox')
          sshd.setEnvironment(neu, {PATH: `${newTools.binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`})
          const env = cliEnv({
            env: {PATH: `${oldTools.binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`},
            home: old.home,
          })
          const profile = path.basename(home.stateDir).replace(/^\.openclaw-?/, '')
          const profileArgs = profile ? ['--profile', profile] : []
          const gateway = spawn(oldTools.file, [...profileArgs, 'gateway', 'run'], {
            detached: true,
            env,
            gid: old.gid,
            stdio: 'ignore',
            uid: old.uid,
          })
          gateway.unref()
          await new Promise((r) => setTimeout(r, 500))
          const started = Date.now()
          // Not spawnSync: this process must go on reaping the gateway it started, or the stopped
          // gateway stays a zombie that still looks alive to the push.
          const push = await new Promise<Buffer>((resolve) => {
            const child = spawn(
              process.execPath,
              [
                DEV_BIN,
                'push',
                'newbox',
                ...profileArgs,
                '--start-gateway',
                '--json',
                ...(mode === 'one-phase' ? ['--one-phase'] : []),
              ],
              {
                cwd: old.home,
                env,
                gid: old.gid,
                stdio: ['ignore', 'pipe', 'ignore'],
                uid: old.uid,
              },
            )
            const out: Buffer[] = []
            child.stdout.on('data', (c: Buffer) => out.push(c))
            child.on('close', () => {
              resolve(Buffer.concat(out))
            })
          })
          const wall = Date.now() - started
          const envelope = JSON.parse(push.toString()) as {
            error?: unknown
            result: null | {
              downtimeMs: null | number
              exported: {bytes: number}
              sentAhead: null | {bytes: number; ms: number}
              withheld: number
            }
          }
          const out = envelope.result
          console.log(
            JSON.stringify({
              bytes: out?.exported.bytes,
              downtimeS: (out?.downtimeMs ?? NaN) / 1000,
              error: envelope.error,
              mode,
              sentAheadBytes: out?.sentAhead?.bytes,
              sentAheadS: out?.sentAhead ? out.sentAhead.ms / 1000 : undefined,
              size: name,
              wallS: wall / 1000,
              withheldFiles: out?.withheld,
            }),
          )
          stopLocked(path.join(neu.home, path.basename(home.stateDir)), neu)
          stopLocked(home.stateDir, old) // started again here when the push failed
          fs.rmSync(root, {force: true, recursive: true})
        }
    }
  } finally {
    sshd.stop()
    for (const u of users) removeUser(u)
    fs.rmSync(base, {force: true, recursive: true})
  }
}

/** The gateway push started on the new side: ended by the pid in its lock. */
function stopLocked(stateDir: string, user: LocalUser): void {
  try {
    const lock = path.join(stateDir, 'tmp', `openclaw-${user.uid}`, 'gateway.state.lock')
    process.kill((JSON.parse(fs.readFileSync(lock, 'utf8')) as {pid: number}).pid, 'SIGTERM')
  } catch {
    // not running
  }
}

await main()
