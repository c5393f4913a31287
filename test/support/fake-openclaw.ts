/**
 * A stand-in `openclaw` executable (a POSIX shell script) for host-context tests. It answers
 * `config file --json`, `database ownership status --json` and `--version` the way the real host
 * does (after a banner line, like the real CLI can print), honours `--profile X` / `--dev`, and
 * appends each invocation's argv (one line per call) to a log so tests can see what was passed.
 */
import fs from 'node:fs'
import path from 'node:path'

export type FakeOpenClaw = {
  /** Directory to put first on PATH. */
  binDir: string
  /** One line per invocation: the argv joined by spaces. */
  calls(): string[]
  file: string
}

export type FakeOpenClawOptions = {
  /** Make `config file` and `database ownership status` fail (exit 1, no JSON). */
  broken?: boolean
  /** Where the fake host keeps its state (without a profile); default $HOME/.openclaw. */
  stateDir?: string
  version?: string
}

export function installFakeOpenClaw(dir: string, options: FakeOpenClawOptions = {}): FakeOpenClaw {
  const binDir = path.join(dir, 'bin')
  fs.mkdirSync(binDir, {recursive: true})
  const log = path.join(dir, 'openclaw-argv.log')
  const file = path.join(binDir, 'openclaw')
  const q = (s: string) => `'${s.replaceAll("'", String.raw`'\''`)}'`
  const script = String.raw`#!/bin/sh
printf '%s\n' "$*" >> ${q(log)}
PROFILE=""
case "$1" in
  --profile) PROFILE="$2"; shift 2 ;;
  --dev) PROFILE="dev"; shift ;;
esac
BASE=${options.stateDir ? q(options.stateDir) : '"$HOME/.openclaw"'}
if [ -n "$PROFILE" ]; then STATE="$BASE-$PROFILE"; else STATE="$BASE"; fi
case "$*" in
  "--version") echo "OpenClaw ${options.version ?? '2026.9.6'} (fake)"; exit 0 ;;
esac
if [ ${options.broken ? '1' : '0'} = 1 ]; then echo "Error: gateway config is corrupt" >&2; exit 1; fi
case "$*" in
  "config file --json") echo "🦞 OpenClaw banner"; printf '{"path":"%s/openclaw.json"}\n' "$STATE" ;;
  "database ownership status --json") printf '{"databasePath":"%s/state/openclaw.sqlite","owner":"gateway"}\n' "$STATE" ;;
  *) echo "fake openclaw: unexpected args: $*" >&2; exit 2 ;;
esac
`
  fs.writeFileSync(file, script, {mode: 0o755})
  return {
    binDir,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    file,
  }
}
