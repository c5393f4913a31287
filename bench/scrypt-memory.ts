/**
 * What age's passphrase mode costs in memory and time, apart from everything else: encrypts and
 * decrypts 1 MiB with age-encryption (the library the CLI uses) at several scrypt work factors,
 * and with an X25519 recipient, each in a fresh process, reporting peak RSS (/usr/bin/time).
 *
 *   node --import tsx bench/scrypt-memory.ts
 */
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const self = fileURLToPath(import.meta.url)

if (process.argv[2] === '--child') {
  const {Decrypter, Encrypter, generateX25519Identity, identityToRecipient} = await import('age-encryption')
  const mode = process.argv[3]
  const data = new Uint8Array(1024 * 1024)
  const started = performance.now()
  const e = new Encrypter()
  const d = new Decrypter()
  if (mode === 'recipient') {
    const id = await generateX25519Identity()
    e.addRecipient(await identityToRecipient(id))
    d.addIdentity(id)
  } else {
    e.setScryptWorkFactor(Number(mode))
    e.setPassphrase('benchmark passphrase')
    d.addPassphrase('benchmark passphrase')
  }

  const encrypted = await e.encrypt(data)
  const encryptMs = performance.now() - started
  await d.decrypt(encrypted)
  console.log(
    JSON.stringify({decryptMs: Math.round(performance.now() - started - encryptMs), encryptMs: Math.round(encryptMs)}),
  )
} else {
  const base = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, '--input-type=module', '-e', "await import('age-encryption')"],
    {cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8'},
  )
  console.log(
    `| mode | encrypt ms | decrypt ms | peak RSS MB (1 MiB encrypted and decrypted) |\n|---|---:|---:|---:|\n| (node + age-encryption loaded, nothing done) | | | ${(Number(base.stderr.trim().split('\n').pop()) / 1024).toFixed(0)} |`,
  )
  for (const mode of ['recipient', '15', '16', '17', '18']) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', self, '--child', mode], {
      encoding: 'utf8',
    })
    const t = JSON.parse(r.stdout.trim()) as {decryptMs: number; encryptMs: number}
    const rss = Number(r.stderr.trim().split('\n').pop()) / 1024
    console.log(
      `| ${mode === 'recipient' ? 'X25519 recipient' : `passphrase, scrypt logN=${mode} (${(2 ** Number(mode) * 1024) / 2 ** 20} MiB)`} | ${t.encryptMs} | ${t.decryptMs} | ${rss.toFixed(0)} |`,
    )
  }
}
