#!/usr/bin/env node
// Development face: runs src/ through tsx (oclif maps dist/ to src/ when NODE_ENV is development).
import {register} from 'tsx/esm/api'

// Ctrl-C while loading: nothing has started yet; end with the documented 130, not by the signal.
process.once('SIGINT', () => process.exit(130))

process.env.NODE_ENV ??= 'development'
register()
const {runStandalone} = await import('../src/standalone.ts')
await runStandalone(process.argv.slice(2), import.meta.url)
