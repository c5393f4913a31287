import {generateX25519Identity, identityToRecipient} from 'age-encryption'
import {expect} from 'chai'
import fc from 'fast-check'
import fs from 'node:fs'

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
  withTotals,
  zstd,
} from '../support/hostile-archive.js'
import {type Attempt, attemptRead, newSandbox} from '../support/hostile-harness.js'

/**
 * Property-based: whatever the damage, the reader either succeeds with content identical to the
 * original, or fails with one of the archive codes; it never hangs (each attempt has a deadline),
 * never throws a raw error and never writes outside its staging dir.
 */
const RUNS = Number(process.env.HOSTILE_RUNS ?? 300)
const PASS = 'property passphrase'

describe('hostile reader properties (fast-check)', () => {
  let sandbox: string
  let reference: Map<string, Buffer | string>
  const valid = craftValid()

  before(async () => {
    sandbox = newSandbox('props')
    const ok = await attemptRead(valid, {sandbox})
    expect(ok.ok, ok.message).to.equal(true)
    reference = ok.staged
  })

  after(() => {
    fs.rmSync(sandbox, {force: true, recursive: true})
  })

  function holds(a: Attempt, label: string): void {
    expect(a.raw, `${label}: raw exception ${a.message}`).to.equal(undefined)
    expect(a.outside, `${label}: wrote outside staging`).to.deep.equal([])
    expect(a.message, label).to.not.match(/^Error: HANG/)
    if (a.ok) {
      expect([...a.staged.keys()].sort(), `${label}: accepted with other entries`).to.deep.equal(
        [...reference.keys()].sort(),
      )
      for (const [k, v] of reference)
        expect(Buffer.compare(Buffer.from(a.staged.get(k)!), Buffer.from(v)), `${label}: ${k} differs`).to.equal(0)
    } else {
      expect(ARCHIVE_CODES, `${label}: ${a.code} ${a.message}`).to.include(a.code)
      expect(a.exit).to.equal(3)
    }
  }

  for (const [label, make] of [
    ['plain', async () => valid],
    ['gzip', async () => gzip(valid)],
    ['zstd', async () => zstd(valid)],
    ['age', async () => ageEncrypt(gzip(valid), {passphrase: PASS})],
  ] as const) {
    it(`${label}: any truncation`, async () => {
      const bytes = await make()
      await fc.assert(
        fc.asyncProperty(fc.integer({max: bytes.length - 1, min: 0}), async (cut) => {
          holds(
            await attemptRead(bytes.subarray(0, cut), {keys: {passphrase: PASS}, sandbox, timeoutMs: 20_000}),
            `${label} cut at ${cut}`,
          )
        }),
        {numRuns: RUNS},
      )
    })

    it(`${label}: any single bit flip`, async () => {
      const bytes = await make()
      await fc.assert(
        fc.asyncProperty(fc.integer({max: bytes.length * 8 - 1, min: 0}), async (bit) => {
          holds(
            await attemptRead(flipBit(bytes, bit), {keys: {passphrase: PASS}, sandbox, timeoutMs: 20_000}),
            `${label} bit ${bit}`,
          )
        }),
        {numRuns: RUNS},
      )
    })
  }

  it('age with a recipient: any bit flip in the header is DECRYPT_FAILED or corrupt, never accepted differently', async () => {
    const id = await generateX25519Identity()
    const bytes = await ageEncrypt(gzip(valid), {recipient: await identityToRecipient(id)})
    const headerBits = (bytes.indexOf('\n---') + 48) * 8
    await fc.assert(
      fc.asyncProperty(fc.integer({max: headerBits - 1, min: 0}), async (bit) => {
        holds(
          await attemptRead(flipBit(bytes, bit), {keys: {identities: [id]}, sandbox, timeoutMs: 20_000}),
          `age header bit ${bit}`,
        )
      }),
      {numRuns: Math.min(RUNS, 200)},
    )
  })

  it('random entry names: staged strictly inside the staging dir with the same bytes, or refused as unsafe', async () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', '/', '\\', 'C:', '~', 'roots', 'st', '\u{0}', '\u{FFFD}'),
      fc.string({maxLength: 12, unit: 'grapheme'}),
      fc.string({maxLength: 300, minLength: 200}),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(segment, {maxLength: 6, minLength: 1}), fc.boolean(), async (segments, absolute) => {
        const name = `${absolute ? '/' : ''}${['roots', 'st', ...segments].join('/')}`
        const entries: RawEntry[] = [
          ...minimalEntries(),
          {body: Buffer.from('random-name body'), path: name, type: 'File'},
        ]
        const bytes = craftTar({entries, manifest: withTotals(minimalManifest(), entries)})
        const a = await attemptRead(bytes, {sandbox, timeoutMs: 20_000})
        expect(a.raw, `${JSON.stringify(name)}: raw ${a.message}`).to.equal(undefined)
        expect(a.outside, JSON.stringify(name)).to.deep.equal([])
        if (a.ok) {
          const extra = [...a.staged].filter(([k]) => !reference.has(k))
          expect(extra.length, JSON.stringify(name)).to.equal(1)
          expect(Buffer.from(extra[0][1]).toString(), JSON.stringify(name)).to.equal('random-name body')
        } else {
          expect(
            [...ARCHIVE_CODES, 'TARGET_UNWRITABLE'] as string[],
            `${JSON.stringify(name)}: ${a.code} ${a.message}`,
          ).to.include(a.code)
        }
      }),
      {numRuns: RUNS},
    )
  })
})
