import type {Hook} from '@oclif/core'

const MIN_NODE = [24, 16]

/**
 * The migrate commands need the host's runtime: `node:sqlite` (consistent snapshots) and zstd.
 * Fail early with a clear message instead of an obscure import error half-way through an export.
 */
const hook: Hook<'init'> = async function (options) {
  if (!options.id?.startsWith('migrate')) return
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    this.error(
      `openclaw-migrate needs Node ${MIN_NODE.join('.')} or newer (OpenClaw's own runtime); this is Node ${process.versions.node}. Run it with the Node that runs OpenClaw, e.g. \`nvm use 24\`.`,
      {exit: 2},
    )
  }
}

export default hook
