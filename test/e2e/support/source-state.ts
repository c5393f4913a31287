/**
 * Machine A's state, built through the real host the way a user gets it: setup, a mock model and
 * gateway settings by config patch/set, a second agent whose workspace is outside the state dir, an
 * agent turn, a running `gateway run`, a cron job added through it and a turn of the second agent
 * through the gateway; files only where the host has no command (memory files, a channel login).
 * Shared by the migrate-machine and push suites.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {hashTree, readJson, sha256, sha256File} from './inspect.js'
import {type MockLlm} from './mock-llm.js'
import {freePort, type Machine} from './openclaw.js'
import {ensureDir} from './proc.js'
import {configSecrets, cronJobsOf, deviceKeySha, sessionsOf, type StateBefore} from './state-facts.js'

export type SourceState = {
  before: StateBefore
  cronJobId: string
  gateway: {exit: Promise<null | number>; lockPid: null | number; ms: number; pid: number}
  port: number
}

/**
 * Builds A and leaves its gateway running on loopback:`port`. `afterConfig` runs once the config is
 * in place, before any agent exists (the native face installs the plugin there). The secrets and file
 * hashes of `before` stay empty until captureSourceFiles().
 */
export async function buildSourceState(
  A: Machine,
  options: {afterConfig?: () => Promise<void>; dir: string; label: string; mock: MockLlm},
): Promise<SourceState> {
  const {dir, label, mock} = options
  await A.ocOk(['setup', '--baseline'])
  const patch = path.join(dir, `model-provider-${path.basename(A.home)}.json5`)
  fs.writeFileSync(
    patch,
    JSON.stringify({
      agents: {defaults: {model: {primary: 'mock/mock-model'}}},
      gateway: {auth: {mode: 'token'}, bind: 'loopback'},
      models: {
        mode: 'merge',
        providers: {
          mock: {
            api: 'openai-completions',
            apiKey: `sk-e2e-${label}-${sha256(String(Math.random())).slice(0, 24)}`,
            baseUrl: mock.baseUrl,
            models: [
              {
                contextWindow: 32_000,
                cost: {cacheRead: 0, cacheWrite: 0, input: 0, output: 0},
                id: 'mock-model',
                input: ['text'],
                maxTokens: 1024,
                name: 'Mock',
                reasoning: false,
              },
            ],
          },
        },
      },
    }),
    {mode: 0o644},
  )
  await A.ocOk(['config', 'patch', '--file', patch])
  const port = await freePort()
  await A.ocOk(['config', 'set', 'gateway.port', String(port), '--strict-json'])
  await A.ocOk(['config', 'set', 'gateway.auth.token', `e2e-gateway-token-${sha256(label + Date.now()).slice(0, 32)}`])
  await options.afterConfig?.()

  const researchWorkspace = path.join(A.home, 'projects', 'research-ws')
  const added = await A.ocJson([
    'agents',
    'add',
    'research',
    '--workspace',
    researchWorkspace,
    '--non-interactive',
    '--json',
  ])
  expect(added.data.workspace).to.equal(researchWorkspace)
  const mainWorkspace = String(readJson(A.configPath).agents?.defaults?.workspace)
  expect(mainWorkspace.startsWith(A.stateDir), `main workspace ${mainWorkspace}`).to.equal(true)
  // Memory files and a channel login: the host has no command that writes these.
  writeAs(
    A,
    path.join(mainWorkspace, 'MEMORY.md'),
    '# Memory\n\n- The user prefers short answers.\n- Project Falcon ships in December.\n',
  )
  writeAs(A, path.join(mainWorkspace, 'memory', '2026-11-20.md'), 'Talked about the migration to the new laptop.\n')
  writeAs(A, path.join(researchWorkspace, 'MEMORY.md'), '# Research memory\n\n- Sources: arXiv, internal wiki.\n')
  writeAs(
    A,
    path.join(A.stateDir, 'credentials', 'whatsapp', 'default', 'creds.json'),
    JSON.stringify({
      noiseKey: sha256(`noise-${label}-${Date.now()}`),
      registrationId: 4242,
      signedIdentityKey: sha256(`identity-${label}`),
    }) + '\n',
    0o600,
  )
  fs.chmodSync(path.join(A.stateDir, 'credentials'), 0o700)

  const turn = await A.ocJson(
    ['agent', '--local', '--agent', 'main', '-m', 'hello from the e2e suite', '--json', '--timeout', '120'],
    300_000,
  )
  expect(JSON.stringify(turn.data)).to.contain('mock reply')

  const log = path.join(dir, `gateway-${path.basename(A.home)}.log`)
  const gw = await A.startGateway(port, log)
  expect(gw.ready, `gateway ${A.label} on port ${port} did not become ready (see ${log})`).to.equal(true)

  const cron = await A.ocJson([
    'cron',
    'add',
    '--name',
    'nightly-report',
    '--cron',
    '0 4 * * *',
    '--agent',
    'main',
    '--message',
    'Summarize yesterday',
    '--json',
  ])
  const cronJobId = String(cron.data.id)
  await A.ocJson(['agent', '--agent', 'research', '-m', 'hello research', '--json', '--timeout', '120'], 300_000)
  const cronList = await A.ocJson(['cron', 'list', '--json'])
  const sessions = await A.ocJson(['sessions', '--all-agents', '--json'])
  const before: StateBefore = {
    apiKey: '',
    creds: '',
    cron: cronJobsOf(cronList.data),
    deviceKeySha: '',
    gatewayToken: '',
    mainWorkspace,
    mainWs: new Map(),
    researchWorkspace,
    researchWs: new Map(),
    sessions: sessionsOf(sessions.data),
  }
  expect(before.cron.map((j) => j.id)).to.include(cronJobId)
  expect(before.sessions.map((x) => x.agentId)).to.include.members(['main', 'research'])
  return {before, cronJobId, gateway: {exit: gw.exit, lockPid: gw.lockPid, ms: gw.ms, pid: gw.pid}, port}
}

/** The secrets and workspace hashes of A as it is now: what B must hold after the move. */
export function captureSourceFiles(A: Machine, before: StateBefore): void {
  const secrets = configSecrets(A.configPath)
  Object.assign(before, {
    apiKey: secrets.apiKey,
    creds: sha256File(path.join(A.stateDir, 'credentials', 'whatsapp', 'default', 'creds.json')),
    deviceKeySha: deviceKeySha(A.stateDb),
    gatewayToken: secrets.gatewayToken,
    mainWs: hashTree(before.mainWorkspace),
    researchWs: hashTree(before.researchWorkspace),
  })
}

/** A file the host has no command for, written as the machine's user (dirs created as needed, owned by it). */
function writeAs(A: Machine, file: string, text: string, mode = 0o644): void {
  const created: string[] = []
  for (let d = path.dirname(file); !fs.existsSync(d); d = path.dirname(d)) created.unshift(d)
  ensureDir(path.dirname(file))
  fs.writeFileSync(file, text, {mode})
  if (A.user) for (const p of [...created, file]) fs.chownSync(p, A.user.uid, A.user.gid)
}
