/**
 * Issue 3, "done when": a bad archive is refused with its code and exit status before anything
 * is written (the target home is byte-for-byte as it was), and an import killed at any point
 * leaves the target either untouched or fully activated, never half; the next run finishes the
 * business (rolls the interrupted one back, cleans its staging) and succeeds.
 */
import {expect} from 'chai'
import {type ChildProcess, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import {
  activate,
  type ImportJournal,
  journalDir,
  lastActivatedImport,
  newJournal,
  recoverInterrupted,
  saveJournal,
  undoImport,
} from '../../src/lib/import/import-journal.js'
import {type StagedRoot} from '../../src/lib/import/staging.js'
import {type CliResult, describeRun, parseJson, resultOf, rmrf, runCli, tmpDir} from '../support/cli.js'
import {
  compareWithSource,
  diffSnapshots,
  type ExportedSource,
  exportedSource,
  findStaging,
  journals,
  onboardedStateDir,
  siblings,
  snapshotHome,
  spawnCli,
  STAGING_MARK,
  standardSource,
  targetHome,
  waitFor,
} from '../support/import-fixtures.js'

const MARKER = 'onboarded before the import\n'

function errorOf(result: CliResult): {code: string; exitCode: number; message: string} {
  return parseJson(result).error
}

/** Entries named like the import's own bookkeeping: the journal dir and staging dirs. */
const bookkeeping = (rel: string) =>
  rel === '.openclaw-migrate' || rel.startsWith('.openclaw-migrate/') || rel.includes(STAGING_MARK)

describe('import failures: refused before any write, and killed at any point', function () {
  this.timeout(120_000)
  let src: ExportedSource
  let big: ExportedSource
  const cleanups: Array<() => void> = []
  let startRefusals: () => Promise<unknown>
  let refusals: Promise<unknown>

  before(async () => {
    ;[src, big] = await Promise.all([
      standardSource(),
      // ~80 MB of incompressible media: the import stages for well over a second.
      exportedSource('big', {spec: {mediaBytes: 2 * 1024 * 1024, mediaFiles: 40, walPending: false}}),
    ])
    refusals = startRefusals()
  })

  after(() => {
    for (const c of cleanups) c()
  })

  function target(user: string): {home: string; root: string} {
    const t = targetHome(user)
    cleanups.push(t.cleanup)
    onboardedStateDir(t.home, 'work', MARKER)
    return t
  }

  describe('damaged archives and wrong keys', () => {
    type Case = {
      archive: (dir: string) => string
      args?: string[]
      before?: Map<string, string>
      codes: string[]
      name: string
      result?: CliResult
      t?: {home: string; root: string}
    }

    const corrupt = (from: string, to: string, edit: (b: Buffer) => Buffer) => {
      fs.writeFileSync(to, edit(fs.readFileSync(from)))
      return to
    }

    const flipMiddle = (b: Buffer) => {
      const copy = Buffer.from(b)
      copy[Math.floor(copy.length / 2)] ^= 0xff
      return copy
    }

    /** The uncompressed tar of the plain archive, with one byte flipped inside a media file's body. */
    const flipInBody = (gz: Buffer) => {
      const tar = gunzipSync(gz)
      const name = tar.indexOf('roots/work.state/media/inbound/photo-1.jpg')
      expect(name % 512, 'a ustar header starts with the name').to.equal(0)
      tar[name + 512 + 1000] ^= 0xff
      return tar
    }

    const cases: Case[] = [
      {
        archive: () => src.encrypted!,
        args: ['--passphrase-file', 'WRONG'],
        codes: ['DECRYPT_FAILED'],
        name: 'a wrong passphrase',
      },
      {
        archive: (d) => corrupt(src.encrypted!, path.join(d, 'flipped.tar.gz.age'), flipMiddle),
        codes: ['ARCHIVE_CORRUPT'],
        name: 'a byte flipped in the middle of an encrypted archive',
      },
      {
        archive: (d) => corrupt(src.plain, path.join(d, 'flipped.tar.gz'), flipMiddle),
        codes: ['ARCHIVE_CORRUPT', 'ARCHIVE_MISMATCH'],
        name: 'a byte flipped in the middle of an unencrypted (gzip) archive',
      },
      {
        archive: (d) => corrupt(src.plain, path.join(d, 'flipped.tar'), flipInBody),
        codes: ['ARCHIVE_MISMATCH'],
        name: 'a byte flipped in a file body of an uncompressed archive (caught by its hash)',
      },
      {
        archive: (d) =>
          corrupt(src.plain, path.join(d, 'truncated.tar.gz'), (b) => b.subarray(0, Math.floor(b.length * 0.6))),
        codes: ['ARCHIVE_TRUNCATED'],
        name: 'a truncated unencrypted archive',
      },
      {
        archive: (d) => corrupt(src.plain, path.join(d, 'truncated.tar'), (b) => gunzipSync(b).subarray(0, 512 * 300)),
        codes: ['ARCHIVE_TRUNCATED'],
        name: 'an uncompressed archive cut at a block boundary',
      },
      // age cannot tell a cut inside its last chunk from a damaged chunk: "damaged or truncated".
      {
        archive: (d) =>
          corrupt(src.encrypted!, path.join(d, 'truncated.tar.gz.age'), (b) =>
            b.subarray(0, Math.floor(b.length * 0.6)),
          ),
        codes: ['ARCHIVE_CORRUPT', 'ARCHIVE_TRUNCATED'],
        name: 'a truncated encrypted archive',
      },
    ]

    // Started by the outer before() so these runs overlap with the rest of the file.
    startRefusals = () =>
      Promise.all(
        cases.map(async (c, i) => {
          c.t = target(`refused${i}`)
          const archive = c.archive(c.t.root)
          const wrong = path.join(c.t.root, 'wrong-passphrase')
          fs.writeFileSync(wrong, 'not the passphrase\n')
          const args = (c.args ?? ['--passphrase-file', src.passFile]).map((a) => (a === 'WRONG' ? wrong : a))
          c.before = snapshotHome(c.t.home)
          c.result = await runCli(['import', archive, ...args, '--no-host', '--accept-placement', '--json'], {
            home: c.t.home,
          })
        }),
      ).then(
        () => null,
        (error: unknown) => error,
      )

    before(async () => {
      const error = await refusals
      if (error) throw error
    })

    for (const c of cases) {
      it(`refuses ${c.name} (${c.codes.join(' or ')}, exit 3) and the target home is byte-for-byte unchanged`, () => {
        const result = c.result!
        expect(result.code, describeRun(result)).to.equal(3)
        const error = errorOf(result)
        expect(error.code).to.be.oneOf(c.codes)
        expect(error.exitCode).to.equal(3)
        expect(error.message).to.not.include('[REDACTED]')
        // Journal included: nothing activated, nothing recorded, nothing left.
        expect(diffSnapshots(c.before!, snapshotHome(c.t!.home))).to.deep.equal([])
        expect(findStaging(c.t!.root)).to.deep.equal([])
        expect(siblings(c.t!.home, /pre-migrate/)).to.deep.equal([])
        expect(fs.readFileSync(path.join(c.t!.home, '.openclaw-work', 'MARKER'), 'utf8')).to.equal(MARKER)
      })
    }
  })

  describe('SIGKILL at any point of a big import', () => {
    type KillPoint = {
      before?: Map<string, string>
      detail?: string
      killed?: CliResult
      name: string
      /** 'half' only if the kill landed between two renames of activation (the rerun must roll it back). */
      outcome?: 'activated' | 'half' | 'unchanged'
      rerun?: CliResult
      t?: {home: string; root: string}
      /** Resolves when it is time to kill (or the child has exited). */
      when: (t: {home: string; root: string}, child: ChildProcess, started: number) => Promise<unknown>
    }

    const stagingSeen = (t: {root: string}) => findStaging(t.root).length > 0
    const journalState = (t: {home: string}) => journals(t.home).at(-1)?.state
    const points: KillPoint[] = [
      {
        name: '150 ms after the start',
        when: (_t, child, started) => waitFor(() => Date.now() - started >= 150, {child}),
      },
      {
        name: '400 ms after the start',
        when: (_t, child, started) => waitFor(() => Date.now() - started >= 400, {child}),
      },
      {
        name: 'as soon as a staging dir appears',
        when: (t, child) => waitFor(() => stagingSeen(t), {child, everyMs: 1}),
      },
      {
        name: '300 ms into staging',
        async when(t, child) {
          await waitFor(() => stagingSeen(t), {child, everyMs: 2})
          const seen = Date.now()
          return waitFor(() => Date.now() - seen >= 300, {child})
        },
      },
      {
        name: 'once the journal leaves the staging phase (activation)',
        when: (t, child) => waitFor(() => ['activated', 'activating'].includes(journalState(t)), {child, everyMs: 1}),
      },
      {
        name: 'once the journal says activated (verification running)',
        when: (t, child) => waitFor(() => journalState(t) === 'activated', {child, everyMs: 1}),
      },
    ]

    before(async () => {
      const reruns: Array<Promise<unknown>> = []
      let rerunOfNothing = false
      // One kill at a time, so the timing points mean what they say.
      for (const [i, p] of points.entries()) {
        p.t = target(`killed${i}`)
        p.before = snapshotHome(p.t.home, {ignore: bookkeeping})
        const started = Date.now()
        const run = spawnCli(['import', big.plain, '--no-host', '--accept-placement', '--json'], {home: p.t.home})
        await p.when(p.t, run.child, started)
        run.child.kill('SIGKILL')
        p.killed = await run.done
        // Leftovers the next run cleans: the journal, staging dirs and the parents created for them.
        const created = new Set(
          journals(p.t.home)
            .flatMap((j) => j.steps.flatMap((s: any) => s.createdParents))
            .map((d: string) => path.relative(p.t!.home, d)),
        )
        const diffs = diffSnapshots(
          p.before,
          snapshotHome(p.t.home, {ignore: (rel) => bookkeeping(rel) || created.has(rel)}),
        )
        const state = journalState(p.t)
        p.outcome = diffs.length === 0 ? 'unchanged' : state === 'activating' ? 'half' : 'activated'
        p.detail = `${p.name}: ${p.killed.signal ?? `exit ${p.killed.code}`}, journal ${journalState(p.t) ?? 'none'}, staging ${findStaging(p.t.root).length}, ${diffs.length} change(s): ${diffs.slice(0, 5).join('; ')}`
        // Each rerun starts at once, alongside the next kills (other homes). A kill before the import
        // wrote anything (still starting up: no journal, no staging) leaves nothing to recover; one
        // such rerun is enough.
        const leftNothing = p.outcome === 'unchanged' && p.detail.includes('journal none, staging 0,')
        if (!leftNothing || !rerunOfNothing) {
          rerunOfNothing ||= leftNothing
          reruns.push(
            runCli(['import', big.plain, '--no-host', '--accept-placement', '--json'], {home: p.t.home}).then(
              (r) => (p.rerun = r),
            ),
          )
        }
      }

      await Promise.all(reruns)
    })

    for (const p of points) {
      it(`killed ${p.name}: the target is unchanged or fully activated, and a rerun recovers and succeeds`, () => {
        const {t} = p
        if (p.outcome === 'activated') {
          // Not half: the journal says activated and every root is complete, as archived.
          const [journal] = journals(t!.home)
          expect(journal?.state, p.detail).to.equal('activated')
          const roots = new Map<string, any>(big.manifest.roots.map((r: any) => [r.id, r]))
          const targets = journal.targets.map((x: any) => ({
            root: x.rootId,
            sourcePath: roots.get(x.rootId).sourcePath,
            target: x.target,
          }))
          const rewritten = new Set<string>(
            journal.rewritten.map((r: any) =>
              roots.get(r.rootId).type === 'file'
                ? journal.targets.find((x: any) => x.rootId === r.rootId).target
                : path.join(journal.targets.find((x: any) => x.rootId === r.rootId).target, r.rel),
            ),
          )
          // The rerun moved this copy aside: compare the one it moved.
          const aside = (x: {target: string}) =>
            resultOf(p.rerun!).movedAside.find((m: any) => m.target === x.target).aside
          compareWithSource(
            big,
            targets.map((x: any) => ({...x, target: aside(x)})),
            new Set(
              [...rewritten].map((f) => {
                const owner = targets.find((x: any) => f === x.target || f.startsWith(`${x.target}/`))!
                return f.replace(owner.target, aside(owner))
              }),
            ),
            {sqliteSideFiles: true},
          )
        } else if (p.outcome === 'half') {
          // Killed between two renames (a window of microseconds): the journal knows, the rerun must undo it.
          expect(resultOf(p.rerun!).recoveredInterruptedImports, p.detail).to.have.length(1)
        }

        if (!p.rerun) {
          // Killed before it wrote anything: nothing to recover (another point of this kind was rerun).
          expect(p.detail).to.match(/journal none, staging 0, 0 change/)
          expect(journals(t!.home)).to.deep.equal([])
          return
        }

        // The rerun: recovers the interrupted journal, cleans staging, imports.
        const {rerun} = p
        expect(rerun.code, describeRun(rerun)).to.equal(0)
        const out = resultOf(rerun)
        const interrupted = p.outcome !== 'activated' && /journal (staging|activating)/.test(p.detail!)
        if (interrupted) expect(out.recoveredInterruptedImports, p.detail).to.have.length(1)
        expect(out.verification.ok, JSON.stringify(out.verification.checks)).to.equal(true)
        expect(findStaging(t!.root), p.detail).to.deep.equal([])
        // A run killed once activation had begun keeps its (rolled-back) journal; one killed while staging leaves none.
        const first =
          p.outcome === 'activated' ? ['activated'] : p.detail!.includes('journal activating') ? ['rolled-back'] : []
        expect(
          journals(t!.home).map((j) => j.state),
          p.detail,
        ).to.deep.equal([...first, 'activated'])
        // What was at the target before the (completed) import is aside, never lost.
        const asides = siblings(t!.home, /^\.openclaw-work\.pre-migrate-/)
        expect(asides, p.detail).to.have.length(p.outcome === 'activated' ? 2 : 1)
        expect(asides.some((a) => fs.existsSync(path.join(t!.home, a, 'MARKER')))).to.equal(true)
      })
    }

    it('caught the import both mid-staging (work left for the rerun) and after activation', () => {
      const detail = points.map((p) => `${p.outcome}: ${p.detail}`).join('\n')
      expect(points.filter((p) => /journal staging, staging [1-9]/.test(p.detail!)).length, detail).to.be.greaterThan(0)
      expect(points.filter((p) => p.outcome === 'activated').length, detail).to.be.greaterThan(0)
    })
  })

  it('SIGINT during staging: exit 130, staging removed, the target unchanged', async () => {
    const t = target('interrupted')
    const before = snapshotHome(t.home)
    const run = spawnCli(['import', big.plain, '--no-host', '--accept-placement', '--json'], {home: t.home})
    const caught = await waitFor(() => findStaging(t.root).length > 0, {child: run.child, everyMs: 2})
    expect(caught, 'a staging dir appeared').to.equal(true)
    run.child.kill('SIGINT')
    const result = await run.done
    expect(result.code, describeRun(result)).to.equal(130)
    expect(errorOf(result).code).to.equal('INTERRUPTED')
    expect(findStaging(t.root)).to.deep.equal([])
    expect(diffSnapshots(before, snapshotHome(t.home))).to.deep.equal([])
  })

  describe('a crash between the renames of activation (in-process)', () => {
    let dir: string
    const realRename = fs.renameSync
    // Run ids as the tool makes them: a journal naming anything else is ignored (journal-validation.ts).
    const RUN1 = '20261124T100000Z-000001'
    const RUN2 = '20261124T100001Z-000002'

    beforeEach(() => {
      dir = tmpDir('activation-crash')
    })

    afterEach(() => {
      fs.renameSync = realRename
      rmrf(dir)
    })

    /** Two roots: the state dir (onboarding created one) and a workspace that did not exist. */
    function setUp(
      runId: string,
      onboarded = true,
    ): {home: string; journal: ImportJournal; state: string; workspace: string} {
      const home = path.join(dir, 'home')
      const state = path.join(home, '.openclaw-work')
      const workspace = path.join(home, 'projects', 'notes')
      if (onboarded) onboardedStateDir(home, 'work', MARKER)
      fs.mkdirSync(path.dirname(workspace), {recursive: true})
      const staged = [
        {
          createdParents: [],
          root: {archivePath: 'roots/s', id: 's', kind: 'state', profile: 'work', sourcePath: '/old/s', type: 'dir'},
          staging: path.join(home, `..openclaw-work${STAGING_MARK}${runId}`),
          target: state,
          why: '',
        },
        {
          createdParents: [],
          root: {
            archivePath: 'roots/w',
            id: 'w',
            kind: 'workspace',
            profile: 'work',
            sourcePath: '/old/w',
            type: 'dir',
          },
          staging: path.join(home, 'projects', `.notes${STAGING_MARK}${runId}`),
          target: workspace,
          why: '',
        },
      ] as StagedRoot[]
      for (const s of staged) {
        fs.mkdirSync(s.staging)
        fs.writeFileSync(path.join(s.staging, 'IMPORTED'), runId)
      }

      const journal = newJournal(runId, 'archive-1', staged)
      saveJournal(home, journal)
      return {home, journal, state, workspace}
    }

    /** A pid that is certainly not running any more. */
    function deadPid(): number {
      return spawnSync(process.execPath, ['-e', '0']).pid
    }

    for (const crashAt of [0, 1, 2]) {
      it(`crash before rename #${crashAt + 1}: the next run rolls it back to exactly what was there`, () => {
        const {home, journal, state, workspace} = setUp(RUN1)
        const before = snapshotHome(home, {ignore: bookkeeping})
        let renames = 0
        fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
          // Count the renames of activation itself, not the journal's own atomic saves.
          if (!String(from).endsWith('.json.tmp') && renames++ === crashAt) throw new Error('simulated crash')
          realRename(from, to)
        }

        expect(() => {
          activate(home, journal, '20261124T100000Z')
        }).to.throw('simulated crash')
        fs.renameSync = realRename
        // The process "died": its journal names a dead pid.
        const file = path.join(journalDir(home), `${RUN1}.json`)
        fs.writeFileSync(file, JSON.stringify({...JSON.parse(fs.readFileSync(file, 'utf8')), pid: deadPid()}))
        const recovered = recoverInterrupted(home)
        expect(recovered.map((j) => j.runId)).to.deep.equal([RUN1])
        expect(diffSnapshots(before, snapshotHome(home, {ignore: bookkeeping}))).to.deep.equal([])
        expect(fs.readFileSync(path.join(state, 'MARKER'), 'utf8')).to.equal(MARKER)
        expect(fs.existsSync(workspace)).to.equal(false)
        expect(findStaging(home)).to.deep.equal([])
        expect(journals(home).map((j) => j.state)).to.deep.equal(['rolled-back'])
      })
    }

    it('two imports activated within the same second keep both moved-aside copies', () => {
      const first = setUp(RUN1)
      activate(first.home, first.journal, '20261124T100000Z')
      const second = setUp(RUN2, false)
      activate(second.home, second.journal, '20261124T100000Z')
      const asides = siblings(first.home, /^\.openclaw-work\.pre-migrate-/).sort()
      expect(asides).to.deep.equal([
        '.openclaw-work.pre-migrate-20261124T100000Z',
        '.openclaw-work.pre-migrate-20261124T100000Z-2',
      ])
      expect(fs.readFileSync(path.join(first.home, asides[0], 'MARKER'), 'utf8')).to.equal(MARKER)
      expect(fs.readFileSync(path.join(first.home, asides[1], 'IMPORTED'), 'utf8')).to.equal(RUN1)
      expect(fs.readFileSync(path.join(first.state, 'IMPORTED'), 'utf8')).to.equal(RUN2)
      // ...and undo (also within that second) brings the first import back, keeping the second.
      const last = lastActivatedImport(first.home)
      expect(last.runId).to.equal(RUN2)
      undoImport(first.home, last, '20261124T100000Z')
      expect(fs.readFileSync(path.join(first.state, 'IMPORTED'), 'utf8')).to.equal(RUN1)
    })
  })
})
