/**
 * The exit-code table of the README, driven through the real bin (spawned), one row per code:
 * each run exits with its code, in human mode with the failure on stderr and no stack trace, in
 * --json mode with the envelope (ok, exitCode, error.code) saying the same. The test reads the
 * README's table, so a code documented there without a row here fails.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {
  type CliOptions,
  type CliResult,
  describeRun,
  makeRemote,
  parseJson,
  pathWithoutOpenClaw,
  REPO_ROOT,
  rmrf,
  runCli,
  tmpDir,
} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {craftValid, gzip} from '../support/hostile-archive.js'
import {hasStackTrace, runHostile} from '../support/hostile-cli.js'
import {onboardedStateDir, standardSource, targetHome} from '../support/import-fixtures.js'
import {installStandInOpenClaw} from '../support/stand-in-openclaw.js'

/** The exit codes the README documents, from its "Exit codes and errors" table. */
function readmeExitCodes(): number[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('## Exit codes and errors'))
  return [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]))
}

type Row = {
  args: string[]
  /** The envelope's error.code (null for exit 0). */
  code: null | string
  exit: number
  options: () => CliOptions
  /** Spawned with a signal instead of a plain run. */
  signal?: boolean
  why: string
}

describe('exit codes (README table, real bin)', function () {
  this.timeout(600_000)
  let root: string
  let ready: GeneratedHome
  let remote: GeneratedHome
  let truncated: string
  const cleanups: Array<() => void> = []
  const runs = new Map<string, Promise<CliResult>>()

  const rows: Row[] = [
    {
      args: ['export', '--profile', 'work', '--dry-run'],
      code: null,
      exit: 0,
      options: () => ({home: ready.home}),
      why: 'export --dry-run of a ready home',
    },
    {
      args: ['check', '--profile', 'work'],
      code: 'NOT_READY',
      exit: 1,
      options: () => ({home: remote.home}),
      why: 'check of a home in remote mode',
    },
    {
      args: ['import', 'a.age', '--passfrase-file', 'p'],
      code: 'USAGE',
      exit: 2,
      options: () => ({home: ready.home}),
      why: 'a mistyped flag',
    },
    {
      args: ['check', 'truncated.tar.gz'],
      code: 'ARCHIVE_TRUNCATED',
      exit: 3,
      options: () => ({cwd: root, home: ready.home}),
      why: 'check of a truncated archive',
    },
    {
      args: ['export', '--profile', 'work', '--no-encrypt', '-o', 'remote.tar.gz'],
      code: 'REMOTE_MODE',
      exit: 4,
      options: () => ({cwd: root, home: remote.home}),
      why: 'export of a remote-mode gateway',
    },
    {
      args: ['import', '--undo'],
      code: 'UNDO_NOTHING',
      exit: 5,
      options: () => ({home: targetHome('undo-nothing').home}),
      why: 'undo with no import to undo',
    },
    {
      args: ['import', '<plain archive>', '--accept-placement'],
      code: 'HOST_COMMAND_FAILED',
      exit: 6,
      options: () => ({home: ''}),
      why: "OpenClaw's doctor fails after activation",
    },
    {
      args: ['import', '<plain archive>', '--no-host', '--accept-placement'],
      code: 'INTERRUPTED',
      exit: 130,
      options: () => ({home: targetHome('interrupted').home}),
      signal: true,
      why: 'SIGINT while staging',
    },
  ]

  before(async () => {
    root = tmpDir('exit-codes')
    fs.mkdirSync(path.join(root, 'ready'))
    fs.mkdirSync(path.join(root, 'remote'))
    ready = generateHome({home: path.join(root, 'ready'), sessions: 1, walPending: false})
    remote = generateHome({home: path.join(root, 'remote'), sessions: 1, walPending: false})
    makeRemote(remote.configPath)
    const tar = gzip(craftValid())
    truncated = path.join(root, 'truncated.tar.gz')
    fs.writeFileSync(truncated, tar.subarray(0, Math.floor(tar.length * 0.6)))
    const src = await standardSource()

    // Exit 6: a stand-in `openclaw` whose doctor fails, in a target home onboarding created.
    const host = targetHome('doctor-fails')
    cleanups.push(host.cleanup)
    onboardedStateDir(host.home)
    const standIn = installStandInOpenClaw(path.join(host.root, 'standin'))
    const doctorFails = {
      env: {PATH: `${standIn.binDir}:${pathWithoutOpenClaw()}`, STANDIN_OPENCLAW_FAIL: 'doctor --fix'},
    }

    for (const row of rows) {
      for (const json of [false, true]) {
        const name = `${row.exit}${json ? ' --json' : ''}`
        const args = [...row.args.map((a) => (a === '<plain archive>' ? src.plain : a)), ...(json ? ['--json'] : [])]
        if (row.exit === 6) {
          // Each mode imports into its own fresh target.
          const t = json ? targetHome('doctor-fails-json') : host
          if (json) {
            cleanups.push(t.cleanup)
            onboardedStateDir(t.home)
          }

          runs.set(name, runCli(args, {...doctorFails, home: t.home, timeoutMs: 300_000}))
        } else if (row.signal) {
          // The fault preload sends SIGINT just before the 3rd write of a staged file: mid-import, every time.
          runs.set(name, runHostile(`exit ${name}`, args, {...row.options(), fault: 'int:write:3', timeoutMs: 300_000}))
        } else {
          runs.set(name, runCli(args, {...row.options(), timeoutMs: 300_000}))
        }
      }
    }

    await Promise.allSettled(runs.values())
  })

  after(() => {
    for (const c of cleanups) c()
    for (const db of [...(ready?.holders ?? []), ...(remote?.holders ?? [])]) db.close()
    rmrf(root)
  })

  it('has a row for every exit code the README documents, and no other', () => {
    expect(rows.map((r) => r.exit)).to.deep.equal(readmeExitCodes())
  })

  for (const row of rows) {
    it(`exit ${row.exit}: ${row.why}`, async () => {
      const human = await runs.get(`${row.exit}`)!
      const json = await runs.get(`${row.exit} --json`)!
      expect(human.code, describeRun(human)).to.equal(row.exit)
      expect(json.code, describeRun(json)).to.equal(row.exit)
      expect(hasStackTrace(human), describeRun(human)).to.equal(false)
      expect(hasStackTrace(json), describeRun(json)).to.equal(false)
      const doc = parseJson(json)
      expect(doc.exitCode).to.equal(row.exit)
      expect(doc.ok).to.equal(row.exit === 0)
      expect(doc.error?.code ?? null, describeRun(json)).to.equal(row.code)
      if ([2, 3, 4, 5, 130].includes(row.exit)) {
        // A failure is told on stderr; stdout stays empty (it may be carrying an archive).
        expect(human.out, describeRun(human)).to.equal('')
        expect(human.err).to.match(/\S/)
      }
    })
  }
})
