/**
 * Generates a realistic OpenClaw home at benchmark scale. It starts from the test fixture
 * (test/support/home-generator.ts: config with $include, credentials, WAL-mode SQLite databases
 * with absolute paths, workspaces inside and outside the state dir, symlinks, skippable dirs) and
 * adds bulk data in the proportions of a long-lived install:
 *
 *   - session transcripts (agents/<id>/sessions/<uuid>.jsonl): JSON lines of chat and tool turns,
 *     text drawn word by word from a skewed vocabulary, so it compresses like real chat (~3-4x gzip)
 *   - cold transcript archives (*.jsonl.zst): the same kind of text, zstd-compressed (incompressible)
 *   - media (media/inbound, media/outbound): incompressible bytes (photos, voice notes, PDFs)
 *   - SQLite databases in WAL mode: the agents' session stores (from the fixture) and a memory
 *     index per agent (text chunks + float32 embeddings)
 *   - many small credential files (Baileys-style WhatsApp auth state)
 *   - workspace markdown (daily memory notes, skills, project notes) and small project sources
 *   - node_modules trees in an extension and a workspace project, which the export skips
 *
 * Everything is deterministic for a given size and seed (AES-CTR keystream for "random" bytes).
 *
 * The fixture's config and databases are close to the host's but not canonical for a real
 * OpenClaw (its backup refuses them), so `--host-native OPENCLAW_MJS` builds a second variant for
 * the comparison with `openclaw backup create`: the real host creates the home
 * (`openclaw setup --baseline`), then the same bulk data is added to its state dir and workspace.
 *
 *   node --import tsx bench/generate-home.ts --size 600mb --out /work/bench-data/600mb/home
 *   node --import tsx bench/generate-home.ts --size 600mb --out DIR --host-native /path/to/openclaw.mjs
 */
import {execFileSync} from 'node:child_process'
import {createCipheriv, createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'
import {zstdCompressSync} from 'node:zlib'

import {generateHome} from '../test/support/home-generator.js'

export type BenchSize = {
  /** Approximate bytes the export carries. */
  bytes: number
  /** Approximate number of files the export carries (node_modules comes on top and is skipped). */
  files: number
  name: string
}

export const SIZES: Record<string, BenchSize> = {
  '5gb': {bytes: 5 * 1000 ** 3, files: 110_000, name: '5gb'},
  '60mb': {bytes: 60 * 1000 ** 2, files: 3000, name: '60mb'},
  '600mb': {bytes: 600 * 1000 ** 2, files: 27_000, name: '600mb'},
}

/** A small, fast, seeded PRNG (mulberry32). */
function prng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0)
  return () => {
    a = (a + 0x6d_2b_79_f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Deterministic incompressible bytes: an AES-128-CTR keystream. */
function noise(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(`noise:${seed}`).digest()
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32))
  return cipher.update(Buffer.alloc(size))
}

const SYLLABLES = [
  'ka',
  're',
  'mi',
  'to',
  'lan',
  'sor',
  'vel',
  'da',
  'ne',
  'pu',
  'gri',
  'ost',
  'ber',
  'fin',
  'ul',
  'tra',
  'me',
  'zo',
  'chi',
  'wen',
  'ap',
  'lo',
  'sti',
  'qua',
  'ir',
  'mon',
  'dre',
  'ex',
  'ha',
  'vo',
]
const COMMON =
  'the a to and of in is it you that for on with this be are as at we can not your have do will from or by i my an if so what but all about there one which when'.split(
    ' ',
  )

/** Text with a skewed word distribution: common words often, a long tail of rarer ones. */
class TextSource {
  private readonly words: string[]
  constructor(private readonly rand: () => number) {
    const words = new Set<string>()
    while (words.size < 6000) {
      const n = 1 + Math.floor(rand() * 3.2)
      let w = ''
      for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)]
      words.add(w)
    }

    this.words = [...words]
  }

  word(): string {
    const r = this.rand()
    if (r < 0.38) return COMMON[Math.floor(this.rand() * COMMON.length)]
    // Zipf-ish: small indexes far more often.
    const x = this.rand()
    return this.words[Math.floor(x * x * x * this.words.length)]
  }

  sentence(): string {
    const n = 5 + Math.floor(this.rand() * 16)
    let s = this.word()
    s = s[0].toUpperCase() + s.slice(1)
    for (let i = 1; i < n; i++) s += ` ${this.word()}`
    if (this.rand() < 0.08) s += ` ${Math.floor(this.rand() * 100_000)}`
    return `${s}${this.rand() < 0.15 ? '?' : '.'}`
  }

  paragraph(sentences: number): string {
    const out: string[] = []
    for (let i = 0; i < sentences; i++) out.push(this.sentence())
    return out.join(' ')
  }
}

function uuid(rand: () => number): string {
  const hex = () =>
    Math.floor(rand() * 0x1_00_00_00_00)
      .toString(16)
      .padStart(8, '0')
  const h = hex() + hex() + hex() + hex()
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** A session transcript in the host's JSONL shape, about `bytes` long. */
function transcript(text: TextSource, rand: () => number, bytes: number, workspace: string): string {
  const id = uuid(rand)
  const lines = [
    JSON.stringify({cwd: workspace, id, timestamp: '2026-03-01T08:00:00.000Z', type: 'session', version: 3}),
  ]
  let size = lines[0].length
  let t = Date.UTC(2026, 2, 1, 8)
  let parent = id
  let i = 0
  while (size < bytes) {
    t += Math.floor(rand() * 90_000)
    const entryId = uuid(rand).slice(0, 8)
    const kind = i % 4
    let message: unknown
    if (kind === 0)
      message = {
        content: [{text: text.paragraph(1 + Math.floor(rand() * 3)), type: 'text'}],
        role: 'user',
        timestamp: t,
      }
    else if (kind === 1) {
      message = {
        api: 'anthropic-messages',
        content: [
          {text: text.paragraph(2 + Math.floor(rand() * 6)), type: 'text'},
          {
            arguments: {command: `grep -rn ${text.word()} ${workspace}/memory`},
            id: `toolu_${entryId}`,
            name: 'exec',
            type: 'toolCall',
          },
        ],
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        role: 'assistant',
        stopReason: 'toolUse',
        timestamp: t,
        usage: {
          cacheRead: Math.floor(rand() * 40_000),
          input: Math.floor(rand() * 9000),
          output: Math.floor(rand() * 1500),
          totalTokens: Math.floor(rand() * 50_000),
        },
      }
    } else if (kind === 2) {
      const out: string[] = []
      const n = 2 + Math.floor(rand() * 12)
      for (let k = 0; k < n; k++)
        out.push(
          `${workspace}/memory/2026-0${1 + (k % 9)}-${String(1 + ((k * 7) % 28)).padStart(2, '0')}.md:${1 + Math.floor(rand() * 200)}: ${text.sentence()}`,
        )
      message = {
        content: [{text: out.join('\n'), type: 'text'}],
        isError: false,
        role: 'toolResult',
        timestamp: t,
        toolCallId: `toolu_${entryId}`,
        toolName: 'exec',
      }
    } else
      message = {
        content: [{text: text.paragraph(1 + Math.floor(rand() * 5)), type: 'text'}],
        role: 'assistant',
        stopReason: 'stop',
        timestamp: t,
      }
    const line = JSON.stringify({
      id: entryId,
      message,
      parentId: parent,
      timestamp: new Date(t).toISOString(),
      type: 'message',
    })
    parent = entryId
    lines.push(line)
    size += line.length + 1
    i++
  }

  return `${lines.join('\n')}\n`
}

/** Draws sizes around a mean with a long tail (a few big, many small), summing to about `total`. */
function sizes(rand: () => number, count: number, total: number, min: number): number[] {
  const raw = Array.from({length: count}, () => {
    const r = rand()
    return (-Math.log(1 - r * 0.9999)) ** 1.6
  })
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((r) => Math.max(min, Math.round((r / sum) * total)))
}

function write(file: string, content: Buffer | string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
  fs.writeFileSync(file, content, {mode})
}

export type GeneratedBenchHome = {
  /** What the bulk generator added (the fixture's own files come on top). */
  added: Record<string, {bytes: number; files: number}>
  home: string
  size: BenchSize
  stateDir: string
}

type BulkTarget = {
  /** Agent ids with a sessions dir, and the workspace each one uses. */
  agents: Array<{id: string; workspace: string}>
  /** Share of the bytes the fixture already put in SQLite session stores. */
  fixtureBytesShare: number
  /** A workspace project whose node_modules the export skips. */
  projectDir: string
  stateDir: string
  workspaces: string[]
}

function addBulk(target: BulkTarget, size: BenchSize, seed: string, added: GeneratedBenchHome['added']): void {
  const rand = prng(`${seed}:${size.name}`)
  const text = new TextSource(rand)
  const {bytes: B, files: F} = size
  const {stateDir, workspaces} = target
  const count = (kind: string, n: number) => {
    added[kind] ??= {bytes: 0, files: 0}
    added[kind].files++
    added[kind].bytes += n
  }

  const put = (kind: string, file: string, content: Buffer | string, mode = 0o600) => {
    write(file, content, mode)
    count(kind, typeof content === 'string' ? Buffer.byteLength(content) : content.length)
  }

  const agentFor = (i: number) => target.agents[i % 3 === 2 && target.agents.length > 1 ? 1 : 0]

  // Session transcripts (legacy JSONL store and exported sessions): 38% of the bytes (+ what the fixture did not use).
  const transcripts = Math.round(F * 0.05)
  for (const [i, n] of sizes(rand, transcripts, B * (0.38 + 0.06 - target.fixtureBytesShare), 2000).entries()) {
    const agent = agentFor(i)
    put(
      'transcripts',
      path.join(stateDir, 'agents', agent.id, 'sessions', `${uuid(rand)}.jsonl`),
      transcript(text, rand, n, agent.workspace),
    )
  }

  // Cold archives: zstd-compressed transcripts, 10% of the bytes (as stored).
  const cold = Math.round(F * 0.03)
  for (const [i, n] of sizes(rand, cold, B * 0.1 * 4, 4000).entries()) {
    const agent = agentFor(i)
    const body = zstdCompressSync(Buffer.from(transcript(text, rand, n, agent.workspace)))
    put(
      'cold archives',
      path.join(
        stateDir,
        'agents',
        agent.id,
        'sessions',
        'cold',
        `${createHash('sha256').update(`${seed}${i}`).digest('hex')}.jsonl.zst`,
      ),
      body,
    )
  }

  // Media: incompressible, 30% of the bytes.
  const media = Math.max(4, Math.round(F * 0.02))
  const ext = ['jpg', 'jpg', 'png', 'ogg', 'pdf', 'mp4']
  for (const [i, n] of sizes(rand, media, B * 0.3, 8000).entries()) {
    const dir = i % 4 === 0 ? 'outbound' : 'inbound'
    put(
      'media',
      path.join(stateDir, 'media', dir, `${uuid(rand)}.${ext[i % ext.length]}`),
      noise(`${seed}:media:${size.name}:${i}`, n),
    )
  }

  // Memory index per agent (WAL mode): text chunks and float32 embeddings, 6% of the bytes.
  for (const agent of target.agents) {
    const file = path.join(stateDir, 'memory', `${agent.id}.sqlite`)
    fs.mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
    const db = new DatabaseSync(file)
    db.exec(`PRAGMA journal_mode=WAL;
      CREATE TABLE files (path TEXT PRIMARY KEY, source TEXT NOT NULL, hash TEXT NOT NULL, mtime INTEGER NOT NULL, size INTEGER NOT NULL);
      CREATE TABLE chunks (id TEXT PRIMARY KEY, path TEXT NOT NULL, start_line INTEGER, end_line INTEGER, text TEXT NOT NULL, embedding BLOB NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX idx_chunks_path ON chunks(path);`)
    const insert = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)')
    const chunkBytes = 700 + 1536
    const chunks = Math.max(10, Math.round((B * 0.06) / target.agents.length / chunkBytes))
    db.exec('BEGIN')
    for (let c = 0; c < chunks; c++) {
      const p = `${agent.workspace}/memory/note-${c % 400}.md`
      // 384 float32 values; quantised to 1/256 like real embeddings, not pure noise.
      const emb = Buffer.alloc(1536)
      for (let k = 0; k < 384; k++) emb.writeFloatLE(Math.round((rand() * 2 - 1) * 256) / 256, k * 4)
      insert.run(uuid(rand), p, c, c + 20, text.paragraph(5), emb, 1_763_000_000_000 + c)
    }

    db.exec('COMMIT')
    db.close()
    count('memory index (sqlite)', fs.statSync(file).size)
  }

  // Workspace markdown: daily notes, skills, project notes; small project sources.
  const notes = Math.round(F * 0.3)
  for (const [i, n] of sizes(rand, notes, B * 0.04, 200).entries()) {
    const ws = workspaces[i % workspaces.length]
    const kind = i % 10
    const rel =
      kind < 5
        ? path.join('memory', `${2024 + (i % 3)}`, String(1 + (i % 12)).padStart(2, '0'), `note-${i}.md`)
        : kind < 7
          ? path.join('skills', `skill-${i % 97}`, i % 97 === i % 194 ? 'SKILL.md' : `ref-${i}.md`)
          : path.join('projects', `p${i % 31}`, 'docs', `doc-${i}.md`)
    let body = `# ${text.sentence()}\n\n`
    while (body.length < n) body += `${text.paragraph(3)}\n\n- ${text.sentence()}\n- ${text.sentence()}\n\n`
    put('workspace markdown', path.join(ws, rel), body, 0o644)
  }

  const sources = Math.round(F * 0.12)
  for (const [i, n] of sizes(rand, sources, B * 0.02, 300).entries()) {
    const ws = workspaces[i % workspaces.length]
    let body = `// ${text.sentence()}\nexport function f${i}(input: string): string {\n`
    while (body.length < n)
      body += `  const ${text.word()}${i} = input.replace(/${text.word()}/g, '${text.word()}') // ${text.sentence()}\n`
    body += '  return input\n}\n'
    put('workspace sources', path.join(ws, 'projects', `p${i % 31}`, 'src', `m${i}.ts`), body, 0o644)
  }

  // Many small credential files: Baileys-style sessions and sender keys (the fixture adds pre-keys).
  const creds = Math.round(F * (target.fixtureBytesShare > 0 ? 0.1 : 0.4))
  for (let i = 0; i < creds; i++) {
    const name =
      i % 3 === 0
        ? `app-state-sync-key-${i}.json`
        : i % 3 === 1
          ? `session-${uuid(rand).slice(0, 13)}.json`
          : `sender-key-${uuid(rand).slice(0, 8)}--${i}.json`
    put(
      'credentials',
      path.join(stateDir, 'credentials', 'whatsapp', 'default', name),
      JSON.stringify({
        _sessions: {
          [noise(`${seed}:c:${i}`, 24).toString('base64')]: {
            chainKey: noise(`${seed}:k:${i}`, 32).toString('base64'),
            index: i,
          },
        },
      }),
    )
  }

  // node_modules in a workspace project: skipped by the export, but GNU tar would carry it.
  const deps = Math.round(F * 0.08)
  for (let i = 0; i < deps; i++) {
    const body = `'use strict'\n// ${text.sentence()}\nmodule.exports = function dep${i}() { return ${i} }\n`
    write(path.join(target.projectDir, 'node_modules', `pkg-${i % 60}`, 'lib', `f${i}.js`), body, 0o644)
    count('node_modules (skipped)', body.length)
  }
}

export function generateBenchHome(home: string, size: BenchSize, seed = 'bench'): GeneratedBenchHome {
  const {bytes: B, files: F} = size
  const added: GeneratedBenchHome['added'] = {}
  fs.mkdirSync(home, {recursive: true})
  // The fixture: session rows in the agents' SQLite stores (~6% of the bytes), cold archives for
  // half of them, credentials, config, workspaces. Closed cleanly: WAL-mode databases as a stopped
  // gateway leaves them (journal_mode=wal in the header, WAL checkpointed).
  const sessions = Math.max(4, Math.round(F / 120))
  const fixture = generateHome({
    credentialFiles: Math.round(F * 0.3),
    home,
    mediaBytes: 64 * 1024,
    mediaFiles: 2,
    nodeModulesFiles: Math.round(F * 0.1),
    profile: null,
    seed,
    sessionBytes: Math.round((B * 0.06) / (2 * sessions)),
    sessions,
    walPending: false,
    workspaceNotes: Math.round(F * 0.05),
  })
  addBulk(
    {
      agents: [
        {id: 'main', workspace: fixture.defaultWorkspace},
        {id: 'research', workspace: fixture.externalWorkspace},
      ],
      fixtureBytesShare: 0.06,
      projectDir: path.join(fixture.externalWorkspace, 'projects', 'app'),
      stateDir: fixture.stateDir,
      workspaces: [fixture.defaultWorkspace, fixture.externalWorkspace],
    },
    size,
    seed,
    added,
  )
  return {added, home, size, stateDir: fixture.stateDir}
}

/** The host-native variant: the real OpenClaw creates the home, then the same bulk data goes in. */
export function generateHostNativeHome(
  home: string,
  size: BenchSize,
  openclaw: {node: string; script: string},
  seed = 'bench',
): GeneratedBenchHome {
  const added: GeneratedBenchHome['added'] = {}
  fs.mkdirSync(home, {recursive: true})
  const env = {
    ...process.env,
    HOME: home,
    PATH: `${path.dirname(openclaw.node)}${path.delimiter}${process.env.PATH ?? ''}`,
  }
  for (const key of Object.keys(env)) if (key.startsWith('OPENCLAW_')) delete env[key]
  execFileSync(openclaw.node, [openclaw.script, 'setup', '--baseline'], {env, stdio: 'ignore'})
  const stateDir = path.join(home, '.openclaw')
  const workspace = path.join(stateDir, 'workspace')
  addBulk(
    {
      agents: [{id: 'main', workspace}],
      fixtureBytesShare: 0,
      projectDir: path.join(workspace, 'projects', 'app'),
      stateDir,
      workspaces: [workspace],
    },
    size,
    seed,
    added,
  )
  return {added, home, size, stateDir}
}

function parseArgs(argv: string[]): {hostNative?: string; out: string; seed: string; size: string} {
  const get = (flag: string) => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }

  const size = get('--size') ?? '60mb'
  const out = get('--out')
  if (!out || !SIZES[size]) {
    console.error(`usage: generate-home.ts --size ${Object.keys(SIZES).join('|')} --out DIR [--seed S]`)
    process.exit(2)
  }

  return {hostNative: get('--host-native'), out, seed: get('--seed') ?? 'bench', size}
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('generate-home.ts')) {
  const args = parseArgs(process.argv.slice(2))
  if (fs.existsSync(args.out) && fs.readdirSync(args.out).length > 0) {
    console.error(`${args.out} exists and is not empty; remove it first.`)
    process.exit(2)
  }

  const started = Date.now()
  const result = args.hostNative
    ? generateHostNativeHome(args.out, SIZES[args.size], {node: process.execPath, script: args.hostNative}, args.seed)
    : generateBenchHome(args.out, SIZES[args.size], args.seed)
  console.log(
    JSON.stringify(
      {added: result.added, home: result.home, seconds: (Date.now() - started) / 1000, stateDir: result.stateDir},
      null,
      2,
    ),
  )
}
