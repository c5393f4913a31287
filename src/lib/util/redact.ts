/**
 * Last line of defence for secrets in anything printed: messages are built from paths and names,
 * never file contents, but host output and library errors are passed through this first.
 * Values registered at run time (a passphrase, tokens read while inventorying) are replaced too.
 */
const known = new Set<string>()

const PATTERNS: RegExp[] = [
  /\b(sk-[A-Za-z0-9_-]{12,})/g, // OpenAI / Anthropic style API keys
  /\b(xox[abpr]-[A-Za-z0-9-]{10,})/g, // Slack tokens
  /\b(\d{6,12}:[A-Za-z0-9_-]{30,})/g, // Telegram bot tokens
  /\b(gh[pousr]_[A-Za-z0-9]{20,})/g, // GitHub tokens
  /\b(AGE-SECRET-KEY-1[0-9A-Z]+)/g, // age identities
  /("?(?:token|secret|password|passphrase|apiKey|api_key|privateKey|private_key)"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,}]+)/gi,
]

export function registerSecret(value: null | string | undefined): void {
  if (value && value.length >= 6) known.add(value)
}

export function redactText(text: string): string {
  let out = text
  for (const secret of known) out = out.split(secret).join('[REDACTED]')
  for (const pattern of PATTERNS) {
    out = out.replace(pattern, (match, ...groups: unknown[]) => {
      if (
        groups.length >= 3 &&
        typeof groups[1] === 'string' &&
        typeof groups[0] === 'string' &&
        pattern.source.startsWith('("?')
      )
        return `${groups[0]}[REDACTED]`
      return '[REDACTED]'
    })
  }

  return out
}
