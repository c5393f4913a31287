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
import {rmrf} from '../support/cli.js'

describe('journal: a rollback that cannot complete, undo order', () => {
  let home: string

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-test-journal-'))
  })

  afterEach(() => {
    rmrf(home)
  })

  function journalFor(runId: string, target: string): ImportJournal {
    const staging = path.join(path.dirname(target), `.${path.basename(target)}.migrate-staging-${runId}`)
    fs.mkdirSync(staging, {recursive: true})
    fs.writeFileSync(path.join(staging, 'IMPORTED'), runId)
    const root = {id: 'state', type: 'dir'}
    const journal = newJournal(runId, 'archive', [{createdParents: [], root, staging, target} as any])
    saveJournal(home, journal)
    return journal
  }

  it('a step that cannot be rolled back is recorded with its manual step and blocks nothing', () => {
    const target = path.join(home, '.openclaw-work')
    const journal = journalFor('run1', target)
    // A staging name the filesystem refuses (ENAMETOOLONG), as a pre-fix import left them.
    journal.steps[0].staging = path.join(home, `.${'x'.repeat(300)}`)
    journal.state = 'activating'
    journal.pid = 2 ** 22 + 1 // no such process
    saveJournal(home, journal)
    fs.mkdirSync(target)
    expect(() => recoverInterrupted(home)).not.to.throw()
    const [stuck] = unresolvedJournals(home)
    expect(stuck.state).to.equal('rollback-failed')
    expect(stuck.unresolved!.join('\n')).to.include(`rm -rf '${journal.steps[0].staging}'`)
    // Later runs are not blocked by it.
    expect(() => recoverInterrupted(home)).not.to.throw()
  })

  it('undo picks the import activated last, not the one started last', () => {
    const target = path.join(home, '.openclaw-work')
    const first = journalFor('run1-started-first', target)
    const second = journalFor('run2-started-second', path.join(home, 'ws'))
    activate(home, second)
    activate(home, first)
    expect(lastActivatedImport(home).runId).to.equal('run1-started-first')
  })
})
