/**
 * The standalone bin speaks `openclaw-migrate export|import|check`; the commands live under the
 * `migrate` topic so an oclif host shows them as `openclaw migrate ...`. Map one onto the other.
 */
const VERBS = new Set(['check', 'export', 'import'])

export function standaloneArgv(argv: string[]): string[] {
  const [first, ...rest] = argv
  if (first && VERBS.has(first)) return ['migrate', first, ...rest]
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return rest.length > 0 && VERBS.has(rest[0]) ? ['migrate', rest[0], '--help'] : ['migrate', '--help']
  }

  return argv
}
