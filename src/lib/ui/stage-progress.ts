import {ux} from '@oclif/core'

function elapsed(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}

/**
 * Staged progress on stderr with oclif's action spinner: one stage at a time ("Reading and
 * verifying the archive… 1.2 GB, 3,400 files"), each ending with its elapsed time. Only on a TTY,
 * never with --json or in CI: anywhere else every call is a no-op, so pipes and logs stay clean.
 */
export class StageProgress {
  private current: null | {started: number; title: string} = null
  private lastStatus = 0

  static forCommand(json: boolean): StageProgress {
    return new StageProgress(!json && process.stderr.isTTY && !process.env.CI)
  }

  constructor(private readonly enabled: boolean) {}

  /** Ends the current stage ("done (3.1 s)", or what it ended with). */
  done(result = 'done'): void {
    if (!this.enabled || !this.current) return
    ux.action.stop(`${result} (${elapsed(Date.now() - this.current.started)})`)
    this.current = null
  }

  /** A finished line (a host step's outcome) printed above the spinner. */
  line(text: string): void {
    if (!this.enabled) return
    if (this.current) void ux.action.pause(() => process.stderr.write(`${text}\n`))
    else process.stderr.write(`${text}\n`)
  }

  /** Runs fn (a prompt) with the spinner out of the way. */
  async pause<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.enabled || !this.current) return fn()
    return ux.action.pauseAsync(fn)
  }

  /** Starts a stage, ending the one before. */
  stage(title: string): void {
    if (!this.enabled) return
    this.done()
    this.current = {started: Date.now(), title}
    ux.action.start(title, undefined, {stdout: false})
  }

  /** What the current stage has got through so far; at most ten updates a second. */
  status(text: string): void {
    if (!this.enabled || !this.current) return
    const now = Date.now()
    if (now - this.lastStatus < 100) return
    this.lastStatus = now
    ux.action.status = text
  }

  get active(): boolean {
    return this.enabled
  }
}
