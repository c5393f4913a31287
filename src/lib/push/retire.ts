import type {Config} from '@oclif/core'

import fs from 'node:fs'
import path from 'node:path'

import type {HostContext} from '../host/host-context.js'

import {MigrateError} from '../errors.js'
import {HostCommands} from '../host/host-commands.js'
import {RETIRED_MARK} from '../import/aside-names.js'
import {fileStamp, isInside} from '../util/paths.js'

/** One retired copy: what was moved where, so `push --restore-source` can put it back. */
export type RetiredCopy = {
  at: string
  host: string
  id: string
  moves: Array<{from: string; to: string}>
  profile: null | string
  restoredAt?: string
  serviceUninstalled: boolean
}

function recordsDir(home: string): string {
  return path.join(home, '.openclaw-migrate', 'pushed')
}

function saveRecord(home: string, record: RetiredCopy): void {
  const dir = recordsDir(home)
  fs.mkdirSync(dir, {mode: 0o700, recursive: true})
  const file = path.join(dir, `${record.id}.json`)
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2), {mode: 0o600})
  fs.renameSync(`${file}.tmp`, file)
}

export function listRetired(home: string): RetiredCopy[] {
  const dir = recordsDir(home)
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .toSorted()
    .flatMap((n) => {
      try {
        return [JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as RetiredCopy]
      } catch {
        return []
      }
    })
}

type ServiceStatus = {service?: {loaded?: boolean}}

/**
 * After a push: no second gateway may start on this copy. A managed service is uninstalled, and the
 * state dir (and a config kept outside it, which holds the bot tokens) step aside under a name that
 * says where the state went. Nothing is deleted.
 */
export async function retireSource(context: HostContext, hostLabel: string, config?: Config): Promise<RetiredCopy> {
  const stamp = fileStamp()
  const host = new HostCommands(context, config)
  let serviceUninstalled = false
  if (host.available('gateway:status')) {
    const status = await host
      .run('gateway:status', ['--json', '--timeout', '3000'], {timeoutMs: 30_000})
      .catch(() => null)
    if ((status?.data as null | ServiceStatus)?.service?.loaded) {
      const result = await host.run('gateway:uninstall', ['--json'], {timeoutMs: 60_000})
      serviceUninstalled = result.exitCode === 0
    }
  }

  const moves: RetiredCopy['moves'] = []
  const sources = [context.stateDir]
  if (!isInside(context.configPath, context.stateDir) && fs.existsSync(context.configPath))
    sources.push(context.configPath)
  for (const from of sources) {
    let to = `${from}${RETIRED_MARK}${hostLabel}-${stamp}`
    for (let n = 2; fs.existsSync(to); n++) to = `${from}${RETIRED_MARK}${hostLabel}-${stamp}-${n}`
    fs.renameSync(from, to)
    moves.push({from, to})
  }

  const record: RetiredCopy = {
    at: new Date().toISOString(),
    host: hostLabel,
    id: `${stamp}-${path.basename(context.stateDir)}`,
    moves,
    profile: context.profile,
    serviceUninstalled,
  }
  saveRecord(context.home, record)
  return record
}

/** `push --restore-source`: the last retired copy comes back where it was (refused if something is there now). */
export async function restoreSource(context: HostContext, config?: Config): Promise<RetiredCopy> {
  const record = listRetired(context.home).findLast((r) => !r.restoredAt)
  if (!record)
    throw new MigrateError('RESTORE_NOTHING', 'No pushed-away state to restore on this machine.', {
      suggestions: ['`push --restore-source` puts back the state the last push moved aside.'],
    })
  for (const m of record.moves) {
    if (fs.existsSync(m.from))
      throw new MigrateError('TARGET_EXISTS', `${m.from} exists again; restoring would overwrite it.`, {
        suggestions: [`Move ${m.from} away first, then run push --restore-source again.`],
      })
    if (!fs.existsSync(m.to))
      throw new MigrateError('RESTORE_NOTHING', `${m.to} is gone; there is nothing to restore from.`)
  }

  for (const m of record.moves) fs.renameSync(m.to, m.from)
  if (record.serviceUninstalled)
    await new HostCommands(context, config).run('gateway:install', ['--json'], {timeoutMs: 120_000})
  record.restoredAt = new Date().toISOString()
  saveRecord(context.home, record)
  return record
}
