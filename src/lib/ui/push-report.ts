import type {PushOutcome} from '../push/push-operation.js'
import type {RetiredCopy} from '../push/retire.js'

import {humanBytes} from '../util/paths.js'

export function describeDowntime(outcome: PushOutcome): string {
  if (!outcome.gateway.wasRunning) return 'No gateway was running here, so none was down.'
  if (outcome.downtimeMs === null)
    return `The gateway here is stopped and none was started on ${outcome.target}: it stays down until you start it there.`
  return `gateway down for ${(outcome.downtimeMs / 1000).toFixed(1)} s`
}

export function renderPush(outcome: PushOutcome): string {
  const ahead = outcome.sentAhead
  const lines = [
    ...(ahead
      ? [
          `Sent ${humanBytes(ahead.bytes)} in ${ahead.files} files ahead while the gateway here kept running (${(ahead.ms / 1000).toFixed(1)} s).`,
          `Then, gateway stopped: ${outcome.withheld} unchanged files named, ${humanBytes(outcome.exported.bytes)} of changed or new files sent; ${outcome.received.entries} entries verified on ${outcome.target}.`,
        ]
      : [
          `Pushed ${humanBytes(outcome.exported.bytes)} in ${outcome.exported.files} files to ${outcome.target} (${outcome.received.entries} entries verified there).`,
        ]),
    describeDowntime(outcome),
  ]
  if (outcome.retired)
    for (const m of outcome.retired.moves)
      lines.push(
        `This copy was moved aside: ${m.from} → ${m.to} (\`openclaw-migrate push --restore-source\` puts it back).`,
      )
  else
    lines.push(
      'This copy was kept (--keep-source). Do not start its gateway: two gateways would answer the same channels.',
    )
  for (const step of outcome.received.manualSteps)
    if (!step.startsWith('On the OLD machine')) lines.push(`On ${outcome.target}: ${step}`)
  return lines.join('\n')
}

export function summarizePush(outcome: PushOutcome, warnings: string[]) {
  return {
    downtimeMs: outcome.downtimeMs,
    exported: outcome.exported,
    gateway: outcome.gateway,
    keptSource: outcome.keptSource,
    remote: {
      entries: outcome.received.entries,
      gatewayRunning: outcome.received.gatewayRunning,
      hostVersion: outcome.preflight.host.version,
      manualSteps: outcome.received.manualSteps,
      movedAside: outcome.received.movedAside,
      steps: outcome.received.steps,
      toolVersion: outcome.preflight.tool.version,
    },
    retired: outcome.retired,
    sentAhead: outcome.sentAhead,
    target: outcome.target,
    warnings,
    withheld: outcome.withheld,
  }
}

export function renderRestore(record: RetiredCopy): string {
  return [
    ...record.moves.map((m) => `Restored ${m.from} (from ${m.to}).`),
    `The state is also on ${record.host}: stop the gateway there before you start this one, so two gateways never answer the same channels.`,
  ].join('\n')
}
