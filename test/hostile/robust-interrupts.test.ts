/**
 * Ctrl-C once the imported state is in place (issue "Robust", interrupts), as root and as an
 * unprivileged user: a terminal sends SIGINT to the whole foreground process group. The first one
 * lets the import finish (the host step that runs is not killed with it) and says so; a second one
 * rolls the import back, exit 130. Before activation one Ctrl-C is enough (hostile-import: SIGINT
 * while staging).
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {processAlive} from '../../src/lib/util/process.js'
import {type CliResult, describeRun, parseJson, pathWithoutOpenClaw, rmrf, runCli} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {diffSnapshots, journals, snapshotHome, spawnCli, waitFor} from '../support/import-fixtures.js'
import {installStandInOpenClaw} from '../support/stand-in-openclaw.js'
import {giveTo, runners, runnerTmpDir} from '../support/unprivileged.js'

const observed: string[] = []

for (const runner of runners()) {
  describe(`import: Ctrl-C after activation as ${runner.label}`, function () {
    this.timeout(180_000)
    let root: string
    let archive: string
    let n = 0

    before(async () => {
      root = runnerTmpDir(runner, 'robust-interrupts')
      const home = path.join(root, 'old', 'alice')
      fs.mkdirSync(home, {recursive: true})
      const g = generateHome({home, sessions: 1})
      for (const h of g.holders) h.close()
      archive = path.join(root, 'a.tar.gz')
      giveTo(runner, root)
      const r = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {
        asUser: runner.asUser,
        home,
      })
      expect(r.code, describeRun(r)).to.equal(0)
    })

    after(() => {
      rmrf(root)
    })

    /** An import into an onboarded home whose host holds `doctor --fix` until the test says so. */
    async function importHeldAtDoctor() {
      const dir = path.join(root, `run-${++n}`)
      const home = path.join(dir, 'home', 'bob')
      const state = path.join(home, '.openclaw-work')
      fs.mkdirSync(state, {recursive: true})
      fs.writeFileSync(path.join(state, 'MARKER'), 'onboarded before the import\n')
      fs.writeFileSync(path.join(state, 'openclaw.json'), '{ agents: {} }\n', {mode: 0o600})
      const standIn = installStandInOpenClaw(path.join(dir, 'standin'))
      const hold = path.join(dir, 'release-doctor')
      giveTo(runner, dir)
      const before = snapshotHome(home)
      const run = spawnCli(['import', archive, '--accept-placement', '--json'], {
        env: {
          PATH: `${standIn.binDir}:${pathWithoutOpenClaw()}`,
          STANDIN_OPENCLAW_HOLD: 'doctor --fix',
          STANDIN_OPENCLAW_HOLD_FILE: hold,
        },
        home,
        processGroup: true,
        timeoutMs: 150_000,
        user: runner.user ?? undefined,
      })
      const reached = await waitFor(() => fs.existsSync(`${hold}.reached`), {child: run.child, timeoutMs: 120_000})
      expect(reached, `the import reached doctor --fix\n${run.stderrSoFar()}`).to.equal(true)
      const doctorPid = Number(fs.readFileSync(`${hold}.reached`, 'utf8').trim())
      /** Ctrl-C in a terminal: SIGINT to every process of the foreground group. */
      const ctrlC = () => process.kill(-run.child.pid!, 'SIGINT')
      return {before, ctrlC, doctorPid, hold, home, run, standIn, state}
    }

    it('once: the host step goes on, the import finishes and says how to revert it (exit 0)', async () => {
      const {ctrlC, doctorPid, hold, home, run, standIn, state} = await importHeldAtDoctor()
      ctrlC()
      const noted = await waitFor(() => run.stderrSoFar().includes('finishing the import'), {child: run.child})
      expect(noted, run.stderrSoFar()).to.equal(true)
      // The terminal's SIGINT did not reach the host step: it runs in its own process group.
      expect(processAlive(doctorPid)).to.equal(true)
      fs.writeFileSync(hold, '')
      const result: CliResult = await run.done
      expect(result.code, describeRun(result)).to.equal(0)
      const doc = parseJson(result)
      expect(doc.ok).to.equal(true)
      expect(doc.result.manualSteps.join('\n')).to.contain('Ctrl-C came after the imported state was put in place')
      const commands = standIn.calls().map((c) => c.command)
      expect(commands).to.include('doctor --fix --non-interactive')
      expect(commands.some((c) => c.startsWith('doctor --lint'))).to.equal(true)
      expect(journals(home).map((j) => j.state)).to.deep.equal(['activated'])
      expect(fs.existsSync(path.join(state, 'MARKER'))).to.equal(false)
      observed.push(
        `${runner.label}: Ctrl-C once after activation → doctor finished, exit ${result.code}, journal activated`,
      )
    })

    it('twice: the host step is stopped and the import rolled back, the home as before (exit 130)', async () => {
      const {before, ctrlC, doctorPid, home, run} = await importHeldAtDoctor()
      ctrlC()
      await waitFor(() => run.stderrSoFar().includes('finishing the import'), {child: run.child})
      ctrlC()
      const result = await run.done
      expect(result.code, describeRun(result)).to.equal(130)
      const doc = parseJson(result)
      expect(doc.error.code).to.equal('INTERRUPTED')
      expect(doc.error.message).to.contain('rolled back')
      expect(
        await waitFor(() => !processAlive(doctorPid), {timeoutMs: 30_000}),
        'the held doctor was stopped',
      ).to.equal(true)
      // Only the tool's own record of the run is new: the state onboarding left is back, byte for byte.
      const after = snapshotHome(home, {ignore: (rel) => rel.startsWith('.openclaw-migrate')})
      expect(diffSnapshots(before, after)).to.deep.equal([])
      expect(journals(home).map((j) => j.state)).to.deep.equal(['rolled-back'])
      observed.push(
        `${runner.label}: Ctrl-C twice after activation → exit ${result.code} ${doc.error.code} (rolled back), home unchanged, doctor stopped`,
      )
    })
  })
}

after(() => {
  if (observed.length > 0) console.log(`\n  observed:\n${observed.map((l) => `    ${l}`).join('\n')}`)
})
