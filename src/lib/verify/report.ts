import {MigrateError} from '../errors.js'
import {plural} from '../util/paths.js'

export type CheckStatus = 'ok' | 'problem' | 'warn'

export type CheckItem = {
  /** How to fix it, for problems and warnings. */
  fix?: string
  id: string
  message: string
  status: CheckStatus
}

export class CheckReport {
  readonly items: CheckItem[] = []

  ok(id: string, message: string): void {
    this.items.push({id, message, status: 'ok'})
  }

  warn(id: string, message: string, fix?: string): void {
    this.items.push({fix, id, message, status: 'warn'})
  }

  problem(id: string, message: string, fix: string): void {
    this.items.push({fix, id, message, status: 'problem'})
  }

  get ready(): boolean {
    return !this.items.some((i) => i.status === 'problem')
  }

  get problems(): CheckItem[] {
    return this.items.filter((i) => i.status === 'problem')
  }

  /** The error a run ends with when this report has problems (exit 1); each problem is a suggestion. */
  notReady(message: string): MigrateError {
    return new MigrateError('NOT_READY', `${message} ${plural(this.problems.length, 'problem')} to fix first.`, {
      details: {problems: this.problems.map((p) => p.id)},
      suggestions: this.problems.map((p) => p.fix ?? p.message),
    })
  }

  render(title: string): string {
    const mark = {ok: 'ok  ', problem: 'FIX ', warn: 'warn'}
    const lines = [title]
    for (const item of this.items) {
      lines.push(`  ${mark[item.status]} ${item.message}`)
      if (item.fix && item.status !== 'ok') lines.push(`       → ${item.fix}`)
    }

    const warnings = this.items.filter((i) => i.status === 'warn').length
    lines.push(
      '',
      this.ready
        ? warnings > 0
          ? `Ready, with ${plural(warnings, 'warning')} above.`
          : 'Ready.'
        : `Not ready: ${plural(this.problems.length, 'problem')} to fix first.`,
    )
    return lines.join('\n')
  }
}
