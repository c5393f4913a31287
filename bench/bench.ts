/**
 * `npm run bench`: openclaw-migrate export / import / check on generated OpenClaw homes of
 * several sizes, next to GNU tar (-czf, -xzf, sha256sum -c) on exactly the same trees and,
 * where a real OpenClaw is installed, its `openclaw backup create --verify`.
 *
 *   npm run bench -- [--sizes 60mb,600mb[,5gb]] [--runs N] [--data DIR] [--scratch DIR] [--only a,b] [--no-host] [--no-build] [--cli DIR] [--node OTHER_NODE]
 *
 * --node OTHER_NODE adds export / import / check (gzip, no encryption) run by that Node binary,
 * interleaved with the same jobs on this Node: e.g. the Node 22 of an old machine next to Node 24
 * (`npm install node@22` somewhere, then --node <dir>/node_modules/node/bin/node).
 *
 * --scratch DIR is where imports and `tar -xzf` write (default: the data dir). Point it at a
 * journaled filesystem: ext4 without a journal (this VM's root) makes creating files right after
 * deleting tens of thousands of others slow (its recently-deleted-inode check), which taxes
 * whichever job happens to run after a delete — up to 2x on the 600 MB size.
 *
 * --only keeps the jobs whose name contains one of the words; --cli DIR benchmarks an installed
 * layout prepared elsewhere (DIR/bin/run.js, e.g. a build with a patch applied) as it is.
 *
 * Method (also in BENCHMARKS.md):
 * - The CLI runs from an installed layout (a copy of bin/, dist/, package.json with a generated
 *   oclif.manifest.json, node_modules linked), so it measures what users run and is immune to
 *   edits in the working tree during a run. `npm run build` runs first unless --no-build.
 * - Every measured command runs under /usr/bin/time (wall, user, sys, peak RSS of the process
 *   and the children it waited for), after an untimed `sync` so write-back of the previous
 *   step does not land on the next one. Caches are warm for everyone (the trees fit in RAM).
 * - All jobs of a size run in one round, interleaved (ours next to GNU tar), and the order
 *   rotates from round to round; ratios are taken within a round, then the median over rounds.
 * - GNU tar gets the exact file set of the export: the roots and the skipped paths of
 *   `export --dry-run --json` become its members and --exclude list; sha256sum -c gets the
 *   sha256 of every file in that set.
 *
 * Data (homes, archives, extracted trees) lives under --data (default $BENCH_DATA, else
 * <tmpdir>/openclaw-migrate-bench); raw results go to bench/results/raw/ (git-ignored).
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {generateBenchHome, generateHostNativeHome, SIZES} from './generate-home.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const NODE = process.execPath
const TIME = '/usr/bin/time'
const HOST_SCRIPT = process.env.BENCH_OPENCLAW ?? '/work/research/host/node_modules/openclaw/openclaw.mjs'
const PASSPHRASE = 'correct horse battery staple, benchmark edition'
/** Bump when the generator changes, so old homes are regenerated. */
const GENERATOR_VERSION = '2'

type Args = {
  build: boolean
  cli?: string
  data: string
  host: boolean
  node?: string
  only: null | string[]
  runs?: number
  scratch?: string
  sizes: string[]
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string) => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }

  const sizes = (get('--sizes') ?? '60mb,600mb').split(',').map((s) => s.trim().toLowerCase())
  for (const s of sizes) if (!SIZES[s]) throw new Error(`unknown size ${s} (${Object.keys(SIZES).join(', ')})`)
  return {
    build: !argv.includes('--no-build'),
    cli: get('--cli'),
    node: get('--node') && path.resolve(get('--node')!),
    scratch: get('--scratch') && path.resolve(get('--scratch')!),
    data: path.resolve(get('--data') ?? process.env.BENCH_DATA ?? path.join(os.tmpdir(), 'openclaw-migrate-bench')),
    host: !argv.includes('--no-host'),
    only: get('--only')?.split(',') ?? null,
    runs: get('--runs') ? Number(get('--runs')) : undefined,
    sizes,
  }
}

// ------------------------------------------------------------------------------------------
// Running and timing

type Measurement = {
  archiveBytes?: number
  bytes?: number
  code: number
  job: string
  load: number
  note?: string
  round: number
  rssMB: number
  sys: number
  user: number
  wall: number
}

type RunResult = {
  code: number
  rssMB: number
  stderr: string
  stdout: string
  sys: number
  user: number
  wall: number
}

function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const key of Object.keys(env)) if (key.startsWith('OPENCLAW_')) delete env[key]
  delete env.CI
  delete env.NODE_OPTIONS
  env.NO_COLOR = '1'
  // Our Node first; no `openclaw` on PATH, so the CLI does not drive a host.
  env.PATH = [
    path.dirname(NODE),
    ...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, 'openclaw'))),
  ].join(path.delimiter)
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }

  return env
}

/** Runs a command under /usr/bin/time; wall from our own clock, CPU and peak RSS from time(1). */
function timed(cmd: string, args: string[], options: {cwd?: string; env: NodeJS.ProcessEnv}): Promise<RunResult> {
  const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.on('error', reject)
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9
      const text = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? ''
      fs.rmSync(timeFile, {force: true})
      const [user, sys, rss] = text.split(/\s+/).map(Number)
      resolve({
        code: code ?? -1,
        rssMB: rss / 1024,
        stderr: Buffer.concat(err).toString('utf8'),
        stdout: Buffer.concat(out).toString('utf8'),
        sys,
        user,
        wall,
      })
    })
  })
}

function load1(): number {
  return os.loadavg()[0]
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

function rmrf(target: string): void {
  fs.rmSync(target, {force: true, recursive: true})
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
      .split('\n', 1)[0]
      .trim()
  } catch {
    return 'not found'
  }
}

// ------------------------------------------------------------------------------------------
// Preparation: the installed CLI, homes, reference archives, GNU tar's file set

function installCli(args: Args): string {
  if (args.build) execFileSync('npm', ['run', 'build'], {cwd: REPO, env: cleanEnv({}), stdio: 'inherit'})
  const dir = path.join(args.data, 'cli')
  rmrf(dir)
  fs.mkdirSync(dir, {recursive: true})
  for (const item of ['bin', 'dist', 'package.json', 'openclaw.plugin.json']) {
    if (fs.existsSync(path.join(REPO, item))) fs.cpSync(path.join(REPO, item), path.join(dir, item), {recursive: true})
  }

  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'))
  execFileSync(NODE, [path.join(REPO, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest'], {
    cwd: dir,
    env: cleanEnv({}),
    stdio: 'ignore',
  })
  if (!fs.existsSync(path.join(dir, 'oclif.manifest.json'))) throw new Error('oclif manifest was not written')
  return path.join(dir, 'bin', 'run.js')
}

type Home = {
  bytes: number
  excludeFile: string
  files: number
  home: string
  /** Member paths (relative to home) and excluded paths for GNU tar: the export's exact file set. */
  members: string[]
  sumsFile: string
}

function ensureHome(dir: string, make: () => void): void {
  const marker = path.join(dir, '.bench-generator')
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === GENERATOR_VERSION) return
  rmrf(dir)
  const started = Date.now()
  make()
  fs.writeFileSync(marker, GENERATOR_VERSION)
  console.error(`  generated ${dir} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

/** The export's file set, from its own dry run, as GNU tar members/excludes and a SHA256SUMS file. */
async function describeHome(cli: string, home: string, work: string): Promise<Home> {
  const r = await timed(NODE, [cli, 'export', '--dry-run', '--json', '--no-encrypt'], {
    cwd: work,
    env: cleanEnv({HOME: home}),
  })
  if (r.code !== 0) throw new Error(`dry run failed: ${r.stderr}`)
  const plan = (JSON.parse(r.stdout) as {result: {roots: Array<{sourcePath: string}>; skipped: Array<{path: string}>}})
    .result
  const rel = (p: string) => path.relative(home, p)
  const members = plan.roots
    .map((root) => rel(root.sourcePath))
    .filter(
      (m) =>
        !plan.roots.some((o) => o.sourcePath !== m && rel(o.sourcePath) !== m && m.startsWith(`${rel(o.sourcePath)}/`)),
    )
  // Nested roots show up as skipped by their outer root ("exported as root ..."): they stay in.
  const rootPaths = new Set(plan.roots.map((root) => root.sourcePath))
  const excluded = new Set(plan.skipped.map((s) => s.path).filter((p) => !rootPaths.has(p)))
  const excludeFile = path.join(work, 'tar-exclude.txt')
  fs.writeFileSync(excludeFile, `${[...excluded].map(rel).join('\n')}\n`)
  // SHA256SUMS over the same set (computed once, untimed), for `sha256sum -c` after tar -xzf.
  const lines: string[] = []
  let bytes = 0
  const walk = (abs: string) => {
    if (excluded.has(abs)) return
    const st = fs.lstatSync(abs)
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) walk(path.join(abs, name))
    } else if (st.isFile()) {
      lines.push(`${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}  ${rel(abs)}`)
      bytes += st.size
    }
  }

  for (const m of members) walk(path.join(home, m))
  const sumsFile = path.join(work, 'SHA256SUMS')
  fs.writeFileSync(sumsFile, `${lines.join('\n')}\n`)
  return {bytes, excludeFile, files: lines.length, home, members, sumsFile}
}

// ------------------------------------------------------------------------------------------
// Jobs

type Context = {
  cli: string
  home: Home
  hostHome: Home | null
  identityFile: string
  recipient: string
  refs: Record<string, string>
  /** Where imports and extractions write. */
  scratch: string
  size: string
  work: string
}

type Job = {name: string; run: (ctx: Context, round: number) => Promise<Omit<Measurement, 'job' | 'load' | 'round'>>}

function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanEnv({HOME: home, ...extra})
}

function check(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`)
  return r
}

function exportJob(
  name: string,
  compression: 'gzip' | 'zstd',
  encryption: 'none' | 'passphrase' | 'recipient',
  which: 'home' | 'hostHome' = 'home',
  node = NODE,
): Job {
  return {
    name,
    async run(ctx, round) {
      const home = ctx[which]!
      const out = path.join(
        ctx.work,
        `out-${name}-${round}.tar${compression === 'gzip' ? '.gz' : '.zst'}${encryption === 'none' ? '' : '.age'}`,
      )
      rmrf(out)
      const keyArgs =
        encryption === 'none' ? ['--no-encrypt'] : encryption === 'recipient' ? ['--recipient', ctx.recipient] : []
      const r = check(
        await timed(node, [ctx.cli, 'export', '--json', '--compression', compression, ...keyArgs, '-o', out], {
          cwd: ctx.work,
          env: cliEnv(home.home, {OPENCLAW_MIGRATE_PASSPHRASE: encryption === 'passphrase' ? PASSPHRASE : undefined}),
        }),
        name,
      )
      const {result} = JSON.parse(r.stdout) as {result: {archiveBytes: number; payloadBytes: number}}
      rmrf(out)
      return {
        archiveBytes: result.archiveBytes,
        bytes: result.payloadBytes,
        code: r.code,
        rssMB: r.rssMB,
        sys: r.sys,
        user: r.user,
        wall: r.wall,
      }
    },
  }
}

function importJob(name: string, ref: string, keys: 'identity' | 'none' | 'passphrase', node = NODE): Job {
  return {
    name,
    async run(ctx) {
      const target = path.join(ctx.scratch, `import-target`)
      rmrf(target)
      fs.mkdirSync(target)
      const keyArgs = keys === 'identity' ? ['--identity', ctx.identityFile] : []
      const r = check(
        await timed(
          node,
          [
            ctx.cli,
            'import',
            ctx.refs[ref],
            '--no-host',
            '--json',
            ...keyArgs,
            ...(keys === 'passphrase' ? [] : ['--accept-placement']),
          ],
          {
            cwd: ctx.work,
            env: cliEnv(target, {OPENCLAW_MIGRATE_PASSPHRASE: keys === 'passphrase' ? PASSPHRASE : undefined}),
          },
        ),
        name,
      )
      const {result} = JSON.parse(r.stdout) as {result: {payloadBytes?: number; summary?: {payloadBytes?: number}}}
      rmrf(target)
      return {
        bytes: result.payloadBytes ?? ctx.home.bytes,
        code: r.code,
        rssMB: r.rssMB,
        sys: r.sys,
        user: r.user,
        wall: r.wall,
      }
    },
  }
}

function checkJob(name: string, ref: string, keys: 'identity' | 'none', node = NODE): Job {
  return {
    name,
    async run(ctx) {
      const empty = path.join(ctx.work, 'check-home')
      fs.mkdirSync(empty, {recursive: true})
      const keyArgs = keys === 'identity' ? ['--identity', ctx.identityFile] : []
      const r = check(
        await timed(node, [ctx.cli, 'check', ctx.refs[ref], '--json', ...keyArgs], {cwd: ctx.work, env: cliEnv(empty)}),
        name,
      )
      return {bytes: ctx.home.bytes, code: r.code, rssMB: r.rssMB, sys: r.sys, user: r.user, wall: r.wall}
    },
  }
}

function gnuTarCreate(name: string, compress: '--gzip' | '--zstd', which: 'home' | 'hostHome' = 'home'): Job {
  return {
    name,
    async run(ctx, round) {
      const home = ctx[which]!
      const out = path.join(ctx.work, `gnu-${name}-${round}.tar`)
      rmrf(out)
      const r = check(
        await timed(
          'tar',
          [
            '-c',
            compress,
            '-f',
            out,
            '-C',
            home.home,
            '--anchored',
            `--exclude-from=${home.excludeFile}`,
            ...home.members,
          ],
          {env: cleanEnv({})},
        ),
        name,
      )
      const {size} = fs.statSync(out)
      rmrf(out)
      return {
        archiveBytes: size,
        bytes: home.bytes,
        code: r.code,
        rssMB: r.rssMB,
        sys: r.sys,
        user: r.user,
        wall: r.wall,
      }
    },
  }
}

function gnuTarExtract(name: string): Job {
  return {
    name,
    async run(ctx) {
      const dir = path.join(ctx.scratch, 'gnu-extract')
      rmrf(dir)
      fs.mkdirSync(dir)
      const r = check(await timed('tar', ['-xzf', ctx.refs.gnu, '-C', dir], {env: cleanEnv({})}), name)
      return {bytes: ctx.home.bytes, code: r.code, rssMB: r.rssMB, sys: r.sys, user: r.user, wall: r.wall}
    },
  }
}

function gnuSha256(name: string): Job {
  return {
    name,
    async run(ctx) {
      const dir = path.join(ctx.scratch, 'gnu-extract')
      if (!fs.existsSync(dir)) {
        fs.mkdirSync(dir)
        execFileSync('tar', ['-xzf', ctx.refs.gnu, '-C', dir])
      }

      spawnSync('sync')
      const r = check(
        await timed('sha256sum', ['--quiet', '-c', ctx.home.sumsFile], {cwd: dir, env: cleanEnv({})}),
        name,
      )
      rmrf(dir)
      return {bytes: ctx.home.bytes, code: r.code, rssMB: r.rssMB, sys: r.sys, user: r.user, wall: r.wall}
    },
  }
}

function hostBackup(name: string): Job {
  return {
    name,
    async run(ctx, round) {
      const home = ctx.hostHome!
      const out = path.join(ctx.work, `host-backup-${round}`)
      rmrf(out)
      fs.mkdirSync(out)
      const r = check(
        await timed(NODE, [HOST_SCRIPT, 'backup', 'create', '--verify', '--json', '--output', out], {
          cwd: ctx.work,
          env: cleanEnv({HOME: home.home}),
        }),
        name,
      )
      const file = fs
        .readdirSync(out)
        .map((f) => path.join(out, f))
        .find((f) => f.endsWith('.tar.gz'))
      const size = file ? fs.statSync(file).size : NaN
      const result = JSON.parse(r.stdout) as {skippedVolatileCount?: number}
      rmrf(out)
      return {
        archiveBytes: size,
        bytes: home.bytes,
        code: r.code,
        note: `skipped ${result.skippedVolatileCount ?? '?'} "volatile" session files`,
        rssMB: r.rssMB,
        sys: r.sys,
        user: r.user,
        wall: r.wall,
      }
    },
  }
}

function jobsFor(withHost: boolean, otherNode?: string): Job[] {
  // Interleaved: ours next to the GNU tar job it is compared with.
  const jobs: Job[] = [
    gnuTarCreate('tar -czf', '--gzip'),
    exportJob('export gzip', 'gzip', 'none'),
    exportJob('export zstd', 'zstd', 'none'),
    gnuTarExtract('tar -xzf'),
    importJob('import gzip', 'gzip', 'none'),
    gnuSha256('sha256sum -c'),
    importJob('import zstd', 'zstd', 'none'),
    exportJob('export gzip+age(recipient)', 'gzip', 'recipient'),
    checkJob('check gzip', 'gzip', 'none'),
    gnuTarCreate('tar --zstd -cf', '--zstd'),
    exportJob('export zstd+age(recipient)', 'zstd', 'recipient'),
    importJob('import gzip+age(recipient)', 'gzipAge', 'identity'),
    checkJob('check zstd', 'zstd', 'none'),
    exportJob('export gzip+age(passphrase)', 'gzip', 'passphrase'),
    checkJob('check gzip+age(recipient)', 'gzipAge', 'identity'),
    importJob('import gzip+age(passphrase)', 'gzipPass', 'passphrase'),
  ]
  if (otherNode) {
    const v = execFileSync(otherNode, ['--version'], {encoding: 'utf8'}).trim()
    const here = process.version
    // Interleaved with the same jobs on this Node, so both see the same machine state.
    jobs.push(
      exportJob(`export gzip [${v}]`, 'gzip', 'none', 'home', otherNode),
      exportJob(`export gzip [${here}]`, 'gzip', 'none'),
      importJob(`import gzip [${v}]`, 'gzip', 'none', otherNode),
      importJob(`import gzip [${here}]`, 'gzip', 'none'),
      checkJob(`check gzip [${v}]`, 'gzip', 'none', otherNode),
      checkJob(`check gzip [${here}]`, 'gzip', 'none'),
    )
  }

  if (withHost) {
    jobs.push(
      hostBackup('host: openclaw backup create --verify'),
      exportJob('host home: export gzip', 'gzip', 'none', 'hostHome'),
      gnuTarCreate('host home: tar -czf', '--gzip', 'hostHome'),
    )
  }

  return jobs
}

async function makeReferences(ctx: Context): Promise<void> {
  const ref = async (key: string, args: string[], env: Record<string, string> = {}) => {
    const out = path.join(ctx.work, `ref-${key}`)
    if (!fs.existsSync(out))
      check(
        await timed(NODE, [ctx.cli, 'export', '--json', ...args, '-o', out], {
          cwd: ctx.work,
          env: cliEnv(ctx.home.home, env),
        }),
        `reference ${key}`,
      )
    ctx.refs[key] = out
  }

  await ref('gzip', ['--compression', 'gzip', '--no-encrypt'])
  await ref('zstd', ['--compression', 'zstd', '--no-encrypt'])
  await ref('gzipAge', ['--compression', 'gzip', '--recipient', ctx.recipient])
  await ref('gzipPass', ['--compression', 'gzip'], {OPENCLAW_MIGRATE_PASSPHRASE: PASSPHRASE})
  ctx.refs.gnu = path.join(ctx.work, 'ref-gnu.tar.gz')
  if (!fs.existsSync(ctx.refs.gnu))
    execFileSync('tar', [
      '-czf',
      ctx.refs.gnu,
      '-C',
      ctx.home.home,
      '--anchored',
      `--exclude-from=${ctx.home.excludeFile}`,
      ...ctx.home.members,
    ])
}

// ------------------------------------------------------------------------------------------
// Reporting

type SizeReport = {
  helpRuns?: Array<{rssMB: number; wall: number}>
  home: {bytes: number; files: number}
  hostHome: null | {bytes: number; files: number}
  measurements: Measurement[]
  runs: number
  size: string
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–')
const mb = (bytes: number) => bytes / 1e6

function summarize(report: SizeReport): string {
  const byJob = new Map<string, Measurement[]>()
  for (const m of report.measurements) byJob.set(m.job, [...(byJob.get(m.job) ?? []), m])
  const lines = [
    `### ${report.size}: ${report.home.files} files, ${fmt(mb(report.home.bytes), 1)} MB exported${report.hostHome ? ` (host-native home: ${report.hostHome.files} files, ${fmt(mb(report.hostHome.bytes), 1)} MB)` : ''}; ${report.runs} round(s), medians`,
    '',
    '| job | wall s | user s | sys s | CPU s | peak RSS MB | MB/s | archive MB | wall ratio | CPU ratio | load |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  /** Per-round ratio against the baseline job of the same round, then the median. */
  const ratioTo = (job: string, base: string, of: (m: Measurement) => number): number => {
    const ratios: number[] = []
    for (const m of byJob.get(job) ?? []) {
      const b = (byJob.get(base) ?? []).find((x) => x.round === m.round)
      if (b) ratios.push(of(m) / of(b))
    }

    return median(ratios)
  }

  const baseOf = (job: string): null | string => {
    if (job.startsWith('host home: export') || job.startsWith('host:')) return 'host home: tar -czf'
    if (job.startsWith('export')) return 'tar -czf'
    if (job.startsWith('import')) return 'tar -xzf'
    return null
  }

  for (const [job, ms] of byJob) {
    const wall = median(ms.map((m) => m.wall))
    const bytes = median(ms.map((m) => m.bytes ?? NaN))
    const base = baseOf(job)
    lines.push(
      `| ${job} | ${fmt(wall)} | ${fmt(median(ms.map((m) => m.user)))} | ${fmt(median(ms.map((m) => m.sys)))} | ${fmt(median(ms.map((m) => m.user + m.sys)))} | ${fmt(median(ms.map((m) => m.rssMB)), 0)} | ${fmt(mb(bytes) / wall, 0)} | ${fmt(mb(median(ms.map((m) => m.archiveBytes ?? NaN))), 1)} | ${base ? `${fmt(ratioTo(job, base, (m) => m.wall))}x ${base}` : ''} | ${base ? `${fmt(ratioTo(job, base, (m) => m.user + m.sys))}x` : ''} | ${fmt(median(ms.map((m) => m.load)), 1)} |`,
    )
  }

  const notes = [...new Set(report.measurements.filter((m) => m.note).map((m) => `${m.job}: ${m.note}`))]
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`))
  if (report.helpRuns)
    lines.push(
      '',
      `\`openclaw-migrate --help\` (installed layout, oclif.manifest.json): median ${fmt(median(report.helpRuns.map((h) => h.wall)) * 1000, 0)} ms, peak RSS ${fmt(median(report.helpRuns.map((h) => h.rssMB)), 0)} MB over ${report.helpRuns.length} runs`,
    )
  return lines.join('\n')
}

function machine(): Record<string, string> {
  return {
    cpu: `${os.cpus()[0]?.model ?? '?'} × ${os.availableParallelism()}`,
    git: version('git', ['-C', REPO, 'describe', '--always', '--dirty']),
    gzip: version('gzip', ['--version']),
    host: fs.existsSync(HOST_SCRIPT) ? version(NODE, [HOST_SCRIPT, '--version']) : 'not installed',
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    ram: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    sha256sum: version('sha256sum', ['--version']),
    tar: version('tar', ['--version']),
    zstd: version('zstd', ['--version']),
  }
}

// ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const summarizeAt = process.argv.indexOf('--summarize')
  if (summarizeAt !== -1) {
    // Re-render tables from raw result files: --summarize FILE.json [FILE.json...]
    for (const file of process.argv.slice(summarizeAt + 1))
      console.log(`${summarize((JSON.parse(fs.readFileSync(file, 'utf8')) as {report: SizeReport}).report)}\n`)
    return
  }

  const args = parseArgs(process.argv.slice(2))
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time`)
  if (Number(process.versions.node.split('.', 1)[0]) < 24)
    throw new Error(`Node ${process.version}: run through npm (node_modules/.bin/node is Node 24)`)
  fs.mkdirSync(args.data, {recursive: true})
  const free = fs.statfsSync(args.data)
  // A home, four reference archives and the extracted copies: about five times the size, less what an earlier run left.
  const needed = args.sizes.reduce(
    (n, s) => n + (fs.existsSync(path.join(args.data, s, 'work', 'ref-gnu.tar.gz')) ? 0 : SIZES[s].bytes * 5),
    0,
  )
  console.error(
    `data in ${args.data}: ${((free.bavail * free.bsize) / 1e9).toFixed(0)} GB free, about ${(needed / 1e9).toFixed(0)} GB needed`,
  )
  if (free.bavail * free.bsize < needed) throw new Error('not enough free disk for the requested sizes')
  const withHost = args.host && fs.existsSync(HOST_SCRIPT)
  if (args.host && !withHost)
    console.error(`no OpenClaw at ${HOST_SCRIPT} (set BENCH_OPENCLAW): skipping the openclaw backup comparison`)

  const info = machine()
  console.error(JSON.stringify(info, null, 2))
  const cli = args.cli ? path.resolve(args.cli, 'bin', 'run.js') : installCli(args)

  const keysDir = path.join(args.data, 'keys')
  fs.mkdirSync(keysDir, {recursive: true})
  const identityFile = path.join(keysDir, 'identity.txt')
  const {generateX25519Identity, identityToRecipient} = await import('age-encryption')
  if (!fs.existsSync(identityFile)) fs.writeFileSync(identityFile, `${await generateX25519Identity()}\n`, {mode: 0o600})
  const recipient = await identityToRecipient(fs.readFileSync(identityFile, 'utf8').trim())

  const stamp = new Date().toISOString().replaceAll(/[:.]/g, '-')
  const rawDir = path.join(REPO, 'bench', 'results', 'raw')
  fs.mkdirSync(rawDir, {recursive: true})
  const reports: SizeReport[] = []
  for (const size of args.sizes) {
    console.error(`\n== ${size}`)
    const base = path.join(args.data, size)
    const work = path.join(base, 'work')
    fs.mkdirSync(work, {recursive: true})
    ensureHome(path.join(base, 'home'), () => generateBenchHome(path.join(base, 'home'), SIZES[size]))
    const home = await describeHome(cli, path.join(base, 'home'), work)
    let hostHome: Home | null = null
    if (withHost) {
      ensureHome(path.join(base, 'host-home'), () =>
        generateHostNativeHome(path.join(base, 'host-home'), SIZES[size], {node: NODE, script: HOST_SCRIPT}),
      )
      const hostWork = path.join(work, 'host')
      fs.mkdirSync(hostWork, {recursive: true})
      hostHome = await describeHome(cli, path.join(base, 'host-home'), hostWork)
    }

    const scratch = args.scratch ? path.join(args.scratch, size) : work
    fs.mkdirSync(scratch, {recursive: true})
    const ctx: Context = {cli, home, hostHome, identityFile, recipient, refs: {}, scratch, size, work}
    await makeReferences(ctx)
    const runs = args.runs ?? (SIZES[size].bytes >= 1e9 ? 1 : 3)
    const jobs = jobsFor(withHost, args.node).filter((j) => !args.only || args.only.some((o) => j.name.includes(o)))
    const report: SizeReport = {
      home: {bytes: home.bytes, files: home.files},
      hostHome: hostHome && {bytes: hostHome.bytes, files: hostHome.files},
      measurements: [],
      runs,
      size,
    }
    for (let round = 0; round < runs; round++) {
      const order = jobs.map((_, i) => jobs[(i + round * 5) % jobs.length])
      for (const job of order) {
        spawnSync('sync')
        const load = load1()
        const m = await job.run(ctx, round)
        const measurement: Measurement = {...m, job: job.name, load, round}
        report.measurements.push(measurement)
        console.error(
          `  [${size} r${round}] ${job.name.padEnd(40)} ${fmt(m.wall).padStart(8)} s  cpu ${fmt(m.user + m.sys).padStart(7)} s  rss ${fmt(m.rssMB, 0).padStart(5)} MB  load ${fmt(load, 1)}`,
        )
      }

      fs.writeFileSync(path.join(rawDir, `${stamp}-${size}.json`), JSON.stringify({info, report}, null, 2))
    }

    if (size === args.sizes[0] && !args.only) {
      report.helpRuns = []
      for (let i = 0; i < 10; i++) {
        const r = await timed(NODE, [cli, '--help'], {env: cleanEnv({HOME: os.tmpdir()})})
        report.helpRuns.push({rssMB: r.rssMB, wall: r.wall})
      }
    }

    fs.writeFileSync(path.join(rawDir, `${stamp}-${size}.json`), JSON.stringify({info, report}, null, 2))
    reports.push(report)
    console.log(`\n${summarize(report)}\n`)
  }

  const summary = [
    `Machine: ${Object.entries(info)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
    '',
    ...reports.map((r) => summarize(r)),
  ].join('\n\n')
  fs.writeFileSync(path.join(rawDir, `${stamp}.md`), `${summary}\n`)
  console.error(`\nraw results and summary: ${rawDir}/${stamp}*`)
}

await main()
