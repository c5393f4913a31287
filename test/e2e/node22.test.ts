/**
 * The packed tool on the Node versions of users' old machines, on a generated home (no OpenClaw
 * needed): 22.23 (everything), 22.14 (no backup() and no zstd: VACUUM INTO snapshots, zstd refused
 * by name), 22.12 (node:sqlite only behind a flag: a refusal that names what to run instead).
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {generateHome} from '../support/home-generator.js'
import {ensureNode, NODE22, sharedStandalone} from './support/node-versions.js'
import {describeRun, parseJson, runProcess} from './support/proc.js'

const NODES = [NODE22, '22.14.0', '22.12.0']

describe('the standalone tool on Node 22', () => {
  let root = ''
  let runJs = ''
  let home = ''

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-node22-'))
    runJs = (await sharedStandalone(fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-tool-')))).runJs
    home = path.join(root, 'home')
    const g = generateHome({home, profile: 'work', sessions: 2})
    for (const d of g.holders) d.close()
  })

  after(() => {
    fs.rmSync(root, {force: true, recursive: true})
  })

  const env = () => ({HOME: home, LANG: 'C', PATH: '/usr/bin:/bin'})
  const run = (node: string, args: string[]) =>
    runProcess(node, ['--no-warnings', runJs, ...args], {cwd: root, env: env(), timeoutMs: 300_000})

  for (const version of NODES) {
    it(`Node ${version}: check, export and check ARCHIVE do what this Node allows`, async () => {
      const node = await ensureNode(version)
      const archive = path.join(root, `work-${version}.tar.gz`)
      const check = await run(node, ['check', '--profile', 'work', '--json'])
      const nodeItem = ((parseJson(check.stdout)?.result?.checks ?? []) as any[]).find((c) => c.id === 'node')
      const exported = await run(node, ['export', '--profile', 'work', '--no-encrypt', '-o', archive, '--json'])
      const zstd = await run(node, [
        'export',
        '--profile',
        'work',
        '--no-encrypt',
        '--compression',
        'zstd',
        '-o',
        path.join(root, `work-${version}.tar.zst`),
        '--json',
      ])
      if (version === '22.12.0') {
        // node:sqlite needs a flag here: check says so, export refuses with the command to run instead.
        expect(check.code, describeRun(check)).to.equal(1)
        expect(nodeItem?.status).to.equal('problem')
        expect(exported.code, describeRun(exported)).to.equal(2)
        const error = parseJson(exported.stdout)?.error
        expect(error?.code).to.equal('NODE_UNSUPPORTED')
        expect(error?.suggestions.join(' ')).to.include('NODE_OPTIONS=--experimental-sqlite')
        expect(fs.existsSync(archive)).to.equal(false)
        return
      }

      expect(check.code, describeRun(check)).to.equal(0)
      expect(nodeItem?.status).to.equal('ok')
      expect(exported.code, describeRun(exported)).to.equal(0)
      const data = parseJson(exported.stdout)?.result
      expect(data.profiles[0].counts.sessions).to.be.greaterThan(0)
      // Our own unencrypted archive: its roots outside the state dir need the user's consent to be placed.
      const verified = await run(node, ['check', archive, '--accept-placement', '--json'])
      expect(verified.code, describeRun(verified)).to.equal(0)
      if (version === '22.14.0') {
        expect(zstd.code, describeRun(zstd)).to.equal(2)
        expect(parseJson(zstd.stdout)?.error?.message).to.include('--compression zstd')
      } else {
        expect(zstd.code, describeRun(zstd)).to.equal(0)
      }
    })
  }
})
