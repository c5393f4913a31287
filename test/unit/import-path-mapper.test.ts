/**
 * Cross-OS imports without a foreign machine: manifests whose source home is Windows
 * (`C:\Users\ana`) or macOS (`/Users/ana`), planned onto this (Linux) machine, and the staged
 * config/database rebased with the plan's mapper.
 */
import {expect} from 'chai'
import JSON5 from 'json5'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import type {ArchiveManifest, ArchiveRoot} from '../../src/lib/archive/manifest.js'

import {MigrateError} from '../../src/lib/errors.js'
import {planTargets} from '../../src/lib/import/placement.js'
import {planStaging, type StagedRoot} from '../../src/lib/import/staging.js'
import {rewriteStringLiterals} from '../../src/lib/rebase/json-text-rebaser.js'
import {PathMapper} from '../../src/lib/rebase/path-mapper.js'
import {rebaseCell} from '../../src/lib/rebase/sqlite-rebaser.js'
import {rebaseStaged} from '../../src/lib/rebase/staged-rebaser.js'

const sha = (v: string) => createHash('sha256').update(v).digest('hex')
const BOB = '/home/bob'

function catchError(fn: () => unknown): MigrateError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(MigrateError)
    return error as MigrateError
  }

  throw new Error('expected a MigrateError, nothing was thrown')
}

/** A manifest as an export on another OS would write it (only what planning and rebasing read). */
function manifestFrom(
  home: string,
  sep: '/' | '\\',
  extraRoots: Array<{id: string; kind: ArchiveRoot['kind']; sourcePath: string; type?: 'dir' | 'file'}> = [],
): ArchiveManifest {
  const j = (...parts: string[]) => [home, ...parts].join(sep)
  const stateDir = j('.openclaw-work')
  const roots: ArchiveRoot[] = [
    {
      archivePath: 'roots/work.state',
      id: 'work.state',
      kind: 'state',
      profile: 'work',
      sourcePath: stateDir,
      type: 'dir',
    },
    {
      archivePath: 'roots/work.workspace.research',
      id: 'work.workspace.research',
      kind: 'workspace',
      profile: 'work',
      sourcePath: j('projects', 'research-notes'),
      type: 'dir',
      agentId: 'research',
    },
    {
      archivePath: 'roots/work.include',
      id: 'work.include',
      kind: 'include',
      profile: 'work',
      sourcePath: j('shared-config', 'agents.json5'),
      type: 'file',
    },
    ...extraRoots.map((r) => ({
      archivePath: `roots/${r.id}`,
      id: r.id,
      kind: r.kind,
      profile: 'work',
      sourcePath: r.sourcePath,
      type: r.type ?? ('dir' as const),
    })),
  ]
  return {
    archiveId: 'test-archive',
    createdAt: '2026-11-24T10:00:00.000Z',
    format: 'openclaw-migrate',
    formatVersion: 1,
    gateway: {stopped: false, wasRunning: false},
    host: {source: null, version: '2026.9.6'},
    locations: [
      {kind: 'state', profile: 'work', relPath: '', rootId: 'work.state', sourcePath: stateDir},
      {
        kind: 'config',
        profile: 'work',
        relPath: 'openclaw.json',
        rootId: 'work.state',
        sourcePath: j('.openclaw-work', 'openclaw.json'),
      },
      {
        kind: 'include',
        profile: 'work',
        relPath: 'agents.json5',
        rootId: 'work.include',
        sourcePath: j('shared-config', 'agents.json5'),
      },
      {
        agentId: 'main',
        kind: 'workspace',
        profile: 'work',
        relPath: 'workspace',
        rootId: 'work.state',
        sourcePath: j('.openclaw-work', 'workspace'),
      },
      {
        agentId: 'research',
        kind: 'workspace',
        profile: 'work',
        relPath: '',
        rootId: 'work.workspace.research',
        sourcePath: j('projects', 'research-notes'),
      },
    ],
    node: 'v24.21.0',
    profiles: [
      {
        configPath: j('.openclaw-work', 'openclaw.json'),
        counts: {
          agents: 2,
          credentialDirs: 0,
          credentialFiles: 0,
          cronJobs: 1,
          sessions: 0,
          sessionsPerAgent: {},
          sqliteDatabases: 1,
          workspaceFiles: {},
        },
        gatewayMode: 'local',
        lastTouchedVersion: '2026.9.6',
        plugins: [],
        profile: 'work',
        stateDir,
      },
    ],
    roots,
    secrets: [],
    selection: {agents: null, allProfiles: false, excludes: [], includeLogs: false, workspaces: true},
    skipped: [],
    source: {
      arch: 'x64',
      home,
      hostname: 'ana-laptop',
      platform: sep === '\\' ? 'win32' : 'darwin',
      profile: 'work',
      uid: 501,
      user: 'ana',
    },
    sqlite: [{path: 'roots/work.state/state/openclaw.sqlite', source: j('.openclaw-work', 'state', 'openclaw.sqlite')}],
    symlinksOutside: [],
    tool: {name: 'openclaw-migrate', version: '0.1.0'},
    totals: {bytes: 1000, dirs: 3, files: 3, symlinks: 0},
    warnings: [],
  }
}

describe('import path mapping from other operating systems', () => {
  describe(String.raw`PathMapper, Windows source (C:\Users\ana)`, () => {
    const mapper = new PathMapper([
      {from: String.raw`C:\Users\ana`, reason: 'home', to: BOB},
      {from: String.raw`C:\Users\ana\.openclaw-work`, reason: 'state', to: `${BOB}/.openclaw-work`},
    ])

    it('maps either separator, any drive-letter/name case, longest prefix first', () => {
      expect(mapper.map(String.raw`C:\Users\ana\projects\notes\MEMORY.md`)).to.equal(`${BOB}/projects/notes/MEMORY.md`)
      expect(mapper.map('c:/users/ANA/projects/notes')).to.equal(`${BOB}/projects/notes`)
      expect(mapper.map(String.raw`C:\Users\ana`)).to.equal(BOB)
      expect(mapper.map('C:\\Users\\ana\\')).to.equal(BOB)
      expect(mapper.map(String.raw`C:\Users\ana\.openclaw-work\cron\jobs.json`)).to.equal(
        `${BOB}/.openclaw-work/cron/jobs.json`,
      )
      expect(mapper.mappings[0].from).to.equal(String.raw`C:\Users\ana\.openclaw-work`)
    })

    it('never maps a sibling that merely shares the prefix, another drive, or a relative path', () => {
      expect(mapper.map(String.raw`C:\Users\anastasia\notes`)).to.equal(null)
      expect(mapper.map(String.raw`D:\Users\ana\notes`)).to.equal(null)
      expect(mapper.map(String.raw`Users\ana\notes`)).to.equal(null)
      expect(mapper.map('/home/ana/notes')).to.equal(null)
    })

    it('finds mentions in free text, in JSON-escaped text and with forward slashes', () => {
      expect(mapper.findMentions(String.raw`see C:\Users\ana\projects\x.md for details`)).to.have.length(1)
      expect(
        mapper.findMentions(String.raw`{"workspace": "C:\\Users\\ana\\projects\\x"}`).length,
        'JSON-escaped backslashes',
      ).to.be.greaterThan(0)
      expect(mapper.findMentions('workspace: "C:/Users/ana/projects/x"').length, 'forward slashes').to.be.greaterThan(0)
      expect(mapper.findMentions(String.raw`C:\Users\anastasia\x`)).to.deep.equal([])
    })

    it('rewrites Windows paths in free text (opt-in workspace rewrite)', () => {
      const r = mapper.rewriteText(
        'Notes live in C:\\Users\\ana\\projects\\notes\\daily.md, state in C:\\Users\\ana\\.openclaw-work.\nNot C:\\Users\\anastasia.',
      )
      expect(r.text).to.equal(
        `Notes live in ${BOB}/projects/notes/daily.md, state in ${BOB}/.openclaw-work.\nNot C:\\Users\\anastasia.`,
      )
      expect(r.count).to.equal(2)
    })

    it('rebases string literals of a JSON5 config written on Windows, keeping its style', () => {
      const text = `// written on Windows\n{\n  workspace: "C:\\\\Users\\\\ana\\\\projects\\\\notes",\n  other: 'C:/Users/ana/agent-homes/research',\n  url: "https://example.com/C:\\\\Users\\\\ana",\n}\n`
      const r = rewriteStringLiterals(text, (v) => mapper.map(v))
      expect(r.count).to.equal(2)
      expect(r.text).to.equal(
        `// written on Windows\n{\n  workspace: "${BOB}/projects/notes",\n  other: '${BOB}/agent-homes/research',\n  url: "https://example.com/C:\\\\Users\\\\ana",\n}\n`,
      )
      expect(JSON5.parse(r.text).workspace).to.equal(`${BOB}/projects/notes`)
    })

    it('rebases a whole path cell and JSON cells, leaving free text alone', () => {
      expect(rebaseCell(String.raw`C:\Users\ana\.openclaw-work\cron\jobs.json`, mapper)).to.equal(
        `${BOB}/.openclaw-work/cron/jobs.json`,
      )
      expect(
        JSON.parse(
          rebaseCell(JSON.stringify({installPath: String.raw`C:\Users\ana\.openclaw-work\npm\x`, n: 1}), mapper)!,
        ),
      ).to.deep.equal({installPath: `${BOB}/.openclaw-work/npm/x`, n: 1})
      expect(rebaseCell(String.raw`the user ran it in C:\Users\ana yesterday`, mapper)).to.equal(null)
    })
  })

  describe('PathMapper, macOS source (/Users/ana)', () => {
    const mapper = new PathMapper([{from: '/Users/ana', reason: 'home', to: BOB}])

    it('maps paths below the old home only', () => {
      expect(mapper.map('/Users/ana/Library/Application Support/x')).to.equal(`${BOB}/Library/Application Support/x`)
      expect(mapper.map('/Users/ana/')).to.equal(BOB)
      expect(mapper.map('/Users/anastasia/x')).to.equal(null)
      expect(mapper.map('/users/ana/x'), 'POSIX paths are case-sensitive').to.equal(null)
      expect(mapper.findMentions('cd /Users/ana/projects && ls /Users/anastasia')).to.deep.equal(['/Users/ana'])
    })
  })

  describe('planTargets', () => {
    it('Windows: state to the canonical profile dir, home roots under this home, an outside root needs --map', () => {
      const manifest = manifestFrom(String.raw`C:\Users\ana`, '\\', [
        {id: 'work.agentDir.research', kind: 'agentDir', sourcePath: String.raw`D:\agents\research`},
      ])
      const refused = catchError(() => planTargets(manifest, {home: BOB, maps: []}))
      expect(refused.code).to.equal('PLACEMENT_NEEDS_MAP')
      expect(refused.exitCode).to.equal(2)
      expect(refused.message).to.include(String.raw`D:\agents\research`)
      expect(refused.suggestions?.join(' ')).to.include(String.raw`--map D:\agents\research=`)

      const plan = planTargets(manifest, {home: BOB, maps: [String.raw`D:\agents\research=/srv/agents/research`]})
      expect(plan.sourceHome).to.equal(String.raw`C:\Users\ana`)
      expect(plan.profiles).to.deep.equal([
        {
          configPath: `${BOB}/.openclaw-work/openclaw.json`,
          source: 'work',
          stateDir: `${BOB}/.openclaw-work`,
          target: 'work',
        },
      ])
      expect(Object.fromEntries(plan.targets.map((t) => [t.root.id, t.target]))).to.deep.equal({
        'work.agentDir.research': '/srv/agents/research',
        'work.include': `${BOB}/shared-config/agents.json5`,
        'work.state': `${BOB}/.openclaw-work`,
        'work.workspace.research': `${BOB}/projects/research-notes`,
      })
      expect(plan.targets.find((t) => t.root.id === 'work.agentDir.research')!.why).to.include('--map')
      expect(plan.warnings).to.deep.equal([])
      expect(plan.mapper.map(String.raw`D:\agents\research\auth-profiles.json`)).to.equal(
        '/srv/agents/research/auth-profiles.json',
      )
      expect(plan.mapper.map(String.raw`c:\users\ana\.openclaw-work\state\openclaw.sqlite`)).to.equal(
        `${BOB}/.openclaw-work/state/openclaw.sqlite`,
      )
    })

    it('macOS: /Users/ana → this home; --profile renames the profile with a warning', () => {
      const manifest = manifestFrom('/Users/ana', '/', [
        {id: 'work.workspace.shared', kind: 'workspace', sourcePath: '/Volumes/data/notes'},
      ])
      const plan = planTargets(manifest, {
        home: BOB,
        maps: ['/Volumes/data/notes=/home/bob/notes'],
        profile: 'personal',
      })
      expect(plan.profiles[0]).to.deep.equal({
        configPath: `${BOB}/.openclaw-personal/openclaw.json`,
        source: 'work',
        stateDir: `${BOB}/.openclaw-personal`,
        target: 'personal',
      })
      expect(plan.warnings.join('\n')).to.include('--profile personal')
      expect(Object.fromEntries(plan.targets.map((t) => [t.root.id, t.target]))).to.deep.equal({
        'work.include': `${BOB}/shared-config/agents.json5`,
        'work.state': `${BOB}/.openclaw-personal`,
        'work.workspace.research': `${BOB}/projects/research-notes`,
        'work.workspace.shared': '/home/bob/notes',
      })
      expect(plan.mapper.map('/Users/ana/.openclaw-work/cron/jobs.json')).to.equal(
        `${BOB}/.openclaw-personal/cron/jobs.json`,
      )
      expect(plan.mapper.map('/Volumes/data/notes/MEMORY.md')).to.equal('/home/bob/notes/MEMORY.md')
    })

    it('refuses a malformed --map and two roots landing on one place', () => {
      const manifest = manifestFrom('/Users/ana', '/')
      expect(catchError(() => planTargets(manifest, {home: BOB, maps: ['/Users/ana/x']})).code).to.equal('USAGE')
      const clash = catchError(() =>
        planTargets(manifest, {
          home: BOB,
          maps: ['/Users/ana/projects/research-notes=/home/bob/shared-config/agents.json5'],
        }),
      )
      expect(clash.code).to.equal('USAGE')
      expect(clash.message).to.include('Two roots')
    })
  })

  describe('rebaseStaged with a Windows manifest', () => {
    let dir: string

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-xos-'))
    })

    afterEach(() => {
      fs.rmSync(dir, {force: true, recursive: true})
    })

    it('rewrites the config, a file-root $include and the state database of a staged import', async () => {
      const home = path.join(dir, 'home', 'bob')
      const manifest = manifestFrom(String.raw`C:\Users\ana`, '\\')
      const plan = planTargets(manifest, {home, maps: []})
      const staged: StagedRoot[] = planStaging(plan, 'run1')
      const state = staged.find((s) => s.root.id === 'work.state')!
      const include = staged.find((s) => s.root.id === 'work.include')!
      const workspace = staged.find((s) => s.root.id === 'work.workspace.research')!
      for (const d of [
        state.staging,
        path.join(state.staging, 'state'),
        path.join(state.staging, 'workspace'),
        path.dirname(include.staging),
        workspace.staging,
      ])
        fs.mkdirSync(d, {recursive: true})
      // How a Windows host writes JSON: escaped backslashes (and a hand-written forward-slash path).
      const config = `// ana's config\n{\n  $include: ["C:\\\\Users\\\\ana\\\\shared-config\\\\agents.json5"],\n  agents: { defaults: { workspace: "C:\\\\Users\\\\ana\\\\.openclaw-work\\\\workspace" },\n    entries: { research: { workspace: 'C:/Users/ana/projects/research-notes' } } },\n}\n`
      fs.writeFileSync(path.join(state.staging, 'openclaw.json'), config, {mode: 0o600})
      fs.writeFileSync(
        include.staging,
        `{ agents: { entries: { helper: { workspace: "C:\\\\Users\\\\ana\\\\projects\\\\helper" } } } }\n`,
        {mode: 0o600},
      )
      fs.writeFileSync(path.join(workspace.staging, 'MEMORY.md'), 'Lives at C:\\Users\\ana\\projects\\research-notes\n')
      const oldWs = String.raw`C:\Users\ana\projects\research-notes`
      const db = new DatabaseSync(path.join(state.staging, 'state', 'openclaw.sqlite'))
      db.exec(`CREATE TABLE cron_jobs (store_key TEXT NOT NULL, job_id TEXT NOT NULL, PRIMARY KEY (store_key, job_id)) STRICT;
        CREATE TABLE workspace_setup_state (workspace_key TEXT NOT NULL PRIMARY KEY, workspace_path TEXT) STRICT;
        CREATE TABLE workspace_generated_bootstrap_hashes (workspace_key TEXT NOT NULL REFERENCES workspace_setup_state(workspace_key), filename TEXT NOT NULL) STRICT;
        CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json TEXT NOT NULL) STRICT;`)
      db.prepare('INSERT INTO cron_jobs VALUES (?, ?)').run(
        String.raw`C:\Users\ana\.openclaw-work\cron\jobs.json`,
        'job-1',
      )
      db.prepare('INSERT INTO workspace_setup_state VALUES (?, ?)').run(sha(oldWs), oldWs)
      db.prepare('INSERT INTO workspace_generated_bootstrap_hashes VALUES (?, ?)').run(sha(oldWs), 'AGENTS.md')
      db.prepare('INSERT INTO config_machine_state VALUES (?, ?)').run(
        'plugins',
        JSON.stringify({installPath: String.raw`C:\Users\ana\.openclaw-work\npm\projects\x`}),
      )
      db.close()

      const report = await rebaseStaged(manifest, staged, plan.mapper, {rewriteWorkspacePaths: false})

      const stateTarget = path.join(home, '.openclaw-work')
      const newWs = path.join(home, 'projects', 'research-notes')
      expect(Object.fromEntries(report.rewrites.map((r) => [`${r.rootId}/${r.rel}`, r.kind]))).to.deep.equal({
        'work.include/agents.json5': 'config',
        'work.state/openclaw.json': 'config',
        'work.state/state/openclaw.sqlite': 'sqlite',
      })
      expect(report.remaining).to.deep.equal([])
      expect(report.workspaceMentions.map((m) => m.file)).to.deep.equal([path.join(newWs, 'MEMORY.md')])
      const rebased = fs.readFileSync(path.join(state.staging, 'openclaw.json'), 'utf8')
      expect(rebased).to.equal(
        `// ana's config\n{\n  $include: ["${path.join(home, 'shared-config', 'agents.json5')}"],\n  agents: { defaults: { workspace: "${path.join(stateTarget, 'workspace')}" },\n    entries: { research: { workspace: '${newWs}' } } },\n}\n`,
      )
      expect(fs.statSync(path.join(state.staging, 'openclaw.json')).mode & 0o777).to.equal(0o600)
      expect(JSON5.parse(fs.readFileSync(include.staging, 'utf8')).agents.entries.helper.workspace).to.equal(
        path.join(home, 'projects', 'helper'),
      )

      const check = new DatabaseSync(path.join(state.staging, 'state', 'openclaw.sqlite'))
      try {
        expect(check.prepare('SELECT store_key FROM cron_jobs').get()).to.deep.equal({
          store_key: path.join(stateTarget, 'cron', 'jobs.json'),
        })
        expect(check.prepare('SELECT workspace_key, workspace_path FROM workspace_setup_state').get()).to.deep.equal({
          workspace_key: sha(newWs),
          workspace_path: newWs,
        })
        expect(check.prepare('SELECT workspace_key FROM workspace_generated_bootstrap_hashes').get()).to.deep.equal({
          workspace_key: sha(newWs),
        })
        expect(
          JSON.parse(
            (check.prepare('SELECT value_json FROM config_machine_state').get() as {value_json: string}).value_json,
          ),
        ).to.deep.equal({installPath: path.join(stateTarget, 'npm', 'projects', 'x')})
      } finally {
        check.close()
      }
    })
  })
})
