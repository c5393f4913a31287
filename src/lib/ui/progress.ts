import {ux} from '@oclif/core'

import {humanBytes} from '../util/paths.js'

/**
 * A progress bar with bytes and files, drawn with oclif's action spinner on stderr.
 * Only on a TTY and never in --json mode: anywhere else it is silent, so pipes and logs stay clean.
 */
export class ProgressBar {
  private readonly enabled: boolean
  private lastDraw = 0

  constructor(
    private readonly label: string,
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    options: {json: boolean},
  ) {
    this.enabled = !options.json && Boolean(process.stderr.isTTY) && !process.env.CI
  }

  start(): void {
    if (this.enabled) ux.action.start(this.label, 'starting', {stdout: false})
  }

  update(bytes: number, files: number): void {
    if (!this.enabled) return
    const now = Date.now()
    if (now - this.lastDraw < 100) return
    this.lastDraw = now
    const ratio = this.totalBytes > 0 ? Math.min(1, bytes / this.totalBytes) : 0
    const width = 24
    const filled = Math.round(ratio * width)
    ux.action.status = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${humanBytes(bytes)}/${humanBytes(this.totalBytes)} ${files}/${this.totalFiles} files`
  }

  stop(message = 'done'): void {
    if (this.enabled) ux.action.stop(message)
  }
}
