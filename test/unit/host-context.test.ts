import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {MigrateError} from '../../src/lib/errors.js'
import {profileArgs, resolveHostContext} from '../../src/lib/host/host-context.js'
import {installFakeOpenClaw} from '../support/fake-openclaw.js'

async function rejection(promise: Promise<unknown>): Promise<MigrateError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(MigrateError)
    return error as MigrateError
  }

  throw new Error('expected a rejection with MigrateError')
}

function populate(dir: string): void {
  fs.mkdirSync(dir, {recursive: true})
  fs.writeFileSync(path.join(dir, 'openclaw.json'), '{}')
}

describe('host context resolution', () => {
  let dir: string
  let home: string
  /** A PATH with no `openclaw` on it. */
  const emptyPath = () => path.join(dir, 'empty-bin')

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-ctx-'))
    home = path.join(dir, 'home')
    fs.mkdirSync(home)
    fs.mkdirSync(emptyPath())
  })

  afterEach(() => {
    fs.rmSync(dir, {force: true, recursive: true})
  })

  it('profileArgs mirrors the host flags', () => {
    expect(profileArgs({})).to.deep.equal([])
    expect(profileArgs({profile: 'work'})).to.deep.equal(['--profile', 'work'])
    expect(profileArgs({dev: true})).to.deep.equal(['--dev'])
  })

  describe('without an openclaw executable', () => {
    it('falls back to the built-in rules and says so in sources', async () => {
      const ctx = await resolveHostContext({env: {HOME: home, PATH: emptyPath()}, profile: 'work'})
      expect(ctx.stateDir).to.equal(path.join(home, '.openclaw-work'))
      expect(ctx.configPath).to.equal(path.join(home, '.openclaw-work', 'openclaw.json'))
      expect(ctx.profile).to.equal('work')
      expect(ctx.hostVersion).to.equal(null)
      expect(ctx.hostKind).to.equal('none')
      expect(ctx.binary).to.equal(null)
      expect(ctx.sources).to.deep.equal({
        configPath: 'builtin',
        hostVersion: null,
        profile: 'builtin',
        stateDir: 'builtin',
      })
    })

    it('noBinary ignores an openclaw on PATH', async () => {
      const fake = installFakeOpenClaw(dir)
      const ctx = await resolveHostContext({env: {HOME: home, PATH: fake.binDir}, noBinary: true})
      expect(ctx.sources.stateDir).to.equal('builtin')
      expect(fake.calls()).to.deep.equal([])
    })

    it('carries the OPENCLAW_PROFILE warning of the built-in rules', async () => {
      const ctx = await resolveHostContext({env: {HOME: home, OPENCLAW_PROFILE: 'work', PATH: emptyPath()}})
      expect(ctx.stateDir).to.equal(path.join(home, '.openclaw'))
      expect(ctx.warnings.join('\n')).to.include('OPENCLAW_PROFILE=work')
    })

    it('honours OPENCLAW_STATE_DIR with ~ and OPENCLAW_CONFIG_PATH', async () => {
      const ctx = await resolveHostContext({
        env: {
          HOME: home,
          OPENCLAW_CONFIG_PATH: '~/cfg/openclaw.json',
          OPENCLAW_STATE_DIR: '~/state',
          PATH: emptyPath(),
        },
      })
      expect(ctx.stateDir).to.equal(path.join(home, 'state'))
      expect(ctx.configPath).to.equal(path.join(home, 'cfg', 'openclaw.json'))
      expect(ctx.warnings.join('\n')).to.include('outside the state dir')
    })

    it('honours OPENCLAW_HOME', async () => {
      const alt = path.join(dir, 'alt')
      const ctx = await resolveHostContext({env: {HOME: home, OPENCLAW_HOME: alt, PATH: emptyPath()}})
      expect(ctx.home).to.equal(alt)
      expect(ctx.stateDir).to.equal(path.join(alt, '.openclaw'))
    })

    it('AMBIGUOUS_STATE surfaces when both ~/.openclaw and ~/.clawdbot hold state', async () => {
      populate(path.join(home, '.openclaw'))
      populate(path.join(home, '.clawdbot'))
      const error = await rejection(resolveHostContext({env: {HOME: home, PATH: emptyPath()}}))
      expect(error.code).to.equal('AMBIGUOUS_STATE')
    })
  })

  describe('with the openclaw executable (stand-in script on PATH)', () => {
    it('asks the host: state dir, config and version come from the binary', async () => {
      const hostState = path.join(dir, 'host-decides')
      const fake = installFakeOpenClaw(dir, {stateDir: hostState, version: '2026.9.6'})
      const ctx = await resolveHostContext({env: {HOME: home, PATH: fake.binDir}})
      expect(ctx.stateDir).to.equal(hostState)
      expect(ctx.configPath).to.equal(path.join(hostState, 'openclaw.json'))
      expect(ctx.hostVersion).to.equal('2026.9.6')
      expect(ctx.hostKind).to.equal('binary')
      expect(ctx.binary?.file).to.equal(fake.file)
      expect(ctx.sources).to.deep.equal({
        configPath: 'openclaw-binary',
        hostVersion: 'openclaw-binary',
        profile: 'builtin',
        stateDir: 'openclaw-binary',
      })
      // The host disagreed with the built-in rules: the tool says it follows the host.
      expect(ctx.warnings.join('\n')).to.include(hostState).and.include("using the host's answer")
      expect(fake.calls().sort()).to.deep.equal(['--version', 'config file --json', 'database ownership status --json'])
    })

    it('passes --profile through to every host call', async () => {
      const fake = installFakeOpenClaw(dir)
      const ctx = await resolveHostContext({env: {HOME: home, PATH: fake.binDir}, profile: 'work'})
      expect(ctx.stateDir).to.equal(path.join(home, '.openclaw-work'))
      expect(ctx.profile).to.equal('work')
      expect(ctx.sources.stateDir).to.equal('openclaw-binary')
      // Agreeing with the built-in rules produces no warning.
      expect(ctx.warnings).to.deep.equal([])
      const calls = fake.calls()
      expect(calls).to.have.length(3)
      for (const call of calls) expect(call.startsWith('--profile work ')).to.equal(true, call)
      expect(calls.sort()).to.deep.equal([
        '--profile work --version',
        '--profile work config file --json',
        '--profile work database ownership status --json',
      ])
    })

    it('passes --dev through to every host call', async () => {
      const fake = installFakeOpenClaw(dir)
      const ctx = await resolveHostContext({dev: true, env: {HOME: home, PATH: fake.binDir}})
      expect(ctx.stateDir).to.equal(path.join(home, '.openclaw-dev'))
      expect(ctx.profile).to.equal('dev')
      for (const call of fake.calls()) expect(call.startsWith('--dev ')).to.equal(true, call)
      expect(fake.calls()).to.have.length(3)
    })

    it('keeps the profile args on the binary used for later host commands', async () => {
      const fake = installFakeOpenClaw(dir)
      const ctx = await resolveHostContext({env: {HOME: home, PATH: fake.binDir}, profile: 'work'})
      const result = await ctx.binary!.run(['config', 'file', '--json'])
      expect(result.exitCode).to.equal(0)
      expect(fake.calls().at(-1)).to.equal('--profile work config file --json')
    })

    it('uses --openclaw-bin when the executable is not on PATH', async () => {
      const fake = installFakeOpenClaw(dir, {stateDir: path.join(dir, 'via-flag')})
      const ctx = await resolveHostContext({env: {HOME: home, PATH: emptyPath()}, openclawBin: fake.file})
      expect(ctx.stateDir).to.equal(path.join(dir, 'via-flag'))
      expect(ctx.sources.stateDir).to.equal('openclaw-binary')
    })

    it('uses OPENCLAW_MIGRATE_OPENCLAW_BIN when set', async () => {
      const fake = installFakeOpenClaw(dir, {stateDir: path.join(dir, 'via-env')})
      const ctx = await resolveHostContext({
        env: {HOME: home, OPENCLAW_MIGRATE_OPENCLAW_BIN: fake.file, PATH: emptyPath()},
      })
      expect(ctx.stateDir).to.equal(path.join(dir, 'via-env'))
    })

    it('rejects an --openclaw-bin that is not an executable file', async () => {
      const notExec = path.join(dir, 'openclaw.txt')
      fs.writeFileSync(notExec, 'not a program', {mode: 0o644})
      expect(
        (await rejection(resolveHostContext({env: {HOME: home, PATH: emptyPath()}, openclawBin: notExec}))).code,
      ).to.equal('USAGE')
      expect(
        (await rejection(resolveHostContext({env: {HOME: home, PATH: emptyPath()}, openclawBin: dir}))).code,
      ).to.equal('USAGE')
    })

    it('falls back to the built-in rules when the host cannot answer, keeping its version', async () => {
      const fake = installFakeOpenClaw(dir, {broken: true, version: '2026.9.7'})
      const ctx = await resolveHostContext({env: {HOME: home, PATH: fake.binDir}, profile: 'work'})
      expect(ctx.stateDir).to.equal(path.join(home, '.openclaw-work'))
      expect(ctx.sources.stateDir).to.equal('builtin')
      expect(ctx.sources.configPath).to.equal('builtin')
      expect(ctx.hostVersion).to.equal('2026.9.7')
      expect(ctx.sources.hostVersion).to.equal('openclaw-binary')
      expect(ctx.warnings.join('\n')).to.include('did not report its state dir')
    })
  })

  describe('--state-dir', () => {
    it('overrides the binary answer, and the config follows into the given dir', async () => {
      const fake = installFakeOpenClaw(dir, {stateDir: path.join(dir, 'host-decides')})
      const explicit = path.join(dir, 'explicit')
      const ctx = await resolveHostContext({env: {HOME: home, PATH: fake.binDir}, stateDir: explicit})
      expect(ctx.stateDir).to.equal(explicit)
      expect(ctx.sources.stateDir).to.equal('flag')
      expect(ctx.configPath).to.equal(path.join(explicit, 'openclaw.json'))
      expect(ctx.sources.configPath).to.equal('flag')
    })

    it('overrides OPENCLAW_STATE_DIR and --profile, and expands ~', async () => {
      const ctx = await resolveHostContext({
        env: {HOME: home, OPENCLAW_STATE_DIR: path.join(home, 'env-state'), PATH: emptyPath()},
        profile: 'work',
        stateDir: '~/flag-state',
      })
      expect(ctx.stateDir).to.equal(path.join(home, 'flag-state'))
      expect(ctx.configPath).to.equal(path.join(home, 'flag-state', 'openclaw.json'))
      expect(ctx.sources.stateDir).to.equal('flag')
    })

    it('resolves a relative --state-dir against the working directory', async () => {
      const ctx = await resolveHostContext({env: {HOME: home, PATH: emptyPath()}, stateDir: 'rel-state'})
      expect(ctx.stateDir).to.equal(path.resolve('rel-state'))
    })

    it('keeps an explicit OPENCLAW_CONFIG_PATH', async () => {
      const cfg = path.join(home, 'conf', 'openclaw.json')
      const ctx = await resolveHostContext({
        env: {HOME: home, OPENCLAW_CONFIG_PATH: cfg, PATH: emptyPath()},
        stateDir: path.join(home, 'flag-state'),
      })
      expect(ctx.configPath).to.equal(cfg)
      expect(ctx.sources.stateDir).to.equal('flag')
    })

    it('settles an ambiguous legacy/current pair instead of failing', async () => {
      populate(path.join(home, '.openclaw'))
      populate(path.join(home, '.clawdbot'))
      const ctx = await resolveHostContext({
        env: {HOME: home, PATH: emptyPath()},
        stateDir: path.join(home, '.clawdbot'),
      })
      expect(ctx.stateDir).to.equal(path.join(home, '.clawdbot'))
      expect(ctx.sources.stateDir).to.equal('flag')
    })

    it('finds the legacy clawdbot.json in a --state-dir that only has that', async () => {
      const legacy = path.join(home, 'old-state')
      fs.mkdirSync(legacy)
      fs.writeFileSync(path.join(legacy, 'clawdbot.json'), '{}')
      const ctx = await resolveHostContext({env: {HOME: home, PATH: emptyPath()}, stateDir: legacy})
      expect(ctx.configPath).to.equal(path.join(legacy, 'clawdbot.json'))
    })
  })

  describe('profile validation', () => {
    for (const bad of ['../x', 'a/b', '-x', 'two words']) {
      it(`rejects --profile ${JSON.stringify(bad)} before running anything`, async () => {
        const fake = installFakeOpenClaw(dir)
        const error = await rejection(resolveHostContext({env: {HOME: home, PATH: fake.binDir}, profile: bad}))
        expect(error.code).to.equal('USAGE')
        expect(error.exitCode).to.equal(2)
        expect(fake.calls()).to.deep.equal([])
      })
    }

    it('rejects --profile together with --dev', async () => {
      const error = await rejection(
        resolveHostContext({dev: true, env: {HOME: home, PATH: emptyPath()}, profile: 'work'}),
      )
      expect(error.code).to.equal('USAGE')
    })
  })
})
