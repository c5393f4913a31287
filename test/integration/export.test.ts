import {expect} from 'chai'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {
  archivePathIn,
  type CliResult,
  describeRun,
  listFiles as listTree,
  parseJson,
  resultOf,
  rmrf,
  RunBatch,
  tarCat,
  tarExtract,
  tarNames,
  tarVerbose,
  tmpDir,
  treeFingerprint,
} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {runInProcess} from '../support/in-process.js'

const STATE = 'roots/work.state'

function expectOk(result: CliResult): void {
  expect(result.code, describeRun(result)).to.equal(0)
}

function expectNoRegenerable(names: string[]): void {
  for (const dir of ['tmp', 'cache', 'logs', 'npm', 'plugin-skills']) {
    expect(
      names.filter((n) => n === `${STATE}/${dir}/` || n.startsWith(`${STATE}/${dir}/`)),
      dir,
    ).to.deep.equal([])
  }

  expect(names.filter((n) => n.includes('node_modules'))).to.deep.equal([])
  expect(names.filter((n) => /-(wal|shm|journal)$/.test(n))).to.deep.equal([])
}

describe('migrate export (generated home, real CLI)', function () {
  this.timeout(60_000)
  let root: string
  let home: string
  let out: string
  let g: GeneratedHome
  let batch: RunBatch

  before(async () => {
    root = tmpDir('export')
    home = path.join(root, 'home')
    out = path.join(root, 'out')
    fs.mkdirSync(home)
    fs.mkdirSync(out)
    g = generateHome({home})
    fs.writeFileSync(path.join(out, 'exists.tar.gz'), 'precious')
    fs.mkdirSync(path.join(out, 'into-dir'))
    const base = ['export', '--profile', 'work', '--no-encrypt']
    const opts = {cwd: out, home}
    const o = (name: string) => ['-o', path.join(out, name)]
    // In process (serialized) except the runs whose stdout carries the archive's bytes.
    batch = new RunBatch(3, runInProcess)
    batch.start('plain', [...base, ...o('plain.tar.gz'), '--json'], opts)
    batch.start('exists --json', [...base, ...o('exists.tar.gz'), '--json'], opts)
    batch.start('exists', [...base, ...o('exists.tar.gz')], opts)
    batch.start('inside', [...base, '-o', path.join(g.stateDir, 'backup.tar.gz'), '--json'], opts)
    batch.start('into-dir', [...base, ...o('into-dir')], opts)
    batch.start('agent research', [...base, '--agent', 'research', ...o('research.tar.gz')], opts)
    batch.start('agent nobody', [...base, '--agent', 'nobody', '--dry-run', '--json'], opts)
    batch.start('no-workspace', [...base, '--no-workspace', ...o('no-ws.tar.gz')], opts)
    batch.start('exclude media', [...base, '--exclude', 'media/**', ...o('no-media.tar.gz')], opts)
    batch.start('zstd', [...base, '--compression', 'zstd', ...o('z.tar.zst')], opts)
    batch.start('stdout', [...base, '-o', '-'], {...opts, spawn: true})
    batch.start('stdout --json', [...base, '-o', '-', '--json'], {...opts, spawn: true})
    batch.start('dry-run --json', ['export', '--profile', 'work', '--dry-run', '--json'], opts)
    // Every run ends before the first test reports (in-process output is captured from process.stdout).
    await batch.settled()
  })

  after(async () => {
    await batch?.settled()
    for (const db of g?.holders ?? []) db.close()
    rmrf(root)
  })

  describe('plain export (--no-encrypt)', () => {
    let archive: string
    let result: CliResult
    let names: string[]
    let summary: any
    let warnings: string[]
    let manifest: any

    before(async () => {
      archive = path.join(out, 'plain.tar.gz')
      result = await batch.get('plain')
      expectOk(result)
      ;({result: summary, warnings} = parseJson(result))
      names = tarNames(archive)
      manifest = JSON.parse(tarCat(archive, 'manifest.json').toString('utf8'))
    })

    it('writes the archive with mode 0600', () => {
      expect(fs.statSync(archive).mode & 0o777).to.equal(0o600)
      expect(summary.archive).to.equal(archive)
      expect(summary.encryption).to.equal('none')
      expect(summary.archiveBytes).to.equal(fs.statSync(archive).size)
      expect(summary.archiveSha256).to.equal(createHash('sha256').update(fs.readFileSync(archive)).digest('hex'))
      // No partial file left next to it.
      expect(fs.readdirSync(out).filter((n) => n.includes('partial'))).to.deep.equal([])
    })

    it('GNU tar lists manifest.json first and index.jsonl last', () => {
      expect(names[0]).to.equal('manifest.json')
      expect(names.at(-1)).to.equal('index.jsonl')
      expect(names.filter((n) => n === 'manifest.json' || n === 'index.jsonl')).to.have.length(2)
    })

    it('includes the state dir, the external workspace, the external agentDir, the default workspace and the $include', () => {
      expect(names).to.include(`${STATE}/`)
      expect(names).to.include(`${STATE}/openclaw.json`)
      expect(names).to.include(`${STATE}/.env`)
      expect(names).to.include(`${STATE}/credentials/whatsapp/default/creds.json`)
      expect(names).to.include('roots/work.workspace.research/MEMORY.md')
      expect(names).to.include('roots/work.workspace.research/.git/HEAD')
      expect(names).to.include('roots/work.agentDir.research/auth-profiles.json')
      expect(names).to.include('roots/work.include/models.json5')
      const roots = Object.fromEntries(manifest.roots.map((r: any) => [r.id, r.sourcePath]))
      expect(roots).to.deep.include({
        'work.agentDir.research': g.externalAgentDir,
        'work.state': g.stateDir,
        'work.workspace.research': g.externalWorkspace,
      })
      // The default workspace travels too, as its own root or inside the state root, wherever it lives.
      const defaultWs = archivePathIn(manifest, g.defaultWorkspace)
      expect(defaultWs, 'default workspace not covered by any root').to.be.a('string')
      expect(names).to.include(`${defaultWs}/SOUL.md`)
      expect(names).to.include(`${defaultWs}/memory/2026-10-01.md`)
      // Both agents' trees.
      for (const agent of ['main', 'research'])
        expect(names.filter((n) => n.startsWith(`${STATE}/agents/${agent}/`)).length, agent).to.be.greaterThan(0)
    })

    it('leaves out tmp/, cache/, logs/, npm/, plugin-skills/, node_modules and SQLite side files', () => {
      expectNoRegenerable(names)
      // ...but keeps the extension itself, only without its dependencies.
      expect(names).to.include(`${STATE}/extensions/local-tools/index.js`)
      const skipped = manifest.skipped.map((s: any) => s.path)
      for (const p of [
        'tmp',
        'cache',
        'logs',
        'npm',
        'plugin-skills',
        'extensions/local-tools/node_modules',
        'state/openclaw.sqlite-wal',
      ])
        expect(skipped).to.include(path.join(g.stateDir, p))
    })

    it('keeps symlinks as links (not followed), also one pointing outside the roots', () => {
      const lines = tarVerbose(archive)
      const link = lines.find((l) => l.includes('roots/work.workspace.research/memory-link.md'))
      expect(link).to.match(/^l/).and.include('memory-link.md -> MEMORY.md')
      const outside = lines.find((l) => l.includes('roots/work.workspace.research/dict-outside'))
      expect(outside).to.match(/^l/).and.include('-> /usr/share/dict')
      expect(manifest.symlinksOutside).to.deep.equal([
        {path: path.join(g.externalWorkspace, 'dict-outside'), target: '/usr/share/dict'},
      ])
      expect(warnings.join('\n')).to.include('dict-outside')
    })

    it('captures uncheckpointed WAL writes in a self-contained SQLite snapshot', () => {
      // Precondition: the row really is only in the WAL (the main file alone does not have it).
      const bare = path.join(root, 'bare-copy.sqlite')
      fs.copyFileSync(path.join(g.stateDir, 'state', 'openclaw.sqlite'), bare)
      expect(fs.statSync(path.join(g.stateDir, 'state', 'openclaw.sqlite-wal')).size).to.be.greaterThan(0)
      const bareDb = new DatabaseSync(bare, {readOnly: true})
      const hasTable = bareDb.prepare("SELECT 1 FROM sqlite_master WHERE name = 'cron_run_receipts'").get()
      const bareStatuses = hasTable
        ? bareDb
            .prepare('SELECT status FROM cron_run_receipts')
            .all()
            .map((r: any) => r.status)
        : []
      bareDb.close()
      expect(bareStatuses).to.not.include('ok-pending-in-wal')

      const dir = path.join(root, 'extracted-db')
      fs.mkdirSync(dir)
      tarExtract(archive, dir, [`${STATE}/state/openclaw.sqlite`])
      const file = path.join(dir, STATE, 'state', 'openclaw.sqlite')
      const db = new DatabaseSync(file)
      try {
        const statuses = db
          .prepare('SELECT status FROM cron_run_receipts')
          .all()
          .map((r: any) => r.status)
        expect(statuses).to.have.members(['ok', 'ok-pending-in-wal'])
        expect((db.prepare('PRAGMA journal_mode').get() as any).journal_mode).to.equal('delete')
        expect((db.prepare('PRAGMA integrity_check').get() as any).integrity_check).to.equal('ok')
      } finally {
        db.close()
      }

      expect(fs.existsSync(`${file}-wal`)).to.equal(false)
      // Every database in the archive went through the snapshot path, and every snapshot passed its check.
      expect(summary.sqlite.map((s: any) => s.path)).to.have.members(names.filter((n) => n.endsWith('.sqlite')))
      expect(summary.sqlite.map((s: any) => s.path)).to.include(`${STATE}/state/openclaw.sqlite`)
      expect(summary.sqlite.map((s: any) => s.path)).to.include(`${STATE}/agents/main/agent/openclaw-agent.sqlite`)
      for (const s of summary.sqlite) expect(s.integrity).to.equal('ok')
    })

    it('records the counts and the plugins to reinstall in the manifest', () => {
      expect(manifest.format).to.equal('openclaw-migrate')
      expect(manifest.profiles).to.have.length(1)
      const [profile] = manifest.profiles
      expect(profile.profile).to.equal('work')
      expect(profile.stateDir).to.equal(g.stateDir)
      expect(g.counts).to.deep.include({agents: 2, credentialDirs: 2, sessions: 8})
      expect(profile.counts.agents).to.equal(g.counts.agents)
      expect(profile.counts.sessions).to.equal(g.counts.sessions)
      expect(profile.counts.sessionsPerAgent).to.deep.equal({
        main: g.counts.sessions / 2,
        research: g.counts.sessions / 2,
      })
      expect(profile.counts.cronJobs).to.be.at.least(1)
      expect(profile.counts.credentialDirs).to.equal(g.counts.credentialDirs)
      expect(profile.lastTouchedVersion).to.equal('2026.9.6')
      const specs = profile.plugins.map((p: any) => p.spec)
      expect(specs).to.include('@openclaw/voice-call@2026.9.1')
      expect(specs).to.not.include('local-tools@1.0.0') // a local plugin dir is never reinstalled from npm by name
      expect(profile.plugins.find((p: any) => p.id === 'local-tools')).to.include({
        source: 'extensions/local-tools',
        spec: null,
      })
      expect(summary.profiles[0].counts).to.deep.equal(profile.counts)
    })

    it('lists secrets by path only', () => {
      const secretPaths = manifest.secrets.map((s: any) => s.path)
      expect(secretPaths).to.include(`${STATE}/.env`)
      expect(secretPaths).to.include(`${STATE}/openclaw.json`)
      expect(secretPaths).to.include(`${STATE}/channels.json5`) // an $include inside the state dir holds the bot token
      expect(secretPaths).to.include(`${STATE}/state/openclaw.sqlite`)
      const text = JSON.stringify(manifest)
      for (const secret of g.secrets) expect(text).to.not.include(secret)
    })

    it('index.jsonl hashes every payload file in archive order and closes with a trailer', () => {
      const lines = tarCat(archive, 'index.jsonl')
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      const trailer = lines.pop()
      expect(trailer.end).to.equal(true)
      expect(trailer.archiveId).to.equal(manifest.archiveId)
      expect(trailer.entries).to.equal(lines.length)
      expect(lines.map((l: any) => (l.type === 'dir' ? `${l.path}/` : l.path))).to.deep.equal(names.slice(1, -1))
      const memory = lines.find((l: any) => l.path === 'roots/work.workspace.research/MEMORY.md')
      expect(memory.sha256).to.equal(
        createHash('sha256')
          .update(fs.readFileSync(path.join(g.externalWorkspace, 'MEMORY.md')))
          .digest('hex'),
      )
    })
  })

  it('refuses to overwrite an existing output (OUTPUT_EXISTS, exit 2)', async () => {
    const target = path.join(out, 'exists.tar.gz')
    const result = await batch.get('exists --json')
    expect(result.code, describeRun(result)).to.equal(2)
    expect(parseJson(result).error.code).to.equal('OUTPUT_EXISTS')
    expect(fs.readFileSync(target, 'utf8')).to.equal('precious')
    const human = await batch.get('exists')
    expect(human.code).to.equal(2)
    expect(human.out).to.equal('')
    expect(human.err).to.include('already exists')
  })

  it('refuses an output inside the exported state dir (OUTPUT_INSIDE_SOURCE, exit 2)', async () => {
    const target = path.join(g.stateDir, 'backup.tar.gz')
    const result = await batch.get('inside')
    expect(result.code, describeRun(result)).to.equal(2)
    expect(parseJson(result).error.code).to.equal('OUTPUT_INSIDE_SOURCE')
    expect(fs.existsSync(target)).to.equal(false)
    expect(fs.readdirSync(g.stateDir).filter((n) => n.includes('backup'))).to.deep.equal([])
  })

  it('-o DIR writes a default-named archive into that directory', async () => {
    const dir = path.join(out, 'into-dir')
    const result = await batch.get('into-dir')
    expectOk(result)
    const files = fs.readdirSync(dir)
    expect(files).to.have.length(1)
    expect(files[0]).to.match(/^openclaw-migrate-work-.+-\d{8}T\d{6}Z\.tar\.gz$/)
    expect(tarNames(path.join(dir, files[0]))[0]).to.equal('manifest.json')
  })

  describe('--dry-run', () => {
    it('writes nothing anywhere (home and cwd unchanged) and prints the plan', async () => {
      await batch.settled() // nothing else may run against the home while it is fingerprinted
      const cwd = path.join(root, 'dry-cwd')
      fs.mkdirSync(cwd)
      const before = treeFingerprint(home, cwd)
      const human = await runInProcess(['export', '--profile', 'work', '--dry-run'], {cwd, home})
      expectOk(human)
      const json = await runInProcess(['export', '--profile', 'work', '--dry-run', '--json'], {cwd, home})
      expectOk(json)
      const after = treeFingerprint(home, cwd)
      const changes = [...new Set([...before.keys(), ...after.keys()])]
        .filter((p) => before.get(p) !== after.get(p))
        .map((p) => `${p}: ${before.get(p)} -> ${after.get(p)}`)
      expect(changes).to.deep.equal([])
      expect(human.out).to.include('dry run, nothing written')
      expect(human.out).to.include(g.externalWorkspace)
    })

    it('creates no SQLite side files next to cleanly closed databases (dry run, then check)', async () => {
      const cleanHome = path.join(root, 'clean-home')
      fs.mkdirSync(cleanHome)
      const clean = generateHome({home: cleanHome, walPending: false})
      expect(clean.holders).to.deep.equal([])
      const sideFiles = () =>
        [clean.stateDir, clean.externalAgentDir]
          .flatMap((d) => listTree(d))
          .filter((f) => /-(wal|shm|journal)$/.test(f))
      expect(sideFiles()).to.deep.equal([])
      const before = treeFingerprint(cleanHome)
      const dry = await runInProcess(['export', '--profile', 'work', '--dry-run', '--json'], {
        cwd: out,
        home: cleanHome,
      })
      expectOk(dry)
      expect(resultOf(dry).profiles[0].counts.cronJobs).to.equal(clean.counts.cronJobs)
      expect(sideFiles()).to.deep.equal([])
      const check = await runInProcess(['check', '--profile', 'work', '--json'], {cwd: out, home: cleanHome})
      expect(check.code, describeRun(check)).to.equal(0)
      expect(sideFiles()).to.deep.equal([])
      expect(treeFingerprint(cleanHome)).to.deep.equal(before)
    })

    it('--json carries roots, secrets (by path) and skipped paths with reasons', async () => {
      const result = await batch.get('dry-run --json')
      expectOk(result)
      const plan = resultOf(result)
      expect(plan.dryRun).to.equal(true)
      expect(plan.roots.map((r: any) => r.id)).to.include.members([
        'work.state',
        'work.workspace.research',
        'work.agentDir.research',
        'work.include',
      ])
      expect(plan.secrets.map((s: any) => s.path)).to.include.members([
        `${STATE}/.env`,
        `${STATE}/secrets.json`,
        `${STATE}/credentials/oauth.json`,
        'roots/work.agentDir.research/auth-profiles.json',
      ])
      for (const s of plan.secrets) expect(s).to.have.all.keys('kind', 'path')
      const skipped = Object.fromEntries(plan.skipped.map((s: any) => [s.path, s.reason]))
      expect(skipped[path.join(g.stateDir, 'tmp')]).to.be.a('string')
      expect(skipped[path.join(g.stateDir, 'npm')]).to.be.a('string')
      expect(skipped[path.join(g.stateDir, 'extensions', 'local-tools', 'node_modules')]).to.include('dependencies')
      expect(plan.profiles[0].counts.sessions).to.equal(g.counts.sessions)
      expect(plan.output).to.match(/\.tar\.gz\.age$/)
    })
  })

  it('--agent research exports only that agent (sessions, workspace, agentDir)', async () => {
    const archive = path.join(out, 'research.tar.gz')
    const result = await batch.get('agent research')
    expectOk(result)
    const names = tarNames(archive)
    expect(names.some((n) => n.startsWith(`${STATE}/agents/research/sessions/`))).to.equal(true)
    expect(names.filter((n) => n.startsWith(`${STATE}/agents/main`))).to.deep.equal([])
    expect(names).to.include('roots/work.workspace.research/MEMORY.md')
    expect(names).to.include('roots/work.agentDir.research/auth-profiles.json')
    const manifest = JSON.parse(tarCat(archive, 'manifest.json').toString('utf8'))
    // main's workspace (the default one) is not part of a research-only export, wherever it lives.
    expect(manifest.roots.map((r: any) => r.sourcePath)).to.not.include(g.defaultWorkspace)
    const defaultWs = archivePathIn(manifest, g.defaultWorkspace)
    if (defaultWs) expect(names.filter((n) => n.startsWith(`${defaultWs}/`))).to.deep.equal([])
    expect(names.filter((n) => n.endsWith('SOUL.md'))).to.deep.equal(['roots/work.workspace.research/SOUL.md'])
    expect(manifest.selection.agents).to.deep.equal(['research'])
    expect(manifest.profiles[0].counts.sessions).to.equal(g.counts.sessions / 2)
    expect(manifest.profiles[0].counts.sessionsPerAgent).to.deep.equal({research: g.counts.sessions / 2})
  })

  it('--agent with an unknown id is a usage error', async () => {
    const result = await batch.get('agent nobody')
    expect(result.code, describeRun(result)).to.equal(2)
    const {error} = parseJson(result)
    expect(error.code).to.equal('USAGE')
    expect(error.suggestions.join(' ')).to.include('main').and.include('research')
  })

  it('--no-workspace leaves every workspace out but keeps state and agentDir', async () => {
    const archive = path.join(out, 'no-ws.tar.gz')
    const result = await batch.get('no-workspace')
    expectOk(result)
    const names = tarNames(archive)
    expect(names.filter((n) => n.includes('workspace'))).to.deep.equal([])
    expect(names.filter((n) => n.includes('MEMORY.md'))).to.deep.equal([])
    expect(names).to.include(`${STATE}/openclaw.json`)
    expect(names).to.include('roots/work.agentDir.research/auth-profiles.json')
    const manifest = JSON.parse(tarCat(archive, 'manifest.json').toString('utf8'))
    expect(manifest.roots.filter((r: any) => r.kind === 'workspace')).to.deep.equal([])
    expect(manifest.selection.workspaces).to.equal(false)
  })

  it("--exclude 'media/**' drops the media files", async () => {
    const archive = path.join(out, 'no-media.tar.gz')
    const result = await batch.get('exclude media')
    expectOk(result)
    const names = tarNames(archive)
    expect(names.filter((n) => n.includes('photo-'))).to.deep.equal([])
    expect(names).to.include(`${STATE}/openclaw.json`)
    const manifest = JSON.parse(tarCat(archive, 'manifest.json').toString('utf8'))
    expect(manifest.skipped.filter((s: any) => s.reason.includes('--exclude')).length).to.be.at.least(1)
    expect(manifest.selection.excludes).to.deep.equal(['media/**'])
  })

  it('--compression zstd writes a zstd stream that zstd + GNU tar read', async () => {
    const archive = path.join(out, 'z.tar.zst')
    const result = await batch.get('zstd')
    expectOk(result)
    expect(fs.readFileSync(archive).subarray(0, 4).toString('hex')).to.equal('28b52ffd')
    const names = tarNames(archive, 'zstd')
    expect(names[0]).to.equal('manifest.json')
    expect(names.at(-1)).to.equal('index.jsonl')
    expect(names).to.include('roots/work.workspace.research/MEMORY.md')
    expectNoRegenerable(names)
  })

  it('-o - streams the archive on stdout and keeps human text on stderr', async () => {
    const result = await batch.get('stdout')
    expectOk(result)
    expect(result.stdout.subarray(0, 2).toString('hex')).to.equal('1f8b')
    const names = tarNames(result.stdout)
    expect(names[0]).to.equal('manifest.json')
    expect(names.at(-1)).to.equal('index.jsonl')
    expect(names).to.include(`${STATE}/openclaw.json`)
    expect(result.err).to.include('Exported').and.include('stdout')
    expect(result.stdout.includes(Buffer.from('Exported '))).to.equal(false)
    expect(fs.readdirSync(out).filter((n) => n.startsWith('openclaw-migrate-'))).to.deep.equal([])
  })

  it('--json with -o - is refused (both want stdout)', async () => {
    const result = await batch.get('stdout --json')
    expect(result.code, describeRun(result)).to.equal(2)
    expect(result.stdout.subarray(0, 2).toString('hex')).to.not.equal('1f8b')
  })
})
