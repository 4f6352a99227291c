// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof DIR`): self time per function
// and per file, so the hot path of a server under load can be named precisely.
//   node bench/profile-summary.mjs DIR/CPU....cpuprofile [--top 25]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
})
const top = Number(values.top)
for (const file of positionals) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const dt = prof.timeDeltas
  for (let i = 0; i < prof.samples.length; i++)
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0))
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const fn = new Map()
  const files = new Map()
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame
    const where = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:') : '(native)'
    const key = `${cf.functionName || '(anonymous)'}  ${where}:${cf.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + us)
    const fkey = where.replace(/:\d+$/, '')
    files.set(fkey, (files.get(fkey) ?? 0) + us)
  }
  const pct = (us) => ((us / total) * 100).toFixed(1).padStart(5) + '%'
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled`)
  console.log('-- self time by function')
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`)
  console.log('-- self time by file')
  for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(us)}  ${k}`)
}
