import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {MigrateError} from '../../src/lib/errors.js'
import {
  canonicalStateDir,
  hostHome,
  resolveWithBuiltinRules,
  validateProfileName,
} from '../../src/lib/host/state-rules.js'

function catchError(fn: () => unknown): MigrateError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(MigrateError)
    return error as MigrateError
  }

  throw new Error('expected a MigrateError, nothing was thrown')
}

function populate(dir: string): void {
  fs.mkdirSync(dir, {recursive: true})
  fs.writeFileSync(path.join(dir, 'openclaw.json'), '{}')
}

describe('state-rules (built-in state dir resolution)', () => {
  let home: string

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-rules-'))
  })

  afterEach(() => {
    fs.rmSync(home, {force: true, recursive: true})
  })

  it('defaults to ~/.openclaw with openclaw.json inside it', () => {
    const r = resolveWithBuiltinRules({}, {HOME: home})
    expect(r.stateDir).to.equal(path.join(home, '.openclaw'))
    expect(r.configPath).to.equal(path.join(home, '.openclaw', 'openclaw.json'))
    expect(r.profile).to.equal(null)
    expect(r.home).to.equal(home)
    expect(r.warnings).to.deep.equal([])
  })

  it('--profile X selects ~/.openclaw-X', () => {
    const r = resolveWithBuiltinRules({profile: 'work'}, {HOME: home})
    expect(r.stateDir).to.equal(path.join(home, '.openclaw-work'))
    expect(r.configPath).to.equal(path.join(home, '.openclaw-work', 'openclaw.json'))
    expect(r.profile).to.equal('work')
  })

  it('--dev selects ~/.openclaw-dev', () => {
    const r = resolveWithBuiltinRules({dev: true}, {HOME: home})
    expect(r.stateDir).to.equal(path.join(home, '.openclaw-dev'))
    expect(r.profile).to.equal('dev')
  })

  it('a --profile wins over OPENCLAW_STATE_DIR (the host rewrites that variable for its profile)', () => {
    const r = resolveWithBuiltinRules({profile: 'work'}, {HOME: home, OPENCLAW_STATE_DIR: path.join(home, 'elsewhere')})
    expect(r.stateDir).to.equal(path.join(home, '.openclaw-work'))
  })

  it('OPENCLAW_STATE_DIR moves the state dir, with ~ expanded against HOME', () => {
    const r = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_STATE_DIR: '~/custom/state'})
    expect(r.stateDir).to.equal(path.join(home, 'custom', 'state'))
    expect(r.configPath).to.equal(path.join(home, 'custom', 'state', 'openclaw.json'))
    const bare = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_STATE_DIR: '~'})
    expect(bare.stateDir).to.equal(home)
  })

  it('OPENCLAW_STATE_DIR given as an absolute path is used as-is', () => {
    const dir = path.join(home, 'abs-state')
    const r = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_STATE_DIR: dir})
    expect(r.stateDir).to.equal(dir)
  })

  it('OPENCLAW_CONFIG_PATH moves only the config (with ~ expansion)', () => {
    const r = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_CONFIG_PATH: '~/conf/main.json5'})
    expect(r.stateDir).to.equal(path.join(home, '.openclaw'))
    expect(r.configPath).to.equal(path.join(home, 'conf', 'main.json5'))
  })

  it('OPENCLAW_HOME replaces HOME as the home of the state dir', () => {
    const alt = path.join(home, 'alt-home')
    const r = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_HOME: alt})
    expect(r.home).to.equal(alt)
    expect(r.stateDir).to.equal(path.join(alt, '.openclaw'))
    const profiled = resolveWithBuiltinRules({profile: 'work'}, {HOME: home, OPENCLAW_HOME: alt})
    expect(profiled.stateDir).to.equal(path.join(alt, '.openclaw-work'))
  })

  it('OPENCLAW_HOME may itself start with ~ (expanded against HOME)', () => {
    expect(hostHome({HOME: home, OPENCLAW_HOME: '~/h2'})).to.equal(path.join(home, 'h2'))
    expect(hostHome({USERPROFILE: home})).to.equal(home)
  })

  it('no home at all is STATE_NOT_FOUND', () => {
    const error = catchError(() => hostHome({}))
    expect(error.code).to.equal('STATE_NOT_FOUND')
  })

  it('uses the legacy ~/.clawdbot (and its clawdbot.json) when only it exists, with a warning', () => {
    const legacy = path.join(home, '.clawdbot')
    fs.mkdirSync(legacy)
    fs.writeFileSync(path.join(legacy, 'clawdbot.json'), '{}')
    const r = resolveWithBuiltinRules({}, {HOME: home})
    expect(r.stateDir).to.equal(legacy)
    expect(r.configPath).to.equal(path.join(legacy, 'clawdbot.json'))
    expect(r.warnings.join('\n')).to.include('legacy')
  })

  it('an empty ~/.openclaw next to a populated ~/.clawdbot still picks the legacy dir', () => {
    fs.mkdirSync(path.join(home, '.openclaw'))
    populate(path.join(home, '.clawdbot'))
    expect(resolveWithBuiltinRules({}, {HOME: home}).stateDir).to.equal(path.join(home, '.clawdbot'))
  })

  it('prefers ~/.openclaw when the legacy dir is empty', () => {
    populate(path.join(home, '.openclaw'))
    fs.mkdirSync(path.join(home, '.clawdbot'))
    expect(resolveWithBuiltinRules({}, {HOME: home}).stateDir).to.equal(path.join(home, '.openclaw'))
  })

  it('refuses to guess with AMBIGUOUS_STATE when both ~/.openclaw and ~/.clawdbot are populated', () => {
    populate(path.join(home, '.openclaw'))
    populate(path.join(home, '.clawdbot'))
    const error = catchError(() => resolveWithBuiltinRules({}, {HOME: home}))
    expect(error.code).to.equal('AMBIGUOUS_STATE')
    expect(error.exitCode).to.equal(2)
    expect(error.details).to.deep.equal({candidates: [path.join(home, '.openclaw'), path.join(home, '.clawdbot')]})
    expect(error.suggestions?.join(' ')).to.include('--state-dir')
  })

  it('OPENCLAW_STATE_DIR settles the ambiguity', () => {
    populate(path.join(home, '.openclaw'))
    populate(path.join(home, '.clawdbot'))
    const r = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_STATE_DIR: path.join(home, '.clawdbot')})
    expect(r.stateDir).to.equal(path.join(home, '.clawdbot'))
  })

  it('OPENCLAW_PROFILE alone does not move the state dir (and says so)', () => {
    populate(path.join(home, '.openclaw-work'))
    const r = resolveWithBuiltinRules({}, {HOME: home, OPENCLAW_PROFILE: 'work'})
    expect(r.stateDir).to.equal(path.join(home, '.openclaw'))
    expect(r.profile).to.equal(null)
    expect(r.warnings.join('\n')).to.include('OPENCLAW_PROFILE=work').and.include('--profile work')
  })

  it('OPENCLAW_PROFILE with OPENCLAW_STATE_DIR names the profile of that dir (what the host exports for --profile)', () => {
    const r = resolveWithBuiltinRules(
      {},
      {HOME: home, OPENCLAW_PROFILE: 'work', OPENCLAW_STATE_DIR: path.join(home, '.openclaw-work')},
    )
    expect(r.stateDir).to.equal(path.join(home, '.openclaw-work'))
    expect(r.profile).to.equal('work')
    expect(r.warnings).to.deep.equal([])
  })

  it('canonicalStateDir follows the host naming', () => {
    expect(canonicalStateDir(null, home)).to.equal(path.join(home, '.openclaw'))
    expect(canonicalStateDir('work', home)).to.equal(path.join(home, '.openclaw-work'))
  })

  describe('profile names', () => {
    // The host's rule (openclaw src/cli/profile-utils.ts): letters, digits, "_" and "-", at most 64.
    for (const good of ['work', 'Work2', 'a', 'x_y-z', '9lives', 'a'.repeat(64)]) {
      it(`accepts ${JSON.stringify(good)}`, () => {
        expect(validateProfileName(good)).to.equal(good)
      })
    }

    for (const bad of [
      '',
      'team.alpha',
      'a'.repeat(65),
      'x/../../escaped',
      '../etc',
      'a/b',
      String.raw`a\b`,
      '.hidden',
      '-rf',
      'with space',
      'tab\tname',
      'semi;colon',
      '~root',
      'naïve',
      'line\nbreak',
    ]) {
      it(`rejects ${JSON.stringify(bad)} with USAGE (exit 2)`, () => {
        const error = catchError(() => validateProfileName(bad))
        expect(error.code).to.equal('USAGE')
        expect(error.exitCode).to.equal(2)
      })
    }

    it('rejects a bad --profile before touching the file system', () => {
      const error = catchError(() => resolveWithBuiltinRules({profile: '../../etc'}, {HOME: home}))
      expect(error.code).to.equal('USAGE')
    })
  })
})
