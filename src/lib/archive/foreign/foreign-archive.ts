import type {Readable} from 'node:stream'

import fs from 'node:fs'
import path from 'node:path'

import {ourCommand} from '../../cli-face.js'
import {MigrateError} from '../../errors.js'
import {createPrivateTempDir} from '../../util/private-temp.js'
import {backupLayout, findBackupManifest, parseBackupManifest} from './backup-layout.js'
import {type ForeignLayout} from './foreign-layout.js'
import {synthesizeManifest} from './foreign-manifest.js'
import {type ForeignScan, scanForeign} from './foreign-scan.js'
import {foldSideFiles} from './foreign-sqlite.js'
import {nativeStream} from './foreign-stream.js'
import {guideCandidates, guideLayout} from './guide-layout.js'
import {normaliseFromHome} from './home-detection.js'

export type ForeignOptions = {
  /** `--from-home`: the old machine's home, when the archive's own paths do not say it. */
  fromHome?: string
}

export function unknownArchive(what: string, detail?: string): MigrateError {
  return new MigrateError(
    'ARCHIVE_UNKNOWN',
    `${what} is not an archive I know${detail ? ` (${detail})` : ''}: neither an openclaw-migrate archive, nor a tar of ~/.openclaw* state dirs, nor an \`openclaw backup create\` archive.`,
    {
      suggestions: [
        `On the old machine: \`${ourCommand('export')}\`, or \`cd ~ && tar -czf openclaw-state.tgz .openclaw\` (one state dir per profile, with its openclaw.json).`,
      ],
    },
  )
}

function layoutOf(scan: ForeignScan, what: string, fromHome?: string): ForeignLayout {
  const backupRaw = findBackupManifest(scan)
  const backup = backupRaw ? parseBackupManifest(scan, backupRaw) : null
  if (backupRaw && backup) return backupLayout(scan, backupRaw, backup, fromHome)
  const candidates = guideCandidates(scan)
  if (candidates.stateDirs.length > 0) return guideLayout(scan, candidates, fromHome)
  throw unknownArchive(
    what,
    candidates.withoutConfig.length > 0
      ? `it holds ${candidates.withoutConfig.join(', ')} without the config (openclaw.json): archive the whole state dir`
      : 'no .openclaw* state dir with an openclaw.json at its top',
  )
}

/**
 * Adapts an archive made by another tool (the migration guide's plain tar, `openclaw backup
 * create`) into the stream of a native archive, so it goes through the one verified, staged,
 * rebased and journaled import. It takes two passes over the file: the first lays it out and
 * synthesizes the manifest and index (with structural checks: every name safe, counts, SQLite
 * integrity), the second re-emits it for the native reader, which verifies it against that index.
 */
export async function adaptForeignArchive(
  source: string,
  openTar: () => Promise<Readable>,
  options: ForeignOptions,
): Promise<Readable> {
  if (source === '-')
    throw new MigrateError(
      'USAGE',
      'This is not an openclaw-migrate archive: a plain tar or an `openclaw backup create` archive is read twice, so it cannot come from stdin.',
      {suggestions: ['Save it to a file first, then import the file.']},
    )
  const scratch = createPrivateTempDir('foreign')
  const cleanup = () => {
    fs.rmSync(scratch, {force: true, recursive: true})
  }

  try {
    const fromHome = options.fromHome ? normaliseFromHome(options.fromHome) : undefined
    const scan = await scanForeign(await openTar(), scratch)
    try {
      const layout = layoutOf(scan, path.basename(source), fromHome)
      const folded = new Map<string, string>()
      for (const raw of scan.mirrored) {
        const file = path.join(scan.mirror, ...raw.split('/'))
        if (/\.(sqlite|sqlite3|db)$/.test(raw) && foldSideFiles(file)) folded.set(raw, file)
      }

      const {index, manifest} = synthesizeManifest(scan, layout, folded, scratch)
      const tar = nativeStream(await openTar(), layout, folded, manifest, index, () => {
        index.close()
        cleanup()
      })
      return tar
    } finally {
      scan.entries.close()
    }
  } catch (error) {
    cleanup()
    throw error
  }
}
