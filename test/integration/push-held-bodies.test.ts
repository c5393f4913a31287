/**
 * Two-phase push without ssh: phase one's seed stream into a store, a change on the old machine,
 * then phase two's archive (unchanged bodies named by sha256) imported with that store. The
 * import must end byte-identical to the old state as it was at phase two, and an archive naming
 * held bodies must be refused everywhere else, or when the store lies.
 */
import {expect} from 'chai'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'

import type {HostContext} from '../../src/lib/host/host-context.js'

import {checkArchive} from '../../src/lib/operations/check-operation.js'
import {type ExportRequest, prepareExport, runExport} from '../../src/lib/operations/export-operation.js'
import {runImport} from '../../src/lib/operations/import-operation.js'
import {SeedStore} from '../../src/lib/push/seed-store.js'
import {receiveSeedStream, writeSeedStream} from '../../src/lib/push/seed-stream.js'
import {type GeneratedHome, generateHome} from '../support/home-generator.js'

const PUSH_ID = 'ab'.repeat(16)

function contextOf(home: string): HostContext {
  const stateDir = path.join(home, '.openclaw')
  return {
    binary: null,
    configPath: path.join(stateDir, 'openclaw.json'),
    home,
    hostKind: 'none',
    hostVersion: null,
    profile: null,
    sources: {configPath: 'builtin', hostVersion: null, profile: 'builtin', stateDir: 'builtin'},
    stateDir,
    warnings: [],
  }
}

/** sha256 of every regular file under dir, by relative path. */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const rel of fs.readdirSync(dir, {recursive: true}) as string[]) {
    const abs = path.join(dir, rel)
    if (fs.lstatSync(abs).isFile()) out.set(rel, createHash('sha256').update(fs.readFileSync(abs)).digest('hex'))
  }

  return out
}

function tree(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, {recursive: true}) as string[]).toSorted() : []
}

describe('two-phase push: bodies sent ahead, then named by sha256', function () {
  this.timeout(120_000)
  let base: string
  let old: GeneratedHome
  let newHome: string
  let archive: string
  let request: ExportRequest
  let transcript: string
  let withheld: number

  /** Phase one into a fresh store at newHome; returns the hashes it holds. */
  async function seed(): Promise<Set<string>> {
    const prepared = await prepareExport(request)
    const pipe = new PassThrough()
    const store = SeedStore.create(newHome, PUSH_ID)
    const tempDir = fs.mkdtempSync(path.join(base, 'seed-tmp-'))
    const [, receipt] = await Promise.all([
      writeSeedStream(prepared.plan, pipe, {compression: 'gzip', tempDir}),
      receiveSeedStream(pipe, store),
    ])
    return new Set(receipt.held)
  }

  async function importWith(store: null | SeedStore, dryRun = false) {
    return runImport({
      allowDowngrade: false,
      context: contextOf(newHome),
      doctor: false,
      dryRun,
      getKeys: async () => ({}),
      heldBodies: store ?? undefined,
      maps: [],
      noHost: true,
      restart: false,
      rewriteWorkspacePaths: false,
      senderAuthenticated: true,
      source: archive,
      startGateway: false,
      stopGateway: false,
    })
  }

  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-held-'))
    old = generateHome({home: path.join(base, 'old'), profile: null, sessionBytes: 40_000, sessions: 6})
    newHome = path.join(base, 'new')
    fs.mkdirSync(newHome)
    request = {
      compression: 'gzip',
      context: contextOf(old.home),
      dryRun: false,
      encrypted: false,
      output: '-',
      selection: {agents: null, allProfiles: false, excludes: [], includeLogs: false, workspaces: undefined},
      stopGateway: false,
    }
    const held = await seed()
    expect(held.size, 'bodies stored ahead').to.be.greaterThan(3)
    // The gateway kept running during phase one: a file grew, another appeared.
    transcript = path.join(old.stateDir, 'media', 'inbound', 'photo-0.jpg')
    fs.appendFileSync(transcript, 'written after phase one')
    fs.writeFileSync(path.join(old.stateDir, 'media', 'inbound', 'after-phase-one.bin'), 'x'.repeat(10_000))

    archive = path.join(base, 'final.tar.gz')
    const prepared = await prepareExport(request)
    const out = fs.createWriteStream(archive, {mode: 0o600})
    const exported = await runExport({...request, withheld: held}, prepared, {kind: 'none'}, {stdout: out})
    await new Promise((resolve) => {
      out.end(resolve)
    })
    withheld = exported.written.withheld
  })

  after(() => {
    for (const h of old.holders) h.close()
    fs.rmSync(base, {force: true, recursive: true})
  })

  it('sends unchanged bodies as names only, and the changed file in full', () => {
    expect(withheld).to.be.greaterThan(3)
    // The final archive is far smaller than what went ahead.
    const aheadBytes = fs
      .readdirSync(path.join(newHome, '.openclaw-migrate', 'push-seeds', PUSH_ID))
      .reduce((n, f) => n + fs.statSync(path.join(newHome, '.openclaw-migrate', 'push-seeds', PUSH_ID, f)).size, 0)
    expect(fs.statSync(archive).size).to.be.lessThan(aheadBytes)
  })

  it('is refused by import and check without the store, naming nothing on this machine', async () => {
    const before = tree(newHome)
    const refused = await importWith(null).catch((error: {code?: string}) => error.code)
    expect(refused).to.equal('ARCHIVE_UNSAFE_ENTRY')
    const checked = await checkArchive(archive, async () => ({}), {acceptPlacement: true, home: newHome, maps: []})
    checked.read?.entries.close()
    expect(checked.error?.code).to.equal('ARCHIVE_UNSAFE_ENTRY')
    expect(tree(newHome)).to.deep.equal(before)
  })

  it('refuses a store whose bodies were altered, and one missing them; the target is left as it was', async () => {
    const before = tree(newHome).filter((f) => !f.startsWith('.openclaw-migrate'))
    const objects = (store: SeedStore) =>
      fs
        .readdirSync(store.dir)
        .filter((f) => /^[\da-f]{64}(?:\.\d+)?$/.test(f))
        .map((f) => path.join(store.dir, f))
    await seed()
    for (const f of objects(SeedStore.open(newHome, PUSH_ID))) {
      const bytes = fs.readFileSync(f)
      bytes[0] ^= 1
      fs.writeFileSync(f, bytes)
    }

    const altered = await importWith(SeedStore.open(newHome, PUSH_ID)).catch((error: {code?: string}) => error.code)
    expect(altered).to.equal('PUSH_SEED_DAMAGED')
    await seed()
    for (const f of objects(SeedStore.open(newHome, PUSH_ID))) fs.appendFileSync(f, '!')
    const grown = await importWith(SeedStore.open(newHome, PUSH_ID)).catch((error: {code?: string}) => error.code)
    expect(grown).to.equal('PUSH_SEED_DAMAGED')
    await seed()
    for (const f of objects(SeedStore.open(newHome, PUSH_ID))) fs.rmSync(f)
    const missing = await importWith(SeedStore.open(newHome, PUSH_ID)).catch((error: {code?: string}) => error.code)
    expect(missing).to.equal('PUSH_SEED_MISSING')
    expect(tree(newHome).filter((f) => !f.startsWith('.openclaw-migrate'))).to.deep.equal(before)
  })

  it('imports with the store: every file as the old state was at phase two, bodies moved not copied', async () => {
    const held = (await seed()).size
    const store = SeedStore.open(newHome, PUSH_ID)
    const outcome = await importWith(store)
    const rewritten = new Set(outcome.rebase.rewrites.filter((r) => r.rootId.endsWith('.state')).map((r) => r.rel))
    const want = fingerprint(old.stateDir)
    const got = fingerprint(path.join(newHome, '.openclaw'))
    const skipped = outcome.manifest.skipped.map((k) => k.path)
    const carried = (rel: string) =>
      !skipped.some((k) => path.join(old.stateDir, rel) === k || path.join(old.stateDir, rel).startsWith(`${k}/`))
    const differ = [...want.keys()].filter(
      (rel) => carried(rel) && got.get(rel) !== want.get(rel) && !rewritten.has(rel.split(path.sep).join('/')),
    )
    expect(differ, 'files that differ from the old state').to.deep.equal([])
    const rel = path.relative(old.stateDir, transcript)
    expect(fs.readFileSync(path.join(newHome, '.openclaw', rel)).toString('latin1')).to.contain(
      'written after phase one',
    )
    expect(got.get(path.join('media', 'inbound', 'after-phase-one.bin'))).to.equal(
      want.get(path.join('media', 'inbound', 'after-phase-one.bin')),
    )
    expect(got.has(path.join('media', 'inbound', 'after-phase-one.bin'))).to.equal(true)
    // Moved into place: the store kept only what the import did not need.
    const left = fs.readdirSync(store.dir).filter((f) => /^[\da-f]{64}(?:\.\d+)?$/.test(f))
    expect(held - left.length, 'bodies moved out of the store').to.be.greaterThan(3)
  })
})
