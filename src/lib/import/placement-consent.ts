import type {ConsentItem, TargetPlan} from './placement.js'

import {MigrateError} from '../errors.js'

/**
 * Roots the user must accept before anything is written: those an unauthenticated archive places
 * outside the profile's state dir, and existing data that does not look like OpenClaw's. Accepted
 * in advance by --accept-placement, or by a yes on a TTY; otherwise refused.
 */
export async function settleConsent(
  plan: TargetPlan,
  request: {acceptPlacement?: boolean; confirmPlacement?: (items: ConsentItem[]) => Promise<boolean>},
): Promise<void> {
  if (plan.consent.length === 0 || request.acceptPlacement) return
  if (request.confirmPlacement && (await request.confirmPlacement(plan.consent))) return
  throw consentError(plan)
}

export function consentError(plan: TargetPlan): MigrateError {
  return new MigrateError(
    'PLACEMENT_CONSENT',
    `This import would write where only you can allow it:\n${describeConsent(plan.consent)}`,
    {
      details: {consent: plan.consent},
      suggestions: [
        plan.authenticated
          ? 'Check each path; if it is right, import again with --accept-placement (or answer yes on a terminal).'
          : 'This archive is not passphrase-encrypted, so anyone who could write or swap the file (or, for an archive encrypted to a key, anyone with the public key) could have made it. If you made it and each path is right, import again with --accept-placement.',
        'Or place a root elsewhere with --map OLD=NEW.',
      ],
    },
  )
}

export function describeConsent(items: ConsentItem[]): string {
  return items.map((i) => `  ${i.target} (root ${i.rootId}): ${i.reason}`).join('\n')
}
