/**
 * Issue 12: `import --list-asides` and `--prune-asides`. The copies imports move aside, undos step
 * away and pushes retire hold secrets and pile up: they are found from the journals and by their
 * exact names next to the targets, listed with what they are, pruned only after a yes, never a
 * link, a near-miss name or a copy an unfinished import needs. An undo whose aside was pruned
 * changes nothing and says what can no longer be restored.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {STAGING_MARK} from '../../src/lib/import/staging.js'
import {boundedSibling} from '../../src/lib/util/paths.js'
import {describeRun, parseJson, resultOf} from '../support/cli.js'
import {
  diffSnapshots,
  type ExportedSource,
  journals,
  onboardedStateDir,
  snapshotHome,
  standardSource,
  targetHome,
} from '../support/import-fixtures.js'
import {runInProcess as runCli} from '../support/in-process.js'

const OLD = '20250101T000000Z'

describe('import --list-asides / --prune-asides', function () {
  this.timeout(120_000)
  let src: ExportedSource
  let t: ReturnType<typeof targetHome>
  let aside: string
  let runId: string
  const at = (...p: string[]) => path.join(t.home, ...p)
  const cli = (...args: string[]) => runCli(['import', ...args, '--profile', 'work', '--json'], {home: t.home})
  const listed = async (...args: string[]) => {
    const r = await cli('--list-asides', ...args)
    expect(r.code, describeRun(r)).to.equal(0)
    return resultOf(r).asides as any[]
  }

  const dirWith = (p: string, file = 'SECRET', text = 'token') => {
    fs.mkdirSync(p, {recursive: true})
    fs.writeFileSync(path.join(p, file), text)
    return p
  }

  before(async () => {
    src = await standardSource()
    t = targetHome('asides')
    onboardedStateDir(t.home, 'work', 'onboarded\n')
    const r = await runCli(['import', src.encrypted!, '--passphrase-file', src.passFile, '--no-host', '--json'], {
      home: t.home,
    })
    expect(r.code, describeRun(r)).to.equal(0)
    ;[{runId}] = journals(t.home)
    aside = resultOf(r).movedAside[0].aside
    // What a journal no longer records: found by name next to the state dir and the import's targets.
    dirWith(at(`.openclaw-work.moved-to-oldbox-${OLD}`))
    dirWith(at(`.openclaw-old.undone-${OLD}`))
    dirWith(at('projects', `research-notes.pre-migrate-${OLD}`))
    // Look-alikes that are not ours, and a link with our name: never listed, never followed.
    dirWith(at('.openclaw-work.pre-migrate-2025'))
    fs.writeFileSync(at(`.bashrc.pre-migrate-${OLD}`), 'not ours')
    dirWith(at('projects', `other.pre-migrate-${OLD}`))
    dirWith(path.join(t.root, 'elsewhere'), 'PRECIOUS', 'keep me')
    fs.symlinkSync(path.join(t.root, 'elsewhere'), at(`.openclaw-work.pre-migrate-${OLD}`))
  })

  after(() => {
    t.cleanup()
  })

  it('lists the aside the import made (from its journal) and the copies found by name, nothing else', async () => {
    const asides = await listed()
    expect(asides.map((a) => path.relative(t.home, a.path))).to.deep.equal(
      [
        path.relative(t.home, aside),
        `.openclaw-old.undone-${OLD}`,
        `.openclaw-work.moved-to-oldbox-${OLD}`,
        `projects/research-notes.pre-migrate-${OLD}`,
      ].sort((a, b) => at(a).localeCompare(at(b))),
    )
    const mine = asides.find((a) => a.path === aside)
    expect(mine).to.include({holdsSecrets: true, keptBecause: null, kind: 'moved-aside', of: at('.openclaw-work')})
    expect(mine).to.include({run: runId, type: 'dir'})
    expect(mine.consequence).to.include(`import --undo\` of import ${runId}`)
    expect(mine.files).to.equal(2)
    expect(mine.bytes).to.be.greaterThan(0)
    const retired = asides.find((a) => a.kind === 'retired')
    expect(retired).to.include({of: at('.openclaw-work'), run: null, since: '2025-01-01T00:00:00.000Z'})
    const human = await runCli(['import', '--list-asides', '--profile', 'work'], {home: t.home})
    expect(human.out).to.include(aside).and.include('holds secrets').and.include(`moved aside before import ${runId}`)
  })

  it('--older-than keeps only the copies at least that old (by the time in their name)', async () => {
    const asides = await listed('--older-than', '30d')
    expect(asides.map((a) => a.since)).to.deep.equal(Array.from({length: 3}, () => '2025-01-01T00:00:00.000Z'))
    const bad = await cli('--list-asides', '--older-than', '30')
    expect(bad.code).to.equal(2)
    expect(parseJson(bad).error.code).to.equal('USAGE')
  })

  it('without a terminal and without --yes, pruning is refused (CONFIRMATION_REQUIRED, exit 2), nothing removed', async () => {
    const before = snapshotHome(t.home)
    const r = await cli('--prune-asides')
    expect(r.code, describeRun(r)).to.equal(2)
    const {error} = parseJson(r)
    expect(error.code).to.equal('CONFIRMATION_REQUIRED')
    expect(error.suggestions.join('\n')).to.include('--prune-asides --yes')
    expect(diffSnapshots(before, snapshotHome(t.home))).to.deep.equal([])
  })

  it('a copy an unfinished import still needs is listed as kept and survives a prune', async () => {
    const stuckRun = '20250101T000000Z-abcdef'
    const target = at('.openclaw-zz')
    const stuckAside = dirWith(boundedSibling(target, `.pre-migrate-${OLD}`))
    const journal = {
      archiveId: 'a',
      createdAt: '2025-01-01T00:00:00.000Z',
      pid: 1,
      profiles: [],
      rewritten: [],
      runId: stuckRun,
      state: 'rollback-failed',
      steps: [
        {
          aside: stuckAside,
          createdParents: [],
          nested: false,
          phase: 'pending',
          rootId: 'zz',
          staging: boundedSibling(target, `${STAGING_MARK}${stuckRun}`, '.'),
          target,
        },
      ],
      targets: [{rootId: 'zz', target}],
      unresolved: [`mv '${stuckAside}' '${target}'`],
      version: 1,
    }
    const file = at('.openclaw-migrate', 'imports', `${stuckRun}.json`)
    fs.writeFileSync(file, JSON.stringify(journal))
    try {
      const kept = (await listed()).find((a) => a.path === stuckAside)
      expect(kept.keptBecause).to.include(`import ${stuckRun} is unfinished (rollback-failed)`)
      const r = await cli('--prune-asides', '--older-than', '30d', '--yes')
      expect(r.code, describeRun(r)).to.equal(0)
      const out = resultOf(r)
      expect(out.kept.map((k: any) => k.path)).to.deep.equal([stuckAside])
      expect(out.removed.map((k: any) => path.relative(t.home, k.path)).sort()).to.deep.equal([
        `.openclaw-old.undone-${OLD}`,
        `.openclaw-work.moved-to-oldbox-${OLD}`,
        `projects/research-notes.pre-migrate-${OLD}`,
      ])
      expect(fs.existsSync(stuckAside)).to.equal(true)
    } finally {
      fs.rmSync(file)
      fs.rmSync(stuckAside, {recursive: true})
    }

    // The fresh aside (younger than 30 days), the look-alikes and the link and what it points to are untouched.
    expect(fs.readdirSync(aside)).to.include('MARKER')
    expect(fs.existsSync(at('.openclaw-work.pre-migrate-2025', 'SECRET'))).to.equal(true)
    expect(fs.existsSync(at(`.bashrc.pre-migrate-${OLD}`))).to.equal(true)
    expect(fs.existsSync(at('projects', `other.pre-migrate-${OLD}`))).to.equal(true)
    expect(fs.lstatSync(at(`.openclaw-work.pre-migrate-${OLD}`)).isSymbolicLink()).to.equal(true)
    expect(fs.readFileSync(path.join(t.root, 'elsewhere', 'PRECIOUS'), 'utf8')).to.equal('keep me')
  })

  it('after the aside is pruned, --undo changes nothing and names what can no longer be restored (UNDO_ASIDE_GONE, exit 5)', async () => {
    const pruned = await cli('--prune-asides', '--yes')
    expect(pruned.code, describeRun(pruned)).to.equal(0)
    expect(resultOf(pruned).removed.map((r: any) => r.path)).to.deep.equal([aside])
    expect(fs.existsSync(aside)).to.equal(false)
    expect(journals(t.home)[0].pruned.map((p: any) => p.path)).to.deep.equal([aside])
    const before = snapshotHome(t.home)
    const r = await runCli(['import', '--undo', '--json'], {home: t.home})
    expect(r.code, describeRun(r)).to.equal(5)
    const {error} = parseJson(r)
    expect(error.code).to.equal('UNDO_ASIDE_GONE')
    expect(error.message).to.include(at('.openclaw-work')).and.include(aside).and.include('import --prune-asides')
    expect(error.message).to.include('Nothing was changed')
    // The imported state stays where it is: not stepped away into an .undone copy with nothing in its place.
    expect(diffSnapshots(before, snapshotHome(t.home))).to.deep.equal([])
    expect(journals(t.home)[0].state).to.equal('activated')
  })
})
