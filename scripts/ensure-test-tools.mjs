#!/usr/bin/env node
// The tests drive real `tar`, `age`, `zstd` and `expect` processes (interoperability is part of the
// contract). On a fresh Debian machine (CI, root) install what is missing; elsewhere say what to install.
import {execFileSync, spawnSync} from 'node:child_process'

const tools = {
  age: 'age',
  'age-keygen': 'age',
  expect: 'expect',
  ssh: 'openssh-client',
  sshd: 'openssh-server',
  tar: 'tar',
  zstd: 'zstd',
}
const missing = [
  ...new Set(
    Object.entries(tools)
      .filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0)
      .map(([, pkg]) => pkg),
  ),
]
if (missing.length === 0) process.exit(0)
const root = process.getuid?.() === 0
const apt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0
if (!root || !apt) {
  console.error(
    `The tests need these Debian packages: ${missing.join(' ')}. Install them (e.g. sudo apt-get install -y ${missing.join(' ')}) and run the tests again.`,
  )
  process.exit(1)
}

console.error(`Installing test tools: ${missing.join(' ')}`)
execFileSync('apt-get', ['update', '-qq'], {stdio: 'inherit'})
execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
  env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
  stdio: 'inherit',
})
