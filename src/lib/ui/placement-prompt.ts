import {confirm} from '@inquirer/prompts'

import type {ConsentItem} from '../import/placement.js'

import {describeConsent} from '../import/placement-consent.js'
import {terminalSafe} from '../util/terminal-text.js'

/** On a terminal, shows the roots that need the user's yes and asks; elsewhere (CI, pipes) the answer is no. */
export async function confirmPlacementOnTty(items: ConsentItem[]): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false
  process.stderr.write(
    `The archive places these where only you can allow it:\n${terminalSafe(describeConsent(items))}\n`,
  )
  return confirm({default: false, message: 'Write them there?'}, {output: process.stderr})
}
