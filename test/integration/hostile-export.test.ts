import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {type CliResult, describeRun, listFiles, rmrf, tmpDir} from '../support/cli.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'
import {
  ALL_RUNS,
  filesWithSecrets,
  hasStackTrace,
  jsonError,
  leakingRuns,
  leftovers,
  runHostile,
} from '../support/hostile-cli.js'

/**
 * Issue 6, source side, through the real CLI: unreadable files (root without its file-permission
 * override), files that change or vanish while being exported, a database that fails its
 * integrity check, a full or read-only output disk, Ctrl-C. Each is refused with its stable code
 * and exit status, leaves no archive and no partial file, and leaves no secret in the temp dir.
 */
export const REPORT: string[] = []

function report(line: string): void {
  REPORT.push(line)
  if (process.env.HOSTILE_REPORT) console.log(`REPORT\t${line}`)
}

describe('hostile export (real CLI)', function () {
  this.timeout(120_000)
  let root: string
  let tmp: string
  let out: string
  let g: GeneratedHome
  const mounts: string[] = []
  const secrets: string[] = []

  before(() => {
    root = tmpDir('hostile-export')
    tmp = path.join(root, 'tmp')
    out = path.join(root, 'out')
    for (const d of [tmp, out]) fs.mkdirSync(d)
    g = newHome('main')
  })

  after(() => {
    for (const m of mounts) spawnSync('umount', ['-l', m])
    rmrf(root)
  })

  function newHome(
    name: string,
    spec: Parameters<typeof generateHome>[0] extends infer S ? Partial<S> : never = {},
  ): GeneratedHome {
    const home = path.join(root, name)
    fs.mkdirSync(home)
    const generated = generateHome({home, sessions: 1, walPending: false, ...spec})
    secrets.push(...generated.secrets)
    return generated
  }

  function mount(ctx: Mocha.Context, options: string): string {
    const dir = path.join(root, `mnt-${mounts.length}`)
    fs.mkdirSync(dir)
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) ctx.skip()
    mounts.push(dir)
    return dir
  }

  async function refused(
    name: string,
    home: GeneratedHome,
    outputDir: string,
    options: Omit<Parameters<typeof runHostile>[2], 'home'>,
    code: string,
    exit: number,
  ): Promise<CliResult> {
    const output = path.join(outputDir, `${name.replaceAll(/\W+/g, '-')}.tar.gz`)
    const before = fs.existsSync(outputDir) ? fs.readdirSync(outputDir).sort() : []
    const result = await runHostile(
      `export ${name}`,
      ['export', '--profile', 'work', '--no-encrypt', '--json', '-o', output],
      {...options, env: {TMPDIR: tmp, ...options.env}, home: home.home},
    )
    const error = jsonError(result)
    const leftover = [...leftovers(outputDir), ...(fs.existsSync(output) ? [output] : [])]
    const tmpLeft = listFiles(tmp).filter((f) => !f.includes(`${path.sep}tsx-`))
    report(
      `${name}\t${error?.code ?? 'none'}\texit ${result.code}\tno archive/partial ${leftover.length === 0 ? 'yes' : 'NO'}; temp dir clean ${tmpLeft.length === 0 ? 'yes' : 'NO'}`,
    )
    expect(error?.code, describeRun(result)).to.equal(code)
    expect(result.code, describeRun(result)).to.equal(exit)
    expect(hasStackTrace(result), describeRun(result)).to.equal(false)
    expect(leftover, 'an archive or partial archive was left').to.deep.equal([])
    if (fs.existsSync(outputDir)) expect(fs.readdirSync(outputDir).sort()).to.deep.equal(before)
    expect(tmpLeft, 'temp files left').to.deep.equal([])
    return result
  }

  it('an unreadable file (EACCES: root without CAP_DAC_OVERRIDE): SOURCE_UNREADABLE, exit 4', async () => {
    const file = path.join(g.stateDir, 'credentials', 'oauth.json')
    fs.chmodSync(file, 0o000)
    try {
      const drop = ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search']
      // Proof that the path is really exercised: without the override, root cannot read it.
      expect(spawnSync('setpriv', [...drop, '--', 'cat', file]).status).to.not.equal(0)
      fs.chmodSync(tmp, 0o1777)
      await refused('unreadable file (EACCES)', g, out, {setpriv: drop}, 'SOURCE_UNREADABLE', 4)
    } finally {
      fs.chmodSync(file, 0o600)
    }
  })

  it('an unreadable directory (EACCES): SOURCE_UNREADABLE, exit 4', async () => {
    const dir = path.join(g.stateDir, 'credentials', 'whatsapp')
    fs.chmodSync(dir, 0o000)
    try {
      await refused(
        'unreadable directory (EACCES)',
        g,
        out,
        {setpriv: ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search']},
        'SOURCE_UNREADABLE',
        4,
      )
    } finally {
      fs.chmodSync(dir, 0o700)
    }
  })

  it('a file that grows while it is being exported: SOURCE_CHANGED, exit 4', async () => {
    const h = newHome('grows')
    await refused(
      'file grows during export',
      h,
      out,
      {mutate: `append:${path.join(h.externalWorkspace, 'MEMORY.md')}`},
      'SOURCE_CHANGED',
      4,
    )
  })

  it('a file that disappears while the export runs: SOURCE_CHANGED, exit 4', async () => {
    const h = newHome('vanishes')
    await refused(
      'file disappears during export',
      h,
      out,
      {mutate: `unlink:${path.join(h.externalWorkspace, 'USER.md')}`},
      'SOURCE_CHANGED',
      4,
    )
  })

  it('a file whose mtime changes while it is read: SOURCE_CHANGED, exit 4', async () => {
    const h = newHome('touched')
    await refused(
      'file touched during export',
      h,
      out,
      {mutate: `touch:${path.join(h.stateDir, 'secrets.json')}`},
      'SOURCE_CHANGED',
      4,
    )
  })

  it('a SQLite database that fails its integrity check: SQLITE_INTEGRITY, exit 4', async () => {
    const h = newHome('sqlite')
    const file = path.join(h.stateDir, 'state', 'extra.sqlite')
    const db = new DatabaseSync(file)
    db.exec('CREATE TABLE notes (body TEXT); CREATE INDEX notes_body ON notes(body);')
    for (let i = 0; i < 50; i++)
      db.prepare('INSERT INTO notes VALUES (?)').run(`note-number-${String(i).padStart(4, '0')}`)
    const {rootpage} = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'notes_body'").get() as {
      rootpage: number
    }
    const pageSize = (db.prepare('PRAGMA page_size').get() as {page_size: number}).page_size
    db.close()
    // Change one key inside the index b-tree only: the table and its index now disagree.
    const bytes = fs.readFileSync(file)
    const page = bytes.subarray((rootpage - 1) * pageSize, rootpage * pageSize)
    const at = page.indexOf('note-number-0007')
    expect(at).to.be.above(0)
    page[at + 15] = '9'.charCodeAt(0)
    fs.writeFileSync(file, bytes)
    const check = new DatabaseSync(file, {readOnly: true})
    expect((check.prepare('PRAGMA integrity_check').get() as {integrity_check: string}).integrity_check).to.not.equal(
      'ok',
    )
    check.close()
    fs.chmodSync(file, 0o600)
    await refused('SQLite integrity check fails', h, out, {}, 'SQLITE_INTEGRITY', 4)
  })

  it('the output disk fills up (tmpfs 2 MiB): NO_SPACE, exit 5, no partial archive', async function () {
    const h = newHome('big', {mediaBytes: 1024 * 1024, mediaFiles: 4})
    const dir = mount(this, 'size=2m')
    await refused('output disk full (tmpfs 2m)', h, dir, {}, 'NO_SPACE', 5)
  })

  it('a read-only output location: OUTPUT_UNWRITABLE, exit 2', async function () {
    const dir = mount(this, 'size=2m,ro')
    await refused('read-only output (ro mount)', g, dir, {}, 'OUTPUT_UNWRITABLE', 2)
  })

  it('SIGINT during the export: INTERRUPTED, exit 130, the partial archive and the temp dir removed', async () => {
    const h = newHome('interrupted', {mediaBytes: 512 * 1024, mediaFiles: 6})
    // Count the files a complete export opens, then interrupt it near the end.
    const counts = path.join(root, 'export-counts.json')
    const full = await runHostile(
      'export (counting operations)',
      ['export', '--profile', 'work', '--no-encrypt', '--json', '-o', path.join(root, 'counted.tar.gz')],
      {countFile: counts, env: {TMPDIR: tmp}, home: h.home},
    )
    expect(full.code, describeRun(full)).to.equal(0)
    const opens = (JSON.parse(fs.readFileSync(counts, 'utf8')) as Record<string, number>).open
    await refused('SIGINT during export', h, out, {fault: `int:open:${Math.max(1, opens - 3)}`}, 'INTERRUPTED', 130)
  })

  describe('secrets (after every run above)', () => {
    it('no planted secret in any stdout, stderr or --json, nor in the clear in the temp dir', () => {
      const runs = ALL_RUNS.filter((r) => r.name.startsWith('export '))
      const leaks = leakingRuns(secrets, runs)
      const files = filesWithSecrets(tmp, secrets)
      report(
        `secret scan over ${runs.length} export runs\t${leaks.length} leaking runs\t-\t${files.length} temp files holding a secret`,
      )
      expect(leaks).to.deep.equal([])
      expect(files).to.deep.equal([])
    })
  })
})
