/**
 * What a person at a terminal sees (a real TTY, through `expect`): the export asks for its
 * passphrase first, before the long planning; a weak passphrase needs a yes; a mismatched repeat
 * is asked again instead of aborting; staged progress with elapsed times appears on the TTY and
 * never with --json.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {cliEnv, describeRun, DEV_BIN, rmrf, runCli, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'

const STRONG = 'tty test: correct horse battery staple'

/** Runs an expect script (lines) with the CLI's clean environment; returns its transcript and exit status. */
function expectRun(dir: string, lines: string[], home: string, env: Record<string, string> = {}) {
  const script = path.join(dir, `run-${Date.now()}.exp`)
  fs.writeFileSync(
    script,
    ['set timeout 240', ...lines, 'expect eof', 'lassign [wait] pid spawnid os_error value', 'exit $value', ''].join(
      '\n',
    ),
  )
  const r = spawnSync('expect', [script], {
    cwd: dir,
    encoding: 'utf8',
    env: {...cliEnv({env: {...env, TERM: 'xterm'}, home}), NODE_BIN: process.execPath, DEV_BIN},
    timeout: 300_000,
  })
  return {code: r.status, out: `${r.stdout}${r.stderr}`}
}

describe('at a terminal (expect)', function () {
  this.timeout(600_000)
  let root: string
  let g: GeneratedHome

  before(() => {
    root = tmpDir('tty')
    fs.mkdirSync(path.join(root, 'home'))
    g = generateHome({home: path.join(root, 'home'), sessions: 1, walPending: false})
  })

  after(() => {
    for (const db of g?.holders ?? []) db.close()
    rmrf(root)
  })

  it('export: passphrase first, weak one confirmed, a mismatch asked again, then staged progress', async () => {
    const archive = path.join(root, 'tty.tar.gz.age')
    const r = expectRun(
      root,
      [
        `spawn $env(NODE_BIN) $env(DEV_BIN) export --profile work -o ${archive}`,
        'expect "Passphrase for the archive"',
        String.raw`send -- "abc\r"`,
        'expect "weak"',
        String.raw`send -- "n\r"`,
        'expect "Passphrase for the archive"',
        String.raw`send -- "${STRONG}\r"`,
        'expect "Repeat the passphrase"',
        String.raw`send -- "not the same\r"`,
        'expect "do not match"',
        'expect "Passphrase for the archive"',
        String.raw`send -- "${STRONG}\r"`,
        'expect "Repeat the passphrase"',
        String.raw`send -- "${STRONG}\r"`,
      ],
      g.home,
    )
    expect(r.code, r.out).to.equal(0)
    const firstPrompt = r.out.indexOf('Passphrase for the archive')
    expect(firstPrompt, r.out).to.be.greaterThan(-1)
    expect(r.out.indexOf('Planning the export'), r.out).to.be.greaterThan(firstPrompt)
    expect(r.out, r.out).to.match(/Writing the archive\.\.\. .*done \(\d+(\.\d)? s\)/)
    // The passphrase that was confirmed is the one the archive opens with.
    const passFile = path.join(root, 'pass')
    fs.writeFileSync(passFile, `${STRONG}\n`, {mode: 0o600})
    const checked = await runCli(['check', archive, '--passphrase-file', passFile], {home: g.home})
    expect(checked.code, describeRun(checked)).to.equal(0)
  })

  it('no progress with --json, even on a TTY', () => {
    const r = expectRun(
      root,
      [
        `spawn $env(NODE_BIN) $env(DEV_BIN) export --profile work --no-encrypt -o ${path.join(root, 'j.tar.gz')} --json`,
      ],
      g.home,
    )
    expect(r.code, r.out).to.equal(0)
    expect(r.out).to.not.include('Writing the archive')
    expect(r.out).to.not.include('Planning the export')
    expect(r.out).to.include('"command": "export"')
  })

  it('a recipient-encrypted archive opened with a passphrase: "encrypted to a key: pass --identity"', async () => {
    const keyFile = path.join(root, 'key.txt')
    const keygen = spawnSync('age-keygen', ['-o', keyFile], {encoding: 'utf8'})
    expect(keygen.status, keygen.stderr).to.equal(0)
    const recipient = /public key: (age1\w+)/i.exec(fs.readFileSync(keyFile, 'utf8'))![1]
    const archive = path.join(root, 'to-key.tar.gz.age')
    const exported = await runCli(['export', '--profile', 'work', '--recipient', recipient, '-o', archive], {
      home: g.home,
    })
    expect(exported.code, describeRun(exported)).to.equal(0)
    const passFile = path.join(root, 'pass2')
    fs.writeFileSync(passFile, `${STRONG}\n`, {mode: 0o600})
    const wrong = await runCli(['check', archive, '--passphrase-file', passFile], {home: g.home})
    expect(wrong.code, describeRun(wrong)).to.equal(3)
    expect(wrong.err).to.include('This archive is encrypted to a key, not to a passphrase.')
    expect(wrong.err).to.include('--identity')
    // And --identity before the archive does not swallow it: the archive is checked.
    const right = await runCli(['check', '--identity', keyFile, '--accept-placement', archive], {home: g.home})
    expect(right.code, describeRun(right)).to.equal(0)
    expect(right.out).to.match(/^Archive OK: /m)
  })

  it('import --prune-asides asks on the terminal: no keeps the copy, yes removes it', () => {
    const aside = path.join(g.home, '.openclaw-work.pre-migrate-20250101T000000Z')
    fs.mkdirSync(aside)
    fs.writeFileSync(path.join(aside, 'openclaw.json'), '{}\n', {mode: 0o600})
    const ask = (answer: string) =>
      expectRun(
        root,
        [
          'spawn $env(NODE_BIN) $env(DEV_BIN) import --prune-asides --profile work',
          'expect "for good?"',
          String.raw`send -- "${answer}\r"`,
        ],
        g.home,
      )
    const no = ask('n')
    expect(no.code, no.out).to.equal(0)
    expect(no.out).to.include(aside).and.include('holds secrets').and.include('Nothing was removed')
    expect(fs.existsSync(aside), no.out).to.equal(true)
    const yes = ask('y')
    expect(yes.code, yes.out).to.equal(0)
    expect(yes.out).to.include(`removed ${aside}`)
    expect(fs.existsSync(aside), yes.out).to.equal(false)
  })
})
