/** The import journal on its own: a rollback that cannot complete, undo in activation order. */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {
  activate,
  type ImportJournal,
  lastActivatedImport,
  newJournal,
  recoverInterrupted,
  saveJournal,
  unresolvedJournals,
} from '../../src/lib/import/import-journal.js'
import {STAGING_MARK} from '../../src/lib/import/staging.js'
import {boundedSibling} from '../../src/lib/util/paths.js'
import {rmrf} from '../support/cli.js'

describe('journal: a rollback that cannot complete, undo order', () => {
  let home: string

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-test-journal-'))
  })

  afterEach(() => {
    rmrf(home)
  })

  // Run ids and staging names as the tool makes them: a journal naming anything else is never acted on.
  const RUN1 = '20261124T100000Z-00000a'
  const RUN2 = '20261124T100001Z-00000b'

  function journalFor(runId: string, target: string): ImportJournal {
    const staging = boundedSibling(target, `${STAGING_MARK}${runId}`, '.')
    fs.mkdirSync(staging, {recursive: true})
    fs.writeFileSync(path.join(staging, 'IMPORTED'), runId)
    const root = {id: 'state', type: 'dir'}
    const journal = newJournal(runId, 'archive', [{createdParents: [], root, staging, target} as any])
    saveJournal(home, journal)
    return journal
  }

  it('a step that cannot be rolled back is recorded with its manual step and blocks nothing', () => {
    const target = path.join(home, '.openclaw-work')
    const journal = journalFor(RUN1, target)
    activate(home, journal)
    // Killed after activation began: the imported copy must go back to its staging name, but a
    // non-empty dir already holds that name, so the rename fails (ENOTEMPTY).
    fs.mkdirSync(journal.steps[0].staging)
    fs.writeFileSync(path.join(journal.steps[0].staging, 'IN-THE-WAY'), '')
    journal.state = 'activating'
    journal.pid = 2 ** 22 + 1 // no such process
    saveJournal(home, journal)
    expect(() => recoverInterrupted(home)).not.to.throw()
    const [stuck] = unresolvedJournals(home)
    expect(stuck?.state).to.equal('rollback-failed')
    expect(stuck.unresolved!.join('\n')).to.include(`mv '${target}' '${journal.steps[0].staging}'`)
    // Later runs are not blocked by it.
    expect(() => recoverInterrupted(home)).not.to.throw()
  })

  it('staging and aside names of a 220-byte target stay within 255 bytes and the journal is still acted on', () => {
    const target = path.join(home, 'w'.repeat(220))
    fs.mkdirSync(target)
    const journal = journalFor(RUN1, target)
    activate(home, journal)
    expect(path.basename(journal.steps[0].staging).length).to.be.at.most(255)
    expect(path.basename(journal.steps[0].aside!).length).to.be.at.most(255)
    expect(lastActivatedImport(home).runId).to.equal(RUN1)
  })

  it('undo picks the import activated last, not the one started last', () => {
    const target = path.join(home, '.openclaw-work')
    const first = journalFor(RUN1, target)
    const second = journalFor(RUN2, path.join(home, 'ws'))
    activate(home, second)
    activate(home, first)
    expect(lastActivatedImport(home).runId).to.equal(RUN1)
  })
})
