/**
 * A recording stand-in for the real `openclaw` executable, for the import chaining tests: a bash
 * script in a temp bin dir that answers the commands `migrate import` runs the way OpenClaw
 * 2026.9.6 does on a machine without a service manager (see /work/notes/openclaw-host.md §5):
 *
 *   --version                                   OpenClaw <version> (abc)
 *   [--profile X] config file --json            {"path": "<state>/openclaw.json"}
 *   database ownership status --json            {"databasePath": "<state>/state/openclaw.sqlite", ...}
 *   config validate --json                      {"valid": true, ...}
 *   doctor --fix --non-interactive              "Doctor complete."
 *   doctor --lint --json [--severity-min X]     {"schemaVersion": 1, "ok": true, "findings": []}
 *   gateway restart                             exit 1 "Gateway service disabled." (no service manager)
 *   gateway run                                 a stand-in gateway: holds <state>/tmp/openclaw-<uid>/gateway.state.lock
 *                                               with its pid until SIGTERM; exit 78 if one runs, 1 without a config
 *   gateway status --json --timeout 3000        listener + rpc.ok when the lock names a live pid, else nothing running
 *   gateway stop --force --json                 SIGTERM to the lock's live pid ("stopped"), else {"result": "not-loaded"}
 *   plugins install <spec> ...                  "Installed plugin: <spec>"
 *
 * Every call appends one record to a log: its argv and the OPENCLAW_* variables it saw.
 * STANDIN_OPENCLAW_FAIL (comma-separated command prefixes, e.g. "doctor --lint") makes those exit 1.
 * STANDIN_OPENCLAW_HOLD (a command prefix) holds that call until STANDIN_OPENCLAW_HOLD_FILE exists.
 */
import fs from 'node:fs'
import path from 'node:path'

export type StandInCall = {
  /** Full argv, including a leading `--profile X`. */
  argv: string[]
  /** argv without the leading profile selection, joined by spaces: `doctor --fix --non-interactive`. */
  command: string
  /** OPENCLAW_* variables of the call. */
  env: Record<string, string>
  /** The profile selected with a leading `--profile X` (`dev` for `--dev`), else null. */
  profile: null | string
}

export type StandInOpenClaw = {
  /** Put this first on PATH. */
  binDir: string
  calls(): StandInCall[]
  clear(): void
  file: string
  logFile: string
}

export type StandInOptions = {
  /** `gateway restart` succeeds (a service manager exists) instead of "Gateway service disabled.". */
  restartWorks?: boolean
  /** Reported by `--version` (default 2026.9.6). */
  version?: string
}

const US = '\u{1F}'
const RS = '\u{1E}'

export function installStandInOpenClaw(dir: string, options: StandInOptions = {}): StandInOpenClaw {
  const binDir = path.join(dir, 'bin')
  fs.mkdirSync(binDir, {recursive: true})
  const logFile = path.join(dir, 'openclaw-calls.log')
  const file = path.join(binDir, 'openclaw')
  const q = (s: string) => `'${s.replaceAll("'", String.raw`'\''`)}'`
  const script = `#!/usr/bin/env bash
LOG=${q(logFile)}
# One write per call: parallel calls (the host is asked several things at once) must not interleave.
RECORD="$(IFS=$'\\037'; printf '%s' "$*")"$'\\036'"$(env | grep '^OPENCLAW_' | sort | tr '\\n' '\\037')"
printf '%s\\n' "$RECORD" >> "$LOG"
PROFILE=""
case "$1" in
  --profile) PROFILE="$2"; shift 2 ;;
  --profile=*) PROFILE="\${1#--profile=}"; shift ;;
  --dev) PROFILE="dev"; shift ;;
esac
BASE="\${OPENCLAW_HOME:-$HOME}"
if [ -n "$PROFILE" ]; then STATE="$BASE/.openclaw-$PROFILE"
elif [ -n "$OPENCLAW_STATE_DIR" ]; then STATE="$OPENCLAW_STATE_DIR"
else STATE="$BASE/.openclaw"; fi
CMD="$*"
LOCK="$STATE/tmp/openclaw-$(id -u)/gateway.state.lock"
LIVE=""
if [ -f "$LOCK" ]; then
  P="$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$LOCK")"
  if [ -n "$P" ] && kill -0 "$P" 2>/dev/null; then LIVE="$P"; fi
fi
IFS=',' read -ra FAILING <<< "\${STANDIN_OPENCLAW_FAIL:-}"
for f in "\${FAILING[@]}"; do
  if [ -n "$f" ] && [[ "$CMD" == "$f"* ]]; then echo "stand-in openclaw: $f told to fail" >&2; exit 1; fi
done
# STANDIN_OPENCLAW_HOLD=<command prefix> with STANDIN_OPENCLAW_HOLD_FILE=<file>: that call writes its pid to
# <file>.reached and waits until <file> exists, so a test can act while a host step runs.
if [ -n "\${STANDIN_OPENCLAW_HOLD:-}" ] && [[ "$CMD" == "$STANDIN_OPENCLAW_HOLD"* ]]; then
  echo $$ > "$STANDIN_OPENCLAW_HOLD_FILE.reached"
  while [ ! -e "$STANDIN_OPENCLAW_HOLD_FILE" ]; do sleep 0.1; done
fi
case "$CMD" in
  "--version") echo "OpenClaw ${options.version ?? '2026.9.6'} (abc)" ;;
  "config file --json") printf '{"path":"%s/openclaw.json"}\\n' "$STATE" ;;
  "database ownership status --json") printf '{"databasePath":"%s/state/openclaw.sqlite","status":"unowned"}\\n' "$STATE" ;;
  "config validate --json") printf '{"valid":true,"path":"%s/openclaw.json","warnings":[]}\\n' "$STATE" ;;
  "doctor --fix --non-interactive") echo "◇ Doctor (stand-in) checked $STATE"; echo "Doctor complete." ;;
  "doctor --lint --json"*) echo '{"schemaVersion":1,"ok":true,"checksRun":35,"checksSkipped":30,"findings":[]}' ;;
  "gateway restart")
    ${options.restartWorks ? 'echo "Gateway restarted."' : 'echo "Gateway service disabled." >&2; echo "Tip: start it with openclaw gateway run" >&2; exit 1'} ;;
  "gateway run")
    if [ -n "$LIVE" ]; then echo "stand-in gateway: already running (pid $LIVE)" >&2; exit 78; fi
    if [ ! -f "$STATE/openclaw.json" ]; then echo "stand-in gateway: no config in $STATE" >&2; exit 1; fi
    mkdir -p "$(dirname "$LOCK")"
    printf '{"pid":%d,"stateDir":"%s","port":18789}\n' $$ "$STATE" > "$LOCK"
    trap 'rm -f "$LOCK"; exit 0' TERM INT
    while :; do sleep 1 & wait $!; done ;;
  "gateway status --json --timeout "*)
    if [ -n "$LIVE" ]; then
      printf '{"service":{"loaded":false},"port":{"port":18789,"status":"busy","listeners":[{"pid":%d}]},"rpc":{"ok":true}}\n' "$LIVE"
      exit 0
    fi
    echo '{"service":{"loaded":false,"inspectionReason":"service-manager-unavailable"},"port":{"port":18789,"status":"free","listeners":[]},"rpc":{"ok":false,"kind":"connect","connectFailure":{"kind":"unreachable"},"error":"connect ECONNREFUSED 127.0.0.1:18789","url":"ws://127.0.0.1:18789"}}' ;;
  "gateway stop --force --json")
    if [ -n "$LIVE" ]; then
      kill -TERM "$LIVE"
      for _ in $(seq 100); do kill -0 "$LIVE" 2>/dev/null || break; sleep 0.1; done
      echo '{"action":"stop","ok":true,"result":"stopped"}'
      exit 0
    fi
    echo '{"action":"stop","ok":true,"result":"not-loaded","message":"Gateway service disabled."}' ;;
  "plugins install "*) echo "Installed plugin: $3"; echo "Saved for the next Gateway start." ;;
  *) echo "stand-in openclaw: unexpected args: $CMD" >&2; exit 2 ;;
esac
`
  fs.writeFileSync(file, script, {mode: 0o755})
  const calls = (): StandInCall[] => {
    if (!fs.existsSync(logFile)) return []
    return fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [args, envText = ''] = line.split(RS)
        const argv = args === '' ? [] : args.split(US)
        const env = Object.fromEntries(
          envText
            .split(US)
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        )
        let rest = argv
        let profile: null | string = null
        if (argv[0] === '--profile') {
          profile = argv[1]
          rest = argv.slice(2)
        } else if (argv[0] === '--dev') {
          profile = 'dev'
          rest = argv.slice(1)
        }

        return {argv, command: rest.join(' '), env, profile}
      })
  }

  return {
    binDir,
    calls,
    clear() {
      fs.rmSync(logFile, {force: true})
    },
    file,
    logFile,
  }
}
