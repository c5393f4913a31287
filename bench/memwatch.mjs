// Preload (node --import ./bench/memwatch.mjs): samples process.memoryUsage() every 50 ms and
// prints the peaks of each part to stderr at exit, to see where a peak RSS comes from. With
// MEMWATCH_SMAPS=1 it also breaks the RSS at its peak down by mapping (/proc/self/smaps).
import fs from 'node:fs'
import v8 from 'node:v8'

const peak = {}
let atPeak = {}
let smaps = ''
const mappings = () => {
  const sums = new Map()
  let name = ''
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head) name = head[1] || '[anon]'
    else if (line.startsWith('Rss:')) sums.set(name, (sums.get(name) ?? 0) + Number(line.split(/\s+/, 2)[1]))
  }

  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([n, kb]) => `${n.split('/').pop()}=${(kb / 1024).toFixed(1)}`)
    .join(' ')
}

const sample = () => {
  const m = process.memoryUsage()
  for (const [k, v] of Object.entries(m)) peak[k] = Math.max(peak[k] ?? 0, v)
  if (m.rss >= (atPeak.rss ?? 0)) {
    atPeak = {...m}
    for (const s of v8.getHeapSpaceStatistics()) if (s.space_size > 1 << 20) atPeak[s.space_name] = s.space_size
    if (process.env.MEMWATCH_SMAPS) smaps = mappings()
  }
}

setInterval(sample, 50).unref()
if (process.env.MEMWATCH_TRACE) {
  const t0 = Date.now()
  setInterval(() => {
    const m = process.memoryUsage()
    process.stderr.write(
      `[memwatch] ${((Date.now() - t0) / 1000).toFixed(1)}s rss=${(m.rss / 1_048_576).toFixed(0)} heap=${(m.heapTotal / 1_048_576).toFixed(0)} ab=${(m.arrayBuffers / 1_048_576).toFixed(0)}\n`,
    )
  }, Number(process.env.MEMWATCH_TRACE)).unref()
}

process.on('exit', () => {
  sample()
  const mb = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k}=${(v / 1_048_576).toFixed(1)}`)
      .join(' ')
  process.stderr.write(
    `[memwatch] peaks: ${mb(peak)}\n[memwatch] at rss peak: ${mb(atPeak)}\n${smaps ? `[memwatch] smaps at peak (MB): ${smaps}\n` : ''}`,
  )
})
