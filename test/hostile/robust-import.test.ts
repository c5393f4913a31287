/**
 * Imports and undos on ordinary machines, as root and as an unprivileged user: a legal
 * 220-character workspace name, the import lock (a second run refuses and names the holder; a
 * dead holder's lock is taken over), undo refusing under a running gateway (or stopping it).
 * Slow (every case as root and as the user): in `npm run test:hostile`.
 */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {importLockPath} from '../../src/lib/import/import-lock.js'
import {describeRun, parseJson, resultOf, rmrf, runCli} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {giveTo, type Runner, runners, runnerTmpDir} from '../support/unprivileged.js'

const observed: string[] = []
const LONG = 'n'.repeat(220)

/** A process that looks like a gateway (`openclaw … gateway` on its command line): only such a pid is ever signalled. */
function sleeper(runner: Runner): {kill: () => void; pid: number} {
  const ids = runner.user ? {gid: runner.user.gid, uid: runner.user.uid} : {}
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)', 'gateway'], {
    argv0: 'openclaw',
    stdio: 'ignore',
    ...ids,
  })
  return {kill: () => child.kill('SIGKILL'), pid: child.pid!}
}

for (const runner of runners()) {
  describe(`import and undo on an ordinary machine as ${runner.label}`, function () {
    this.timeout(300_000)
    let root: string
    let archive: string
    let newHome: string
    const as = {asUser: runner.asUser}
    const state = () => path.join(newHome, '.openclaw-work')

    before(async () => {
      root = runnerTmpDir(runner, 'robust-import')
      const home = path.join(root, 'old', 'alice')
      fs.mkdirSync(home, {recursive: true})
      const g = generateHome({home, sessions: 2})
      for (const h of g.holders) h.close()
      // A legal 220-character workspace name (the config names it; its staging and aside names must still fit).
      const longWorkspace = path.join(home, 'projects', LONG)
      fs.renameSync(g.externalWorkspace, longWorkspace)
      fs.writeFileSync(
        g.configPath,
        fs.readFileSync(g.configPath, 'utf8').replaceAll(g.externalWorkspace, longWorkspace),
      )
      archive = path.join(root, 'a.tar.gz')
      newHome = path.join(root, 'new', 'bob')
      fs.mkdirSync(path.join(newHome, 'projects', LONG), {recursive: true}) // already there: it is moved aside
      fs.mkdirSync(path.join(newHome, '.openclaw-work'))
      fs.writeFileSync(path.join(newHome, '.openclaw-work', 'ONBOARDED'), 'before\n')
      giveTo(runner, root)
      const r = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {...as, home})
      expect(r.code, describeRun(r)).to.equal(0)
    })

    after(() => {
      rmrf(root)
    })

    it('a 220-character workspace name imports (bounded staging/aside names) and undoes', async () => {
      const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {...as, home: newHome})
      expect(r.code, describeRun(r)).to.equal(0)
      const asides = fs.readdirSync(path.join(newHome, 'projects')).filter((n) => n.includes('.pre-migrate-'))
      expect(asides).to.have.length(1)
      expect(Buffer.byteLength(asides[0])).to.be.at.most(255)
      expect(
        fs.readdirSync(path.join(newHome, 'projects')).filter((n) => n.includes('.migrate-staging-')),
      ).to.deep.equal([])
      const undo = await runCli(['import', '--undo', '--no-host', '--json'], {...as, home: newHome})
      expect(undo.code, describeRun(undo)).to.equal(0)
      expect(fs.readFileSync(path.join(state(), 'ONBOARDED'), 'utf8')).to.equal('before\n')
      observed.push(`${runner.label}: 220-char workspace → import exit ${r.code}, undo exit ${undo.code}`)
    })

    it('a second run while one holds the lock: IMPORT_LOCKED (exit 5) naming it; a dead holder’s lock is taken over', async () => {
      const holder = sleeper(runner)
      const lock = importLockPath(newHome)
      const write = (pid: number) => {
        fs.writeFileSync(
          lock,
          JSON.stringify({command: 'import', host: os.hostname(), pid, runId: 'HOLDER', startedAt: 'x'}),
        )
        giveTo(runner, lock)
      }

      try {
        write(holder.pid)
        const [imp, undo] = await Promise.all([
          runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {...as, home: newHome}),
          runCli(['import', '--undo', '--no-host', '--json'], {...as, home: newHome}),
        ])
        for (const r of [imp, undo]) {
          expect(r.code, describeRun(r)).to.equal(5)
          const {error} = parseJson(r)
          expect(error.code).to.equal('IMPORT_LOCKED')
          expect(error.message).to.include(`run HOLDER`).and.include(`pid ${holder.pid}`)
        }

        observed.push(`${runner.label}: lock held → import ${imp.code} IMPORT_LOCKED, undo ${undo.code} IMPORT_LOCKED`)
      } finally {
        holder.kill()
      }

      await new Promise((r) => setTimeout(r, 200))
      write(holder.pid) // now dead
      const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {...as, home: newHome})
      expect(r.code, describeRun(r)).to.equal(0)
      expect(fs.existsSync(lock)).to.equal(false)
      observed.push(`${runner.label}: stale lock (dead pid) → import exit ${r.code}`)
    })

    it('undo refuses while a gateway runs on the imported state; --stop-gateway stops it, then undoes', async () => {
      const gateway = sleeper(runner)
      const uid = runner.user?.uid ?? process.getuid!()
      const lockDir = path.join(state(), 'tmp', `openclaw-${uid}`)
      fs.mkdirSync(lockDir, {recursive: true})
      fs.writeFileSync(path.join(lockDir, 'gateway.state.lock'), JSON.stringify({pid: gateway.pid, stateDir: state()}))
      giveTo(runner, path.join(state(), 'tmp'))
      try {
        const refused = await runCli(['import', '--undo', '--no-host', '--json'], {...as, home: newHome})
        expect(refused.code, describeRun(refused)).to.equal(5)
        expect(parseJson(refused).error.code).to.equal('TARGET_GATEWAY_RUNNING')
        expect(fs.existsSync(path.join(state(), 'tmp'))).to.equal(true)
        const stopped = await runCli(['import', '--undo', '--no-host', '--stop-gateway', '--json'], {
          ...as,
          home: newHome,
        })
        expect(stopped.code, describeRun(stopped)).to.equal(0)
        expect(resultOf(stopped).gatewaysStopped).to.deep.equal([state()])
        observed.push(
          `${runner.label}: undo under a running gateway → ${refused.code} TARGET_GATEWAY_RUNNING; --stop-gateway → ${stopped.code}`,
        )
      } finally {
        gateway.kill()
      }
    })
  })
}

after(() => {
  if (observed.length > 0) console.log(`\n  observed:\n${observed.map((l) => `    ${l}`).join('\n')}`)
})
