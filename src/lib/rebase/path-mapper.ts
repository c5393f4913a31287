import path from 'node:path'

/**
 * Maps absolute paths of the old machine onto the new one. Old paths may come from another OS:
 * macOS `/Users/x`, Linux `/home/x`, Windows `C:\Users\x` (matched case-insensitively, either
 * separator), containers `/home/node`. New paths are always this machine's.
 */
export type PathMapping = {
  from: string
  /** Why this mapping exists (state dir, root, home, --map), for the report. */
  reason: string
  to: string
}

function isWindowsPath(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}

function normalizeOld(p: string): string {
  if (isWindowsPath(p)) return p.replaceAll('/', '\\').replace(/\\+$/, '')
  return p.length > 1 ? p.replace(/\/+$/, '') : p
}

export class PathMapper {
  readonly mappings: PathMapping[]

  constructor(mappings: PathMapping[]) {
    const seen = new Set<string>()
    // Longest source first, so a root inside the old home wins over the home itself.
    this.mappings = mappings
      .map((m) => ({...m, from: normalizeOld(m.from), to: path.resolve(m.to)}))
      .filter((m) => m.from && m.from !== '/' && !seen.has(m.from) && seen.add(m.from))
      .toSorted((a, b) => b.from.length - a.from.length)
  }

  /** The new path for an old absolute path, or null when no mapping covers it. */
  map(oldPath: string): null | string {
    for (const m of this.mappings) {
      const rest = matchPrefix(oldPath, m.from)
      if (rest === null) continue
      const tail = rest.replaceAll('\\', '/').replace(/^\/+/, '')
      return tail ? path.join(m.to, ...tail.split('/')) : m.to
    }

    return null
  }

  /** The old prefixes to search for when reporting leftovers. */
  get oldPrefixes(): string[] {
    return this.mappings.map((m) => m.from)
  }

  /**
   * Every place in a text where an old prefix starts a path (used for reports and opt-in rewrites,
   * and to decide which files need rebasing). A Windows prefix is also found JSON-escaped
   * (`C:\\Users\\ana`), with forward slashes and in any case, as configs written there hold it.
   * A prefix that maps onto itself (the same home path on both machines) is not a mention: that
   * path is already right here.
   */
  findMentions(text: string): string[] {
    const found: string[] = []
    // Mappings are longest first; a spot a longer mapping already matched is one mention, not two.
    const taken = new Set<number>()
    for (const m of this.mappings) {
      const pattern = mentionPattern(m.from)
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        const at = match.index
        const next = text[at + match[0].length]
        const before = at === 0 ? '' : text[at - 1]
        if (
          (next === undefined || /[/\\"'\s,)\]}`:;]/.test(next)) &&
          !/[A-Za-z0-9._-]/.test(before) &&
          !taken.has(at)
        ) {
          taken.add(at)
          if (m.from !== m.to) found.push(m.from)
        }

        pattern.lastIndex = at + 1
      }
    }

    return found
  }

  /** Replaces every path-boundary mention of an old prefix inside free text. */
  rewriteText(text: string): {count: number; text: string} {
    let count = 0
    let out = text
    for (const m of this.mappings) {
      const escaped = m.from.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
      const pattern = new RegExp(
        String.raw`(?<![A-Za-z0-9._-])${escaped}((?:[/\\][^\s"'\`,;:)\]}]*)?)(?=$|[\s"'\`,;:)\]}])`,
        isWindowsPath(m.from) ? 'gi' : 'g',
      )

      out = out.replace(pattern, (_all, rest: string) => {
        count++
        const tail = rest.replaceAll('\\', '/').replace(/^\/+/, '')
        return tail ? path.join(m.to, ...tail.split('/')) : m.to
      })
    }

    return {count, text: out}
  }
}

const escapeRegExp = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)

function mentionPattern(prefix: string): RegExp {
  if (!isWindowsPath(prefix)) return new RegExp(escapeRegExp(prefix), 'g')
  return new RegExp(
    prefix
      .split('\\')
      .map((s) => escapeRegExp(s))
      .join(String.raw`(?:\\\\|\\|/)`),
    'gi',
  )
}

function matchPrefix(value: string, prefix: string): null | string {
  if (isWindowsPath(prefix)) {
    const v = value.replaceAll('/', '\\')
    if (v.length < prefix.length || v.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return null
    const rest = v.slice(prefix.length)
    return rest === '' || rest.startsWith('\\') ? rest : null
  }

  if (!value.startsWith(prefix)) return null
  const rest = value.slice(prefix.length)
  return rest === '' || rest.startsWith('/') ? rest : null
}
