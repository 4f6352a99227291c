#!/usr/bin/env node
// Browser benchmark of the live monitor UI (issue 3): a real `taskpulse serve` holding 10,000
// tasks, the built UI in Debian's Chromium (playwright-core), then 200 updates/s for 10 s.
// Reports, as one JSON line on stdout:
//   - initial render: snapshot message received → the 10,000-task list rendered (and page load →
//     rendered), measured in the page;
//   - update latency: socket message received → the DOM showing it (a MutationObserver sees the
//     row carrying the event's id), p50/p95/p99/max;
//   - long tasks (PerformanceObserver 'longtask', > 50 ms) during the initial load and after it.
// Usage: node bench/ui-bench.mjs [--tasks 10000] [--rate 200] [--seconds 10] [--agents 50]
// Needs `npm run build` first. Progress goes to stderr.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { endProfile, endTrace, startProfile, startTrace } from './lib/cdp.mjs'
import { CHROMIUM_PATH, launchChromium, quietWait } from './lib/chromium.mjs'
import { ROOT, readReadyLine, spawnNode, taskpulseServeArgs } from './lib/servers.mjs'

const { values: opt } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    agents: { type: 'string', default: '50' },
    chromium: { type: 'string', default: CHROMIUM_PATH },
    // Print the renderer's top functions by self time during the update phase (to stderr).
    profile: { type: 'boolean', default: false },
    // Summarise what the main thread did inside tasks over 50 ms (Chrome trace), to stderr.
    trace: { type: 'boolean', default: false },
    // Wait up to this many seconds for the 1-minute load average to drop below the core count
    // (the machine is shared; other benchmarks skew frame times). 0 disables.
    'quiet-wait': { type: 'string', default: '60' },
  },
})
const TASKS = Number(opt.tasks)
const RATE = Number(opt.rate)
const SECONDS = Number(opt.seconds)
const AGENTS = Number(opt.agents)
const log = (...a) => process.stderr.write(`[ui-bench] ${a.join(' ')}\n`)

if (!existsSync(join(ROOT, 'out/backend/cli.js')) || !existsSync(join(ROOT, 'out/renderer/index.html'))) {
  log('not built: run `npm run build` first')
  process.exit(2)
}
if (!existsSync(opt.chromium)) {
  log(`Chromium not found at ${opt.chromium} (apt-get install chromium, or --chromium PATH)`)
  process.exit(2)
}

/** The backend without Redis (tasks come in over REST), its warnings on our stderr. */
async function startBackend(dataDir) {
  const token = 'bench-' + Math.random().toString(36).slice(2)
  const proc = spawnNode(taskpulseServeArgs({ dataDir, token, logLevel: 'warn' }), { stderr: 'inherit' })
  return { ...(await readReadyLine(proc, 60_000, 'taskpulse')), token, proc }
}

const STATUSES = ['pending', 'running', 'completed', 'failed']
const PROJECTS = [
  'checkout-web',
  'data-pipeline',
  'infra',
  'docs',
  'ml-training',
  'billing',
  'search',
  'mobile',
]

async function put(be, id, body, agent) {
  const res = await fetch(`${be.url}/api/tasks/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${be.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher: agent,
  })
  if (!res.ok) throw new Error(`PUT ${id}: ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
}

async function seed(be) {
  const t0 = performance.now()
  let next = 0
  const worker = async () => {
    while (next < TASKS) {
      const i = next++
      await put(be, `bench-${i}`, {
        status: STATUSES[i % 4],
        title: `Bench task ${i}`,
        assignee: `agent-${i % AGENTS}`,
        project_id: PROJECTS[i % PROJECTS.length],
        output: i % 4 === 2 ? `done ${i}` : undefined,
        error: i % 4 === 3 ? `failed at step ${i % 17}` : undefined,
      })
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  return (performance.now() - t0) / 1000
}

// Instrumentation injected before the app's scripts: it watches, it does not change the app.
const PROBE = `(() => {
  const probe = (window.__uiBench = { recv: new Map(), lat: [], longTasks: [], snapshotAt: null, renderedAt: null, expected: ${TASKS}, unmatched: 0 })
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration })
    }).observe({ type: 'longtask', buffered: true })
  } catch {}
  const Native = window.WebSocket
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a)
      this.addEventListener('message', (ev) => {
        const t = performance.now()
        const d = ev.data
        if (typeof d !== 'string') return
        // A snapshot comes in pages: the clock starts at the first one.
        if (d.startsWith('{"type":"snapshot"')) { if (probe.snapshotAt === null) probe.snapshotAt = t; return }
        const m = /"event_id":"([^"]+)"/.exec(d)
        if (m && d.includes('"task_status_update"')) probe.recv.set(m[1], t)
      })
    }
  }
  const seen = (id, t) => {
    const r = probe.recv.get(id)
    if (r === undefined) return
    probe.recv.delete(id)
    probe.lat.push(t - r)
  }
  const mo = new MutationObserver((muts) => {
    const t = performance.now()
    if (probe.renderedAt === null && probe.snapshotAt !== null) {
      const c = document.querySelector('.tasks-pane .pane-count')
      if (c && c.textContent.replace(/[^0-9]/g, '') === String(probe.expected)) probe.renderedAt = t
    }
    if (probe.recv.size === 0) return
    for (const m of muts) {
      if (m.type === 'attributes') seen(m.target.getAttribute('data-event-id'), t)
      else for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue
        if (n.hasAttribute('data-event-id')) seen(n.getAttribute('data-event-id'), t)
        for (const e of n.querySelectorAll('[data-event-id]')) seen(e.getAttribute('data-event-id'), t)
      }
    }
  })
  // characterData: the last snapshot page may only change the count's text (its rows are
  // appended below the visible ones), and that moment is what 'rendered' means.
  const start = () => mo.observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-event-id'], characterData: true })
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start)
})()`

/** The renderer's top functions by self time (bench/lib/cdp.mjs), to stderr. */
async function printProfile(cdp) {
  const top = await endProfile(cdp, 25)
  log(`profile: top ${top.length} functions by self time`)
  for (const { fn, self_ms } of top) log(`  ${String(self_ms).padStart(8)} ms  ${fn}`)
}

/** What the main thread did, overall and inside tasks over 50 ms (bench/lib/cdp.mjs), to stderr. */
async function printTrace(cdp) {
  const t = await endTrace(cdp)
  if (!t) return log('trace: no renderer main thread found')
  log(`trace: ${t.tasks} tasks, ${t.busy_ms} ms busy, ${t.long_tasks} over 50 ms`)
  const top = (m) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}ms`)
      .join(', ')
  log(`  all (nested, overlapping): ${top(t.by_event_ms)}`)
  log(`  inside long tasks: ${top(t.inside_long_tasks_ms)}`)
}

function pct(sorted, p) {
  if (sorted.length === 0) return null
  return +sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(2)
}

const dataDir = mkdtempSync(join(tmpdir(), 'taskpulse-uibench-'))
const userDataDir = mkdtempSync(join(tmpdir(), 'taskpulse-uibench-chromium-'))
let be
let context
// Ctrl-C: stop the backend we started and remove the temporary folders, then exit.
for (const sig of ['SIGINT', 'SIGTERM'])
  process.once(sig, () => {
    be?.proc.kill('SIGTERM')
    void context?.close().catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(userDataDir, { recursive: true, force: true })
    process.exit(130)
  })
try {
  be = await startBackend(dataDir)
  log(`backend ${be.url}; seeding ${TASKS} tasks…`)
  const seedS = await seed(be)
  log(`seeded in ${seedS.toFixed(1)} s`)
  const loadAtStart = await quietWait(Number(opt['quiet-wait']), { limit: cpus().length * 0.75, log })

  context = await launchChromium(userDataDir, {
    executablePath: opt.chromium,
    viewport: { width: 1600, height: 1000 },
  })
  const page = await context.newPage()
  await page.addInitScript(PROBE)
  const navStart = Date.now()
  await page.goto(be.ui)
  await page.waitForFunction(() => window.__uiBench.renderedAt !== null, null, {
    timeout: 60_000,
    polling: 50,
  })
  const initial = await page.evaluate(() => {
    const p = window.__uiBench
    return {
      snapshotToRenderMs: p.renderedAt - p.snapshotAt,
      loadToRenderMs: p.renderedAt,
      snapshotAt: p.snapshotAt,
    }
  })
  log(
    `initial render ${initial.snapshotToRenderMs.toFixed(0)} ms after the snapshot (page load → rendered ${initial.loadToRenderMs.toFixed(0)} ms, wall ${Date.now() - navStart} ms)`,
  )
  // Let the initial load settle, then mark where "after the initial load" begins.
  await page.waitForTimeout(1000)
  const loadDoneAt = await page.evaluate(() => performance.now())

  let cdp = null
  if (opt.profile) {
    cdp = await context.newCDPSession(page)
    await startProfile(cdp)
  }
  let tracer = null
  if (opt.trace) {
    tracer = await context.newCDPSession(page)
    await startTrace(tracer)
  }
  log(`updating ${RATE}/s for ${SECONDS} s…`)
  const total = RATE * SECONDS
  let sent = 0
  let failedPuts = 0
  const inflight = new Set()
  const t0 = performance.now()
  await new Promise((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE))
      while (sent < due) {
        const i = Math.floor(Math.random() * TASKS)
        const n = sent++
        const p = put(be, `bench-${i}`, { status: STATUSES[(n + i) % 4], output: `update ${n}` })
          .catch(() => failedPuts++)
          .finally(() => inflight.delete(p))
        inflight.add(p)
      }
      if (sent >= total) done()
      else setTimeout(tick, 2)
    }
    tick()
  })
  await Promise.all(inflight)
  const sendSeconds = (performance.now() - t0) / 1000
  await page.waitForTimeout(1000)
  if (cdp) await printProfile(cdp)
  if (tracer) await printTrace(tracer)

  const r = await page.evaluate((after) => {
    const p = window.__uiBench
    return {
      lat: p.lat,
      pendingUnseen: p.recv.size,
      longInitial: p.longTasks.filter((l) => l.start < after).map((l) => +l.duration.toFixed(1)),
      longAfter: p.longTasks.filter((l) => l.start >= after).map((l) => +l.duration.toFixed(1)),
    }
  }, loadDoneAt)
  const sorted = [...r.lat].sort((a, b) => a - b)
  const result = {
    bench: 'ui',
    tasks: TASKS,
    agents: AGENTS,
    rate_per_s: RATE,
    seconds: SECONDS,
    updates_sent: sent,
    updates_failed: failedPuts,
    send_seconds: +sendSeconds.toFixed(2),
    updates_measured: sorted.length,
    updates_not_seen_in_dom: r.pendingUnseen,
    latency_ms: {
      p50: pct(sorted, 50),
      p95: pct(sorted, 95),
      p99: pct(sorted, 99),
      max: sorted.length ? +sorted.at(-1).toFixed(2) : null,
    },
    initial_render_ms: +initial.snapshotToRenderMs.toFixed(1),
    page_load_to_render_ms: +initial.loadToRenderMs.toFixed(1),
    long_tasks_initial: {
      count: r.longInitial.length,
      max_ms: r.longInitial.length ? Math.max(...r.longInitial) : 0,
    },
    long_tasks_after_load: {
      count: r.longAfter.length,
      max_ms: r.longAfter.length ? Math.max(...r.longAfter) : 0,
      durations_ms: r.longAfter,
    },
    seed_seconds: +seedS.toFixed(1),
    load_avg_1m: { start: loadAtStart, end: +loadavg()[0].toFixed(2) },
    cores: cpus().length,
    chromium: (await context.browser()?.version()) ?? 'persistent-context',
  }
  process.stdout.write(JSON.stringify(result) + '\n')
} finally {
  await context?.close().catch(() => {})
  if (be) {
    be.proc.kill('SIGTERM')
    await new Promise((r) => be.proc.once('exit', r))
  }
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(userDataDir, { recursive: true, force: true })
}
