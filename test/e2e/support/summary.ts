/** What each e2e assertion observed, printed as one table at the end of the run (and saved beside the cache). */
import fs from 'node:fs'
import path from 'node:path'

export type Observation = {
  check: string
  face: string
  observed: string
  ok: boolean
}

const observations: Observation[] = []
const timings: Array<{face: string; ms: number; step: string}> = []

export function observe(face: string, check: string, ok: boolean, observed: string): void {
  observations.push({check, face, ok, observed: observed.replaceAll(/\s+/g, ' ').trim()})
}

export function timing(face: string, step: string, ms: number): void {
  timings.push({face, ms, step})
}

export function renderSummary(totalMs: number, header: string[] = []): string {
  const width = {
    check: Math.max(5, ...observations.map((o) => o.check.length)),
    face: Math.max(4, ...observations.map((o) => o.face.length)),
  }
  const lines = [
    '',
    '=== e2e summary: what each assertion observed ===',
    ...header,
    `${'face'.padEnd(width.face)}  ${'check'.padEnd(width.check)}  ok    observed`,
    ...observations.map(
      (o) => `${o.face.padEnd(width.face)}  ${o.check.padEnd(width.check)}  ${o.ok ? 'PASS' : 'FAIL'}  ${o.observed}`,
    ),
    '',
    'timings: ' + timings.map((t) => `${t.face}/${t.step} ${(t.ms / 1000).toFixed(1)}s`).join(', '),
    `total: ${(totalMs / 1000).toFixed(1)}s`,
    '',
  ]
  return lines.join('\n')
}

export function saveSummary(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), {recursive: true})
  fs.writeFileSync(file, text)
  fs.writeFileSync(file.replace(/\.txt$/, '.json'), JSON.stringify({observations, timings}, null, 2) + '\n')
}
