/**
 * Issue "Old machines": every text file the host reads paths from is rebased, the host's own
 * config copies included (`openclaw.json.last-good`, which `doctor --fix` restores after a bad
 * edit, and the `.bak` ring); session transcript headers (`cwd`) that name the old home are
 * reported, and rewritten only when asked.
 */
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import {describeRun, resultOf} from '../support/cli.js'
import {exportedSource, type ExportedSource, targetHome} from '../support/import-fixtures.js'
import {runInProcess as runCli} from '../support/in-process.js'

function filesUnder(dir: string, pattern: RegExp): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(dir, {recursive: true, withFileTypes: true}))
    if (entry.isFile() && pattern.test(entry.name)) out.push(path.join(entry.parentPath, entry.name))
  return out
}

describe("import: the host's config copies and transcript headers", function () {
  this.timeout(120_000)
  let src: ExportedSource
  const cleanups: Array<() => void> = []

  before(async () => {
    src = await exportedSource('config-copies', {
      // The host's last known good config: a byte copy of the config, as 2026.9 keeps it.
      prepare(g) {
        fs.copyFileSync(g.configPath, `${g.configPath}.last-good`)
        // A JSONL transcript of the layouts before 2026.8: its header records the workspace it ran in.
        const header = {cwd: g.externalWorkspace, id: 's-1', timestamp: '2026-06-01T10:00:00.000Z', type: 'session'}
        const message = {message: {content: [{text: 'hello', type: 'text'}], role: 'user'}, type: 'message'}
        const file = path.join(g.stateDir, 'agents', 'main', 'sessions', 's-1.jsonl')
        fs.mkdirSync(path.dirname(file), {recursive: true})
        fs.writeFileSync(file, `${JSON.stringify(header)}\n${JSON.stringify(message)}\n`, {mode: 0o600})
      },
      spec: {sessions: 1},
    })
  })

  after(() => {
    for (const c of cleanups) c()
  })

  async function importInto(name: string, extra: string[] = []) {
    const t = targetHome(name)
    cleanups.push(t.cleanup)
    const r = await runCli(['import', src.plain, '--no-host', '--accept-placement', ...extra, '--json'], {
      home: t.home,
    })
    expect(r.code, describeRun(r)).to.equal(0)
    return {home: t.home, result: resultOf(r), state: path.join(t.home, '.openclaw-work')}
  }

  it('rebases openclaw.json.last-good and the .bak ring like the config itself', async () => {
    const {home, state} = await importInto('config-copies')
    const copies = ['openclaw.json.last-good', 'openclaw.json.bak', 'openclaw.json.bak.1']
    for (const name of copies) {
      const text = fs.readFileSync(path.join(state, name), 'utf8')
      expect(text, name).to.not.include(src.g.home)
      expect(text, name).to.include(home)
    }

    // The copies say what the config says: a restore by doctor --fix brings back no old path.
    const config = fs.readFileSync(path.join(state, 'openclaw.json'), 'utf8')
    expect(fs.readFileSync(path.join(state, 'openclaw.json.last-good'), 'utf8')).to.equal(config)
  })

  it('reports transcript headers naming the old home, and rewrites them only with --rewrite-workspace-paths', async () => {
    const kept = await importInto('transcripts-kept')
    const headers = kept.result.rebase.transcriptHeaders as Array<{count: number; file: string}>
    expect(headers.length).to.be.greaterThan(0)
    for (const {file} of headers) {
      expect(file.startsWith(kept.home + path.sep), file).to.equal(true)
      const [header, ...rest] = fs.readFileSync(file, 'utf8').split('\n')
      expect(JSON.parse(header).cwd, file).to.include(src.g.home)
      expect(rest.join('\n')).to.not.include(kept.home)
    }

    const rewritten = await importInto('transcripts-rewritten', ['--rewrite-workspace-paths'])
    const transcripts = filesUnder(rewritten.state, /\.jsonl$/)
    expect(transcripts.length).to.be.greaterThan(0)
    for (const file of transcripts) {
      const header = JSON.parse(fs.readFileSync(file, 'utf8').split('\n', 1)[0])
      if (typeof header.cwd !== 'string') continue
      expect(header.cwd, file).to.not.include(src.g.home)
      expect(header.cwd.startsWith(rewritten.home), file).to.equal(true)
    }
  })
})
