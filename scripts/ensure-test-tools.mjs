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
const has = (bin) => spawnSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v ${bin}`]).status === 0
const missing = [
  ...new Set(
    Object.entries(tools)
      .filter(([bin]) => !has(bin))
      .map(([, pkg]) => pkg),
  ),
]
const root = process.getuid?.() === 0
const apt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0
// Optional: real exFAT/FAT32 images for the publish tests (mounted through FUSE, as root). Where
// they cannot be installed, those tests skip and say why.
const mountTools = {
  fusefat: 'fusefat',
  'mkfs.exfat': 'exfatprogs',
  'mkfs.vfat': 'dosfstools',
  'mount.exfat-fuse': 'exfat-fuse',
}
const optional =
  root && apt
    ? [
        ...new Set(
          Object.entries(mountTools)
            .filter(([bin]) => !has(bin))
            .map(([, pkg]) => pkg),
        ),
      ]
    : []
if (missing.length === 0 && optional.length === 0) process.exit(0)
if (missing.length > 0 && (!root || !apt)) {
  console.error(
    `The tests need these Debian packages: ${missing.join(' ')}. Install them (e.g. sudo apt-get install -y ${missing.join(' ')}) and run the tests again.`,
  )
  process.exit(1)
}

const install = [...missing, ...optional]
console.error(`Installing test tools: ${install.join(' ')}`)
execFileSync('apt-get', ['update', '-qq'], {stdio: 'inherit'})
try {
  execFileSync('apt-get', ['install', '-y', '-qq', ...install], {
    env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
    stdio: 'inherit',
  })
} catch (error) {
  if (missing.length > 0) throw error
  console.error(`Could not install ${optional.join(' ')}; the tests on exFAT/FAT32 images will be skipped.`)
}
