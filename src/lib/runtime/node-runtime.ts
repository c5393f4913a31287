import type * as NodeSqlite from 'node:sqlite'

import zlib from 'node:zlib'

import {MigrateError} from '../errors.js'

type SqliteModule = typeof NodeSqlite

/**
 * The oldest Node the tool runs on: the oldest that any OpenClaw since 2026.2 runs on (2026.2.26's
 * engines say `>=22.12`). The old machine of a move usually runs Node 22, so export and check must
 * work there; what a given Node lacks is detected where it is needed, never switched on by flags.
 */
export const MIN_NODE: readonly [number, number] = [22, 12]

export function nodeVersion(): [number, number, number] {
  const [major, minor, patch] = process.versions.node.split('.').map(Number)
  return [major, minor, patch]
}

export function nodeSupported(): boolean {
  const [major, minor] = nodeVersion()
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])
}

let sqlite: null | SqliteModule | undefined

/**
 * `node:sqlite` when this Node has it without a flag (22.13+, 23.4+, 24+), else null. Never
 * imported statically: on Node 22.12 the module exists only behind `--experimental-sqlite`, and a
 * static import would make every command fail to load, even those that need no database.
 */
export function sqliteModuleOrNull(): null | SqliteModule {
  if (sqlite === undefined) {
    try {
      sqlite = process.getBuiltinModule?.('node:sqlite') ?? null
    } catch {
      sqlite = null
    }
  }

  return sqlite
}

/** The command a user runs instead when this Node cannot open SQLite databases without a flag. */
export function sqliteAdvice(): string[] {
  return [
    `Run it with a Node that has node:sqlite built in (22.13 or newer): e.g. \`nvm install 22 && nvm use 22\`; OpenClaw since 2026.4 requires such a Node itself.`,
    `Or give this Node the flag for that one run: \`NODE_OPTIONS=--experimental-sqlite openclaw-migrate …\` (same arguments).`,
  ]
}

/** `node:sqlite`, or a clear refusal naming what to run instead (we never change our own runtime flags). */
export function sqliteModule(what = 'read the SQLite databases of the state'): SqliteModule {
  const module = sqliteModuleOrNull()
  if (module) return module
  throw new MigrateError(
    'NODE_UNSUPPORTED',
    `This Node (${process.versions.node}) needs --experimental-sqlite for node:sqlite, which openclaw-migrate uses to ${what}.`,
    {details: {feature: 'node:sqlite', node: process.versions.node}, suggestions: sqliteAdvice()},
  )
}

/** zstd in zlib: Node 22.15+, 23.8+, 24+. */
export function zstdAvailable(): boolean {
  return typeof (zlib as {createZstdCompress?: unknown}).createZstdCompress === 'function'
}

/** A clear refusal for zstd on a Node whose zlib lacks it, naming gzip and the Node that has it. */
export function zstdUnavailable(reading: boolean): MigrateError {
  return new MigrateError(
    reading ? 'NODE_UNSUPPORTED' : 'USAGE',
    reading
      ? `This archive is zstd-compressed and this Node (${process.versions.node}) has no zstd in zlib (Node 22.15 or newer has it).`
      : `--compression zstd needs zstd in zlib, which this Node (${process.versions.node}) lacks (Node 22.15 or newer has it).`,
    {
      details: {feature: 'zstd', node: process.versions.node},
      suggestions: reading
        ? [
            'Read it with Node 22.15 or newer, or on the machine that made it export again with `--compression gzip` (the default).',
          ]
        : ['Use `--compression gzip` (the default), or run with Node 22.15 or newer.'],
    },
  )
}

type DatabaseSync = InstanceType<SqliteModule['DatabaseSync']>
type DatabaseOptions = ConstructorParameters<SqliteModule['DatabaseSync']>[1]

/** `new DatabaseSync(location, options)` through the lazily loaded module. */
export function openDatabase(location: string | URL, options?: DatabaseOptions): DatabaseSync {
  const {DatabaseSync} = sqliteModule()
  // Node 22 rejects an explicit `undefined` for the options argument.
  return options === undefined ? new DatabaseSync(location) : new DatabaseSync(location, options)
}
