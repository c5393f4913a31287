import type {ReadArchiveResult} from '../archive/archive-reader.js'
import type {ArchiveManifest} from '../archive/manifest.js'

import {humanBytes, plural} from '../util/paths.js'

type Opened = {compression: null | string; encrypted: boolean}

/** What `check ARCHIVE` reports about a verified archive (the JSON `result.summary`). */
export function archiveSummary(read: ReadArchiveResult, opened: Opened) {
  const {manifest} = read
  return {
    archiveId: manifest.archiveId,
    compression: opened.compression,
    createdAt: manifest.createdAt,
    encrypted: opened.encrypted,
    foreign: manifest.foreign ?? null,
    entries: read.entries.size,
    payloadBytes: read.payloadBytes,
    profiles: manifest.profiles.map((p) => ({
      counts: p.counts,
      lastTouchedVersion: p.lastTouchedVersion,
      plugins: p.plugins,
      profile: p.profile,
    })),
    roots: manifest.roots.map((r) => ({id: r.id, kind: r.kind, sourcePath: r.sourcePath})),
    source: manifest.source,
    tool: manifest.tool,
  }
}

/** How the archive's content was verified, said in the same words everywhere. */
export function verificationNote(manifest: ArchiveManifest): string {
  return manifest.foreign
    ? `${manifest.foreign.verification} (${manifest.foreign.label}: every entry checked by the safety rules, counts, SQLite integrity_check)`
    : 'every hash verified'
}

/** What the adapter of a foreign archive found worth saying (where the old home came from, what it left out). */
export function foreignNotes(manifest: ArchiveManifest): string[] {
  if (!manifest.foreign) return []
  const notes = manifest.warnings.filter((w) => w !== manifest.foreign!.verification)
  return [
    '',
    `Made by another tool (${manifest.foreign.label}); old home ${manifest.source.home} (from ${manifest.foreign.homeSource})${notes.length > 0 ? ':' : '.'}`,
    ...notes.map((w) => `  - ${w}`),
  ]
}

/** One profile's counts as a sentence fragment, with correct plurals. */
export function countsLine(counts: ArchiveManifest['profiles'][number]['counts']): string {
  return [
    plural(counts.agents, 'agent'),
    plural(counts.sessions, 'session'),
    plural(counts.cronJobs, 'cron job'),
    plural(counts.credentialDirs, 'credential dir'),
  ].join(', ')
}

export function renderArchiveSummary(read: ReadArchiveResult, opened: Opened): string {
  const {manifest} = read
  const {source} = manifest
  return [
    `Archive OK: ${plural(read.entries.size, 'entry', 'entries')}, ${humanBytes(read.payloadBytes)}, ${verificationNote(manifest)} (${opened.encrypted ? 'age-encrypted' : 'NOT encrypted'}, ${opened.compression}).`,
    `  from ${source.hostname} (${source.platform}) ${source.home}, profile ${source.profile ?? 'default'}, ${manifest.createdAt}`,
    ...manifest.profiles.map((p) => `  ${p.profile ?? 'default'}: ${countsLine(p.counts)}`),
    ...foreignNotes(manifest),
  ].join('\n')
}
