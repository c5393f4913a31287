import JSON5 from 'json5'

/**
 * Rewrites string literals of a JSON or JSON5 document in place, leaving comments, key order,
 * quoting and whitespace exactly as they were: the config is often hand-edited, and the host
 * keeps its own .bak ring, so a rebase must be a minimal diff.
 */
export function rewriteStringLiterals(
  text: string,
  rewrite: (value: string) => null | string,
): {count: number; text: string} {
  let out = ''
  let count = 0
  let i = 0
  let last = 0
  while (i < text.length) {
    const ch = text[i]
    if (ch === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i)
      i = end === -1 ? text.length : end
      continue
    }

    if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end === -1 ? text.length : end + 2
      continue
    }

    if (ch === '"' || ch === "'") {
      let j = i + 1
      while (j < text.length && text[j] !== ch) j += text[j] === '\\' ? 2 : 1
      const literal = text.slice(i, j + 1)
      let value: unknown
      try {
        value = JSON5.parse(literal)
      } catch {
        value = undefined
      }

      if (typeof value === 'string') {
        const next = rewrite(value)
        if (next !== null && next !== value) {
          const encoded = JSON.stringify(next)
          out +=
            text.slice(last, i) +
            (ch === '"'
              ? encoded
              : `'${encoded
                  .slice(1, -1)
                  .replaceAll(String.raw`\"`, '"')
                  .replaceAll("'", String.raw`\'`)}'`)
          last = j + 1
          count++
        }
      }

      i = j + 1
      continue
    }

    i++
  }

  return {count, text: count === 0 ? text : out + text.slice(last)}
}
