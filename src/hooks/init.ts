import type {Hook} from '@oclif/core'

import {MIN_NODE, nodeSupported} from '../lib/runtime/node-runtime.js'

/**
 * The oldest Node the commands run on is the oldest any supported OpenClaw runs on (the old machine
 * of a move keeps its Node). What a newer Node adds (zstd, SQLite without a flag) is detected where
 * it is used, with a message that names what to do instead.
 */
const hook: Hook<'init'> = async function (options) {
  if (!options.id?.startsWith('migrate')) return
  if (!nodeSupported()) {
    this.error(
      `openclaw-migrate needs Node ${MIN_NODE.join('.')} or newer; this is Node ${process.versions.node}. Run it with the Node that runs OpenClaw on this machine (\`openclaw --version\` works with it), or install a newer Node 22, e.g. \`nvm install 22\`.`,
      {exit: 2},
    )
  }
}

export default hook
