#!/usr/bin/env node
// Standalone face: `openclaw-migrate export|import|check` maps onto the plugin's `migrate *` commands.
// Ctrl-C while loading: nothing has started yet; end with the documented 130, not by the signal.
process.once('SIGINT', () => process.exit(130))
const {runStandalone} = await import('../dist/standalone.js')

await runStandalone(process.argv.slice(2), import.meta.url)
