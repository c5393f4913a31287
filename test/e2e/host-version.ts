/**
 * The one OpenClaw version the end-to-end suite installs and runs against. Bump it here (or set
 * OPENCLAW_E2E_VERSION for a one-off run); the install is cached per version in .cache/openclaw-<version>/.
 */
export const OPENCLAW_VERSION = '2026.9.6'

export const E2E_OPENCLAW_VERSION = process.env.OPENCLAW_E2E_VERSION || OPENCLAW_VERSION

/** The Node that runs the host: installed by the node@24 devDependency (npm scripts put it first on PATH). */
export const NODE_FOR_HOST = '24.21.0'
