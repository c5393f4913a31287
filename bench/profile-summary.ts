/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file,
 * so a benchmark run can show where the main thread spends its time.
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [top]
 */
import fs from 'node:fs'

type Node = {
  callFrame: {functionName: string; lineNumber: number; url: string}
  children?: number[]
  hitCount?: number
  id: number
}
const file = process.argv[2]
const top = Number(process.argv[3] ?? 30)
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {
  endTime: number
  nodes: Node[]
  samples: number[]
  startTime: number
  timeDeltas: number[]
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++)
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
const total = profile.endTime - profile.startTime
const fnTime = new Map<string, number>()
const fileTime = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)!
  const url = n.callFrame.url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, 'nm/')
    .replace(/.*\/(src|dist)\//, '$1/')
  const key = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`
  fnTime.set(key, (fnTime.get(key) ?? 0) + us)
  const f = url || `(${n.callFrame.functionName})`
  fileTime.set(f, (fileTime.get(f) ?? 0) + us)
}

const show = (m: Map<string, number>, title: string) => {
  console.log(`\n${title} (total ${(total / 1e6).toFixed(2)} s)`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1e6).toFixed(3).padStart(8)} s ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
}

show(fnTime, 'self time by function')
show(fileTime, 'self time by file')
