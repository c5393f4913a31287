#!/usr/bin/env node
// Standalone face: `openclaw-migrate export|import|check` maps onto the plugin's `migrate *` commands.
import {readFileSync} from 'node:fs'

// An older Node gets one line saying which Node is needed, before oclif or any module it lacks loads.
const {engines} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const [need, have] = [engines.node.replace(/^\D*/, ''), process.versions.node].map((v) => v.split('.').map(Number))
if (have[0] < need[0] || (have[0] === need[0] && (have[1] < need[1] || (have[1] === need[1] && have[2] < need[2])))) {
  process.stderr.write(
    `openclaw-migrate needs Node ${need.join('.')} or newer (the Node that runs OpenClaw); this is Node ${process.versions.node}. Run it with that Node, e.g. \`nvm use 22\`.\n`,
  )
  process.exit(2)
}

// Ctrl-C while loading: nothing has started yet; end with the documented 130, not by the signal.
process.once('SIGINT', () => process.exit(130))
const {runStandalone} = await import('../dist/standalone.js')

await runStandalone(process.argv.slice(2), import.meta.url)
