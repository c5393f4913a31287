/**
 * Archives users already hold: the migration guide's plain tar (GNU tar of `.openclaw` and
 * `.openclaw-work` with the workspaces next to them, a live WAL included) and an `openclaw backup
 * create` archive go through the same verified, staged, rebased, journaled import as a native one,
 * into a home with other paths; anything else is "not an archive I know" (ARCHIVE_UNKNOWN, exit 3);
 * crafted ones are refused with the target left exactly as it was.
 */
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'
import {gzipSync, zstdCompressSync} from 'node:zlib'

import {
  type CliOptions,
  type CliResult,
  describeRun,
  mustRun,
  parseJson,
  resultOf,
  rmrf,
  runCli as spawnCli,
  tmpDir,
} from '../support/cli.js'
import {backupArchive, craftedTar, guideTar} from '../support/foreign-archives.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {diffSnapshots, journals, sha256, snapshotHome, targetHome} from '../support/import-fixtures.js'

const STRUCTURAL = 'no index: structural verification only'

/** The CLI as a process; a foreign archive is read twice, so a loaded machine gets more time than the default. */
const runCli = (args: string[], options: CliOptions) => spawnCli(args, {timeoutMs: 300_000, ...options})

function expectOk(result: CliResult, what: string): void {
  expect(result.code, `${what}: ${describeRun(result)}`).to.equal(0)
}

function rows(db: string, sql: string): any[] {
  const d = new DatabaseSync(db, {readOnly: true})
  try {
    return d.prepare(sql).all()
  } finally {
    d.close()
  }
}

/** Two profiles of one home, the outside roots suffixed per profile; links out of the home removed (a plain tar cannot vouch for them). */
function twoProfileHome(home: string): Map<null | string, GeneratedHome> {
  const homes = new Map<null | string, GeneratedHome>([
    [null, generateHome({externalSuffix: '-personal', home, profile: null, seed: 'personal', sessions: 3})],
    [
      'work',
      generateHome({externalSuffix: '-work', home, profile: 'work', seed: 'work', sessions: 2, walPending: false}),
    ],
  ])
  for (const g of homes.values()) fs.rmSync(path.join(g.externalWorkspace, 'dict-outside'), {force: true})
  return homes
}

describe('foreign archives: the guide plain tar of two profiles', function () {
  this.timeout(600_000)
  let root: string
  let homes: Map<null | string, GeneratedHome>
  let sourceHome: string
  let archive: string
  let target: ReturnType<typeof targetHome>
  let checked: CliResult
  let imported: CliResult
  let against: CliResult

  before(async () => {
    root = tmpDir('foreign-guide')
    sourceHome = path.join(root, 'home', 'alice')
    fs.mkdirSync(sourceHome, {recursive: true})
    homes = twoProfileHome(sourceHome)
    // The default profile's agent databases still hold writes only in their -wal (a live gateway): tar takes them as they are.
    archive = guideTar(
      sourceHome,
      path.join(root, 'openclaw-state.tgz'),
      ['.openclaw', '.openclaw-work', 'projects', 'agent-homes', 'shared-config'],
      {dotSlash: true},
    )
    target = targetHome('bob')
    checked = await runCli(['check', archive, '--accept-placement', '--json'], {home: target.home})
    imported = await runCli(['import', archive, '--no-host', '--accept-placement', '--json'], {home: target.home})
    against = await runCli(['check', '--against', archive, '--json'], {home: target.home})
  })

  after(() => {
    for (const g of homes?.values() ?? []) for (const h of g.holders) h.close()
    rmrf(root)
    target?.cleanup()
  })

  it('check ARCHIVE recognises it, counts both profiles as the source has them, and says the verification is structural', () => {
    expectOk(checked, 'check')
    const {summary} = resultOf(checked)
    expect(summary.foreign).to.deep.include({kind: 'guide-tar', verification: STRUCTURAL})
    expect(summary.source.home).to.equal(sourceHome)
    for (const p of summary.profiles) {
      const g = homes.get(p.profile)!
      expect(p.counts, String(p.profile)).to.deep.include({
        agents: g.counts.agents,
        credentialDirs: g.counts.credentialDirs,
        cronJobs: g.counts.cronJobs,
        sessions: g.counts.sessions,
      })
    }

    expect(summary.roots.map((r: any) => r.kind).sort()).to.deep.equal(
      ['agentDir', 'agentDir', 'include', 'include', 'state', 'state', 'workspace', 'workspace'].sort(),
    )
  })

  it('imports each profile into its own canonical state dir of the new home, files in place', () => {
    expectOk(imported, 'import')
    const out = resultOf(imported)
    expect(out.foreign.kind).to.equal('guide-tar')
    for (const [profile, g] of homes) {
      const stateDir = path.join(target.home, profile ? `.openclaw-${profile}` : '.openclaw')
      for (const rel of ['credentials/whatsapp/default/creds.json', 'credentials/oauth.json', '.env', 'secrets.json'])
        expect(sha256(fs.readFileSync(path.join(stateDir, rel))), `${profile}: ${rel}`).to.equal(
          sha256(fs.readFileSync(path.join(g.stateDir, rel))),
        )
      const suffix = profile ? '-work' : '-personal'
      const ws = path.join(target.home, 'projects', `research-notes${suffix}`)
      expect(fs.readFileSync(path.join(ws, 'MEMORY.md'))).to.deep.equal(
        fs.readFileSync(path.join(g.externalWorkspace, 'MEMORY.md')),
      )
      expect(fs.readlinkSync(path.join(ws, 'memory-link.md'))).to.equal('MEMORY.md')
      // Regenerable content is left out, as the export leaves it out.
      expect(fs.existsSync(path.join(stateDir, 'plugin-skills')), 'plugin-skills').to.equal(false)
      expect(fs.existsSync(path.join(stateDir, 'tmp')), 'tmp').to.equal(false)
      expect(fs.statSync(stateDir).mode & 0o777).to.equal(0o700)
    }

    expect(
      journals(target.home).some((j) => j.state === 'activated'),
      'a journaled activation',
    ).to.equal(true)
  })

  it('rebases the configs and the databases onto the new home', () => {
    for (const profile of homes.keys()) {
      const stateDir = path.join(target.home, profile ? `.openclaw-${profile}` : '.openclaw')
      const config = fs.readFileSync(path.join(stateDir, 'openclaw.json'), 'utf8')
      expect(config, String(profile)).to.not.include(sourceHome)
      const suffix = profile ? '-work' : '-personal'
      expect(config).to.include(path.join(target.home, 'projects', `research-notes${suffix}`))
      expect(config).to.include(path.join(target.home, 'shared-config', `models${suffix}.json5`))
      const jobs = rows(path.join(stateDir, 'state', 'openclaw.sqlite'), 'SELECT store_key FROM cron_jobs')
      expect(jobs.map((j) => j.store_key)).to.deep.equal([
        path.join(stateDir, 'cron', 'jobs.json'),
        path.join(stateDir, 'cron', 'jobs.json'),
      ])
    }
  })

  it('folds a live WAL into its database instead of dropping the writes', () => {
    const db = path.join(target.home, '.openclaw', 'agents', 'main', 'agent', 'openclaw-agent.sqlite')
    // Checked before anything opens the database (a reader of a WAL database makes its own side files).
    expect(fs.existsSync(`${db}-wal`), 'no -wal carried over').to.equal(false)
    expect(rows(db, "SELECT session_id FROM session_windows WHERE session_id = 'pending-window'")).to.have.length(1)
  })

  it('the import verified the result, and check --against agrees', () => {
    const out = resultOf(imported)
    expect(out.verification.ok, JSON.stringify(out.verification.checks)).to.equal(true)
    expectOk(against, 'check --against')
    expect(parseJson(against).ok).to.equal(true)
  })

  it('also reads the plain .tar, a .tar.zst and an age-encrypted one of the same state, and says how it verified them', async () => {
    const plain = guideTar(sourceHome, path.join(root, 'openclaw-state.tar'), ['.openclaw-work'])
    const zst = path.join(root, 'openclaw-state.tar.zst')
    fs.writeFileSync(zst, zstdCompressSync(fs.readFileSync(plain)))
    // age-encrypted too (the guide says to store backups encrypted): read twice, one key.
    const key = path.join(root, 'key.txt')
    mustRun('age-keygen', ['-o', key])
    const recipient = mustRun('age-keygen', ['-y', key]).toString().trim()
    const encrypted = path.join(root, 'openclaw-state.tar.zst.age')
    mustRun('age', ['-r', recipient, '-o', encrypted, zst])
    for (const [file, keys] of [
      [plain, []],
      [zst, []],
      [encrypted, ['--identity', key]],
    ] as const) {
      const r = await runCli(['check', file, '--accept-placement', ...keys], {home: target.home})
      expectOk(r, file)
      expect(r.out).to.include(STRUCTURAL)
    }
  })

  it('--from-home overrides the old home the archive suggests; a relative one is a usage error', async () => {
    const r = await runCli(['check', archive, '--from-home', '/srv/old-home/', '--accept-placement', '--json'], {
      home: target.home,
    })
    expectOk(r, 'check --from-home')
    expect(resultOf(r).summary.source.home).to.equal('/srv/old-home')
    const bad = await runCli(['check', archive, '--from-home', 'old-home', '--json'], {home: target.home})
    expect(JSON.stringify(parseJson(bad))).to.include('not an absolute path')
  })
})

describe('foreign archives: an openclaw backup create archive', function () {
  this.timeout(300_000)
  let root: string
  let g: GeneratedHome
  let archive: string
  let target: ReturnType<typeof targetHome>
  let imported: CliResult

  before(async () => {
    root = tmpDir('foreign-backup')
    const home = path.join(root, 'home', 'carol')
    g = generateHome({home, profile: 'work', seed: 'carol', walPending: false})
    fs.rmSync(path.join(g.externalWorkspace, 'dict-outside'))
    archive = backupArchive(
      root,
      path.join(root, '2026-11-20T08-00-00.000+00-00-openclaw-backup.tar.gz'),
      [
        {kind: 'state', sourcePath: g.stateDir},
        {kind: 'config', sourcePath: path.join(home, 'shared-config', 'models.json5')},
        {kind: 'workspace', sourcePath: g.externalWorkspace},
        {kind: 'agent', sourcePath: g.externalAgentDir},
      ],
      {
        paths: {
          agentRoots: [{agentId: 'research', sourcePath: g.externalAgentDir}],
          configPath: g.configPath,
          stateDir: g.stateDir,
          workspaceDirs: [g.defaultWorkspace, g.externalWorkspace],
        },
      },
    )
    target = targetHome('dave')
    imported = await runCli(['import', archive, '--no-host', '--accept-placement', '--json'], {home: target.home})
  })

  after(() => {
    for (const h of g?.holders ?? []) h.close()
    rmrf(root)
    target?.cleanup()
  })

  it('imports it through the same path: state at the canonical place, outside roots under the new home, rebased', async () => {
    expectOk(imported, 'import')
    const out = resultOf(imported)
    expect(out.foreign.kind).to.equal('openclaw-backup')
    const stateDir = path.join(target.home, '.openclaw-work')
    expect(sha256(fs.readFileSync(path.join(stateDir, 'credentials', 'oauth.json')))).to.equal(
      sha256(fs.readFileSync(path.join(g.stateDir, 'credentials', 'oauth.json'))),
    )
    const ws = path.join(target.home, 'projects', 'research-notes')
    expect(fs.readFileSync(path.join(ws, 'MEMORY.md'))).to.deep.equal(
      fs.readFileSync(path.join(g.externalWorkspace, 'MEMORY.md')),
    )
    expect(fs.existsSync(path.join(target.home, 'agent-homes', 'research', 'auth-profiles.json'))).to.equal(true)
    const config = fs.readFileSync(path.join(stateDir, 'openclaw.json'), 'utf8')
    expect(config).to.not.include(g.home)
    expect(config).to.include(ws)
    const jobs = rows(path.join(stateDir, 'state', 'openclaw.sqlite'), 'SELECT store_key FROM cron_jobs')
    expect(jobs[0].store_key).to.equal(path.join(stateDir, 'cron', 'jobs.json'))
    expect(out.verification.ok, JSON.stringify(out.verification.checks)).to.equal(true)
    const against = await runCli(['check', '--against', archive, '--json'], {home: target.home})
    expectOk(against, 'check --against')
  })

  it('refuses a backup whose manifest points an asset at another part of the archive, writing nothing', async () => {
    const other = targetHome('erin')
    try {
      const bad = backupArchive(root, path.join(root, 'moved.tar.gz'), [{kind: 'state', sourcePath: g.stateDir}], {
        manifest: (m) => ({...m, assets: [{...m.assets[0], sourcePath: path.join(other.home, '.ssh')}]}),
      })
      const before = snapshotHome(other.root)
      const r = await runCli(['import', bad, '--no-host', '--accept-placement', '--json'], {home: other.home})
      expect(r.code, describeRun(r)).to.equal(3)
      expect(parseJson(r).error?.code).to.equal('ARCHIVE_UNSAFE_ENTRY')
      expect(diffSnapshots(before, snapshotHome(other.root))).to.deep.equal([])
    } finally {
      other.cleanup()
    }
  })
})

describe('foreign archives: what is refused', function () {
  this.timeout(300_000)
  let root: string
  let target: ReturnType<typeof targetHome>
  let before: Map<string, string>

  const refusedWith = async (file: string, code: string, exit = 3) => {
    const imported = await runCli(['import', file, '--no-host', '--accept-placement', '--json'], {home: target.home})
    expect(imported.code, describeRun(imported)).to.equal(exit)
    expect(parseJson(imported).error?.code, describeRun(imported)).to.equal(code)
    const checked = await runCli(['check', file, '--accept-placement', '--json'], {home: target.home})
    expect(checked.code, describeRun(checked)).to.not.equal(0)
    expect(JSON.stringify(parseJson(checked)), describeRun(checked)).to.include(code)
    expect(diffSnapshots(before, snapshotHome(target.root))).to.deep.equal([])
    return parseJson(imported).error!.message
  }

  beforeEach(() => {
    root = tmpDir('foreign-refused')
    target = targetHome('frank')
    fs.mkdirSync(path.join(target.home, '.openclaw'), {mode: 0o700})
    fs.writeFileSync(path.join(target.home, '.openclaw', 'openclaw.json'), '{}\n')
    before = snapshotHome(target.root)
  })

  afterEach(() => {
    rmrf(root)
    target.cleanup()
  })

  const unknown: Array<[string, string, (root: string) => void, RegExp]> = [
    [
      'a tar of something else',
      'random.tgz',
      (root) => {
        fs.mkdirSync(path.join(root, 'files', 'Documents'), {recursive: true})
        fs.writeFileSync(path.join(root, 'files', 'Documents', 'notes.txt'), 'hello\n')
        guideTar(path.join(root, 'files'), path.join(root, 'random.tgz'), ['Documents'])
      },
      /no \.openclaw\* state dir/,
    ],
    [
      'a zip',
      'notes.zip',
      (root) => {
        fs.writeFileSync(path.join(root, 'notes.zip'), Buffer.concat([Buffer.from('PK\u{3}\u{4}'), randomBytes(600)]))
      },
      /not age, gzip, zstd or tar/,
    ],
    [
      'an empty file',
      'empty.tgz',
      (root) => {
        fs.writeFileSync(path.join(root, 'empty.tgz'), '')
      },
      /empty/,
    ],
    [
      'gzip of random bytes',
      'noise.gz',
      (root) => {
        fs.writeFileSync(path.join(root, 'noise.gz'), gzipSync(randomBytes(4096)))
      },
      /not a tar/,
    ],
    [
      'the guide workspace tar without its state dir',
      'workspace.tgz',
      (root) => {
        const ws = path.join(root, 'files', '.openclaw', 'workspace')
        fs.mkdirSync(ws, {recursive: true})
        fs.writeFileSync(path.join(ws, 'MEMORY.md'), '# memory\n')
        guideTar(path.join(root, 'files'), path.join(root, 'workspace.tgz'), ['.openclaw/workspace'])
      },
      /without the config/,
    ],
  ]
  for (const [what, name, make, says] of unknown)
    it(`an archive it does not know, ${what}: ARCHIVE_UNKNOWN (exit 3) from import and check`, async () => {
      make(root)
      const message = await refusedWith(path.join(root, name), 'ARCHIVE_UNKNOWN')
      expect(message).to.match(/not an archive I know/)
      expect(message).to.match(says)
    })

  const config = {body: '{ gateway: { mode: "local" } }\n', path: '.openclaw/openclaw.json', type: 'file' as const}
  const crafted: Array<[string, (outside: string, root: string) => Parameters<typeof craftedTar>[0]]> = [
    [
      'a ".." name',
      (outside) => [
        {path: '.openclaw', type: 'dir'},
        config,
        {body: 'x', path: `.openclaw/../../../../../../..${outside}`, type: 'file'},
      ],
    ],
    [
      'an absolute symlink out of the state dir',
      (_, root) => [
        {path: '.openclaw', type: 'dir'},
        config,
        {linkpath: root, path: '.openclaw/workspace', type: 'symlink'},
      ],
    ],
    [
      'a relative symlink climbing out',
      () => [
        {path: '.openclaw', type: 'dir'},
        config,
        {linkpath: '../../../..', path: '.openclaw/up', type: 'symlink'},
      ],
    ],
    [
      'an absolute name',
      (outside) => [{path: '.openclaw', type: 'dir'}, config, {body: 'x', path: `${outside}/abs`, type: 'file'}],
    ],
  ]
  for (const [what, entries] of crafted)
    it(`a crafted plain tar with ${what}: ARCHIVE_UNSAFE_ENTRY, nothing written anywhere`, async () => {
      const outside = path.join(root, 'escaped')
      const file = path.join(root, 'crafted.tgz')
      fs.writeFileSync(file, craftedTar(entries(outside, root)))
      await refusedWith(file, 'ARCHIVE_UNSAFE_ENTRY')
      expect(fs.existsSync(outside)).to.equal(false)
    })

  it('a plain tar on stdin is a usage error (it is read twice), not a corrupt archive', async () => {
    const file = path.join(root, 'state.tgz')
    // Uncompressed and ASCII only, so it can be handed over as text.
    fs.writeFileSync(
      file,
      craftedTar(
        [
          {path: '.openclaw', type: 'dir'},
          {body: '{}\n', path: '.openclaw/openclaw.json', type: 'file'},
        ],
        false,
      ),
    )
    const r = await runCli(['import', '-', '--no-host', '--accept-placement', '--json'], {
      home: target.home,
      input: fs.readFileSync(file, 'utf8'),
    })
    expect(r.code, describeRun(r)).to.equal(2)
    expect(parseJson(r).error?.message).to.match(/save it to a file|cannot come from stdin/i)
  })
})
