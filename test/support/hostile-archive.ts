/**
 * Builds hostile archives byte by byte: tar streams written directly with node-tar's Header/Pax
 * (like src/lib/archive/tar-format.ts), so a test can emit any entry type, name or declared size,
 * with a manifest and an index that match the payload (sha256 computed like the archive writer)
 * or disagree with it on purpose; then gzip/zstd and age-encrypt the result.
 *
 * Also turns a real exported archive back into editable parts (`loadArchive`) so a test can
 * tamper with a realistic archive and write it again.
 */
import {Encrypter} from 'age-encryption'
import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'
import zlib from 'node:zlib'
import {Header, type HeaderData, Pax} from 'tar'

import {readArchive} from '../../src/lib/archive/archive-reader.js'
import {type ArchiveManifest, emptyCounts, type IndexEntry, type IndexTrailer} from '../../src/lib/archive/manifest.js'

export const BLOCK = 512

/** Every error code that means "this archive is bad" (all exit 3). */
export const ARCHIVE_CODES = [
  'ARCHIVE_CORRUPT',
  'ARCHIVE_TRUNCATED',
  'ARCHIVE_UNSAFE_ENTRY',
  'ARCHIVE_MISMATCH',
  'ARCHIVE_VERSION',
  'ARCHIVE_UNKNOWN',
  'DECRYPT_FAILED',
] as const

export type TarTypeName =
  | 'BlockDevice'
  | 'CharacterDevice'
  | 'Directory'
  | 'FIFO'
  | 'File'
  | 'Link'
  | 'OldFile'
  | 'SymbolicLink'
  | (string & {})

/** One tar entry exactly as a test wants it on the wire. */
export type RawEntry = {
  body?: Buffer
  /** Fields that replace the generated index line. */
  indexOverride?: Partial<IndexEntry>
  linkpath?: string
  mode?: number
  mtime?: Date
  path: string
  /** Raw bytes for the ustar name field (e.g. invalid UTF-8); `path` is then only a label. */
  rawName?: Buffer
  /** Size written in the header (default: the body's length). The body is written as given. */
  size?: number
  type: TarTypeName
  /** Leave this entry out of the generated index (default: in it, when it is a file, dir or symlink). */
  unindexed?: boolean
}

const INDEX_TYPE: Record<string, IndexEntry['type']> = {
  Directory: 'dir',
  File: 'file',
  OldFile: 'file',
  SymbolicLink: 'symlink',
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += block[i]
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1')
}

/** Header block(s) of one entry: a PAX header first when the name or link does not fit ustar. */
export function entryHeader(entry: RawEntry): Buffer {
  const body = entry.body ?? Buffer.alloc(0)
  const data: HeaderData = {
    gid: 0,
    linkpath: entry.linkpath,
    mode: entry.mode ?? (entry.type === 'Directory' ? 0o700 : 0o600),
    mtime: entry.mtime ?? new Date('2026-10-01T10:00:00Z'),
    path: entry.path,
    size: entry.size ?? body.length,
    type: entry.type as HeaderData['type'],
    uid: 0,
  }
  const header = new Header(data)
  header.encode()
  const block = header.block!
  if (entry.rawName) {
    block.fill(0, 0, 100)
    block.fill(0, 345, 500)
    entry.rawName.copy(block, 0, 0, Math.min(100, entry.rawName.length))
    writeChecksum(block)
    return block
  }

  if (!header.needPax) return block
  return Buffer.concat([new Pax({...data, atime: undefined, ctime: undefined}).encode(), block])
}

function padding(size: number): Buffer {
  const rest = size % BLOCK
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest)
}

/** Header + body + padding of one entry. */
export function entryBytes(entry: RawEntry): Buffer {
  const body = entry.body ?? Buffer.alloc(0)
  return Buffer.concat([entryHeader(entry), body, padding(body.length)])
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The index line the archive writer would record for this entry. */
export function indexLine(entry: RawEntry): IndexEntry {
  const type = INDEX_TYPE[entry.type] ?? 'file'
  const body = entry.body ?? Buffer.alloc(0)
  const mode = (entry.mode ?? (entry.type === 'Directory' ? 0o700 : 0o600)) & 0o7777
  const mtime = (entry.mtime ?? new Date('2026-10-01T10:00:00Z')).getTime()
  const key = entry.path.endsWith('/') ? entry.path.slice(0, -1) : entry.path
  const line: IndexEntry = {mode, mtime, path: key, size: type === 'file' ? body.length : 0, type}
  if (type === 'file') line.sha256 = sha256(body)
  if (type === 'symlink') line.linkpath = entry.linkpath
  return {...line, ...entry.indexOverride}
}

export type CraftOptions = {
  /** Entries written after the index. */
  afterIndex?: RawEntry[]
  /** Rewrites the generated index lines (payload lines, then the trailer) before they are written. */
  editIndex?: (lines: string[]) => string[]
  entries: RawEntry[]
  manifest: ArchiveManifest
  /** Replaces the serialised manifest (its hash in the trailer is of these bytes). */
  manifestBytes?: Buffer
  /** Leave out the two zero blocks that end a tar. */
  noEof?: boolean
  /** Leave out index.jsonl altogether. */
  noIndex?: boolean
  trailer?: Partial<IndexTrailer>
}

export const MANIFEST_NAME = 'manifest.json'
export const INDEX_NAME = 'index.jsonl'

export function serializeManifest(manifest: ArchiveManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
}

/** The index.jsonl text for these entries, trailer included (without the editIndex hook). */
export function indexText(
  manifest: ArchiveManifest,
  manifestBytes: Buffer,
  entries: RawEntry[],
  trailer: Partial<IndexTrailer> = {},
  edit?: (lines: string[]) => string[],
): Buffer {
  const indexed = entries.filter((e) => !e.unindexed && INDEX_TYPE[e.type])
  const lines = indexed.map((e) => indexLine(e))
  const full: IndexTrailer = {
    archiveId: manifest.archiveId,
    bytes: lines.reduce((n, l) => n + (l.type === 'file' ? l.size : 0), 0),
    end: true,
    entries: lines.length,
    manifestSha256: sha256(manifestBytes),
    ...trailer,
  }
  let text = [...lines, full].map((l) => JSON.stringify(l))
  if (edit) text = edit(text)
  return Buffer.from(text.map((l) => `${l}\n`).join(''))
}

/** A plain tar in the archive's layout: manifest.json, the entries, index.jsonl, end marker. */
export function craftTar(options: CraftOptions): Buffer {
  const manifestBytes = options.manifestBytes ?? serializeManifest(options.manifest)
  const parts: Buffer[] = [entryBytes({body: manifestBytes, path: MANIFEST_NAME, type: 'File'})]
  for (const e of options.entries) parts.push(entryBytes(e))
  if (!options.noIndex)
    parts.push(
      entryBytes({
        body: indexText(options.manifest, manifestBytes, options.entries, options.trailer, options.editIndex),
        path: INDEX_NAME,
        type: 'File',
      }),
    )
  for (const e of options.afterIndex ?? []) parts.push(entryBytes(e))
  if (!options.noEof) parts.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(parts)
}

export const OLD_HOME = '/home/olduser'
export const OLD_STATE = `${OLD_HOME}/.openclaw`

/** A small, complete, valid manifest: one default-profile state root of the old home. */
export function minimalManifest(overrides: Partial<ArchiveManifest> = {}): ArchiveManifest {
  return {
    archiveId: '00000000-0000-4000-8000-00000000beef',
    createdAt: '2026-11-20T08:00:00.000Z',
    format: 'openclaw-migrate',
    formatVersion: 1,
    gateway: {stopped: false, wasRunning: false},
    host: {source: null, version: null},
    locations: [{kind: 'state', profile: null, relPath: '', rootId: 'st', sourcePath: OLD_STATE}],
    node: 'v24.21.0',
    profiles: [
      {
        configPath: `${OLD_STATE}/openclaw.json`,
        counts: emptyCounts(),
        gatewayMode: 'local',
        lastTouchedVersion: null,
        plugins: [],
        profile: null,
        stateDir: OLD_STATE,
      },
    ],
    roots: [{archivePath: 'roots/st', id: 'st', kind: 'state', profile: null, sourcePath: OLD_STATE, type: 'dir'}],
    secrets: [{kind: 'env', path: 'roots/st/.env'}],
    selection: {agents: null, allProfiles: false, excludes: [], includeLogs: false, workspaces: true},
    skipped: [],
    source: {
      arch: 'x64',
      home: OLD_HOME,
      hostname: 'oldhost',
      platform: 'linux',
      profile: null,
      uid: 1000,
      user: 'olduser',
    },
    sqlite: [],
    symlinksOutside: [],
    tool: {name: '@openclaw/plugin-migrate', version: '0.1.0'},
    totals: {bytes: 0, dirs: 0, files: 0, symlinks: 0},
    warnings: [],
    ...overrides,
  }
}

/** A valid little state tree for minimalManifest(): dirs, files (one holding a planted secret), a symlink inside. */
export function minimalEntries(secret = 'sk-ant-api03-hostilefixture0000000000000000'): RawEntry[] {
  return [
    {path: 'roots/st/', type: 'Directory'},
    {
      body: Buffer.from('{\n  // config\n  gateway: { mode: "local" },\n}\n'),
      path: 'roots/st/openclaw.json',
      type: 'File',
    },
    {body: Buffer.from(`ANTHROPIC_API_KEY=${secret}\n`), path: 'roots/st/.env', type: 'File'},
    {path: 'roots/st/memory/', type: 'Directory'},
    {body: Buffer.from('# Day 1\n'), mode: 0o644, path: 'roots/st/memory/day-1.md', type: 'File'},
    {linkpath: 'memory/day-1.md', mode: 0o777, path: 'roots/st/today.md', type: 'SymbolicLink'},
  ]
}

/** Fills a manifest's totals from the entries, as the exporter's survey would. */
export function withTotals(manifest: ArchiveManifest, entries: RawEntry[]): ArchiveManifest {
  const payload = entries.filter((e) => e.path.startsWith('roots/'))
  const files = payload.filter((e) => e.type === 'File' || e.type === 'OldFile')
  return {
    ...manifest,
    totals: {
      bytes: files.reduce((n, e) => n + (e.body?.length ?? 0), 0),
      dirs: payload.filter((e) => e.type === 'Directory').length,
      files: files.length,
      symlinks: payload.filter((e) => e.type === 'SymbolicLink').length,
    },
  }
}

/** A valid archive (plain tar) built from minimalManifest() and minimalEntries(), with edits. */
export function craftValid(
  edit: (parts: {entries: RawEntry[]; manifest: ArchiveManifest}) => Partial<CraftOptions> | void = () => {},
): Buffer {
  const entries = minimalEntries()
  const manifest = withTotals(minimalManifest(), entries)
  const parts = {entries, manifest}
  const extra = edit(parts) ?? {}
  return craftTar({entries: parts.entries, manifest: parts.manifest, ...extra})
}

export function gzip(tar: Buffer): Buffer {
  return zlib.gzipSync(tar, {level: 6})
}

export function zstd(tar: Buffer): Buffer {
  return zlib.zstdCompressSync(tar, {params: {[zlib.constants.ZSTD_c_checksumFlag]: 1}})
}

/** age-encrypts to a passphrase (scrypt work factor lowered so tests stay fast; readers accept it) or to a recipient. */
export async function ageEncrypt(
  bytes: Buffer,
  key: {logN?: number; passphrase: string} | {recipient: string},
): Promise<Buffer> {
  const e = new Encrypter()
  if ('passphrase' in key) {
    e.setPassphrase(key.passphrase)
    e.setScryptWorkFactor(key.logN ?? 10)
  } else {
    e.addRecipient(key.recipient)
  }

  return Buffer.from(await e.encrypt(new Uint8Array(bytes)))
}

/** A copy with one bit flipped. */
export function flipBit(bytes: Buffer, bit: number): Buffer {
  const out = Buffer.from(bytes)
  out[Math.floor(bit / 8)] ^= 1 << (bit % 8)
  return out
}

export type TarSpan = {
  /** Offset and length of the body. */
  body: number
  /** Offset of the entry's (first, maybe PAX) header block. */
  header: number
  name: string
  size: number
}

/** Where each entry of a plain (well-formed) tar sits: for flipping bits in a chosen entry. */
export function tarLayout(tar: Buffer): TarSpan[] {
  const spans: TarSpan[] = []
  let off = 0
  let paxPath: string | undefined
  let paxStart: number | undefined
  while (off + BLOCK <= tar.length) {
    const block = tar.subarray(off, off + BLOCK)
    if (block.every((b) => b === 0)) break
    const h = new Header(block)
    const size = h.size ?? 0
    const bodyStart = off + BLOCK
    if (h.type === 'ExtendedHeader') {
      paxPath = Pax.parse(tar.subarray(bodyStart, bodyStart + size).toString('utf8')).path
      paxStart = off
    } else {
      spans.push({body: bodyStart, header: paxStart ?? off, name: paxPath ?? h.path ?? '', size})
      paxPath = undefined
      paxStart = undefined
    }

    off = bodyStart + Math.ceil(size / BLOCK) * BLOCK
  }

  return spans
}

export function span(tar: Buffer, name: string): TarSpan {
  const found = tarLayout(tar).find((s) => s.name === name || s.name === `${name}/`)
  if (!found) throw new Error(`no entry ${name} in the tar`)
  return found
}

export type LoadedArchive = {
  /** Payload entries in archive order, with their bodies. */
  entries: RawEntry[]
  manifest: ArchiveManifest
  manifestBytes: Buffer
}

const TAR_TYPE: Record<string, TarTypeName> = {dir: 'Directory', file: 'File', symlink: 'SymbolicLink'}

/**
 * Reads a valid plain tar (verified by the product's reader) into editable parts; `craftTar`
 * with these parts writes an equivalent archive.
 */
export async function loadArchive(tar: Buffer): Promise<LoadedArchive> {
  const layout = tarLayout(tar)
  const manifestSpan = layout.find((s) => s.name === MANIFEST_NAME)!
  const manifestBytes = Buffer.from(tar.subarray(manifestSpan.body, manifestSpan.body + manifestSpan.size))
  const entries: RawEntry[] = []
  const bodies = new Map<string, Buffer[]>()
  const read = await readArchive(Readable.from([tar]), {
    async file(entry) {
      const chunks: Buffer[] = []
      bodies.set(entry.path, chunks)
      return {async close() {}, write: (c: Buffer) => void chunks.push(Buffer.from(c))}
    },
  })
  for (const [key, seen] of read.entries) {
    entries.push({
      body: seen.type === 'file' ? Buffer.concat(bodies.get(key) ?? []) : undefined,
      linkpath: seen.linkpath,
      mode: seen.mode,
      mtime: new Date(seen.mtime),
      path: seen.type === 'dir' ? `${key}/` : key,
      type: TAR_TYPE[seen.type],
    })
  }

  read.entries.close()
  return {entries, manifest: read.manifest, manifestBytes}
}
