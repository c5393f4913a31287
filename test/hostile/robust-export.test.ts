/**
 * Ordinary states that used to crash the tool or leave debris, as root and as an unprivileged
 * user (test/support/unprivileged.ts): dangling symlinks (export, --all-profiles, import and
 * check --against), and partial archives left by a SIGKILLed export. Slow (as root and as the
 * user): in `npm run test:hostile`.
 */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {processAlive} from '../../src/lib/util/process.js'
import {cliEnv, describeRun, DEV_BIN, parseJson, resultOf, rmrf, runCli} from '../support/cli.js'
import {generateHome} from '../support/home-generator.js'
import {waitFor} from '../support/import-fixtures.js'
import {giveTo, runners, runnerTmpDir} from '../support/unprivileged.js'

const observed: string[] = []

for (const runner of runners()) {
  describe(`ordinary states as ${runner.label}`, function () {
    this.timeout(240_000)
    let root: string
    let home: string
    const as = {asUser: runner.asUser}

    before(() => {
      root = runnerTmpDir(runner, 'robust-export')
      home = path.join(root, 'home')
      fs.mkdirSync(home)
      const g = generateHome({home, sessions: 2})
      for (const h of g.holders) h.close()
      fs.symlinkSync('/nonexistent/agent-x', path.join(g.stateDir, 'agents', 'x'))
      fs.symlinkSync('slack-v1', path.join(g.stateDir, 'credentials', 'slack'))
      fs.symlinkSync(path.join(root, 'gone'), path.join(home, '.openclaw-old'))
      giveTo(runner, root)
    })

    after(() => {
      rmrf(root)
    })

    it('dangling symlinks: export, export --all-profiles, import, check --against all succeed', async () => {
      const one = path.join(root, 'one.tar.gz')
      const all = path.join(root, 'all.tar.gz')
      const [single, every] = await Promise.all([
        runCli(['export', '--profile', 'work', '--no-encrypt', '-o', one, '--json'], {...as, home}),
        runCli(['export', '--all-profiles', '--no-encrypt', '-o', all, '--json'], {...as, home}),
      ])
      expect(single.code, describeRun(single)).to.equal(0)
      expect(parseJson(single).warnings.join('\n')).to.include(path.join('agents', 'x'))
      expect(every.code, describeRun(every)).to.equal(0)
      expect(parseJson(every).warnings.join('\n')).to.include('.openclaw-old is not a directory')

      const target = path.join(root, 'new-home')
      fs.mkdirSync(target)
      giveTo(runner, target)
      const imported = await runCli(['import', one, '--accept-placement', '--no-host', '--json'], {...as, home: target})
      expect(imported.code, describeRun(imported)).to.equal(0)
      const slack = path.join(target, '.openclaw-work', 'credentials', 'slack')
      expect(fs.readlinkSync(slack)).to.equal('slack-v1')
      const checked = await runCli(['check', '--against', one, '--json'], {...as, home: target})
      expect(checked.code, describeRun(checked)).to.equal(0)
      observed.push(
        `${runner.label}: dangling links → export ${single.code}, --all-profiles ${every.code}, import ${imported.code}, check --against ${checked.code}`,
      )
    })

    it('old home /…/x/home, new home /…/x/home2: the rebase is right and verification agrees (boundary-aware)', async () => {
      const oldHome = path.join(root, 'x', 'home')
      const newHome = path.join(root, 'x', 'home2')
      fs.mkdirSync(oldHome, {recursive: true})
      fs.mkdirSync(newHome)
      const g = generateHome({home: oldHome, sessions: 1})
      for (const h of g.holders) h.close()
      giveTo(runner, path.join(root, 'x'))
      const archive = path.join(root, 'x.tar.gz')
      const exported = await runCli(['export', '--profile', 'work', '--no-encrypt', '-o', archive], {
        ...as,
        home: oldHome,
      })
      expect(exported.code, describeRun(exported)).to.equal(0)
      const imported = await runCli(['import', archive, '--accept-placement', '--no-host', '--json'], {
        ...as,
        home: newHome,
      })
      expect(imported.code, describeRun(imported)).to.equal(0)
      const checked = await runCli(['check', '--against', archive, '--json'], {...as, home: newHome})
      expect(checked.code, describeRun(checked)).to.equal(0)
      observed.push(`${runner.label}: /x/home → /x/home2: import ${imported.code}, check --against ${checked.code}`)
    })

    it('-o through a symlink into the state (~/link-to-state/x.tar.gz) is OUTPUT_INSIDE_SOURCE (real paths)', async () => {
      const link = path.join(home, 'link-to-state')
      fs.symlinkSync(path.join(home, '.openclaw-work'), link)
      giveTo(runner, link)
      const r = await runCli(
        ['export', '--profile', 'work', '--no-encrypt', '-o', path.join(link, 'x.tar.gz'), '--json'],
        {
          ...as,
          home,
        },
      )
      expect(r.code, describeRun(r)).to.equal(2)
      expect(parseJson(r).error.code).to.equal('OUTPUT_INSIDE_SOURCE')
      expect(fs.readdirSync(path.join(home, '.openclaw-work')).filter((n) => n.includes('x.tar.gz'))).to.deep.equal([])
      fs.rmSync(link)
      observed.push(`${runner.label}: -o ~/link-to-state/x.tar.gz → exit ${r.code} OUTPUT_INSIDE_SOURCE`)
    })

    it('a SIGKILLed export leaves a partial archive; the next export into that dir sweeps it', async () => {
      const out = path.join(root, 'out')
      fs.mkdirSync(out)
      giveTo(runner, out)
      const big = path.join(home, '.openclaw-work', 'media', 'big.bin')
      fs.mkdirSync(path.dirname(big), {recursive: true})
      const fd = fs.openSync(big, 'w')
      for (let i = 0; i < 100; i++) fs.writeSync(fd, randomBytes(1024 * 1024)) // incompressible: the export takes a while
      fs.closeSync(fd)
      giveTo(runner, path.dirname(big))
      const args = [DEV_BIN, 'export', '--profile', 'work', '--no-encrypt', '-o', path.join(out, 'killed.tar.gz')]
      const command = runner.asUser
        ? ['runuser', '-m', '-u', runner.asUser, '--', process.execPath, ...args]
        : [process.execPath, ...args]
      const child = spawn(command[0], command.slice(1), {cwd: root, env: cliEnv({home}), stdio: 'ignore'})
      const partials = () => fs.readdirSync(out).filter((n) => n.includes('.partial-'))
      const exited = new Promise((resolve) => child.once('exit', resolve))
      expect(await waitFor(() => partials().length > 0, {child, timeoutMs: 120_000}), 'a partial archive').to.equal(
        true,
      )
      // The writer's pid is in the partial's name (under runuser it is runuser's child, not `child`).
      const left = partials()
      const writer = Number(/\.partial-(\d+)-/.exec(left[0])![1])
      process.kill(writer, 'SIGKILL')
      await exited
      expect(await waitFor(() => !processAlive(writer), {timeoutMs: 30_000}), 'the killed export gone').to.equal(true)
      expect(left).to.have.length(1)
      fs.rmSync(big)

      const next = await runCli(
        ['export', '--profile', 'work', '--no-encrypt', '-o', path.join(out, 'next.tar.gz'), '--json'],
        {
          ...as,
          home,
        },
      )
      expect(next.code, describeRun(next)).to.equal(0)
      expect(resultOf(next).sweptPartials).to.deep.equal([path.join(out, left[0])])
      expect(fs.readdirSync(out)).to.deep.equal(['next.tar.gz'])
      observed.push(`${runner.label}: SIGKILLed export left ${left[0]}; next export exit 0 swept it`)
    })
  })
}

after(() => {
  if (observed.length > 0) console.log(`\n  observed:\n${observed.map((l) => `    ${l}`).join('\n')}`)
})
