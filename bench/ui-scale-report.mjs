// Turns a results file of bench/ui-scale.mjs into the markdown tables of docs/benchmarks.md
// ("UI at fleet scale"): load, live views, search, heap, goals.
//   node bench/ui-scale-report.mjs bench/results/ui-scale-….json > /tmp/section.md
import { readFileSync } from 'node:fs'

const file = process.argv[2]
if (!file) {
  process.stderr.write('usage: node bench/ui-scale-report.mjs bench/results/ui-scale-<time>.json\n')
  process.exit(2)
}
const r = JSON.parse(readFileSync(file, 'utf8'))
const n = (x) => (x === null || x === undefined ? '–' : Number(x).toLocaleString('en-US'))
const ms = (x) => (x === null || x === undefined ? '–' : `${n(x)} ms`)
const pair = (a, b) => `${n(a)} / ${ms(b)}`
const out = []
const m = r.machine
out.push(
  `Run: \`${r.mode}\`, ${r.started_at} → ${r.finished_at} (${r.wall_s} s), commit ${m.commit || '?'}; ` +
    `${m.cpu}, ${m.cores} cores, Node ${m.node}, Chromium ${m.chromium}; load average ` +
    `${m.load_avg_at_start.join(' / ')} at start, ${m.load_avg_at_end.join(' / ')} at end. ` +
    `${r.settings.rate_per_s} updates/s for ${r.settings.seconds_per_view} s a view, viewport ` +
    `${r.settings.viewport.width}×${r.settings.viewport.height}.`,
)
out.push(
  '',
  '| fleet | snapshot | first page received | first rows visible | snapshot applied | long tasks during load (longest) | JS heap after load (GC) | load avg |',
)
out.push('|---|---|---:|---:|---:|---:|---:|---:|')
for (const s of r.sizes) {
  const l = s.load
  if (!l) continue
  out.push(
    `| ${n(s.tasks)} tasks | ${l.snapshot_pages} pages, ${l.snapshot_mb} MB | ${ms(l.first_snapshot_page_ms)} | ${ms(l.first_rows_visible_ms)} | ${ms(l.snapshot_applied_ms)} | ${l.long_tasks.count} (${ms(l.long_tasks.longest_ms)}) | ${s.heap_after_load_mb?.used ?? '–'} MB | ${l.load_avg_1m ?? '–'} |`,
  )
}
out.push(
  '',
  '| fleet | view | switch | frame p50 / p95 | frames > 17 ms | long tasks > 50 ms (longest) | socket → DOM p50 / p95 (event id seen) | socket → next mutation p50 / p95 | updates received | load avg |',
)
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|')
for (const s of r.sizes)
  for (const v of s.views ?? []) {
    if (v.status !== 'measured') {
      out.push(`| ${n(s.tasks)} | ${v.view} | ${v.status} | | | | | | | |`)
      continue
    }
    out.push(
      `| ${n(s.tasks)} | ${v.view} | ${ms(v.switch_ms)} | ${pair(v.frames.p50, v.frames.p95)} | ${v.frames.over_17ms} / ${v.frames.n} | ${v.long_tasks.count} (${ms(v.long_tasks.longest_ms)}) | ` +
        `${v.socket_to_dom_ms.n ? `${pair(v.socket_to_dom_ms.p50, v.socket_to_dom_ms.p95)} (${v.event_id_seen})` : '–'} | ` +
        `${pair(v.socket_to_next_mutation_ms.p50, v.socket_to_next_mutation_ms.p95)} | ${v.updates_received} / ${v.updates_sent} | ${v.load_avg_1m.start} → ${v.load_avg_1m.end} |`,
    )
  }
const reasons = r.sizes.flatMap((s) =>
  (s.views ?? [])
    .filter((v) => v.status !== 'measured')
    .map((v) => `- ${v.view} at ${n(s.tasks)} tasks: ${v.status} (${v.reason})`),
)
if (reasons.length) out.push('', ...reasons)
const big = r.sizes.find((s) => s.big)
if (big?.search) {
  out.push('', `Search over ${n(big.tasks)} tasks:`, '')
  out.push(
    '| query | only in | expected results | pasted: input → results shown | typed | long tasks while typing (longest) |',
  )
  out.push('|---|---|---:|---:|---|---:|')
  for (const q of big.search) {
    if (!q.query) {
      out.push(`| – | | | ${q.status}: ${q.reason} | | |`)
      continue
    }
    const shown = (x) => (x.results_shown ? ms(x.to_results_ms) : `not shown (${x.why})`)
    out.push(
      `| \`${q.query}\` | ${q.fields} | ${n(q.expected_results)} | ${shown(q.paste)} | ${shown(q.typed)}${q.typed.note ? ` — ${q.typed.note}` : ''} | ${q.typed.long_tasks.count} (${ms(q.typed.long_tasks.longest_ms)}) |`,
    )
  }
}
if (big?.heap?.used_mb_after_gc)
  out.push(
    '',
    `JS heap after ${big.heap.minutes} min at ${big.heap.rate_per_s} updates/s (Agents view, ${n(big.tasks)} tasks): ` +
      `${big.heap.used_mb_after_gc.end} MB after GC (start ${big.heap.used_mb_after_gc.start} MB, ` +
      `growth ${big.heap.growth_mb} MB, highest sample ${big.heap.max_sampled_mb} MB).`,
  )
out.push('', '| goal | measured | verdict |', '|---|---|---|')
for (const [k, g] of Object.entries(r.goals)) {
  if (Array.isArray(g)) {
    if (g.length) out.push(`| ${k.replaceAll('_', ' ')} | ${g.join(', ')} | |`)
    continue
  }
  out.push(`| ${k.replaceAll('_', ' ')} | ${g.what}: ${g.value ?? '–'} | ${g.verdict} |`)
}
process.stdout.write(out.join('\n') + '\n')
