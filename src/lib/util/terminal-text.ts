/**
 * Archive-provided strings (names, hostnames, paths, host output) reach the terminal. Control
 * characters there are commands to the terminal (title, clear screen, clipboard via OSC 52, cursor
 * moves) and bidi overrides disguise what is shown; each becomes a visible escape. Newlines are
 * kept only where the caller's own layout puts them.
 */

const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g

export function terminalSafe(text: string, keepNewlines = true): string {
  const escaped = text.replaceAll(UNSAFE, (c) => {
    const code = c.codePointAt(0)!
    return code <= 0xff
      ? String.raw`\x${code.toString(16).padStart(2, '0')}`
      : String.raw`\u${code.toString(16).padStart(4, '0')}`
  })
  return keepNewlines ? escaped : escaped.replaceAll('\n', String.raw`\n`)
}
