// Turns a results file of bench/run.mjs into the markdown of docs/benchmarks.md: the side-by-side
// table with ratios, every row in full, the knee, and the goals of issue 5 checked.
//   node bench/report.mjs bench/results/full-….json > /tmp/section.md
import { readFileSync } from 'node:fs'
import { fmtMs, fmtInt, markdownTable, ratio } from './lib/stats.mjs'

const file = process.argv[2]
if (!file) {
  process.stderr.write('usage: node bench/report.mjs bench/results/<file>.json\n')
  process.exit(2)
}
const res = JSON.parse(readFileSync(file, 'utf8'))
const rows = res.rows
const main = (server, clients, rate, path = 'publish') =>
  rows.find(
    (r) =>
      r.server === server && r.path === path && r.clients === clients && r.rate === rate && !r.knee_probe,
  ) ?? rows.find((r) => r.server === server && r.path === path && r.clients === clients && r.rate === rate)
const grid = [
  ...new Map(
    rows
      .filter((r) => r.path === 'publish' && !r.knee_probe)
      .map((r) => [`${r.clients}x${r.rate}`, [r.clients, r.rate]]),
  ).values(),
]
const out = []
const m = res.machine
out.push(
  `Run: \`${res.mode}\`, ${res.started_at} → ${res.finished_at} (${res.wall_s} s), commit ${m.commit}.`,
)
out.push(
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, Linux ${m.kernel}, Node ${m.node}, ${m.redis.split(' ').slice(0, 3).join(' ')}; load average ${m.load_at_start.join(' / ')} at start, ${m.load_at_end.join(' / ')} at end.`,
)
out.push(
  `Rows: ${res.settings.warmup_s} s warm-up, ${res.settings.duration_s} s measured, up to ${res.settings.drain_s} s drain; 333-byte update; latency = WS receipt − PUBLISH send, one clock.`,
)
out.push('')
out.push('### p99 side by side (PUBLISH path)')
out.push('')
out.push(
  '| clients × upd/s | deliveries/s | taskpulse p50 / p99 | limit p50 / p99 | socketio p50 / p99 | p99 taskpulse/limit | p99 taskpulse/socketio | undelivered (tp / limit / sio) |',
)
out.push('|---|---:|---:|---:|---:|---:|---:|---|')
for (const [clients, rate] of grid) {
  const tp = main('taskpulse', clients, rate)
  const li = main('limit', clients, rate)
  const so = main('socketio', clients, rate)
  const pp = (r) => (r && !r.error ? `${fmtMs(r.p50_ms)} / ${fmtMs(r.p99_ms)} ms` : r?.error ? 'error' : '–')
  const u = (r) => (r && !r.error ? fmtInt(r.undelivered) : '–')
  out.push(
    `| ${fmtInt(clients)} × ${fmtInt(rate)} | ${fmtInt(clients * rate)} | ${pp(tp)} | ${pp(li)} | ${pp(so)} | ${ratio(tp?.p99_ms, li?.p99_ms) ?? '–'} | ${ratio(tp?.p99_ms, so?.p99_ms) ?? '–'} | ${u(tp)} / ${u(li)} / ${u(so)} |`,
  )
}
out.push('')
if (res.knee && Object.keys(res.knee).length) {
  out.push(
    `### Knee: ${res.settings.knee_clients} clients, highest deliveries/s with p99 < ${res.settings.knee_p99_ms} ms and nothing undelivered`,
  )
  out.push('')
  out.push('| server | updates/s | deliveries/s | p99 | generator CPU |')
  out.push('|---|---:|---:|---:|---:|')
  for (const k of Object.values(res.knee))
    out.push(
      `| ${k.server} | ${fmtInt(k.rate)} | ${fmtInt(k.deliveries_per_s)} | ${fmtMs(k.p99_ms)} ms | ${fmtInt(k.generator_cpu_pct)} % |`,
    )
  out.push('')
}
out.push('### Every row')
out.push('')
out.push(markdownTable(rows))
out.push('')
// Goals of issue 5.
const goals = []
const tpRows = grid.filter(([c, r]) => c * r <= 100_000)
const worst = Math.max(
  ...tpRows.map(([c, r]) => ratio(main('taskpulse', c, r)?.p99_ms, main('limit', c, r)?.p99_ms) ?? 0),
)
const tpUndelivered = grid.reduce((a, [c, r]) => a + (main('taskpulse', c, r)?.undelivered ?? 0), 0)
goals.push(
  `- p99 taskpulse/limit ≤ 1.25 on every row up to 100,000 deliveries/s: worst ${worst} → ${worst <= 1.25 ? 'met' : 'missed'}; taskpulse undelivered ${tpUndelivered} → ${tpUndelivered === 0 ? 'met' : 'missed'}`,
)
const heavy = grid
  .filter(([c, r]) => c * r >= 50_000)
  .map(([c, r]) => [`${c}×${r}`, ratio(main('taskpulse', c, r)?.p99_ms, main('socketio', c, r)?.p99_ms)])
const all = grid
  .map(([c, r]) => ratio(main('taskpulse', c, r)?.p99_ms, main('socketio', c, r)?.p99_ms))
  .filter((x) => x !== null)
if (heavy.length)
  goals.push(
    `- p99 taskpulse/socketio ≤ 0.5 at ≥ 50,000 deliveries/s: ${heavy.map(([k, v]) => `${k} ${v}`).join(', ')} → ${heavy.every(([, v]) => v !== null && v <= 0.5) ? 'met' : 'missed'}; never above 1.0: max ${Math.max(...all)} → ${Math.max(...all) <= 1 ? 'met' : 'missed'}`,
  )
if (res.knee?.taskpulse && res.knee?.limit) {
  const kr = ratio(res.knee.taskpulse.deliveries_per_s, res.knee.limit.deliveries_per_s)
  goals.push(
    `- knee taskpulse ≥ 90 % of limit: ${fmtInt(res.knee.taskpulse.deliveries_per_s)} vs ${fmtInt(res.knee.limit.deliveries_per_s)} deliveries/s = ${Math.round(kr * 100)} % → ${kr >= 0.9 ? 'met' : 'missed'}`,
  )
}
const big = main('taskpulse', 10000, 1)
if (big && !big.error)
  goals.push(
    `- 10,000 connections: undelivered ${big.undelivered}, server RSS ${big.server_rss_mb} MB (goal < 400 MB) → ${big.undelivered === 0 && big.server_rss_mb < 400 ? 'met' : 'missed'}`,
  )
const rest = main('taskpulse', 100, 100, 'rest')
const pub = main('taskpulse', 100, 100)
if (rest && pub && !rest.error) {
  const d = Math.round((rest.p99_ms - pub.p99_ms) * 100) / 100
  goals.push(
    `- REST PUT p99 ≤ PUBLISH p99 + 2 ms at 100 clients: ${fmtMs(rest.p99_ms)} vs ${fmtMs(pub.p99_ms)} ms (+${d} ms) → ${d <= 2 ? 'met' : 'missed'}`,
  )
}
out.push('### Goals (issue 5), from this run')
out.push('')
out.push(...goals)
out.push('')
out.push('Summary line:')
out.push('')
out.push('```text')
out.push(JSON.stringify({ rows: res.summary.rows, ratios: res.summary.ratios }))
out.push('```')
process.stdout.write(out.join('\n') + '\n')
