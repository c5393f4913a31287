import {Decrypter} from 'age-encryption'
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

import {describeRun, mustRun, parseJson, resultOf, rmrf, RunBatch, tarNames, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {runInProcess} from '../support/in-process.js'

const PASSPHRASE = 'correct horse battery staple 42'
const AGE_HEADER = 'age-encryption.org/v1\n'

/** Decrypts a passphrase archive with the real `age` CLI: it reads the passphrase from a TTY, which expect provides. */
function ageDecryptWithPassphrase(input: string, output: string, passphrase: string): void {
  const script = path.join(path.dirname(output), 'agedec.exp')
  fs.writeFileSync(
    script,
    [
      'set timeout 60',
      'lassign $argv in out',
      'spawn age -d -o $out $in',
      'expect "Enter passphrase"',
      String.raw`send -- "$env(AGE_PW)\r"`,
      'expect eof',
      'lassign [wait] pid spawnid os_error value',
      'exit $value',
      '',
    ].join('\n'),
  )
  mustRun('expect', [script, input, output], undefined, {...process.env, AGE_PW: passphrase})
}

async function libraryDecrypt(file: string, keys: {identity?: string; passphrase?: string}): Promise<Buffer> {
  const d = new Decrypter()
  if (keys.passphrase) d.addPassphrase(keys.passphrase)
  if (keys.identity) d.addIdentity(keys.identity)
  return Buffer.from(await d.decrypt(new Uint8Array(fs.readFileSync(file))))
}

function expectArchiveTar(gzipped: Buffer): void {
  const names = tarNames(gzipped)
  expect(names[0]).to.equal('manifest.json')
  expect(names.at(-1)).to.equal('index.jsonl')
  expect(names).to.include('roots/work.state/openclaw.json')
}

describe('migrate export encryption (age)', function () {
  this.timeout(60_000)
  let root: string
  let home: string
  let out: string
  let g: GeneratedHome
  let keyA: string
  let keyB: string
  let recipientA: string
  let recipientB: string
  let batch: RunBatch

  before(async () => {
    root = tmpDir('enc')
    home = path.join(root, 'home')
    out = path.join(root, 'out')
    fs.mkdirSync(home)
    fs.mkdirSync(out)
    g = generateHome({home, sessions: 2})
    keyA = path.join(root, 'keyA.txt')
    keyB = path.join(root, 'keyB.txt')
    mustRun('age-keygen', ['-o', keyA])
    mustRun('age-keygen', ['-o', keyB])
    recipientA = mustRun('age-keygen', ['-y', keyA]).toString('utf8').trim()
    recipientB = mustRun('age-keygen', ['-y', keyB]).toString('utf8').trim()

    // Independent runs start now, a few at a time; each test awaits its own.
    const passFile = path.join(root, 'pass.txt')
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, {mode: 0o600})
    const list = path.join(root, 'recipients.txt')
    fs.writeFileSync(list, `# laptop\n${recipientA}\n\n# new server\n${recipientB}\n`)
    const empty = path.join(root, 'empty-pass.txt')
    fs.writeFileSync(empty, '\n')
    // In process, but for the runs that must see no TTY (in process, a terminal running the tests would be asked).
    const start = (name: string, file: string, args: string[], env?: Record<string, string>) => {
      batch.start(name, ['export', '--profile', 'work', '-o', path.join(out, file), ...args], {
        cwd: out,
        env,
        home,
        spawn: name.startsWith('no passphrase'),
      })
    }

    batch = new RunBatch(3, runInProcess)
    start('passphrase file', 'file.tar.gz.age', ['--passphrase-file', passFile])
    start('passphrase env', 'env.tar.gz.age', [], {OPENCLAW_MIGRATE_PASSPHRASE: PASSPHRASE})
    start('recipient', 'recipient.tar.gz.age', ['--recipient', recipientA])
    start('recipients file', 'recipients.tar.gz.age', ['--recipients-file', list, '--json'])
    start('zstd recipient', 'z.tar.zst.age', ['--recipient', recipientB, '--compression', 'zstd'])
    start('no passphrase', 'refused.tar.gz.age', [])
    start('no passphrase --json', 'refused.tar.gz.age', ['--json'])
    start('empty passphrase', 'refused-empty.tar.gz.age', ['--passphrase-file', empty, '--json'])
    start('passphrase and recipient', 'refused-both.tar.gz.age', [
      '--passphrase-file',
      passFile,
      '--recipient',
      recipientA,
      '--json',
    ])
    start('no-encrypt and recipient', 'refused-clear.tar.gz', ['--no-encrypt', '--recipient', recipientA, '--json'])
    start('bad recipient', 'refused-key.tar.gz.age', ['--recipient', 'age1notakey!!', '--json'])
    // Every run ends before the first test reports (in-process output is captured from process.stdout).
    await batch.settled()
  })

  after(async () => {
    await batch?.settled()
    for (const db of g?.holders ?? []) db.close()
    rmrf(root)
  })

  describe('passphrase', () => {
    let fromFile: string
    let fromEnv: string

    before(async () => {
      const [a, b] = await Promise.all([batch.get('passphrase file'), batch.get('passphrase env')])
      expect(a.code, describeRun(a)).to.equal(0)
      expect(b.code, describeRun(b)).to.equal(0)
      expect(a.err).to.not.include('--no-encrypt')
      fromFile = path.join(out, 'file.tar.gz.age')
      fromEnv = path.join(out, 'env.tar.gz.age')
    })

    it('writes an age scrypt file with mode 0600', () => {
      for (const file of [fromFile, fromEnv]) {
        const head = fs.readFileSync(file).subarray(0, 200).toString('latin1')
        expect(head.startsWith(AGE_HEADER)).to.equal(true)
        expect(head.split('\n', 2)[1]).to.match(/^-> scrypt /)
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
      }
    })

    it('--passphrase-file: the library decrypts it (trailing newline of the file not part of the passphrase)', async () => {
      const plain = await libraryDecrypt(fromFile, {passphrase: PASSPHRASE})
      expect(plain.subarray(0, 2).toString('hex')).to.equal('1f8b')
      expectArchiveTar(plain)
      let failed = false
      try {
        await libraryDecrypt(fromFile, {passphrase: `${PASSPHRASE}\n`})
      } catch {
        failed = true
      }

      expect(failed).to.equal(true)
    })

    it('OPENCLAW_MIGRATE_PASSPHRASE: the real age CLI decrypts it (passphrase typed on a TTY via expect)', () => {
      const decrypted = path.join(root, 'env.tar.gz')
      ageDecryptWithPassphrase(fromEnv, decrypted, PASSPHRASE)
      expectArchiveTar(fs.readFileSync(decrypted))
      const gz = zlib.gunzipSync(fs.readFileSync(decrypted))
      expect(gz.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '')).to.equal('manifest.json')
    })

    it('the real age CLI rejects a wrong passphrase', () => {
      expect(() => {
        ageDecryptWithPassphrase(fromEnv, path.join(root, 'wrong.tar.gz'), 'not the passphrase')
      }).to.throw(/exited [1-9]/)
    })
  })

  describe('recipients', () => {
    it('--recipient: age -d -i key.txt decrypts it, and so does the library', async () => {
      const result = await batch.get('recipient')
      expect(result.code, describeRun(result)).to.equal(0)
      const file = path.join(out, 'recipient.tar.gz.age')
      const head = fs.readFileSync(file).subarray(0, 200).toString('latin1')
      expect(head.startsWith(AGE_HEADER)).to.equal(true)
      expect(head.split('\n', 2)[1]).to.match(/^-> X25519 /)
      expectArchiveTar(mustRun('age', ['-d', '-i', keyA, file]))
      const identity = fs
        .readFileSync(keyA, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('AGE-SECRET-KEY-1'))!
      expectArchiveTar(await libraryDecrypt(file, {identity}))
      // Another key cannot open it.
      expect(() => mustRun('age', ['-d', '-i', keyB, file])).to.throw(/exited [1-9]/)
    })

    it('--recipients-file (comments, blank lines, two keys): each key decrypts it', async () => {
      const result = await batch.get('recipients file')
      expect(result.code, describeRun(result)).to.equal(0)
      expect(resultOf(result).encryption).to.equal('recipients')
      const file = path.join(out, 'recipients.tar.gz.age')
      expectArchiveTar(mustRun('age', ['-d', '-i', keyA, file]))
      expectArchiveTar(mustRun('age', ['-d', '-i', keyB, file]))
    })

    it('--compression zstd with a recipient: age | zstd | tar', async () => {
      const result = await batch.get('zstd recipient')
      expect(result.code, describeRun(result)).to.equal(0)
      const decrypted = mustRun('age', ['-d', '-i', keyB, path.join(out, 'z.tar.zst.age')])
      expect(decrypted.subarray(0, 4).toString('hex')).to.equal('28b52ffd')
      expect(tarNames(decrypted, 'zstd')[0]).to.equal('manifest.json')
    })
  })

  describe('refusals (nothing written)', () => {
    const written = () => fs.readdirSync(out).filter((n) => n.startsWith('refused') || n.includes('partial'))

    before(() => batch.settled())

    it('no TTY and no passphrase source: PASSPHRASE_REQUIRED, exit 2, no file', async () => {
      const human = await batch.get('no passphrase')
      expect(human.code, describeRun(human)).to.equal(2)
      expect(human.err).to.include('passphrase')
      const json = await batch.get('no passphrase --json')
      expect(json.code).to.equal(2)
      const {error} = parseJson(json)
      expect(error.code).to.equal('PASSPHRASE_REQUIRED')
      expect(error.suggestions.join(' '))
        .to.include('--passphrase-file')
        .and.include('OPENCLAW_MIGRATE_PASSPHRASE')
        .and.include('--no-encrypt')
      expect(written()).to.deep.equal([])
    })

    it('an empty passphrase file is refused', async () => {
      const result = await batch.get('empty passphrase')
      expect(result.code).to.equal(2)
      expect(parseJson(result).error.code).to.equal('PASSPHRASE_REQUIRED')
      expect(written()).to.deep.equal([])
    })

    it('a passphrase and recipients together, or --no-encrypt with a key, are usage errors', async () => {
      const [both, clear] = await Promise.all([
        batch.get('passphrase and recipient'),
        batch.get('no-encrypt and recipient'),
      ])
      expect(both.code).to.equal(2)
      expect(parseJson(both).error.code).to.equal('USAGE')
      expect(clear.code).to.equal(2)
      expect(parseJson(clear).error.code).to.equal('USAGE')
      expect(written()).to.deep.equal([])
    })

    it('a malformed recipient is KEY_INVALID', async () => {
      const result = await batch.get('bad recipient')
      expect(result.code).to.equal(2)
      expect(parseJson(result).error.code).to.equal('KEY_INVALID')
      expect(written()).to.deep.equal([])
    })
  })
})
