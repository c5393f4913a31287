/**
 * `export --all-profiles`: a home with the default profile (~/.openclaw) and a named one
 * (~/.openclaw-work), each with its own workspace, agentDir and $include outside the state dir,
 * goes into one archive; the import on another machine puts each profile back in its own
 * canonical state dir, rebases each onto the new home without crossing them, and `check
 * --against` agrees for both.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {type CliResult, describeRun, parseJson, resultOf, rmrf, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {sha256, targetHome} from '../support/import-fixtures.js'
import {runInProcess as runCli} from '../support/in-process.js'

function expectOk(result: CliResult): void {
  expect(result.code, describeRun(result)).to.equal(0)
}

describe('export --all-profiles, then import: two profiles, one archive', function () {
  this.timeout(120_000)
  let root: string
  let sourceHome: string
  let byProfile: Map<null | string, GeneratedHome>
  let archive: string
  let exported: any
  let target: ReturnType<typeof targetHome>
  let imported: any
  let checked: CliResult

  before(async () => {
    root = tmpDir('all-profiles')
    sourceHome = path.join(root, 'home', 'alice')
    fs.mkdirSync(sourceHome, {recursive: true})
    byProfile = new Map([
      [
        null,
        generateHome({
          externalSuffix: '-personal',
          home: sourceHome,
          profile: null,
          seed: 'personal',
          sessions: 3,
          walPending: false,
        }),
      ],
      [
        'work',
        generateHome({
          externalSuffix: '-work',
          home: sourceHome,
          profile: 'work',
          seed: 'work',
          sessions: 5,
          walPending: false,
        }),
      ],
    ])
    archive = path.join(root, 'everything.tar.gz')
    const exportRun = await runCli(['export', '--all-profiles', '--no-encrypt', '-o', archive, '--json'], {
      cwd: root,
      home: sourceHome,
    })
    expectOk(exportRun)
    exported = resultOf(exportRun)

    target = targetHome('bob')
    const importRun = await runCli(['import', archive, '--no-host', '--accept-placement', '--json'], {
      home: target.home,
    })
    expectOk(importRun)
    imported = resultOf(importRun)
    checked = await runCli(['check', '--against', archive, '--json'], {home: target.home})
  })

  after(() => {
    for (const g of byProfile?.values() ?? []) for (const h of g.holders) h.close()
    if (root) rmrf(root)
    target?.cleanup()
  })

  it('exports both profiles with their own counts into one archive', () => {
    const profiles = exported.profiles.map((p: any) => p.profile)
    expect(profiles.sort()).to.deep.equal(['work', null].sort())
    for (const p of exported.profiles) {
      const g = byProfile.get(p.profile)!
      expect(p.counts, String(p.profile)).to.deep.include({
        agents: g.counts.agents,
        credentialDirs: g.counts.credentialDirs,
        sessions: g.counts.sessions,
      })
    }
  })

  it('puts each profile in its own canonical state dir of the new home, with its own secrets', () => {
    for (const [profile, g] of byProfile) {
      const stateDir = path.join(target.home, profile ? `.openclaw-${profile}` : '.openclaw')
      for (const rel of ['credentials/whatsapp/default/creds.json', 'credentials/telegram/default.json', '.env']) {
        expect(sha256(fs.readFileSync(path.join(stateDir, rel))), `${profile ?? 'default'}: ${rel}`).to.equal(
          sha256(fs.readFileSync(path.join(g.stateDir, rel))),
        )
      }
    }

    // Two different fixtures: their WhatsApp logins must not have been swapped or merged.
    const creds = (dir: string) =>
      sha256(fs.readFileSync(path.join(target.home, dir, 'credentials', 'whatsapp', 'default', 'creds.json')))
    expect(creds('.openclaw')).to.not.equal(creds('.openclaw-work'))
  })

  it('rebases each config onto the new home, each pointing at its own roots', () => {
    for (const [profile, g] of byProfile) {
      const suffix = profile ? '-work' : '-personal'
      const config = fs.readFileSync(
        path.join(target.home, profile ? '.openclaw-work' : '.openclaw', 'openclaw.json'),
        'utf8',
      )
      expect(config, String(profile)).to.not.include(sourceHome)
      expect(config).to.include(`'${path.join(target.home, 'projects', `research-notes${suffix}`)}'`)
      expect(config).to.include(path.join(target.home, 'agent-homes', `research${suffix}`))
      expect(config).to.include(path.join(target.home, 'shared-config', `models${suffix}.json5`))
      const other = profile ? '-personal' : '-work'
      expect(config).to.not.include(`research-notes${other}`)
      expect(fs.readFileSync(path.join(target.home, 'projects', `research-notes${suffix}`, 'MEMORY.md'))).to.deep.equal(
        fs.readFileSync(path.join(g.externalWorkspace, 'MEMORY.md')),
      )
    }
  })

  it('the import verified both profiles, and check --against agrees', () => {
    expect(imported.verification.ok, JSON.stringify(imported.verification.checks)).to.equal(true)
    const counts = imported.verification.checks.filter((c: any) => c.id === 'counts')
    expect(counts.map((c: any) => c.message.split(':', 1)[0]).sort()).to.deep.equal(['Profile default', 'Profile work'])
    expect(counts.every((c: any) => c.status === 'ok')).to.equal(true)
    expect(checked.code, describeRun(checked)).to.equal(0)
    expect(parseJson(checked).ok).to.equal(true)
    expect(resultOf(checked).ready).to.equal(true)
  })
})
