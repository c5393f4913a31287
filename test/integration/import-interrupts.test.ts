/**
 * Ctrl-C once the imported state is in place (issue "Robust", interrupts): a terminal sends SIGINT
 * to the whole foreground process group. The first one lets the import finish (the host step that
 * runs is not killed with it) and says so; a second one rolls the import back, exit 130. Before
 * activation, one Ctrl-C is enough (see import-failures: SIGINT during staging).
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {type CliResult, describeRun, parseJson, pathWithoutOpenClaw} from '../support/cli.js'
import {
  diffSnapshots,
  type ExportedSource,
  journals,
  onboardedStateDir,
  snapshotHome,
  spawnCli,
  standardSource,
  targetHome,
  waitFor,
} from '../support/import-fixtures.js'
import {installStandInOpenClaw} from '../support/stand-in-openclaw.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('import: Ctrl-C after activation', function () {
  this.timeout(120_000)
  let src: ExportedSource
  const cleanups: Array<() => void> = []

  before(async () => {
    src = await standardSource()
  })

  after(() => {
    for (const c of cleanups) c()
  })

  /** An import into an onboarded home whose host holds `doctor --fix` until the test says so. */
  async function importHeldAtDoctor(name: string) {
    const t = targetHome(name)
    cleanups.push(t.cleanup)
    onboardedStateDir(t.home)
    const standIn = installStandInOpenClaw(path.join(t.root, 'standin'))
    const hold = path.join(t.root, 'release-doctor')
    const before = snapshotHome(t.home)
    const run = spawnCli(['import', src.plain, '--accept-placement', '--json'], {
      env: {
        PATH: `${standIn.binDir}:${pathWithoutOpenClaw()}`,
        STANDIN_OPENCLAW_HOLD: 'doctor --fix',
        STANDIN_OPENCLAW_HOLD_FILE: hold,
      },
      home: t.home,
      processGroup: true,
      timeoutMs: 90_000,
    })
    const reached = await waitFor(() => fs.existsSync(`${hold}.reached`), {child: run.child, timeoutMs: 60_000})
    expect(reached, 'the import reached doctor --fix').to.equal(true)
    const doctorPid = Number(fs.readFileSync(`${hold}.reached`, 'utf8').trim())
    /** Ctrl-C in a terminal: SIGINT to every process of the foreground group. */
    const ctrlC = () => process.kill(-run.child.pid!, 'SIGINT')
    return {before, ctrlC, doctorPid, hold, run, standIn, t}
  }

  it('once: the host step goes on, the import finishes and says how to revert it (exit 0)', async () => {
    const {ctrlC, doctorPid, hold, run, standIn, t} = await importHeldAtDoctor('ctrl-c-once')
    ctrlC()
    const noted = await waitFor(() => run.stderrSoFar().includes('finishing the import'), {child: run.child})
    expect(noted, run.stderrSoFar()).to.equal(true)
    // The terminal's SIGINT did not reach the host step: it runs in its own process group.
    expect(alive(doctorPid)).to.equal(true)
    fs.writeFileSync(hold, '')
    const result: CliResult = await run.done
    expect(result.code, describeRun(result)).to.equal(0)
    const doc = parseJson(result)
    expect(doc.ok).to.equal(true)
    expect(doc.result.manualSteps.join('\n')).to.contain('Ctrl-C came after the imported state was put in place')
    const commands = standIn.calls().map((c) => c.command)
    expect(commands).to.include('doctor --fix --non-interactive')
    expect(commands.some((c) => c.startsWith('doctor --lint'))).to.equal(true)
    expect(journals(t.home).map((j) => j.state)).to.deep.equal(['activated'])
    expect(fs.existsSync(path.join(t.home, '.openclaw-work', 'MARKER'))).to.equal(false)
  })

  it('twice: the host step is stopped and the import rolled back, the home as before (exit 130)', async () => {
    const {before, ctrlC, doctorPid, run, t} = await importHeldAtDoctor('ctrl-c-twice')
    ctrlC()
    await waitFor(() => run.stderrSoFar().includes('finishing the import'), {child: run.child})
    ctrlC()
    const result = await run.done
    expect(result.code, describeRun(result)).to.equal(130)
    const doc = parseJson(result)
    expect(doc.error.code).to.equal('INTERRUPTED')
    expect(doc.error.message).to.contain('rolled back')
    expect(await waitFor(() => !alive(doctorPid), {timeoutMs: 10_000}), 'the held doctor was stopped').to.equal(true)
    // Only the tool's own record of the run is new: the state onboarding left is back, byte for byte.
    const after = snapshotHome(t.home, {ignore: (rel) => rel.startsWith('.openclaw-migrate')})
    expect(diffSnapshots(before, after)).to.deep.equal([])
    expect(journals(t.home).map((j) => j.state)).to.deep.equal(['rolled-back'])
  })
})
