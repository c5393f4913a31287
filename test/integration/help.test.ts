/** Help as the README documents it: the summary once, and the README's exit-code table. */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, REPO_ROOT, runCli, tmpDir} from '../support/cli.js'

/** `| 2 | usage: … |` rows of the README's exit-code table, as `code → text`. */
function readmeExitCodes(): Map<string, string> {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
  const rows = new Map<string, string>()
  for (const [, code, text] of readme.matchAll(/^\| (\d+) \| (.+) \|$/gm)) rows.set(code, text.replaceAll('`', ''))
  return rows
}

describe('help', function () {
  this.timeout(60_000)
  for (const verb of ['export', 'import', 'check']) {
    it(`${verb} --help: the summary once, and EXIT STATUS equal to the README's table`, async () => {
      const r = await runCli([verb, '--help'], {home: tmpDir('help')})
      expect(r.code, describeRun(r)).to.equal(0)
      const [summary] = r.out.split('\n', 1)
      expect(r.out.split(summary).length - 1, 'the summary is printed once').to.equal(1)
      const status = r.out.slice(r.out.indexOf('EXIT STATUS'))
      const fromHelp = new Map<string, string>()
      for (const [, code, text] of status.matchAll(/^ {2}(\d+) +([^\n]+(?:\n {7}[^\n]+)*)/gm))
        fromHelp.set(code, text.replaceAll(/\s+/g, ' ').replaceAll('`', ''))
      expect(Object.fromEntries(fromHelp)).to.deep.equal(Object.fromEntries(readmeExitCodes()))
    })
  }
})
