import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {PathMapper} from '../../src/lib/rebase/path-mapper.js'
import {scanDatabaseFor} from '../../src/lib/sqlite/sqlite-scan.js'
import {rmrf} from '../support/cli.js'

describe('leftover-path check: path boundaries, the rebaser’s rule', () => {
  let dir: string

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-test-leftover-'))
  })

  after(() => {
    rmrf(dir)
  })

  it('a new home that extends the old one (/x/home → /x/home2) is no leftover; a real old path is', () => {
    const file = path.join(dir, 'state.sqlite')
    const db = new DatabaseSync(file)
    db.exec('CREATE TABLE cron_jobs (id TEXT, store_key TEXT); CREATE TABLE notes (body TEXT)')
    db.prepare('INSERT INTO cron_jobs VALUES (?, ?)').run('a', '/x/home2/.openclaw/cron/jobs.json')
    db.prepare('INSERT INTO cron_jobs VALUES (?, ?)').run('b', '/x/home2')
    db.prepare('INSERT INTO notes VALUES (?)').run('see "/x/home/.openclaw/workspace" for details')
    db.close()
    const mapper = new PathMapper([{from: '/x/home', reason: 'home', to: '/x/home2'}])
    const mentions = (text: string) => mapper.findMentions(text).length > 0
    expect(scanDatabaseFor(file, ['/x/home'], mentions)).to.deep.equal([{column: 'body', rows: 1, table: 'notes'}])
    // Without the rule, a plain substring search counts the rebased rows too (the bug).
    expect(scanDatabaseFor(file, ['/x/home']).map((h) => h.table)).to.deep.equal(['cron_jobs', 'notes'])
  })
})
