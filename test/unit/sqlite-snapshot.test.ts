import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {snapshotDatabase} from '../../src/lib/sqlite/sqlite-snapshot.js'

describe('SQLite snapshot', () => {
  let root: string

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocm-snapshot-'))
  })

  afterEach(() => {
    fs.rmSync(root, {force: true, recursive: true})
  })

  // In small backup steps every foreign write restarts the copy: under a steady writer it never ends.
  it('finishes while another connection keeps writing to the WAL database, with a consistent copy', async () => {
    const source = path.join(root, 'busy.sqlite')
    const setup = new DatabaseSync(source)
    setup.exec('PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)')
    const insert = setup.prepare('INSERT INTO t (body) VALUES (?)')
    setup.exec('BEGIN')
    for (let i = 0; i < 20_000; i++) insert.run('x'.repeat(200))
    setup.exec('COMMIT')
    const writer = new DatabaseSync(source)
    const write = writer.prepare("INSERT INTO t (body) VALUES ('written during the snapshot')")
    let writes = 0
    const timer = setInterval(() => {
      write.run()
      writes++
    }, 1)
    try {
      const destination = path.join(root, 'copy.sqlite')
      const result = await snapshotDatabase(source, destination)
      expect(result.integrity).to.equal('ok')
      const copy = new DatabaseSync(destination, {readOnly: true})
      const {n} = copy.prepare('SELECT count(*) AS n FROM t').get() as {n: number}
      copy.close()
      expect(n).to.be.at.least(20_000)
      expect(fs.statSync(destination).mode & 0o777).to.equal(0o600)
    } finally {
      clearInterval(timer)
      writer.close()
      setup.close()
    }

    expect(writes).to.be.greaterThan(0)
  }).timeout(60_000)
})
