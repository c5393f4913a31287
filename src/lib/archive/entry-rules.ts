import path from 'node:path'

import {MigrateError} from '../errors.js'
import {isInside} from '../util/paths.js'
import {type ArchiveManifest, type ArchiveRoot, type EntryType, ROOTS_DIR} from './manifest.js'

export const MAX_PATH_LENGTH = 4096

function unsafe(entryPath: string, why: string): MigrateError {
  return new MigrateError(
    'ARCHIVE_UNSAFE_ENTRY',
    `Refusing unsafe archive entry ${JSON.stringify(entryPath.slice(0, 200))}: ${why}.`,
    {
      suggestions: ['This archive was not written by openclaw-migrate or has been tampered with; do not import it.'],
    },
  )
}

export function tarTypeToEntryType(entryPath: string, tarType: string): EntryType {
  switch (tarType) {
    case 'Directory': {
      return 'dir'
    }

    case 'File':
    case 'OldFile': {
      return 'file'
    }

    case 'SymbolicLink': {
      return 'symlink'
    }

    case 'Link': {
      throw unsafe(entryPath, 'hardlinks are not allowed')
    }

    case 'BlockDevice':
    case 'CharacterDevice': {
      throw unsafe(entryPath, 'device files are not allowed')
    }

    case 'FIFO': {
      throw unsafe(entryPath, 'fifos are not allowed')
    }

    default: {
      throw unsafe(entryPath, `entry type ${tarType} is not allowed`)
    }
  }
}

/** Validates a payload entry name and returns its root and the path below it. */
export function locateEntry(rawPath: string, roots: Map<string, ArchiveRoot>): {rel: string; root: ArchiveRoot} {
  const entryPath = rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath
  if (entryPath.length > MAX_PATH_LENGTH) throw unsafe(entryPath, `name longer than ${MAX_PATH_LENGTH} characters`)
  if (entryPath.includes('\0')) throw unsafe(entryPath, 'NUL in name')
  if (entryPath.includes('\u{FFFD}')) throw unsafe(entryPath, 'name is not valid UTF-8')
  if (entryPath.startsWith('/') || /^[A-Za-z]:/.test(entryPath)) throw unsafe(entryPath, 'absolute path')
  if (entryPath.includes('\\')) throw unsafe(entryPath, 'backslash in name')
  const parts = entryPath.split('/')
  if (parts.includes('..')) throw unsafe(entryPath, '".." in path')
  if (parts.some((p) => p === '' || p === '.')) throw unsafe(entryPath, 'non-normalised path')
  if (parts[0] !== ROOTS_DIR || parts.length < 2) throw unsafe(entryPath, `not under ${ROOTS_DIR}/`)
  const root = roots.get(parts[1])
  if (!root) throw unsafe(entryPath, `root "${parts[1]}" is not in the manifest`)
  const rel = parts.slice(2).join('/')
  if (
    root.type === 'file' &&
    (parts.length !== 3 || rel !== path.posix.basename(root.sourcePath.replaceAll('\\', '/')))
  ) {
    throw unsafe(entryPath, `root ${root.id} holds a single file`)
  }

  return {rel, root}
}

/**
 * A symlink must stay inside its own root, unless the export declared it (symlinksOutside)
 * or it is absolute into another exported root (it will be rebased).
 */
export function checkSymlink(
  entryPath: string,
  linkpath: string,
  root: ArchiveRoot,
  rel: string,
  manifest: ArchiveManifest,
): 'absolute-into-root' | 'declared-outside' | 'inside' {
  if (!linkpath || linkpath.includes('\0')) throw unsafe(entryPath, 'empty or NUL link target')
  const isWinAbs = /^[A-Za-z]:[\\/]/.test(linkpath)
  if (path.posix.isAbsolute(linkpath) || isWinAbs) {
    if (manifest.roots.some((r) => r.type === 'dir' && isInside(linkpath, r.sourcePath))) return 'absolute-into-root'
  } else {
    // Resolve below a sentinel: posix normalisation clamps `..` at `/`, so `/${rel}` alone can never look outside.
    const base = '/root'
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(`${base}/${rel}`), linkpath))
    if (resolved === base || resolved.startsWith(`${base}/`)) return 'inside'
  }

  const sourceAbs = path.join(root.sourcePath, rel)
  if (manifest.symlinksOutside.some((s) => s.path === sourceAbs && s.target === linkpath)) return 'declared-outside'
  throw unsafe(entryPath, `symlink escapes its root (-> ${linkpath})`)
}

/**
 * Links are checked one by one as they arrive, lexically; a relative target that goes through
 * another archived symlink and then `..` (`a -> b/..` with `b -> ..`) can still leave its root on
 * disk. Run once every entry is known: refuses any link target that climbs out of a symlink.
 */
export function checkSymlinkChains(
  entries: Map<string, {linkpath?: string; type: EntryType}>,
  manifest: ArchiveManifest,
): void {
  for (const [key, entry] of entries) {
    if (entry.type !== 'symlink' || !entry.linkpath) continue
    let parts: string[]
    let components: string[]
    if (path.posix.isAbsolute(entry.linkpath)) {
      const root = manifest.roots.find((r) => r.type === 'dir' && entry.linkpath!.startsWith(`${r.sourcePath}/`))
      if (!root) continue
      parts = root.archivePath.split('/')
      components = entry.linkpath.slice(root.sourcePath.length + 1).split('/')
    } else {
      parts = key.split('/').slice(0, -1)
      components = entry.linkpath.split('/')
    }

    let throughLink = false
    for (const c of components) {
      if (c === '' || c === '.') continue
      if (c === '..') {
        if (throughLink) throw unsafe(key, `symlink chain leaves its root (-> ${entry.linkpath}, through another link)`)
        parts.pop()
        continue
      }

      parts.push(c)
      if (entries.get(parts.join('/'))?.type === 'symlink') throughLink = true
    }
  }
}

/**
 * A root declared inside another root is staged inside that root's staging dir. If a path on the
 * way is a symlink the outer root itself holds, the inner root would be written wherever that link
 * points: refused (the stager never follows such a link either; this says so before any write when
 * only verifying, and with the same code).
 */
export function checkNestedRoots(links: Map<string, unknown>, manifest: ArchiveManifest): void {
  for (const inner of manifest.roots) {
    for (const outer of manifest.roots) {
      if (outer === inner || outer.type !== 'dir') continue
      const win = /^[A-Za-z]:[\\/]/.test(outer.sourcePath)
      const ops = win ? path.win32 : path.posix
      const rel = ops.relative(outer.sourcePath, inner.sourcePath)
      if (rel === '' || rel.startsWith('..') || ops.isAbsolute(rel)) continue
      let key = outer.archivePath
      for (const part of rel.split(ops.sep)) {
        key = `${key}/${part}`
        if (links.has(key))
          throw unsafe(
            key,
            `root ${inner.id} lies below this symlink of root ${outer.id}; it would be written through it`,
          )
      }
    }
  }
}
