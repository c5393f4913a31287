/**
 * The names of the copies this tool leaves behind (asides, undone copies, retired sources): what
 * `--list-asides`/`--prune-asides` match exactly, and what an import journal may name. A long
 * target gets a bounded (cut and hashed) name; its journal must still be one this tool obeys.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isCopyOf, parseMarked, stampTime} from '../../src/lib/import/aside-names.js'
import {activate, listJournals, newJournal, saveJournal, undoImport} from '../../src/lib/import/import-journal.js'
import {planStaging} from '../../src/lib/import/staging.js'
import {boundedSibling} from '../../src/lib/util/paths.js'
import {rmrf} from '../support/cli.js'

describe('aside names', () => {
  describe('exact matches only', () => {
    const target = '/home/ana/.openclaw-work'

    it('recognises the three kinds, with the counter a second copy in one second gets', () => {
      expect(parseMarked('.openclaw-work.pre-migrate-20261124T101500Z')).to.include({kind: 'moved-aside'})
      expect(parseMarked('.openclaw-work.undone-20261124T101500Z-3')).to.include({kind: 'undone'})
      expect(parseMarked('.openclaw-work.moved-to-new-box.lan-20261124T101500Z-2')).to.deep.include({
        host: 'new-box.lan',
        kind: 'retired',
      })
      expect(isCopyOf(`${target}.pre-migrate-20261124T101500Z-2`, target, 'moved-aside')).to.equal(true)
      expect(isCopyOf(`${target}.moved-to-vps-20261124T101500Z`, target, 'retired')).to.equal(true)
    })

    it('refuses near misses: another stem, another dir, a bad stamp, a mark alone, the wrong kind', () => {
      for (const near of [
        `${target}x.pre-migrate-20261124T101500Z`,
        `/home/ana/.openclaw-wor.pre-migrate-20261124T101500Z`,
        `/tmp/.openclaw-work.pre-migrate-20261124T101500Z`,
        `${target}.pre-migrate-20261124T1015Z`,
        `${target}.pre-migrate-20261124T101500Z-`,
        `${target}.pre-migrate-20261124T101500Z.bak`,
        `${target}.pre-migrate-20261124T101500Z-12345`,
      ])
        expect(isCopyOf(near, target), near).to.equal(false)
      expect(parseMarked('.pre-migrate-20261124T101500Z'), 'no stem').to.equal(null)
      expect(isCopyOf(`${target}.undone-20261124T101500Z`, target, 'moved-aside')).to.equal(false)
      expect(stampTime('20261324T101500Z'), 'month 13').to.equal(null)
      expect(stampTime('20261124T101500Z')?.toISOString()).to.equal('2026-11-24T10:15:00.000Z')
    })

    it('a long name is matched in its bounded form (cut and hashed to 255 bytes), and only in that form', () => {
      const long = `/home/ana/projects/${'n'.repeat(245)}`
      const bounded = boundedSibling(long, '.pre-migrate-20261124T101500Z')
      expect(path.basename(bounded).length).to.be.at.most(255)
      expect(isCopyOf(bounded, long, 'moved-aside')).to.equal(true)
      expect(isCopyOf(`${long}.pre-migrate-20261124T101500Z`, long)).to.equal(false)
      expect(isCopyOf(bounded, `/home/ana/projects/${'n'.repeat(244)}m`)).to.equal(false)
    })
  })

  describe('journal of a root with a long name', () => {
    let home: string

    beforeEach(() => {
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-test-long-'))
    })

    afterEach(() => {
      rmrf(home)
    })

    it('is valid after activation (bounded staging and aside names), so it can be listed and undone', () => {
      const target = path.join(home, 'projects', 'w'.repeat(245))
      fs.mkdirSync(target, {recursive: true})
      fs.writeFileSync(path.join(target, 'BEFORE'), 'before')
      const runId = '20261124T101500Z-abcdef'
      const root = {id: 'ws', kind: 'workspace', sourcePath: '/old/ws', type: 'dir'} as any
      const [staged] = planStaging({targets: [{root, target, why: 'test'}]} as any, runId)
      fs.mkdirSync(staged.staging)
      fs.writeFileSync(path.join(staged.staging, 'IMPORTED'), 'imported')
      const journal = newJournal(runId, 'archive', [staged])
      saveJournal(home, journal)
      activate(home, journal, '20261124T101501Z')
      const [listed] = listJournals(home)
      expect(listed?.runId, 'the journal is one this tool obeys').to.equal(runId)
      expect(path.basename(listed.steps[0].aside!).length).to.be.at.most(255)
      undoImport(home, listed, '20261124T101502Z')
      expect(fs.readFileSync(path.join(target, 'BEFORE'), 'utf8')).to.equal('before')
      const [undone] = listJournals(home)
      expect(undone.state).to.equal('undone')
      expect(fs.readFileSync(path.join(undone.steps[0].undone!, 'IMPORTED'), 'utf8')).to.equal('imported')
    })
  })
})
