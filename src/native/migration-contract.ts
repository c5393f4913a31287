/**
 * The host's migration-provider contract, as declared by OpenClaw 2026.9
 * (src/plugins/migration-provider.types.ts in the installed package's .d.ts): the parts this
 * provider reads and returns. The host package is not a dependency, so the shapes are kept here.
 */
export type MigrationItemStatus = 'conflict' | 'error' | 'migrated' | 'planned' | 'skipped' | 'warning'

export type MigrationItem = {
  action: string
  details?: Record<string, unknown>
  id: string
  kind: string
  message?: string
  reason?: string
  sensitive?: boolean
  source?: string
  status: MigrationItemStatus
  target?: string
}

export type MigrationSummary = {
  conflicts: number
  errors: number
  migrated: number
  planned: number
  sensitive: number
  skipped: number
  total: number
}

export type MigrationDetection = {
  confidence?: 'high' | 'low' | 'medium'
  found: boolean
  label?: string
  message?: string
  source?: string
}

export type MigrationPlan = {
  items: MigrationItem[]
  metadata?: Record<string, unknown>
  nextSteps?: string[]
  providerId: string
  source: string
  summary: MigrationSummary
  target?: string
  warnings?: string[]
}

export type MigrationApplyResult = MigrationPlan & {backupPath?: string; reportDir?: string}

export type MigrationLogger = {
  debug?: (message: string) => void
  error: (message: string) => void
  info: (message: string) => void
  warn: (message: string) => void
}

export type MigrationProviderContext = {
  backupPath?: string
  includeSecrets?: boolean
  itemKinds?: readonly string[]
  logger: MigrationLogger
  overwrite?: boolean
  providerOptions?: Record<string, unknown>
  reportDir?: string
  signal?: AbortSignal
  source?: string
  stateDir: string
}

export type MigrationProvider = {
  apply: (ctx: MigrationProviderContext, plan?: MigrationPlan) => Promise<MigrationApplyResult>
  description?: string
  detect?: (ctx: MigrationProviderContext) => Promise<MigrationDetection>
  id: string
  label: string
  plan: (ctx: MigrationProviderContext) => Promise<MigrationPlan>
}

/** Same counting rule as the host's summarizeMigrationItems. */
export function summarizeItems(items: MigrationItem[]): MigrationSummary {
  const count = (status: MigrationItemStatus) => items.filter((i) => i.status === status).length
  return {
    conflicts: count('conflict'),
    errors: count('error'),
    migrated: count('migrated'),
    planned: count('planned'),
    sensitive: items.filter((i) => i.sensitive).length,
    skipped: count('skipped'),
    total: items.length,
  }
}
