/**
 * Pieces of the foreign-archive adapter that decide what a name or a mention means: raw entry
 * names (the rename must never launder `..` or an absolute path), the old home found in the
 * archived state, and the ids and places of the synthesized roots.
 */
import {expect} from 'chai'

import {addLocation, rootId} from '../../src/lib/archive/foreign/foreign-layout.js'
import {HomeVotes, normaliseFromHome} from '../../src/lib/archive/foreign/home-detection.js'
import {normaliseRawName} from '../../src/lib/archive/foreign/tar-walk.js'
import {isMigrateError} from '../../src/lib/errors.js'

describe('foreign archive adapter', () => {
  describe('raw entry names', () => {
    it('strips the ./ and trailing / that tar writes', () => {
      expect(normaliseRawName('./.openclaw/')).to.equal('.openclaw')
      expect(normaliseRawName('././.openclaw/openclaw.json')).to.equal('.openclaw/openclaw.json')
      expect(normaliseRawName('./')).to.equal('')
    })

    for (const bad of [
      '../etc/passwd',
      '.openclaw/../../x',
      '/etc/cron.d/x',
      'C:/x',
      '.openclaw//x',
      '.openclaw/./x',
      String.raw`a\b`,
      'a\u{0}b',
    ])
      it(`refuses ${JSON.stringify(bad)} with ARCHIVE_UNSAFE_ENTRY`, () => {
        let error: unknown
        try {
          normaliseRawName(bad)
        } catch (error_) {
          error = error_
        }

        expect(isMigrateError(error) && error.code).to.equal('ARCHIVE_UNSAFE_ENTRY')
      })
  })

  describe('the old home, from mentions in the archived state', () => {
    it('takes the prefix of paths that end in an archived dir name, posix and Windows', () => {
      const votes = new HomeVotes(['.openclaw-work', '.openclaw'])
      votes.add('{ workspace: "/home/ana/.openclaw-work/workspace", store: "/home/ana/.openclaw-work/cron/jobs.json" }')
      votes.add(String.raw`{"w": "C:\\Users\\bo\\.openclaw\\workspace"}`)
      expect(votes.best()).to.equal('/home/ana')
      expect(votes.votes.get(String.raw`C:\Users\bo`)).to.equal(1)
    })

    it('ignores names that only start like a dir name, relative and ~ paths', () => {
      const votes = new HomeVotes(['.openclaw'])
      votes.add('"/srv/.openclawy/x" "~/.openclaw/a" "relative/.openclaw" ".openclaw/x"')
      expect(votes.best()).to.equal(null)
    })

    it('stays fast on text built to make it slow', () => {
      const votes = new HomeVotes(['.openclaw'])
      const started = process.hrtime.bigint()
      votes.add('/a'.repeat(500_000) + '/.openclaw')
      votes.add('/a/.openclaw'.repeat(100_000))
      votes.add('\\'.repeat(500_000) + '.openclaw')
      // Not a timing test: a quadratic scan of these 3 MB would take minutes, not one.
      expect(Number(process.hrtime.bigint() - started) / 1e9).to.be.below(60)
    })

    it('--from-home is normalised, not trusted to be tidy', () => {
      expect(normaliseFromHome('/home/ana/')).to.equal('/home/ana')
      expect(normaliseFromHome('/home//ana/./')).to.equal('/home/ana')
      expect(normaliseFromHome('C:\\Users\\ana\\')).to.equal(String.raw`C:\Users\ana`)
      expect(() => normaliseFromHome('home/ana')).to.throw(/not an absolute path/)
    })
  })

  describe('synthesized roots and locations', () => {
    it('gives roots the export ids, unique, safe for roots/<id>', () => {
      const roots: any[] = []
      for (const [profile, kind, agent] of [
        [null, 'state', undefined],
        ['work', 'workspace', 'research'],
        ['work', 'workspace', 'research'],
        ['x/../../y', 'include', undefined],
      ] as const) {
        const id = rootId(roots, profile, kind, agent)
        roots.push({id})
      }

      expect(roots.map((r) => r.id)).to.deep.equal([
        'default.state',
        'work.workspace.research',
        'work.workspace.research.2',
        'x_.._.._y.include',
      ])
      for (const r of roots) expect(r.id).to.match(/^[A-Za-z0-9._-]+$/)
    })

    it('keeps one location per place, the agent id winning over the default', () => {
      const locations: any[] = []
      const place = {
        kind: 'workspace',
        profile: 'work',
        relPath: 'workspace',
        rootId: 'work.state',
        sourcePath: '/h/.openclaw-work/workspace',
      }
      addLocation(locations, place as any)
      addLocation(locations, {...place, agentId: 'main'} as any)
      expect(locations).to.have.length(1)
      expect(locations[0].agentId).to.equal('main')
    })
  })
})
