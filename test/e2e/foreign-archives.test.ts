/**
 * Archives made by the real OpenClaw and by the guide's tar, imported with the real host chain.
 * Machine A (profile work) is set up by the host itself (`setup --baseline`), given a note in its
 * workspace, then archived twice: `openclaw backup create` and `cd ~ && tar -czf … .openclaw-work`.
 * Each archive is imported on its own machine B (another absolute HOME, onboarded with `setup
 * --baseline`) through the standalone face, and checked with the host's own commands and with
 * `check --against`.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {E2E_OPENCLAW_VERSION} from './host-version.js'
import {ensureHost, type Host, Machine, machineEnv, REPO_ROOT} from './support/openclaw.js'
import {describeRun, parseJson, runProcess, type RunResult} from './support/proc.js'

const DEV_BIN = path.join(REPO_ROOT, 'bin', 'dev.js')

function tool(machine: Machine, args: string[]): Promise<RunResult> {
  return runProcess(process.execPath, [DEV_BIN, ...args], {
    env: machineEnv(machine.host, machine.home),
    timeoutMs: 600_000,
  })
}

describe(`foreign archives with the real OpenClaw ${E2E_OPENCLAW_VERSION}`, () => {
  let host: Host
  let root: string
  let A: Machine
  const note = `# Memory\n\nThe garden gate code is 4711 (${Date.now()}).\n`
  const archives: Record<string, string> = {}

  before(async () => {
    host = await ensureHost(E2E_OPENCLAW_VERSION)
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-foreign-e2e-'))
    A = new Machine(host, path.join(root, 'machine-a', 'home', 'alice'), 'A')
    await A.ocOk(['setup', '--baseline'])
    const workspace = path.join(A.stateDir, 'workspace')
    fs.mkdirSync(workspace, {recursive: true})
    fs.writeFileSync(path.join(workspace, 'MEMORY.md'), note)
    const out = path.join(root, 'backups')
    fs.mkdirSync(out)
    await A.ocOk(['backup', 'create', '--output', out])
    archives.backup = path.join(
      out,
      fs.readdirSync(out).find((f) => f.endsWith('.tar.gz'))!,
    )
    archives.guide = path.join(root, 'openclaw-state.tgz')
    const tar = spawnSync('tar', ['-czf', archives.guide, '.openclaw-work'], {cwd: A.home, encoding: 'utf8'})
    expect(tar.status, tar.stderr).to.equal(0)
  })

  after(() => {
    if (root) fs.rmSync(root, {force: true, recursive: true})
  })

  for (const kind of ['backup', 'guide'] as const) {
    it(`imports the ${kind === 'backup' ? '`openclaw backup create`' : 'guide tar'} archive into an onboarded home: host chain green, files in place, check --against ready`, async () => {
      const B = new Machine(host, path.join(root, `machine-b-${kind}`, 'users', 'bob-the-builder'), `B-${kind}`)
      await B.ocOk(['setup', '--baseline'])
      const checked = await tool(B, ['check', archives[kind], '--json'])
      expect(checked.code, describeRun(checked)).to.equal(0)
      expect(parseJson(checked.stdout).result.summary.foreign.verification).to.equal(
        'no index: structural verification only',
      )

      const imported = await tool(B, ['import', archives[kind], '--no-restart', '--json'])
      expect(imported.code, describeRun(imported)).to.equal(0)
      const out = parseJson(imported.stdout).result
      expect(out.foreign.kind).to.equal(kind === 'backup' ? 'openclaw-backup' : 'guide-tar')
      expect(out.verification.ok, JSON.stringify(out.verification.checks)).to.equal(true)
      expect(out.movedAside.map((m: any) => m.target)).to.include(B.stateDir)

      expect(fs.readFileSync(path.join(B.stateDir, 'workspace', 'MEMORY.md'), 'utf8')).to.equal(note)
      const config = fs.readFileSync(B.configPath, 'utf8')
      expect(config).to.not.include(A.home)
      await B.ocOk(['config', 'validate', '--json'])
      const lint = await B.oc(['doctor', '--lint', '--json', '--severity-min', 'error'])
      expect(lint.code, describeRun(lint)).to.equal(0)

      const against = await tool(B, ['check', '--against', archives[kind], '--json'])
      expect(
        parseJson(against.stdout)?.result?.checks?.filter((c: any) => c.status === 'problem'),
        describeRun(against),
      ).to.deep.equal([])
    })
  }
})
