import {confirm, password} from '@inquirer/prompts'
import fs from 'node:fs'

import {type DecryptionKeys, type EncryptionSpec, readKeyFile, validateRecipient} from '../archive/encryption.js'
import {MigrateError} from '../errors.js'
import {registerSecret} from '../util/redact.js'

export const PASSPHRASE_ENV = 'OPENCLAW_MIGRATE_PASSPHRASE'

export type KeyFlags = {
  encrypt?: boolean
  identity?: string[]
  'passphrase-file'?: string
  recipient?: string[]
  'recipients-file'?: string
}

function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !process.env.CI
}

function readPassphraseFile(file: string): string {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new MigrateError(
      'USAGE',
      `Cannot read --passphrase-file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    )
  }

  const passphrase = text.replace(/\r?\n$/, '')
  if (!passphrase) throw new MigrateError('PASSPHRASE_REQUIRED', `--passphrase-file ${file} is empty.`)
  return passphrase
}

async function prompt(message: string): Promise<string> {
  // Prompts go to stderr: stdout may be carrying the archive (`-o -`).
  return password({mask: '*', message, toggleMask: false}, {output: process.stderr})
}

/** True when resolveEncryption would ask on the TTY: the caller asks first, before slow planning. */
export function willPromptForEncryption(flags: KeyFlags): boolean {
  return (
    flags.encrypt !== false &&
    !flags.recipient?.length &&
    !flags['recipients-file'] &&
    !flags['passphrase-file'] &&
    !process.env[PASSPHRASE_ENV] &&
    interactive()
  )
}

const TRIES = 3

/**
 * Why a passphrase is easy to guess offline (anyone holding the archive can try), or null.
 * Length and variety stand in for entropy: ~12 mixed characters or 4+ words is the floor.
 */
export function weakness(passphrase: string): null | string {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^\da-z]/i].filter((re) => re.test(passphrase)).length
  const distinct = new Set(passphrase).size
  if (passphrase.length < 8) return `it has only ${passphrase.length} characters`
  if (distinct < 5) return `it uses only ${distinct} different characters`
  if (passphrase.length < 12 && classes < 3) return 'it is short and uses few kinds of characters'
  return null
}

/** Asks twice, again on a mismatch (3 tries); a weak passphrase needs a yes. */
async function askNewPassphrase(): Promise<string> {
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const passphrase = await prompt('Passphrase for the archive')
    if (!passphrase) {
      process.stderr.write('An empty passphrase is not allowed (--no-encrypt writes the archive in the clear).\n')
      continue
    }

    const weak = weakness(passphrase)
    if (
      weak &&
      !(await confirm(
        {
          default: false,
          message: `This passphrase is weak (${weak}): anyone with the archive can guess it offline. Use it anyway?`,
        },
        {output: process.stderr},
      ))
    )
      continue
    if ((await prompt('Repeat the passphrase')) === passphrase) return passphrase
    process.stderr.write(`The passphrases do not match${attempt < TRIES ? '; once more' : ''}.\n`)
  }

  throw new MigrateError('PASSPHRASE_MISMATCH', `No passphrase after ${TRIES} tries; nothing was written.`, {
    suggestions: ['Run the export again, or pass --passphrase-file FILE.'],
  })
}

/** Where the export's encryption comes from: recipients, a passphrase file, the env, a prompt, or an explicit opt-out. */
export async function resolveEncryption(flags: KeyFlags): Promise<EncryptionSpec> {
  const recipients = [
    ...(flags.recipient ?? []).map((r) => validateRecipient(r)),
    ...(flags['recipients-file'] ? readKeyFile(flags['recipients-file'], 'recipient') : []),
  ]
  if (flags.encrypt === false) {
    if (recipients.length > 0 || flags['passphrase-file'])
      throw new MigrateError('USAGE', '--no-encrypt cannot be combined with a passphrase or recipients.')
    return {kind: 'none'}
  }

  if (recipients.length > 0) {
    if (flags['passphrase-file'])
      throw new MigrateError(
        'USAGE',
        'age encrypts to recipients or to a passphrase, not both: drop --passphrase-file or the recipients.',
      )
    return {kind: 'recipients', recipients}
  }

  let passphrase = flags['passphrase-file'] ? readPassphraseFile(flags['passphrase-file']) : process.env[PASSPHRASE_ENV]
  if (!passphrase) {
    if (!interactive()) {
      throw new MigrateError(
        'PASSPHRASE_REQUIRED',
        'The archive is encrypted by default, and there is no passphrase source (no TTY to ask on).',
        {
          suggestions: [
            `Pass --passphrase-file FILE, set ${PASSPHRASE_ENV}, use --recipient age1…, or --no-encrypt to write it in the clear.`,
          ],
        },
      )
    }

    passphrase = await askNewPassphrase()
  }

  registerSecret(passphrase)
  return {kind: 'passphrase', passphrase}
}

/** Keys to open an encrypted archive with; asks for a passphrase only when nothing else was given. */
export async function resolveDecryption(flags: KeyFlags): Promise<DecryptionKeys> {
  const identities = (flags.identity ?? []).flatMap((f) => readKeyFile(f, 'identity'))
  for (const id of identities) registerSecret(id)
  let passphrase = flags['passphrase-file'] ? readPassphraseFile(flags['passphrase-file']) : process.env[PASSPHRASE_ENV]
  if (!passphrase && identities.length === 0) {
    if (!interactive()) {
      throw new MigrateError(
        'PASSPHRASE_REQUIRED',
        'The archive is encrypted and there is no passphrase or identity to open it with (no TTY to ask on).',
        {
          suggestions: [`Pass --passphrase-file FILE, set ${PASSPHRASE_ENV}, or --identity KEYFILE.`],
        },
      )
    }

    passphrase = await prompt('Passphrase of the archive')
  }

  registerSecret(passphrase)
  return {identities, passphrase: passphrase || undefined}
}
