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
  /** A push's phase-two file whose body the receiver already holds: no body follows. */
  heldBody?: HeldBody
  linkpath?: string
  mode: number
  mtime: Date
  path: string
  size: number
  type: EntryType
}

/** The body of a file that the receiving end of a push already holds, named by its content. */
export type HeldBody = {sha256: string; size: number}

const HELD_PREFIX = 'openclaw-migrate-held '

function heldBodyComment(held: HeldBody): string {
  return `${HELD_PREFIX}sha256=${held.sha256} size=${held.size}`
}

/**
 * The held body a PAX comment names, or null when the entry carries its body. Anything that
 * starts like one but does not parse exactly is an error, never silently an ordinary file.
 */
export function parseHeldBody(comment: string | undefined): HeldBody | null {
  if (!comment?.startsWith(HELD_PREFIX)) return null
  const match = /^sha256=([\da-f]{64}) size=(\d{1,16})$/.exec(comment.slice(HELD_PREFIX.length))
  if (!match) throw new Error('malformed held-body reference')
  return {sha256: match[1], size: Number(match[2])}
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
  if (entry.heldBody) data.size = 0
  const header = new Header(data)
  header.encode()
  const comment = entry.heldBody ? heldBodyComment(entry.heldBody) : undefined
  if (!header.needPax && !comment) return header.block!
  const pax = new Pax({...data, atime: undefined, comment, ctime: undefined}).encode()
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
