/**
 * The new machine's home is at the same path as the old one's (`/home/ubuntu` on two VPSes): every
 * path in the state is already right, nothing needs rebasing, and verification must say so.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, parseJson, resultOf, rmrf, tmpDir} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {runInProcess as runCli} from '../support/in-process.js'

describe('import: the same home path on both machines', function () {
  this.timeout(120_000)
  let root: string

  before(() => {
    root = tmpDir('same-home')
  })

  after(() => {
    rmrf(root)
  })

  it('imports with nothing rebased and verifies clean; check --against agrees', async () => {
    const home = path.join(root, 'home', 'ubuntu')
    fs.mkdirSync(home, {recursive: true})
    const g = generateHome({home, sessions: 1, walPending: false})
    for (const h of g.holders) h.close()
    const archive = path.join(root, 'a.tar.gz')
    const exported = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {home})
    expect(exported.code, describeRun(exported)).to.equal(0)
    // The new machine: the same user at the same path, nothing of the old state there.
    rmrf(home)
    fs.mkdirSync(home, {recursive: true})

    const imported = await runCli(['import', archive, '--no-host', '--accept-placement', '--json'], {home})
    expect(imported.code, describeRun(imported)).to.equal(0)
    const result = resultOf(imported)
    expect(result.verification.ok).to.equal(true)
    expect(result.rebase.remaining).to.deep.equal([])
    const config = fs.readFileSync(g.configPath, 'utf8')
    expect(config).to.include(g.externalWorkspace)

    const checked = await runCli(['check', '--against', archive, '--accept-placement', '--json'], {home})
    expect(checked.code, describeRun(checked)).to.equal(0)
    expect(parseJson(checked).ok).to.equal(true)
  })
})
