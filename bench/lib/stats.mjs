// Formatting of benchmark rows: the stdout table, the markdown tables for docs/benchmarks.md.

export const fmtMs = (x) =>
  x === null || x === undefined ? '–' : x >= 100 ? String(Math.round(x)) : x.toFixed(1)
export const fmtInt = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'))
export const ratio = (a, b) => (a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100)

export function rowNotes(r) {
  const notes = []
  if (r.error) return [`error: ${r.error}`]
  if (r.generator_cpu_pct >= 90) notes.push('generator-bound')
  // CPU the machine spent on work other than this row's server, generator and Redis.
  const other = r.machine_busy_pct - r.server_cpu_pct - r.generator_cpu_pct - (r.redis_cpu_pct ?? 0)
  if (other >= 25) notes.push(`other load ${Math.round(other)}%`)
  if (r.io_pressure_ms >= 100) notes.push(`io wait ${r.io_pressure_ms} ms`)
  if (r.machine_steal_pct >= 10) notes.push(`steal ${Math.round(r.machine_steal_pct)}%`)
  if (r.achieved_rate < r.rate * 0.97) notes.push(`publisher reached ${r.achieved_rate}/s`)
  if (r.undelivered > 0) notes.push(r.still_arriving ? 'backlog' : 'lost')
  if (r.disconnects > 0) notes.push(`${r.disconnects} disconnects`)
  if (r.duplicates > 0) notes.push(`${r.duplicates} duplicates`)
  // REST PUTs travel on parallel HTTP connections, so they may commit in another order than sent.
  if (r.out_of_order > 0) notes.push(`${r.out_of_order} out of send order`)
  if (r.send_errors > 0) notes.push(`${r.send_errors} send errors`)
  return notes
}

const COLS = [
  ['server', (r) => r.server, 10],
  ['path', (r) => r.path, 8],
  ['clients', (r) => fmtInt(r.clients), 7],
  ['upd/s', (r) => fmtInt(r.rate), 6],
  ['p50 ms', (r) => fmtMs(r.p50_ms), 7],
  ['p95 ms', (r) => fmtMs(r.p95_ms), 7],
  ['p99 ms', (r) => fmtMs(r.p99_ms), 7],
  ['max ms', (r) => fmtMs(r.max_ms), 7],
  ['deliv/s', (r) => fmtInt(r.deliveries_per_s), 8],
  ['undeliv', (r) => fmtInt(r.undelivered), 7],
  ['srv CPU%', (r) => fmtInt(r.server_cpu_pct), 8],
  ['srv RSS MB', (r) => fmtInt(r.server_rss_mb), 10],
  ['gen CPU%', (r) => fmtInt(r.generator_cpu_pct), 8],
]

export function textTable(rows) {
  const head = COLS.map(([h, , w]) => h.padStart(w)).join(' ') + '  notes'
  const lines = rows.map(
    (r) =>
      COLS.map(([, f, w], i) => (i < 2 ? String(f(r) ?? '').padEnd(w) : String(f(r) ?? '').padStart(w))).join(
        ' ',
      ) +
      '  ' +
      rowNotes(r).join(', '),
  )
  return [head, '-'.repeat(head.length + 10), ...lines].join('\n')
}

export function markdownTable(rows) {
  const head = `| ${COLS.map(([h]) => h).join(' | ')} | notes |`
  const sep = `|${COLS.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|---|`
  const lines = rows.map(
    (r) => `| ${COLS.map(([, f]) => f(r) ?? '').join(' | ')} | ${rowNotes(r).join(', ')} |`,
  )
  return [head, sep, ...lines].join('\n')
}
