/**
 * What the e2e scenarios compare between machine A and machine B: read through the host's JSON
 * output and the state's files. Shared by the migrate-machine and migrate-provider suites, and the
 * hand-over of the native face's archive (so the provider suite does not build machine A again).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {readJson, rows, sha256} from './inspect.js'

export function sessionsOf(data: any): Array<{agentId: string; key: string; sessionId: string}> {
  return ((data?.sessions ?? []) as any[])
    .map((x) => ({agentId: String(x.agentId), key: String(x.key), sessionId: String(x.sessionId)}))
    .sort((a, b) => a.key.localeCompare(b.key))
}

export function cronJobsOf(data: any): any[] {
  if (Array.isArray(data)) return data
  for (const key of ['jobs', 'items', 'cron']) if (Array.isArray(data?.[key])) return data[key]
  return []
}

export function configSecrets(configPath: string): {apiKey: string; gatewayToken: string} {
  const config = readJson(configPath)
  return {
    apiKey: String(config?.models?.providers?.mock?.apiKey ?? ''),
    gatewayToken: String(config?.gateway?.auth?.token ?? ''),
  }
}

export function deviceKeySha(db: string): string {
  const keys = rows<{private_key_pem: string}>(
    db,
    'SELECT private_key_pem FROM device_identities ORDER BY identity_key',
  )
  return keys.length > 0 ? sha256(keys.map((k) => k.private_key_pem).join('\n')) : 'none'
}

export function diffTrees(
  before: Map<string, string>,
  after: Map<string, string>,
): {changed: string[]; missing: string[]} {
  const missing: string[] = []
  const changed: string[] = []
  for (const [rel, sha] of before) {
    if (!after.has(rel)) missing.push(rel)
    else if (after.get(rel) !== sha) changed.push(rel)
  }

  return {changed, missing}
}

export function short(list: string[], n = 4): string {
  return list.length <= n ? list.join(', ') : `${list.slice(0, n).join(', ')} … (+${list.length - n})`
}

/** A as exported: the source of truth for every comparison on B. */
export type StateBefore = {
  apiKey: string
  baselineAgentsMdSha?: string
  baselineConfigSha?: string
  creds: string
  cron: Array<Record<string, unknown>>
  deviceKeySha: string
  gatewayToken: string
  mainWorkspace: string
  mainWs: Map<string, string>
  researchWorkspace: string
  researchWs: Map<string, string>
  sessions: Array<{agentId: string; key: string; sessionId: string}>
}

/** An exported machine A, kept (copied) beyond the run dir of the suite that built it. */
export type SharedArchive = {
  aHome: string
  archive: string
  aStateDir: string
  before: StateBefore
  cronJobId: string
  dir: string
  passphrase: string
  /** The packed plugin tarball and the path A installed it from (its install record names that path). */
  tgz: string
  tgzInstalledFrom: string
}

let shared: null | SharedArchive = null

/** Keeps a copy of A's archive, passphrase and plugin tarball for a later suite in this run. */
export function shareArchive(
  from: Omit<SharedArchive, 'dir' | 'passphrase' | 'tgz' | 'tgzInstalledFrom'> & {passphraseFile: string; tgz: string},
): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-e2e-shared-'))
  const archive = path.join(dir, path.basename(from.archive))
  const tgz = path.join(dir, path.basename(from.tgz))
  fs.copyFileSync(from.archive, archive)
  fs.chmodSync(archive, 0o600)
  fs.copyFileSync(from.tgz, tgz)

  const {passphraseFile: _, ...rest} = from
  shared = {
    ...rest,
    archive,
    dir,
    passphrase: fs.readFileSync(from.passphraseFile, 'utf8').replace(/\r?\n$/, ''),
    tgz,
    tgzInstalledFrom: from.tgz,
  }
}

export function sharedArchive(): null | SharedArchive {
  return shared
}

export function releaseSharedArchive(): void {
  if (shared) fs.rmSync(shared.dir, {force: true, recursive: true})
  shared = null
}
