/**
 * `import --owner USER` as root: everything the import creates belongs to USER, the parents it
 * had to create (~/projects for a workspace) and its own journal included, so USER reaches the
 * workspace and USER's own `--undo` finds the import. As the user, --owner is a usage error.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, parseJson, resultOf, rmrf, runCli} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {giveTo, runners, runnerTmpDir, testUser} from '../support/unprivileged.js'

describe('import --owner USER', function () {
  this.timeout(300_000)
  const user = testUser()
  let root: string
  let archive: string

  before(async function () {
    if (!user) this.skip() // needs root and a second user
    root = runnerTmpDir(runners()[0], 'robust-owner')
    fs.chmodSync(root, 0o755)
    const home = path.join(root, 'old')
    fs.mkdirSync(home)
    const g = generateHome({home, sessions: 1})
    for (const h of g.holders) h.close()
    archive = path.join(root, 'a.tar.gz')
    const r = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {home})
    expect(r.code, describeRun(r)).to.equal(0)
    fs.chmodSync(archive, 0o644)
  })

  after(() => {
    rmrf(root)
  })

  it('as root: created parents and the journal belong to USER; USER’s own --undo works', async () => {
    const runner = runners()[1]
    const home = path.join(root, 'new')
    fs.mkdirSync(home)
    giveTo(runner, home)
    const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--owner', user!.name, '--json'], {
      home,
    })
    expect(r.code, describeRun(r)).to.equal(0)
    for (const created of ['projects', 'agent-homes', 'shared-config', '.openclaw-work', '.openclaw-migrate']) {
      const stat = fs.statSync(path.join(home, created))
      expect(stat.uid, created).to.equal(user!.uid)
    }

    const journals = path.join(home, '.openclaw-migrate', 'imports')
    for (const name of fs.readdirSync(journals))
      expect(fs.statSync(path.join(journals, name)).uid, name).to.equal(user!.uid)
    const undo = await runCli(['import', '--undo', '--no-host', '--json'], {asUser: user!.name, home})
    expect(undo.code, describeRun(undo)).to.equal(0)
    expect(resultOf(undo).undone).to.be.a('string')
    console.log(
      `      observed: root --owner ${user!.name} → import exit ${r.code}, parents+journal owned by uid ${user!.uid}; the user's --undo exit ${undo.code}`,
    )
  })

  it('as the unprivileged user: --owner is USAGE (exit 2)', async () => {
    const runner = runners()[1]
    const home = path.join(root, 'user-home')
    fs.mkdirSync(home)
    giveTo(runner, home)
    const r = await runCli(['import', archive, '--accept-placement', '--no-host', '--owner', 'root', '--json'], {
      asUser: runner.asUser,
      home,
    })
    expect(r.code, describeRun(r)).to.equal(2)
    expect(parseJson(r).error.code).to.equal('USAGE')
    console.log(`      observed: ${runner.label} --owner root → exit ${r.code} USAGE`)
  })
})
