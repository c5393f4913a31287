import {generateX25519Identity, identityToRecipient} from 'age-encryption'
import {expect} from 'chai'
import fs from 'node:fs'
import {Readable} from 'node:stream'

import {readArchive} from '../../src/lib/archive/archive-reader.js'
import {
  ageEncrypt,
  ARCHIVE_CODES,
  craftTar,
  craftValid,
  flipBit,
  gzip,
  minimalEntries,
  minimalManifest,
  type RawEntry,
  serializeManifest,
  sha256,
  span,
  withTotals,
  zstd,
} from '../support/hostile-archive.js'
import {type Attempt, attemptRead, newSandbox} from '../support/hostile-harness.js'

/**
 * Hostile archives through the real reading path (openArchive → readArchive → StagingSink):
 * each must fail with its stable archive code (exit 3) or read back identically, never hang,
 * never throw a raw error, and never write outside the staging dir.
 */
const PASS = 'hostile-reader passphrase 7'
export const REPORT: Array<{case: string; code: string; exit: null | number; outside: number}> = []

describe('hostile archives through the reader', function () {
  this.timeout(60_000)
  let sandbox: string

  before(() => {
    sandbox = newSandbox('reader')
  })

  after(() => {
    fs.rmSync(sandbox, {force: true, recursive: true})
    if (process.env.HOSTILE_REPORT)
      for (const r of REPORT) console.log(`REPORT\t${r.case}\t${r.code}\t${r.exit}\toutside=${r.outside}`)
  })

  async function attempt(
    name: string,
    input: Buffer,
    keys?: {identities?: string[]; passphrase?: string},
    spaceLimit?: number,
  ): Promise<Attempt> {
    const a = await attemptRead(input, {keys, sandbox, spaceLimit})
    REPORT.push({case: name, code: a.code ?? (a.ok ? 'OK' : 'RAW'), exit: a.exit, outside: a.outside.length})
    expect(a.raw, `${name}: raw exception ${a.message}`).to.equal(undefined)
    expect(a.outside, `${name}: wrote outside staging`).to.deep.equal([])
    return a
  }

  async function refused(
    name: string,
    input: Buffer,
    codes: readonly string[],
    keys?: {identities?: string[]; passphrase?: string},
  ): Promise<Attempt> {
    const a = await attempt(name, input, keys)
    expect(a.ok, `${name}: was accepted`).to.equal(false)
    expect(codes, `${name}: ${a.code} ${a.message}`).to.include(a.code)
    expect(a.exit, name).to.equal(3)
    return a
  }

  const valid = craftValid()
  const entries = minimalEntries()

  it('control: the crafted archive reads back identically, plain, gzip, zstd and age', async () => {
    for (const [label, bytes] of [
      ['plain', valid],
      ['gzip', gzip(valid)],
      ['zstd', zstd(valid)],
      ['age+gzip', await ageEncrypt(gzip(valid), {passphrase: PASS})],
    ] as const) {
      const a = await attempt(`control ${label}`, bytes, {passphrase: PASS})
      expect(a.ok, `${label}: ${a.message}`).to.equal(true)
      expect(a.staged.get('st/.env')?.toString()).to.equal(entries[2].body!.toString())
      expect(a.staged.get('st/today.md')).to.equal('-> memory/day-1.md')
    }
  })

  describe('truncation', () => {
    it('a plain tar cut at every block boundary and in between', async () => {
      const offsets = new Set<number>([0, 1, 100, 261, 262, 511])
      for (let o = 512; o < valid.length; o += 512) for (const d of [-1, 0, 1, 100]) offsets.add(o + d)
      for (const o of [...offsets].filter((x) => x >= 0 && x < valid.length).sort((a, b) => a - b)) {
        // Cuts inside the final zero blocks leave a complete archive; GNU tar accepts that too, and the index already proved everything.
        const a = await attempt(`truncated plain at ${o}/${valid.length}`, valid.subarray(0, o))
        if (o >= valid.length - 1024 + 1) continue
        expect(a.ok, `cut at ${o} was accepted`).to.equal(false)
        expect(ARCHIVE_CODES, `cut at ${o}: ${a.message}`).to.include(a.code)
      }
    })

    it('gzip, zstd and age archives cut at many offsets', async () => {
      const variants: Array<[string, Buffer]> = [
        ['gzip', gzip(valid)],
        ['zstd', zstd(valid)],
        ['age', await ageEncrypt(gzip(valid), {passphrase: PASS})],
      ]
      for (const [label, bytes] of variants) {
        const step = Math.max(1, Math.floor(bytes.length / 40))
        for (let o = 0; o < bytes.length; o += step) {
          const a = await refused(`truncated ${label} at ${o}/${bytes.length}`, bytes.subarray(0, o), ARCHIVE_CODES, {
            passphrase: PASS,
          })
          if (o > 300) expect(['ARCHIVE_TRUNCATED', 'ARCHIVE_CORRUPT'], `${label} cut at ${o}`).to.include(a.code)
        }

        await refused(
          `truncated ${label} by one byte`,
          bytes.subarray(0, -1),
          ['ARCHIVE_TRUNCATED', 'ARCHIVE_CORRUPT'],
          {passphrase: PASS},
        )
      }
    })
  })

  describe('single bit flips', () => {
    const flipIn = (label: string, start: number, length: number) => {
      const bits: number[] = []
      for (let i = 0; i < 12; i++) bits.push(start * 8 + Math.floor(((i + 0.5) / 12) * length * 8))
      return bits.map((b) => [`${label} bit ${b}`, flipBit(valid, b)] as const)
    }

    it('in the manifest (header and body)', async () => {
      const m = span(valid, 'manifest.json')
      for (const [name, bytes] of [
        ...flipIn('manifest header', m.header, 512),
        ...flipIn('manifest body', m.body, m.size),
      ])
        await refused(name, bytes, ARCHIVE_CODES)
    })

    it('in the index (header and body)', async () => {
      const ix = span(valid, 'index.jsonl')
      for (const [name, bytes] of [
        ...flipIn('index header', ix.header, 512),
        ...flipIn('index body', ix.body, ix.size),
      ])
        await refused(name, bytes, ARCHIVE_CODES)
    })

    it('in a payload file (header and body)', async () => {
      const f = span(valid, 'roots/st/.env')
      for (const [name, bytes] of [
        ...flipIn('payload header', f.header, 512),
        ...flipIn('payload body', f.body, f.size),
      ])
        await refused(name, bytes, ARCHIVE_CODES)
    })

    it('in the gzip stream', async () => {
      const gz = gzip(valid)
      for (let i = 0; i < 24; i++) {
        const bit = Math.floor(((i + 0.5) / 24) * gz.length * 8)
        await refused(`gzip bit ${bit}`, flipBit(gz, bit), ARCHIVE_CODES)
      }
    })

    it('in the age header and the age payload', async () => {
      const enc = await ageEncrypt(gzip(valid), {passphrase: PASS})
      const headerEnd = enc.indexOf('\n---') + 48
      for (let i = 0; i < 16; i++) {
        const bit = Math.floor(((i + 0.5) / 16) * headerEnd * 8)
        await refused(`age header bit ${bit}`, flipBit(enc, bit), ARCHIVE_CODES, {passphrase: PASS})
      }

      for (let i = 0; i < 8; i++) {
        const bit = (headerEnd + Math.floor(((i + 0.5) / 8) * (enc.length - headerEnd))) * 8
        await refused(`age payload bit ${bit}`, flipBit(enc, bit), ['ARCHIVE_CORRUPT', 'ARCHIVE_TRUNCATED'], {
          passphrase: PASS,
        })
      }
    })
  })

  describe('keys', () => {
    it('a wrong passphrase, a wrong identity, or no key at all', async () => {
      const id = await generateX25519Identity()
      const other = await generateX25519Identity()
      const byPass = await ageEncrypt(gzip(valid), {passphrase: PASS})
      const byKey = await ageEncrypt(gzip(valid), {recipient: await identityToRecipient(id)})
      await refused('wrong passphrase', byPass, ['DECRYPT_FAILED'], {passphrase: 'not the passphrase'})
      await refused('wrong identity', byKey, ['DECRYPT_FAILED'], {identities: [other]})
      await refused('passphrase for a recipient archive', byKey, ['DECRYPT_FAILED'], {passphrase: PASS})
      await refused('identity for a passphrase archive', byPass, ['DECRYPT_FAILED'], {identities: [id]})
      await refused('no key for an encrypted archive', byPass, ['DECRYPT_FAILED'], {})
      const ok = await attempt('right identity', byKey, {identities: [other, id]})
      expect(ok.ok, ok.message).to.equal(true)
    })
  })

  describe('manifest and payload disagree', () => {
    const cases: Array<[string, Buffer, string[]]> = [
      [
        'manifest edited after export (hash in the trailer differs)',
        craftValid(({manifest}) => ({
          manifestBytes: Buffer.from(JSON.stringify({...manifest, source: {...manifest.source, home: '/root'}})),
          trailer: {manifestSha256: sha256(serializeManifest(manifest))},
        })),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'payload root missing from the manifest',
        craftValid(({manifest}) => ({manifest: {...manifest, roots: []}})),
        ['ARCHIVE_UNSAFE_ENTRY'],
      ],
      [
        'index lists a file that is not in the archive',
        craftValid(() => ({
          editIndex: (l) => [
            JSON.stringify({mode: 384, mtime: 0, path: 'roots/st/ghost', sha256: 'x', size: 1, type: 'file'}),
            ...l,
          ],
        })),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'a file missing from the index',
        craftValid(({entries}) => void (entries[2].unindexed = true)),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'index size differs',
        craftValid(({entries}) => void (entries[1].indexOverride = {size: 1})),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'index hash differs',
        craftValid(({entries}) => void (entries[1].indexOverride = {sha256: '0'.repeat(64)})),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'index type differs',
        craftValid(({entries}) => void (entries[3].indexOverride = {type: 'file'})),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'index mode differs',
        craftValid(({entries}) => void (entries[2].indexOverride = {mode: 0o644})),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'index link target differs',
        craftValid(({entries}) => void (entries[5].indexOverride = {linkpath: '/etc/shadow'})),
        ['ARCHIVE_MISMATCH'],
      ],
      ['index lists an entry twice', craftValid(() => ({editIndex: (l) => [l[0], ...l]})), ['ARCHIVE_MISMATCH']],
      ['trailer entry count differs', craftValid(() => ({trailer: {entries: 99}})), ['ARCHIVE_MISMATCH']],
      ['trailer byte count differs', craftValid(() => ({trailer: {bytes: 1}})), ['ARCHIVE_MISMATCH']],
      ['trailer of another archive', craftValid(() => ({trailer: {archiveId: 'someone-else'}})), ['ARCHIVE_MISMATCH']],
      ['index without its trailer', craftValid(() => ({editIndex: (l) => l.slice(0, -1)})), ['ARCHIVE_TRUNCATED']],
      ['index continues after its trailer', craftValid(() => ({editIndex: (l) => [...l, l[0]]})), ['ARCHIVE_MISMATCH']],
      ['index line is not JSON', craftValid(() => ({editIndex: (l) => ['{not json', ...l]})), ['ARCHIVE_CORRUPT']],
      ['no index at all', craftValid(() => ({noIndex: true})), ['ARCHIVE_TRUNCATED']],
      ['no tar end marker', craftValid(() => ({noEof: true})), ['ARCHIVE_TRUNCATED']],
      [
        'an entry after the index',
        craftValid(() => ({afterIndex: [{body: Buffer.from('late'), path: 'roots/st/late', type: 'File'}]})),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'many more entries than the manifest declares',
        craftValid(
          ({entries}) =>
            void entries.push(
              ...Array.from({length: 1100}, (_, i): RawEntry => ({
                body: Buffer.from('x'),
                path: `roots/st/memory/extra-${i}`,
                type: 'File',
              })),
            ),
        ),
        ['ARCHIVE_MISMATCH'],
      ],
      [
        'manifest is not JSON',
        craftValid(() => ({manifestBytes: Buffer.from('{"format": "openclaw-migrate", ')})),
        ['ARCHIVE_CORRUPT'],
      ],
      [
        'manifest of another tool',
        craftValid(({manifest}) => ({manifestBytes: Buffer.from(JSON.stringify({...manifest, format: 'other'}))})),
        ['ARCHIVE_CORRUPT'],
      ],
      [
        'manifest missing fields',
        craftValid(({manifest}) => ({
          manifestBytes: Buffer.from(
            JSON.stringify({archiveId: manifest.archiveId, format: 'openclaw-migrate', formatVersion: 1}),
          ),
        })),
        ['ARCHIVE_CORRUPT'],
      ],
      [
        'manifest names a root outside roots/',
        craftValid(({manifest}) => ({manifest: {...manifest, roots: [{...manifest.roots[0], archivePath: '../st'}]}})),
        ['ARCHIVE_UNSAFE_ENTRY'],
      ],
      [
        'manifest root id with ../',
        craftValid(({manifest}) => ({
          manifest: {...manifest, roots: [{...manifest.roots[0], archivePath: 'roots/..', id: '..'}]},
        })),
        ['ARCHIVE_UNSAFE_ENTRY'],
      ],
      [
        'a future manifest format version',
        craftValid(({manifest}) => ({manifest: {...manifest, formatVersion: 2}})),
        ['ARCHIVE_VERSION'],
      ],
      [
        'a non-numeric format version',
        craftValid(({manifest}) => ({manifest: {...manifest, formatVersion: '1' as unknown as number}})),
        ['ARCHIVE_VERSION', 'ARCHIVE_CORRUPT'],
      ],
      [
        'manifest not first',
        craftTar({
          entries: [entries[0], {body: Buffer.from('{}'), path: 'manifest.json', type: 'File'}],
          manifest: minimalManifest(),
          noIndex: true,
        }).subarray(0),
        ['ARCHIVE_CORRUPT', 'ARCHIVE_UNSAFE_ENTRY'],
      ],
      [
        'a plain tar without a manifest',
        Buffer.concat([Buffer.from(craftValid()).subarray(span(craftValid(), 'roots/st/').header)]),
        ['ARCHIVE_CORRUPT'],
      ],
      ['not an archive at all', Buffer.from('hello, this is just text\n'.repeat(40)), ['ARCHIVE_UNKNOWN']],
      [
        'an age header of another version',
        Buffer.from('age-encryption.org/v2\n-> X25519 abc\n--- xyz\n'),
        ['ARCHIVE_VERSION', 'ARCHIVE_CORRUPT'],
      ],
      [
        'an ASCII-armored age file',
        Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n'),
        ['ARCHIVE_CORRUPT'],
      ],
    ]
    for (const [name, bytes, codes] of cases) it(name, async () => void (await refused(name, bytes, codes)))
  })

  describe('unsafe entries', () => {
    const unsafe = (
      name: string,
      add: ((e: RawEntry[]) => void) | RawEntry[],
      codes: string[] = ['ARCHIVE_UNSAFE_ENTRY'],
    ) => {
      it(name, async () => {
        const bytes = craftValid(({entries: e, manifest}) => {
          if (typeof add === 'function') add(e)
          else e.push(...add)
          return {manifest: withTotals(manifest, e)}
        })
        await refused(name, bytes, codes)
      })
    }

    const file = (p: string): RawEntry => ({body: Buffer.from('pwned\n'), path: p, type: 'File'})
    unsafe('../ in a name', [file('roots/st/../../../tmp/pwned')])
    unsafe('a name that is just ..', [file('..')])
    unsafe('an absolute name', [file('/tmp/pwned')])
    unsafe('an absolute name inside roots', [file('/roots/st/pwned')])
    unsafe('a Windows drive name', [file('C:/Windows/pwned')])
    unsafe('a backslash name', [file(String.raw`roots\st\..\..\pwned`)])
    unsafe('a . component', [file('roots/st/./pwned')])
    unsafe('an empty component', [file('roots/st//pwned')])
    unsafe('a name outside roots/', [file('pwned')])
    unsafe('an unknown root', [file('roots/other/pwned')])
    unsafe('a file whose parent directory is not in the archive', [file('roots/st/nodir/pwned')])
    unsafe('a file below a symlink (write through a link)', [
      {linkpath: '/tmp', path: 'roots/st/tmplink', type: 'SymbolicLink'},
      file('roots/st/tmplink/pwned'),
    ])
    unsafe('a file below a symlink to a directory inside', [
      {linkpath: 'memory', path: 'roots/st/mem2', type: 'SymbolicLink'},
      file('roots/st/mem2/pwned'),
    ])
    unsafe('a symlink escaping its root with ..', [
      {linkpath: '../../../../etc/passwd', path: 'roots/st/escape', type: 'SymbolicLink'},
    ])
    unsafe('a symlink escaping its root from a subdirectory', [
      {linkpath: '../../.ssh/authorized_keys', path: 'roots/st/memory/escape', type: 'SymbolicLink'},
    ])
    unsafe("a symlink to its root's parent", [{linkpath: '..', path: 'roots/st/up', type: 'SymbolicLink'}])
    unsafe('an absolute symlink outside every root', [
      {linkpath: '/etc/shadow', path: 'roots/st/shadow', type: 'SymbolicLink'},
    ])
    unsafe('an absolute symlink into the old root via ..', [
      {linkpath: '/home/olduser/.openclaw/../.ssh', path: 'roots/st/ssh', type: 'SymbolicLink'},
    ])
    unsafe('a symlink chain: a link through a link to .. (b -> .., a -> b/..)', [
      {path: 'roots/st/d/', type: 'Directory'},
      {linkpath: 'b/../..', path: 'roots/st/d/a', type: 'SymbolicLink'},
      {linkpath: '..', path: 'roots/st/d/b', type: 'SymbolicLink'},
    ])
    unsafe('a symlink chain ending outside (a -> b, b -> ../..)', [
      {linkpath: 'b', path: 'roots/st/a', type: 'SymbolicLink'},
      {linkpath: '../../x', path: 'roots/st/b', type: 'SymbolicLink'},
    ])
    unsafe(
      'a symlink with an empty target',
      [{linkpath: '', path: 'roots/st/empty', type: 'SymbolicLink'}],
      ['ARCHIVE_UNSAFE_ENTRY', 'ARCHIVE_CORRUPT'],
    )
    unsafe('a hardlink', [{linkpath: 'roots/st/.env', path: 'roots/st/hard', type: 'Link'}])
    unsafe('a hardlink to /etc/shadow', [{linkpath: '/etc/shadow', path: 'roots/st/hard', type: 'Link'}])
    unsafe('a character device', [{path: 'roots/st/null', type: 'CharacterDevice'}])
    unsafe('a block device', [{path: 'roots/st/sda', type: 'BlockDevice'}])
    unsafe('a fifo', [{path: 'roots/st/fifo', type: 'FIFO'}])
    unsafe('a contiguous file (type 7)', [{body: Buffer.from('x'), path: 'roots/st/contig', type: 'ContiguousFile'}])
    unsafe('a duplicate file', [file('roots/st/dup'), file('roots/st/dup')])
    unsafe('a duplicate of a file with other content', (e) =>
      e.push({...e[2], body: Buffer.from('ANTHROPIC_API_KEY=attacker\n')}),
    )
    unsafe('a duplicate directory', (e) => e.push({path: 'roots/st/memory/', type: 'Directory'}))
    unsafe('a directory replaced by a symlink of the same name', (e) =>
      e.push({linkpath: '/tmp', path: 'roots/st/memory', type: 'SymbolicLink'}),
    )
    unsafe('the root itself as a file', (e) => e.splice(0, e.length, file('roots/st')))
    unsafe('a name longer than 4096 characters', [file(`roots/st/${'a'.repeat(5000)}`)])
    // node-tar cuts the PAX name at the NUL: the entry no longer matches its index line.
    unsafe(
      'a name with a NUL byte (PAX)',
      [file('roots/st/nul\u{0}name')],
      ['ARCHIVE_UNSAFE_ENTRY', 'ARCHIVE_MISMATCH'],
    )
    unsafe('a non-UTF-8 name (raw ustar bytes)', [
      {
        body: Buffer.from('x'),
        path: 'raw',
        rawName: Buffer.concat([Buffer.from('roots/st/bad-'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('.txt')]),
        type: 'File',
      },
    ])
    unsafe('a second manifest.json among the payload', [file('manifest.json')])
    unsafe('a second index.jsonl name below roots', [file('roots/st/index.jsonl'), file('roots/st/index.jsonl')])
  })

  describe('sizes and counts', () => {
    it('a declared size far beyond the real body (decompression bomb header)', async () => {
      const bytes = craftValid(
        ({entries: e}) =>
          void e.push({body: Buffer.from('tiny'), path: 'roots/st/bomb', size: 1024 ** 4, type: 'File'}),
      )
      await refused('declared 1 TiB, body 4 bytes (check)', bytes, ['ARCHIVE_MISMATCH', 'ARCHIVE_TRUNCATED'])
      await refused('declared 1 TiB, body 4 bytes (gzip)', gzip(bytes), ['ARCHIVE_MISMATCH', 'ARCHIVE_TRUNCATED'])
      const a = await attempt('declared 1 TiB with a space limit (import)', bytes, undefined, 1024 ** 3)
      expect(a.ok).to.equal(false)
      expect(['ARCHIVE_MISMATCH', 'NO_SPACE'], a.message).to.include(a.code)
    })

    it('a real decompression bomb: 64 MiB of zeros in a file the manifest says is empty', async () => {
      const zeros = Buffer.alloc(64 * 1024 * 1024)
      const bytes = gzip(
        craftValid(({entries: e}) => void e.push({body: zeros, path: 'roots/st/zeros', type: 'File', unindexed: true})),
      )
      expect(bytes.length).to.be.below(1024 * 1024)
      const a = await refused('gzip bomb 64 MiB (not in manifest totals)', bytes, ['ARCHIVE_MISMATCH'])
      expect(a.ms).to.be.below(20_000)
    })

    it('a huge number of tiny entries, declared honestly, reads in bounded time', async () => {
      const many: RawEntry[] = [...minimalEntries(), {path: 'roots/st/many/', type: 'Directory'}]
      for (let i = 0; i < 20_000; i++)
        many.push({body: Buffer.from(String(i)), path: `roots/st/many/f${i}`, type: 'File'})
      const bytes = gzip(craftTar({entries: many, manifest: withTotals(minimalManifest(), many)}))
      const a = await attempt('20000 tiny entries', bytes)
      expect(a.ok, a.message).to.equal(true)
      expect(a.read!.entries.size).to.equal(many.length)
      expect(a.ms).to.be.below(30_000)
    })

    it('an index of non-ASCII names larger than a stream chunk reads back (no character split between chunks)', async () => {
      const e: RawEntry[] = [...minimalEntries(), {path: 'roots/st/日記/', type: 'Directory'}]
      for (let i = 0; i < 3000; i++)
        e.push({body: Buffer.from('x'), path: `roots/st/日記/ノート-${i}-✓.md`, type: 'File'})
      const tar = craftTar({entries: e, manifest: withTotals(minimalManifest(), e)})
      const a = await attempt('3000 non-ASCII names (index > 64 KiB)', gzip(tar))
      expect(a.ok, a.message).to.equal(true)
      // Arriving slowly in small pieces (a pipe, ssh): index chunks then end inside a character.
      async function* paced() {
        for (let i = 0; i < tar.length; i += 1000) {
          yield tar.subarray(i, i + 1000)
          await new Promise((resolve) => setImmediate(resolve))
        }
      }

      const read = await readArchive(Readable.from(paced()))
      expect(read.entries.size).to.equal(e.length)
      read.entries.close()
    })

    it('very long but valid names (deep paths, 255-byte components, non-ASCII) read back', async () => {
      const deep = `roots/st/${Array.from({length: 12}, (_, i) => `deep-directory-${i}`).join('/')}`
      const dirs: RawEntry[] = []
      let p = 'roots/st'
      for (const part of deep.split('/').slice(2)) {
        p = `${p}/${part}`
        dirs.push({path: `${p}/`, type: 'Directory'})
      }

      const e = [
        ...minimalEntries(),
        ...dirs,
        {body: Buffer.from('long'), path: `${deep}/${'n'.repeat(250)}.md`, type: 'File'},
        {body: Buffer.from('uni'), path: 'roots/st/memory/日記 ✓ Ärger 🦞.md', type: 'File'},
      ]
      const a = await attempt(
        'long and non-ASCII names',
        gzip(craftTar({entries: e, manifest: withTotals(minimalManifest(), e)})),
      )
      expect(a.ok, a.message).to.equal(true)
      expect(a.staged.get('st/memory/日記 ✓ Ärger 🦞.md')?.toString()).to.equal('uni')
    })
  })
})
