/** Variables that carry secrets of this tool: never handed to a child (host calls, the detached gateway). */
export const SECRET_ENV = ['OPENCLAW_MIGRATE_PASSPHRASE'] as const

/** A copy of `env` without this tool's secrets, for every process it starts. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = {...env}
  for (const k of SECRET_ENV) delete out[k]
  return out
}
