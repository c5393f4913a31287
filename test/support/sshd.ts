/**
 * A real OpenSSH server on 127.0.0.1 for the push tests: its own host key, sshd_config and port,
 * and two local users (the old machine's and the new machine's) created with useradd, each with a
 * home in a temp dir. The old user reaches the new one through an ordinary ~/.ssh/config Host
 * entry, key and known_hosts, the way a user's push would. Needs root (useradd, sshd) and Debian's
 * openssh-server; `available()` says why not otherwise.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {mustRun} from './cli.js'

export const SSHD = '/usr/sbin/sshd'

export function sshdUnavailable(): null | string {
  if (process.getuid?.() !== 0) return 'needs root (useradd, sshd)'
  if (!fs.existsSync(SSHD)) return 'needs openssh-server (apt-get install openssh-server)'
  if (spawnSync('sh', ['-c', 'command -v ssh && command -v useradd']).status !== 0) return 'needs ssh and useradd'
  return null
}

export type LocalUser = {gid: number; home: string; name: string; uid: number}

/** Creates a local user whose home is `home`; the account is unlocked for key logins only. */
export function ensureUser(name: string, home: string): LocalUser {
  fs.mkdirSync(home, {recursive: true})
  mustRun('useradd', ['-M', '-U', '-d', home, '-s', '/bin/sh', name])
  // useradd leaves the password "!", which sshd (without PAM) takes for a locked account, keys included.
  mustRun('usermod', ['-p', '*', name])
  const uid = Number(mustRun('id', ['-u', name]).toString().trim())
  const gid = Number(mustRun('id', ['-g', name]).toString().trim())
  return {gid, home, name, uid}
}

/** Ends the user's processes and removes the account (its home is the test's temp dir). */
export function removeUser(name: string): void {
  spawnSync('userdel', ['-f', name])
}

export function chownTree(dir: string, user: LocalUser): void {
  mustRun('chown', ['-R', `${user.uid}:${user.gid}`, dir])
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => {
        resolve(port)
      })
    })
  })
}

export class TestSshd {
  private child?: ChildProcess
  hostPublicKey = ''
  port = 0
  constructor(private readonly dir: string) {}

  /** `~/.ssh` of `from`: a key authorised for `to`, known_hosts with this server's key, and a Host alias. */
  authorize(from: LocalUser, to: LocalUser, alias: string): void {
    const ssh = path.join(from.home, '.ssh')
    fs.mkdirSync(ssh, {mode: 0o700, recursive: true})
    const key = path.join(ssh, 'id_ed25519')
    if (!fs.existsSync(key)) mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', from.name, '-f', key])
    const keys = path.join(this.dir, 'authorized_keys')
    fs.mkdirSync(keys, {mode: 0o755, recursive: true})
    fs.appendFileSync(path.join(keys, to.name), fs.readFileSync(`${key}.pub`))
    fs.chmodSync(path.join(keys, to.name), 0o644)
    fs.writeFileSync(path.join(ssh, 'known_hosts'), `[127.0.0.1]:${this.port} ${this.hostPublicKey}\n`)
    fs.writeFileSync(
      path.join(ssh, 'config'),
      [
        `Host ${alias}`,
        '  HostName 127.0.0.1',
        `  Port ${this.port}`,
        `  User ${to.name}`,
        '  IdentityFile ~/.ssh/id_ed25519',
        '  IdentitiesOnly yes',
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '',
      ].join('\n'),
    )
    chownTree(ssh, from)
  }

  /** ~/.ssh/environment of `user` (PermitUserEnvironment): the PATH a login of theirs gets, and test knobs. */
  setEnvironment(user: LocalUser, env: Record<string, string>): void {
    const ssh = path.join(user.home, '.ssh')
    fs.mkdirSync(ssh, {mode: 0o700, recursive: true})
    const file = path.join(ssh, 'environment')
    fs.writeFileSync(
      file,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
      {mode: 0o600},
    )
    chownTree(ssh, user)
  }

  async start(users: string[]): Promise<void> {
    fs.mkdirSync(this.dir, {mode: 0o755, recursive: true})
    fs.mkdirSync('/run/sshd', {mode: 0o755, recursive: true})
    const hostKey = path.join(this.dir, 'ssh_host_ed25519_key')
    mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
    this.hostPublicKey = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
    this.port = await freePort()
    const config = path.join(this.dir, 'sshd_config')
    fs.writeFileSync(
      config,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys')}/%u`,
        `AllowUsers ${users.join(' ')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitUserEnvironment yes',
        // The homes live under the test's temp dirs, whose parents sshd would otherwise judge.
        'StrictModes no',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    )
    this.child = spawn(SSHD, ['-D', '-e', '-f', config], {stdio: ['ignore', 'ignore', 'pipe']})
    let log = ''
    this.child.stderr!.on('data', (c: Buffer) => (log += c.toString()))
    const deadline = Date.now() + 15_000
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`sshd exited ${this.child.exitCode}: ${log}`)
      const open = await new Promise<boolean>((resolve) => {
        const s = net.connect(this.port, '127.0.0.1', () => {
          s.destroy()
          resolve(true)
        })
        s.on('error', () => {
          resolve(false)
        })
      })
      if (open) return
      if (Date.now() > deadline) throw new Error(`sshd did not listen on ${this.port}: ${log}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  stop(): void {
    this.child?.kill('SIGTERM')
  }
}
