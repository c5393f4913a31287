import path from 'node:path'

import type {ImportJournal} from './import-journal.js'

import {boundedSibling, isInside} from '../util/paths.js'
import {isCopyOf} from './aside-names.js'
import {TOOL_DIR_NAME} from './placement-rules.js'
import {STAGING_MARK} from './staging.js'

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/

function normalAbsolute(p: unknown): p is string {
  return typeof p === 'string' && path.isAbsolute(p) && path.normalize(p) === p && !p.includes('\0')
}

/**
 * Why a journal cannot be acted on, or null when it can. Recovery and undo rename and delete what a
 * journal names, so a journal may only name what this tool creates for that run: staging dirs
 * `.<target>.migrate-staging-<runId>` next to their target, asides `<target>.pre-migrate-<UTC>`
 * (undone copies `<target>.undone-<UTC>`),
 * and empty parents above its own staging dirs; never anything in this tool's own dir. A journal
 * that names anything else (planted, edited, damaged) is ignored, never obeyed.
 */
export function journalProblem(journal: ImportJournal, fileName: string, home: string): null | string {
  if (!journal || typeof journal !== 'object') return 'not an object'
  if (journal.version !== 1) return 'unknown version'
  if (typeof journal.runId !== 'string' || !RUN_ID.test(journal.runId)) return 'bad run id'
  if (fileName !== `${journal.runId}.json`) return 'file name does not match its run id'
  if (!Array.isArray(journal.steps) || !Array.isArray(journal.targets)) return 'no steps'
  if (journal.pruned !== undefined && !Array.isArray(journal.pruned)) return 'bad pruned list'
  const toolDir = path.join(home, TOOL_DIR_NAME)
  const tops = journal.steps.filter((s) => s && !s.nested)
  for (const step of journal.steps) {
    if (!step || typeof step !== 'object') return 'bad step'
    if (!normalAbsolute(step.target) || !normalAbsolute(step.staging)) return 'a step names a relative path'
    if (isInside(step.target, toolDir) || isInside(toolDir, step.target)) return "a step names this tool's own dir"
    if (isInside(home, step.target)) return 'a step names this home or a dir above it'
    if (step.nested) {
      if (
        tops.every(
          (t) => !(normalAbsolute(t.staging) && isInside(step.staging, t.staging)) || step.staging === t.staging,
        )
      )
        return 'a nested step is staged outside every staging dir of the run'
    } else {
      // Names as staging.ts and activation make them: bounded to 255 bytes, so a long name is cut and hashed.
      if (step.staging !== boundedSibling(step.target, `${STAGING_MARK}${journal.runId}`, '.'))
        return 'a staging path is not one this tool makes'
      if (step.aside !== null && !(normalAbsolute(step.aside) && isCopyOf(step.aside, step.target, 'moved-aside')))
        return 'an aside path is not one this tool makes'
      if (step.undone !== undefined && !(normalAbsolute(step.undone) && isCopyOf(step.undone, step.target, 'undone')))
        return 'an undone path is not one this tool makes'
    }

    if (!Array.isArray(step.createdParents)) return 'bad parents'
    for (const d of step.createdParents)
      if (!normalAbsolute(d) || !isInside(step.staging, d) || d === step.staging || isInside(home, d))
        return 'a created parent is not above its staging dir'
  }

  return null
}
