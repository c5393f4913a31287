/**
 * In-process harness for the "trust nothing in the archive" suites: crafted archives (index and
 * trailer recomputed, as an attacker would), imported and checked against a scratch machine whose
 * WHOLE file system area is fingerprinted: home, temp dir, and an outside dir holding a victim.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {ArchiveManifest} from '../../src/lib/archive/manifest.js'
import type {HostContext} from '../../src/lib/host/host-context.js'

import {checkArchive} from '../../src/lib/operations/check-operation.js'
import {type ImportPhase, runImport} from '../../src/lib/operations/import-operation.js'
import {ageEncrypt, craftTar, minimalEntries, minimalManifest, type RawEntry, withTotals} from './hostile-archive.js'
import {diffFingerprints, homeFingerprint} from './hostile-cli.js'

export const PASS = 'trust suite passphrase'

export type Scratch = {archives: string; home: string; outside: string; root: string; tmp: string}

export function makeScratch(root: string): Scratch {
  const s = {
    archives: path.join(root, 'archives'),
    home: path.join(root, 'home', 'bob'),
    outside: path.join(root, 'outside'),
    root,
    tmp: path.join(root, 'tmp'),
  }
  for (const d of [s.archives, s.home, s.outside, s.tmp]) fs.mkdirSync(d, {recursive: true})
  fs.writeFileSync(path.join(s.outside, 'victim.txt'), 'do not touch\n')
  fs.writeFileSync(path.join(s.home, '.bashrc'), '# bob\n')
  fs.mkdirSync(path.join(s.home, '.ssh'), {mode: 0o700})
  fs.writeFileSync(path.join(s.home, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAA bob\n')
  fs.mkdirSync(path.join(s.home, 'Documents', 'autostart'), {recursive: true})
  fs.writeFileSync(path.join(s.home, 'Documents', 'autostart', 'mine.txt'), 'my own files\n')
  return s
}

/** Everything under the scratch root except the archives the test wrote: the whole machine, as far as a test can see. */
export function scratchPrint(s: Scratch): Map<string, string> {
  const all = homeFingerprint(s.root, {mtimes: true})
  for (const k of all.keys()) if (k === 'archives' || k.startsWith(`archives${path.sep}`)) all.delete(k)
  // The tool's journal dir is left out by homeFingerprint only at the root: add it back explicitly.
  const journal = path.join(s.home, '.openclaw-migrate')
  if (fs.existsSync(journal))
    for (const [k, v] of homeFingerprint(journal)) all.set(path.join('home/bob/.openclaw-migrate', k), v)
  return all
}

export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  return diffFingerprints(before, after)
}

export type Spec = {
  /** The archived config of the default profile (JSON5 text). */
  config?: string
  entries?: RawEntry[]
  /** Edit the manifest (after totals). */
  manifest?: (m: ArchiveManifest) => void
  /** Extra roots: each gets a dir entry (and a MEMORY.md) unless `entries` says otherwise. */
  roots?: Array<{id: string; kind: 'agentDir' | 'include' | 'workspace'; sourcePath: string; type?: 'dir' | 'file'}>
}

export function craft(spec: Spec): Buffer {
  const entries = minimalEntries().map((e) =>
    e.path === 'roots/st/openclaw.json' && spec.config !== undefined ? {...e, body: Buffer.from(spec.config)} : e,
  )
  const manifest = minimalManifest()
  // Entries of the spec come first: a link an earlier entry made is what a later root would meet.
  entries.push(...(spec.entries ?? []))
  for (const r of spec.roots ?? []) {
    const type = r.type ?? 'dir'
    manifest.roots.push({
      archivePath: `roots/${r.id}`,
      id: r.id,
      kind: r.kind,
      profile: null,
      sourcePath: r.sourcePath,
      type,
    })
    if (type === 'dir')
      entries.push(
        {path: `roots/${r.id}/`, type: 'Directory'},
        {body: Buffer.from('# memory\n'), path: `roots/${r.id}/MEMORY.md`, type: 'File'},
      )
    else
      entries.push({
        body: Buffer.from('{}\n'),
        path: `roots/${r.id}/${path.posix.basename(r.sourcePath)}`,
        type: 'File',
      })
  }

  let m = withTotals(manifest, entries)
  spec.manifest?.(m)
  m = {...m}
  return craftTar({entries, manifest: m})
}

export const configNaming = (workspace: string) =>
  `{ gateway: { mode: "local" }, agents: { defaults: { workspace: ${JSON.stringify(workspace)} } } }\n`

export function context(s: Scratch): HostContext {
  return {
    binary: null,
    configPath: path.join(s.home, '.openclaw', 'openclaw.json'),
    home: s.home,
    hostKind: 'none',
    hostVersion: null,
    profile: null,
    sources: {configPath: 'builtin', hostVersion: null, profile: 'builtin', stateDir: 'builtin'},
    stateDir: path.join(s.home, '.openclaw'),
    warnings: [],
  } as unknown as HostContext
}

export type Outcome = {code: null | string; plan?: string[]}

async function withTmp<T>(s: Scratch, work: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR
  process.env.TMPDIR = s.tmp
  try {
    return await work()
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
  }
}

export async function importIn(
  s: Scratch,
  archive: string,
  options: {
    accept?: boolean
    dryRun?: boolean
    maps?: string[]
    onPhase?: (phase: ImportPhase) => void
    onStep?: (message: string) => void
    passphrase?: boolean
    signal?: AbortSignal
  } = {},
): Promise<Outcome> {
  return withTmp(s, async () => {
    try {
      const outcome = await runImport({
        acceptPlacement: options.accept,
        allowDowngrade: false,
        context: context(s),
        doctor: false,
        dryRun: options.dryRun ?? false,
        getKeys: async () => ({passphrase: PASS}),
        maps: options.maps ?? [],
        noHost: true,
        onPhase: options.onPhase,
        onStep: options.onStep,
        restart: false,
        rewriteWorkspacePaths: false,
        signal: options.signal,
        source: archive,
        startGateway: false,
        stopGateway: false,
      })
      return {code: null, plan: outcome.plan.targets.map((t) => t.target)}
    } catch (error) {
      return {code: (error as {code?: string}).code ?? `THROWN ${(error as Error).message}`}
    }
  })
}

export async function checkIn(
  s: Scratch,
  archive: string,
  options: {accept?: boolean; maps?: string[]} = {},
): Promise<Outcome> {
  return withTmp(s, async () => {
    const checked = await checkArchive(archive, async () => ({passphrase: PASS}), {
      acceptPlacement: options.accept,
      home: s.home,
      maps: options.maps ?? [],
    })
    checked.read?.entries.close()
    return {code: checked.error?.code ?? null, plan: checked.plan?.targets.map((t) => t.target)}
  })
}

export async function writeArchive(s: Scratch, name: string, tar: Buffer, passphrase = false): Promise<string> {
  const file = path.join(s.archives, `${name.replaceAll(/\W+/g, '-')}.bin`)
  fs.writeFileSync(file, passphrase ? await ageEncrypt(tar, {passphrase: PASS}) : tar)
  return file
}

export const tmpRoot = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `ocm-${prefix}-`))

export {OLD_HOME, OLD_STATE} from './hostile-archive.js'
