import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {type CliResult, describeRun, listFiles, rmrf, runCli, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'

const PASSPHRASE = 'Tr0ub4dor&3-horse-battery-staple'

/**
 * Every face of the export side, run against a home full of planted secrets: none of the secret
 * values, nor the passphrase, may appear in anything printed or left in the temp dir.
 */
describe('secrets never leak (export and check output, temp files)', function () {
  this.timeout(60_000)
  let root: string
  let home: string
  let out: string
  let tmp: string
  let g: GeneratedHome
  let passFile: string
  const runs: Array<{name: string; result: CliResult}> = []

  before(async () => {
    root = tmpDir('secrets')
    home = path.join(root, 'home')
    out = path.join(root, 'out')
    tmp = path.join(root, 'tmp')
    for (const d of [home, out, tmp]) fs.mkdirSync(d)
    g = generateHome({home, sessions: 2})
    passFile = path.join(root, 'pass.txt')
    fs.writeFileSync(passFile, PASSPHRASE, {mode: 0o600})
    fs.writeFileSync(path.join(out, 'taken.tar.gz.age'), 'x')

    const env = {TMPDIR: tmp}
    const run = (name: string, args: string[], extraEnv: Record<string, string> = {}) =>
      runCli(args, {cwd: out, env: {...env, ...extraEnv}, home}).then((result) => {
        runs.push({name, result})
      })
    const base = ['--profile', 'work']
    // Two at a time: scrypt is CPU-bound and the machine has two cores.
    await Promise.all([
      run('export (passphrase file)', [
        'export',
        ...base,
        '--passphrase-file',
        passFile,
        '-o',
        path.join(out, 'a.tar.gz.age'),
      ]),
      run('export --json (passphrase env)', ['export', ...base, '--json', '-o', path.join(out, 'b.tar.gz.age')], {
        OPENCLAW_MIGRATE_PASSPHRASE: PASSPHRASE,
      }),
    ])
    await Promise.all([
      run('export --dry-run', ['export', ...base, '--dry-run', '--passphrase-file', passFile]),
      run('export --dry-run --json', ['export', ...base, '--dry-run', '--json'], {
        OPENCLAW_MIGRATE_PASSPHRASE: PASSPHRASE,
      }),
    ])
    await Promise.all([
      run('export OUTPUT_EXISTS', [
        'export',
        ...base,
        '--passphrase-file',
        passFile,
        '-o',
        path.join(out, 'taken.tar.gz.age'),
      ]),
      run('export OUTPUT_EXISTS --json', ['export', ...base, '--json', '-o', path.join(out, 'taken.tar.gz.age')], {
        OPENCLAW_MIGRATE_PASSPHRASE: PASSPHRASE,
      }),
    ])
    await Promise.all([run('check', ['check', ...base]), run('check --json', ['check', ...base, '--json'])])
    await Promise.all([
      run('export -o - (stderr only)', ['export', ...base, '-o', '-'], {OPENCLAW_MIGRATE_PASSPHRASE: PASSPHRASE}),
      run('export PASSPHRASE_REQUIRED', ['export', ...base, '--json', '-o', path.join(out, 'c.tar.gz.age')]),
    ])
    // A broken include that holds the Telegram token: the parse error must name the place, not the text.
    const include = path.join(g.stateDir, 'channels.json5')
    fs.writeFileSync(include, fs.readFileSync(include, 'utf8').replace('enabled: true,', 'enabled: true,,'))
    await Promise.all([
      run('export CONFIG_INVALID --json', ['export', ...base, '--dry-run', '--json']),
      run('check CONFIG_INVALID', ['check', ...base]),
    ])
  })

  after(() => {
    for (const db of g?.holders ?? []) db.close()
    rmrf(root)
  })

  it('the fixture planted secrets, and the runs did what they were asked', () => {
    expect(g.secrets.length).to.be.at.least(5)
    const code = (name: string) => runs.find((r) => r.name === name)!.result.code
    expect(
      code('export (passphrase file)'),
      describeRun(runs.find((r) => r.name === 'export (passphrase file)')!.result),
    ).to.equal(0)
    expect(code('export --json (passphrase env)')).to.equal(0)
    expect(code('export --dry-run')).to.equal(0)
    expect(code('export --dry-run --json')).to.equal(0)
    expect(code('export OUTPUT_EXISTS')).to.equal(2)
    expect(code('export OUTPUT_EXISTS --json')).to.equal(2)
    expect(code('check')).to.be.oneOf([0, 1])
    expect(code('check --json')).to.be.oneOf([0, 1])
    expect(code('export -o - (stderr only)')).to.equal(0)
    expect(code('export PASSPHRASE_REQUIRED')).to.equal(2)
    expect(code('export CONFIG_INVALID --json')).to.equal(4)
    expect(code('check CONFIG_INVALID')).to.equal(1)
    expect(runs).to.have.length(12)
  })

  it('no secret value and no passphrase in any stdout, stderr or --json output', () => {
    const needles = [...g.secrets, PASSPHRASE]
    const leaks: string[] = []
    for (const {name, result} of runs) {
      // With -o - stdout is the (encrypted) archive itself; its bytes are checked as bytes.
      const streams = {stderr: result.err, stdout: result.out}
      for (const [stream, text] of Object.entries(streams)) {
        for (const secret of needles) if (text.includes(secret)) leaks.push(`${name} ${stream}: ${secret.slice(0, 8)}…`)
      }
    }

    expect(leaks).to.deep.equal([])
  })

  it('the archive streamed to stdout is encrypted (no secret readable in its bytes)', () => {
    const {result} = runs.find((r) => r.name === 'export -o - (stderr only)')!
    expect(result.stdout.subarray(0, 22).toString('latin1')).to.equal('age-encryption.org/v1\n')
    for (const secret of [...g.secrets, PASSPHRASE]) expect(result.stdout.includes(Buffer.from(secret))).to.equal(false)
  })

  it('nothing that holds a secret is left in the temp dir', () => {
    const left = listFiles(tmp)
    const leaking = left.filter((file) => {
      const bytes = fs.readFileSync(file)
      return [...g.secrets, PASSPHRASE].some((s) => bytes.includes(Buffer.from(s)))
    })
    expect(leaking).to.deep.equal([])
    // The exporter cleans up its private scratch dirs entirely. (tsx-<uid>/ is the dev loader's
    // compile cache of bin/dev.js, not ours; it was scanned above all the same.)
    expect(left.filter((f) => !path.relative(tmp, f).startsWith('tsx-'))).to.deep.equal([])
    expect(left.length, 'the CLI did not use the TMPDIR it was given, so this scan proves nothing').to.be.greaterThan(0)
  })
})
