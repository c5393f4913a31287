import type {ChainStep, StepStatus} from '../host/host-chain.js'

const LABEL: Record<StepStatus, string> = {failed: 'FAILED', ok: 'ok', skipped: 'skipped', warning: 'warning'}

function seconds(ms: number): string {
  return ms >= 1000 ? ` (${(ms / 1000).toFixed(1)} s)` : ''
}

/**
 * One OpenClaw step as a line (its status, name, time, what the host said); a failure's message
 * follows whole, indented, because the user needs the host's own words to fix it.
 */
export function stepLine(s: ChainStep, indent = '  '): string {
  const [first, ...rest] = s.summary.split('\n')
  const head = `${indent}${LABEL[s.status].padEnd(8)} ${s.step}${seconds(s.durationMs)}${first ? ` — ${first}` : ''}`
  return [head, ...rest.map((l) => `${indent}         ${l}`)].join('\n')
}
