/**
 * Tests that run the CLI as an ordinary user as well as root (root hides permission bugs): a
 * real account made with useradd(8), commands run through runuser(1). Only possible as root;
 * elsewhere `testUser()` is null and the suites run as the current (already unprivileged) user.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export type TestUser = {gid: number; home: string; name: string; uid: number}

export const TEST_USER_NAME = 'ocm-robust'

function idOf(name: string, flag: '-g' | '-u'): null | number {
  const r = spawnSync('id', [flag, name])
  return r.status === 0 ? Number(r.stdout.toString().trim()) : null
}

let cached: null | TestUser | undefined

/** The unprivileged test user, created on first use (root only); null when not root. */
export function testUser(): null | TestUser {
  if (cached !== undefined) return cached
  if (process.getuid?.() !== 0) return (cached = null)
  if (idOf(TEST_USER_NAME, '-u') === null) {
    const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER_NAME], {
      env: {...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`},
    })
    if (r.status !== 0 && idOf(TEST_USER_NAME, '-u') === null)
      throw new Error(`useradd ${TEST_USER_NAME} failed: ${r.stderr.toString()}`)
  }

  const uid = idOf(TEST_USER_NAME, '-u')!
  const gid = idOf(TEST_USER_NAME, '-g')!
  return (cached = {gid, home: `/home/${TEST_USER_NAME}`, name: TEST_USER_NAME, uid})
}

/** Who runs a test's CLI: root (when we are root) and the unprivileged user. */
export type Runner = {asUser?: string; label: string; user: null | TestUser}

export function runners(): Runner[] {
  const user = testUser()
  if (!user) return [{label: `uid ${process.getuid?.()}`, user: null}]
  return [
    {label: 'root', user: null},
    {asUser: user.name, label: `unprivileged ${user.name}`, user},
  ]
}

/** A temp dir the runner owns (0700), outside any dir the runner cannot traverse. */
export function runnerTmpDir(runner: Runner, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ocm-test-${prefix}-`))
  if (runner.user) fs.chownSync(dir, runner.user.uid, runner.user.gid)
  return dir
}

/** Gives a tree to the runner (chown -R); a no-op for root. */
export function giveTo(runner: Runner, ...dirs: string[]): void {
  if (!runner.user) return
  for (const dir of dirs) {
    const r = spawnSync('chown', ['-hR', `${runner.user.uid}:${runner.user.gid}`, dir])
    if (r.status !== 0) throw new Error(`chown ${dir} failed: ${r.stderr.toString()}`)
  }
}
