import {expect} from 'chai'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {provenGateway} from '../../src/lib/host/gateway-identity.js'
import {OpenClawBinary} from '../../src/lib/host/openclaw-binary.js'
import {isRegistrySpec} from '../../src/lib/host/plugin-spec.js'
import {listJournals, recoverInterrupted, saveJournal} from '../../src/lib/import/import-journal.js'
import {loadConfig} from '../../src/lib/inventory/config-reader.js'
import {terminalSafe} from '../../src/lib/util/terminal-text.js'

describe('trust guards (issue 11)', () => {
  let dir: string

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-trust-guards-'))
  })

  afterEach(() => {
    fs.rmSync(dir, {force: true, recursive: true})
  })

  describe('plugins: only npm registry name@version is installed unasked', () => {
    for (const good of ['voice-call@2026.9.1', '@openclaw/voice-call@2026.9.1', 'x@1.2.3-beta.1', 'x@1.0.0+build.5'])
      it(`installs ${good}`, () => expect(isRegistrySpec(good)).to.equal(true))
    for (const bad of [
      'git+https://evil.example/x.git',
      'https://evil.example/x.tgz',
      'npm-pack:/tmp/x.tgz',
      'file:../x',
      '/tmp/x',
      'x',
      'x@latest',
      'x@^1.0.0',
      'x@1.0.0 --dangerously-force-unsafe-install',
      '@scope/x@1.0.0\n--force',
      'github:evil/x',
    ])
      it(`lists ${JSON.stringify(bad)} for the user instead`, () => expect(isRegistrySpec(bad)).to.equal(false))
  })

  it('no child gets OPENCLAW_MIGRATE_PASSPHRASE (host calls run with a scrubbed env)', async () => {
    const bin = new OpenClawBinary('/usr/bin/env', [], {
      OPENCLAW_MIGRATE_PASSPHRASE: 'the secret passphrase',
      PATH: '/usr/bin:/bin',
      SOMETHING_ELSE: 'kept',
    })
    const result = await bin.run([])
    expect(result.stdout).to.include('SOMETHING_ELSE=kept')
    expect(result.stdout).to.not.include('the secret passphrase')
    expect(result.stdout).to.not.include('OPENCLAW_MIGRATE_PASSPHRASE')
  })

  describe('a gateway pid is signalled only once proven', () => {
    const stateDir = '/home/bob/.openclaw'
    const configPath = `${stateDir}/openclaw.json`

    it('refuses a live process that is not an OpenClaw gateway, pid 1, and a lock of another state dir', async () => {
      const sleeper = spawn('sleep', ['30'], {stdio: 'ignore'})
      const named = spawn('bash', ['-c', 'exec -a openclaw-gateway sleep 30'], {stdio: 'ignore'})
      try {
        await new Promise((r) => setTimeout(r, 200))
        expect(provenGateway(sleeper.pid!, {configPath, stateDir}, {stateDir}).ok).to.equal(false)
        expect(provenGateway(1, {configPath, stateDir}, {stateDir}).ok).to.equal(false)
        expect(provenGateway(named.pid!, {configPath, stateDir}, {stateDir: '/elsewhere'}).ok).to.equal(false)
        expect(provenGateway(named.pid!, {configPath, stateDir}, {stateDir}).ok).to.equal(true)
        expect(provenGateway(named.pid!, {configPath, stateDir}, {configPath}).ok).to.equal(true)
      } finally {
        sleeper.kill('SIGKILL')
        named.kill('SIGKILL')
      }
    })
  })

  it('terminal-safe output: escape sequences from archive strings are shown, not obeyed', () => {
    const hostile = 'host\u{1B}]0;pwned\u{7}\u{1B}[2J\u{1B}]52;c;ZXZpbA==\u{7}\u{202E}evil\u{9B}'
    const safe = terminalSafe(hostile)

    expect(safe).to.not.match(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202E]/)
    expect(safe).to.equal(String.raw`host\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202eevil\x9b`)
    expect(terminalSafe('two\nlines')).to.equal('two\nlines')
  })

  describe('$include', () => {
    it('/dev/zero is refused at once (regular files only)', () => {
      const config = path.join(dir, 'openclaw.json')
      fs.writeFileSync(config, '{ "$include": "/dev/zero" }')
      expect(() => loadConfig(config)).to.throw(/not a regular file/)
    })

    it('after an import, an include outside what was imported is refused', () => {
      const config = path.join(dir, 'state', 'openclaw.json')
      fs.mkdirSync(path.dirname(config))
      fs.writeFileSync(path.join(dir, 'outside.json5'), '{}')
      fs.writeFileSync(config, '{ "$include": "../outside.json5" }')
      expect(loadConfig(config).files).to.have.length(2)
      expect(() => loadConfig(config, {within: [path.dirname(config)]})).to.throw(/outside everything imported/)
    })
  })

  describe('journals', () => {
    it('a planted journal naming a path this tool never creates is ignored: recovery removes nothing', () => {
      const home = path.join(dir, 'home')
      const victim = path.join(dir, 'victim')
      fs.mkdirSync(victim, {recursive: true})
      fs.writeFileSync(path.join(victim, 'keep.txt'), 'keep\n')
      const runId = '20261120T080000Z-abcdef'
      const planted = {
        archiveId: 'x',
        createdAt: '2026-11-20T08:00:00.000Z',
        pid: 999_999_999,
        profiles: [],
        rewritten: [],
        runId,
        state: 'staging',
        steps: [
          {
            aside: null,
            createdParents: [],
            nested: false,
            phase: 'pending',
            rootId: 'st',
            staging: victim,
            target: path.join(home, '.openclaw'),
          },
        ],
        targets: [],
        version: 1,
      }
      saveJournal(home, planted as never)
      expect(listJournals(home)).to.deep.equal([])
      expect(recoverInterrupted(home)).to.deep.equal([])
      expect(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8')).to.equal('keep\n')

      // The same journal naming the staging dir this tool would make for that run is valid.
      const staging = path.join(home, `..openclaw.migrate-staging-${runId}`)
      saveJournal(home, {...planted, steps: [{...planted.steps[0], staging}]} as never)
      expect(listJournals(home).map((j) => j.runId)).to.deep.equal([runId])
    })

    it('an aside, a created parent or a target outside what the tool makes is refused', () => {
      const home = path.join(dir, 'home')
      const runId = '20261120T080000Z-abcdef'
      const target = path.join(home, 'projects', 'notes')
      const staging = path.join(home, 'projects', `.notes.migrate-staging-${runId}`)
      const base = {
        archiveId: 'x',
        createdAt: '',
        pid: 1,
        profiles: [],
        rewritten: [],
        runId,
        state: 'activated',
        targets: [],
        version: 1,
      }
      const step = {aside: null, createdParents: [], nested: false, phase: 'activated', rootId: 'ws', staging, target}
      for (const bad of [
        {...step, aside: '/etc/passwd'},
        {...step, aside: `${target}.pre-migrate-x/../../../etc`},
        {...step, createdParents: ['/etc']},
        {
          ...step,
          target: path.join(home, '.openclaw-migrate', 'imports'),
          staging: path.join(home, '.openclaw-migrate', `.imports.migrate-staging-${runId}`),
        },
        {...step, target: home, staging: path.join(path.dirname(home), `.home.migrate-staging-${runId}`)},
        {...step, target: 'relative/notes'},
      ]) {
        fs.rmSync(path.join(home, '.openclaw-migrate'), {force: true, recursive: true})
        saveJournal(home, {...base, steps: [bad]} as never)
        expect(listJournals(home), JSON.stringify(bad)).to.deep.equal([])
      }

      fs.rmSync(path.join(home, '.openclaw-migrate'), {force: true, recursive: true})
      saveJournal(home, {
        ...base,
        steps: [
          {...step, aside: `${target}.pre-migrate-20261120T080000Z-2`, createdParents: [path.join(home, 'projects')]},
        ],
      } as never)
      expect(listJournals(home)).to.have.length(1)
    })
  })
})
