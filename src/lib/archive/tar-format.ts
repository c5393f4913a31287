import {Header, type HeaderData, Pax} from 'tar'

import type {EntryType} from './manifest.js'

export const BLOCK_SIZE = 512
const ZERO_BLOCKS = Buffer.alloc(BLOCK_SIZE * 2)

const TAR_TYPE: Record<EntryType, 'Directory' | 'File' | 'SymbolicLink'> = {
  dir: 'Directory',
  file: 'File',
  symlink: 'SymbolicLink',
}

export type TarEntryHeader = {
  linkpath?: string
  mode: number
  mtime: Date
  path: string
  size: number
  type: EntryType
}

/**
 * Encodes one entry's header block with node-tar's Header, preceded by a PAX extended header
 * when the path or link target does not fit ustar (long or non-ASCII names).
 * Ownership is deliberately not recorded: the importing machine assigns its own user.
 */
export function encodeTarHeader(entry: TarEntryHeader): Buffer {
  const data: HeaderData = {
    gid: 0,
    linkpath: entry.linkpath,
    mode: entry.mode & 0o7777,
    mtime: entry.mtime,
    path: entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path,
    size: entry.type === 'file' ? entry.size : 0,
    type: TAR_TYPE[entry.type],
    uid: 0,
  }
  const header = new Header(data)
  header.encode()
  if (!header.needPax) return header.block!
  const pax = new Pax({...data, atime: undefined, ctime: undefined}).encode()
  return Buffer.concat([pax, header.block!])
}

export function tarPadding(size: number): Buffer | null {
  const rest = size % BLOCK_SIZE
  return rest === 0 ? null : Buffer.alloc(BLOCK_SIZE - rest)
}

/** Two zero blocks close a tar archive. */
export function tarTrailer(): Buffer {
  return ZERO_BLOCKS
}
