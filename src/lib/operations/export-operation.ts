import type {Config} from '@oclif/core'
import type {Writable} from 'node:stream'

import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {HostContext} from '../host/host-context.js'

import {writeArchive, type WriteArchiveResult} from '../archive/archive-writer.js'
import {type Compression, extensionFor} from '../archive/compression.js'
import {type EncryptionSpec} from '../archive/encryption.js'
import {type ArchiveManifest, FORMAT_NAME, FORMAT_VERSION} from '../archive/manifest.js'
import {sweepStalePartials} from '../archive/publish.js'
import {FAT32_VOLUME_SIZE, isFatFilesystem, volumePath} from '../archive/volumes.js'
import {MigrateError} from '../errors.js'
import {detectGateway, type GatewayState, stopGateway} from '../host/gateway.js'
import {HostCommands} from '../host/host-commands.js'
import {buildExportPlan, type ExportPlan, type ExportSelection, type ProfileSource} from '../inventory/export-plan.js'
import {zstdAvailable, zstdUnavailable} from '../runtime/node-runtime.js'
import {openclawCommand} from '../ui/hints.js'
import {currentUser, fileStamp, isInside} from '../util/paths.js'
import {createPrivateTempDir} from '../util/private-temp.js'
import {toolVersion} from '../util/tool-info.js'
import {listProfileSources} from './profiles.js'

export type ExportRequest = {
  compression: Compression
  config?: Config
  context: HostContext
  dryRun: boolean
  encrypted: boolean
  output?: string
  selection: ExportSelection
  /** Volume size in bytes for a split archive (`--split`); else split below 4 GiB only on FAT. */
  split?: number
  stopGateway: boolean
  /** Bodies the receiving end of a push already holds (sha256): sent as references (push phase two). */
  withheld?: ReadonlySet<string>
}

export type ExportPreparation = {
  gateway: GatewayState
  outputPath: null | string
  plan: ExportPlan
  /** Bytes per volume when the archive is split (FAT32, or --split), else null. */
  volumeSize: null | number
}

/** Everything that can be decided without writing: the plan, the gateway, the output path. */
export async function prepareExport(request: ExportRequest): Promise<ExportPreparation> {
  const {context} = request
  if (request.compression === 'zstd' && !zstdAvailable()) throw zstdUnavailable(false)
  const skippedProfiles: string[] = []
  const sources: ProfileSource[] = request.selection.allProfiles
    ? listProfileSources(context.home, skippedProfiles)
    : [{configPath: context.configPath, profile: context.profile, stateDir: context.stateDir}]
  const plan = await buildExportPlan(sources, request.selection, context.home)
  plan.warnings.push(...skippedProfiles)
  const host = new HostCommands(context, request.config)
  const gateway = await detectGateway(context, host)
  if (gateway.running && !request.stopGateway && !request.dryRun) {
    throw new MigrateError(
      'GATEWAY_RUNNING',
      `The gateway is running (${gateway.evidence.join('; ')}); its state would change under the export.`,
      {
        suggestions: [
          `Pass --stop-gateway to stop it through OpenClaw first, or run \`${openclawCommand(context, 'gateway stop')}\`.`,
        ],
      },
    )
  }

  const outputPath = request.output === '-' ? null : resolveOutputPath(request, plan)
  if (outputPath === null && request.split)
    throw new MigrateError('USAGE', '--split writes volume files; it cannot split stdout (-o -).', {
      suggestions: ['Pipe through `split -b SIZE -d -a 3 - NAME.` instead, or write to a file.'],
    })
  const volumeSize = outputPath
    ? (request.split ?? (isFatFilesystem(path.dirname(outputPath)) ? FAT32_VOLUME_SIZE : null))
    : null
  if (volumeSize && fs.existsSync(volumePath(outputPath!, 1)))
    throw new MigrateError('OUTPUT_EXISTS', `${volumePath(outputPath!, 1)} already exists; it is never overwritten.`, {
      suggestions: ['Choose another --output, or move the old volumes away.'],
    })
  return {gateway, outputPath, plan, volumeSize}
}

function defaultName(context: HostContext, compression: Compression, allProfiles: boolean, encrypted: boolean): string {
  const profile = allProfiles ? 'all-profiles' : (context.profile ?? 'default')
  const host = os.hostname().replaceAll(/[^A-Za-z0-9.-]+/g, '-')
  return `openclaw-migrate-${profile}-${host}-${fileStamp()}${extensionFor(compression)}${encrypted ? '.age' : ''}`
}

/** The real path (symlinks resolved) of an existing path, else the path itself. */
function realPathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p)
  } catch {
    return p
  }
}

function resolveOutputPath(request: ExportRequest, plan: ExportPlan): string {
  const {output} = request
  const name = () => defaultName(request.context, request.compression, plan.selection.allProfiles, request.encrypted)
  let target = path.resolve(output ?? name())
  if (output && fs.existsSync(target) && fs.statSync(target).isDirectory()) target = path.join(target, name())
  // Containment by real paths, as OpenClaw's backup does: `-o ~/link-to-state/x` is inside the state.
  const realTarget = path.join(realPathOrSelf(path.dirname(target)), path.basename(target))
  const inside = plan.roots.find(
    (r) => r.type === 'dir' && (isInside(target, r.sourcePath) || isInside(realTarget, realPathOrSelf(r.sourcePath))),
  )
  if (inside) {
    throw new MigrateError(
      'OUTPUT_INSIDE_SOURCE',
      `${target} is inside ${inside.sourcePath}, which is being exported.`,
      {
        suggestions: ['Write the archive somewhere else, e.g. --output ~/' + path.basename(target)],
      },
    )
  }

  if (fs.existsSync(target))
    throw new MigrateError('OUTPUT_EXISTS', `${target} already exists; it is never overwritten.`, {
      suggestions: ['Choose another --output, or move the old archive away.'],
    })
  const dir = path.dirname(target)
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch {
    throw new MigrateError('OUTPUT_UNWRITABLE', `Cannot write to ${dir}.`, {
      suggestions: ['Choose a writable --output location.'],
    })
  }

  return target
}

export type ExportOutcome = {
  gateway: {method: null | string; stopped: boolean; wasRunning: boolean}
  manifest: ArchiveManifest
  outputPath: null | string
  /** Partial archives of killed exports removed from the output dir. */
  sweptPartials: string[]
  written: WriteArchiveResult
}

export function buildManifest(
  plan: ExportPlan,
  context: HostContext,
  gateway: ExportOutcome['gateway'],
): ArchiveManifest {
  const user = currentUser()
  return {
    archiveId: randomUUID(),
    createdAt: new Date().toISOString(),
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    gateway: {stopped: gateway.stopped, wasRunning: gateway.wasRunning},
    host: {source: context.sources.hostVersion, version: context.hostVersion},
    locations: plan.locations,
    node: process.version,
    profiles: plan.profiles,
    roots: plan.roots,
    secrets: plan.secrets,
    selection: plan.selection,
    skipped: plan.skipped,
    source: {
      arch: process.arch,
      home: context.home,
      hostname: os.hostname(),
      platform: process.platform,
      profile: context.profile,
      uid: user.uid,
      user: user.name,
    },
    sqlite: plan.sqlite,
    symlinksOutside: plan.symlinksOutside,
    tool: {name: '@openclaw/plugin-migrate', version: toolVersion()},
    totals: plan.totals,
    warnings: plan.warnings,
  }
}

let inProgress: null | {outputPath: null | string; tempDir: string} = null

/**
 * Ctrl-C: removes what a running export has written so far, the temp dir (SQLite snapshots in the
 * clear, the index) and the partial archive next to the output. Synchronous, for a signal handler.
 */
export function abandonExport(): void {
  if (!inProgress) return
  const {outputPath, tempDir} = inProgress
  fs.rmSync(tempDir, {force: true, recursive: true})
  if (outputPath) {
    const prefix = `.${path.basename(outputPath)}.partial-${process.pid}-`
    for (const name of fs.readdirSync(path.dirname(outputPath)))
      if (name.startsWith(prefix)) fs.rmSync(path.join(path.dirname(outputPath), name), {force: true})
  }

  inProgress = null
}

export async function runExport(
  request: ExportRequest,
  prepared: ExportPreparation,
  encryption: EncryptionSpec,
  io: {
    /** Called as the gateway is told to stop: from here on it answers nobody (push measures downtime from it). */
    onGatewayStopping?: () => void
    onProgress?: (bytes: number, files: number) => void
    stdout?: Writable
  },
): Promise<ExportOutcome> {
  const {context} = request
  const gateway = {method: null as null | string, stopped: false, wasRunning: prepared.gateway.running}
  if (prepared.gateway.running) {
    io.onGatewayStopping?.()
    const stop = await stopGateway(context, new HostCommands(context, request.config), prepared.gateway)
    gateway.stopped = true
    gateway.method = stop.method
  }

  const {outputPath} = prepared
  const sweptPartials = outputPath ? sweepStalePartials(path.dirname(outputPath)) : []
  const manifest = buildManifest(prepared.plan, context, gateway)
  const tempDir = createPrivateTempDir('export')
  inProgress = {outputPath, tempDir}
  try {
    const written = await writeArchive({
      compression: request.compression,
      encryption,
      manifest,
      onProgress: (p) => io.onProgress?.(p.bytes, p.files),
      output: outputPath
        ? {path: outputPath, volumeSize: prepared.volumeSize ?? undefined}
        : {stream: io.stdout ?? process.stdout},
      plan: prepared.plan,
      tempDir,
      withheld: request.withheld,
    })
    return {gateway, manifest, outputPath, sweptPartials, written}
  } finally {
    fs.rmSync(tempDir, {force: true, recursive: true})
    inProgress = null
  }
}
