// The scale row (issue 8): reads stay O(result) on a large database. Builds a data dir with
// 100,000 tasks and 1,000,000 events (the real server creates the schema, then direct SQLite
// inserts fill it; the aggregate triggers fire as on any write), starts the real server on it, and
// measures each read endpoint's latency while a second client probes /api/health every 10 ms. The
// server's own longest event-loop block comes from its /metrics
// (taskpulse_event_loop_delay_max_seconds, reset at each scrape).
//
//   npm run build && node bench/scale.mjs [--tasks 100000] [--events 1000000] [--requests 50]
//   (or: npm run bench -- --scale)
// Prints a table, ends with one JSON line; writes bench/results/scale-<time>.json.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import {
  ROOT,
  cleanUpOnSignal,
  cpuSeconds,
  readReadyLine,
  spawnNode,
  taskpulseBuilt,
} from './lib/servers.mjs'
import { fillScaleData } from './lib/scale-data.mjs'
import { fmtMs } from './lib/stats.mjs'

const { values: opt } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '50' },
    out: { type: 'string' },
  },
  strict: false,
})
const TASKS = Number(opt.tasks)
const EVENTS = Number(opt.events)
const REQUESTS = Number(opt.requests)
const log = (msg) => process.stderr.write(`${msg}\n`)

if (!taskpulseBuilt()) {
  log('taskpulse is not built: run `npm run build` first')
  process.exit(1)
}

const dataDir = mkdtempSync(join(tmpdir(), 'taskpulse-scale-'))
const token = randomBytes(16).toString('hex')
let child = null
cleanUpOnSignal(async () => rmSync(dataDir, { recursive: true, force: true }))

async function startBackend() {
  child = spawnNode(
    [
      'bin/taskpulse.js',
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--token',
      token,
      '--log-level',
      'warn',
    ],
    { stderrFile: join(dataDir, 'server.log') },
  )
  const ready = await readReadyLine(child, 60_000, 'taskpulse')
  return ready.url
}
async function stopBackend() {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const summary = (values) => {
  const s = [...values].sort((a, b) => a - b)
  return { p50_ms: pct(s, 50), p99_ms: pct(s, 99), max_ms: s.at(-1) }
}

async function get(url, path) {
  const t0 = performance.now()
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` } })
  const body = await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${Buffer.from(body)}`)
  return { ms: performance.now() - t0, bytes: body.byteLength }
}

async function loopMaxMs(url) {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()
  const m = /^taskpulse_event_loop_delay_max_seconds (\S+)$/m.exec(text)
  return m ? Number(m[1]) * 1000 : null
}

try {
  log(
    `scale: creating the schema, then ${TASKS.toLocaleString()} tasks and ${EVENTS.toLocaleString()} events…`,
  )
  await startBackend()
  await stopBackend()
  const t0 = performance.now()
  const filled = fillScaleData(join(dataDir, 'taskpulse.sqlite'), { tasks: TASKS, events: EVENTS })
  const fillS = (performance.now() - t0) / 1000
  log(`scale: filled in ${fillS.toFixed(1)} s; starting the server on it`)
  const tStart = performance.now()
  const url = await startBackend()
  const startS = (performance.now() - tStart) / 1000

  const day = 86_400_000
  const now = Date.now()
  const endpoints = [
    ['/api/health', 'health'],
    ['/api/agents', 'agents (200)'],
    ['/api/projects', 'projects (50)'],
    ['/api/tasks?limit=100', 'tasks, newest 100'],
    ['/api/tasks?status=failed&limit=100', 'tasks by status'],
    ['/api/tasks?assignee=agent-7&status=failed&limit=100', 'tasks by agent + status'],
    ['/api/tasks?project_id=project-3&limit=1000', 'tasks by project, 1,000'],
    [
      `/api/tasks?from=${new Date(now - 2 * day).toISOString()}&to=${new Date(now - day).toISOString()}&limit=100`,
      'tasks by updated_at range',
    ],
    ['/api/tasks?q=Task%2099990&limit=100', 'search q (one match)', 10],
    ['/api/tasks?q=no-such-text&limit=100', 'search q (no match: walks all, yielding)', 5],
    [
      `/api/calendar?from=${new Date(now - day).toISOString()}&to=${new Date(now).toISOString()}`,
      'calendar, one day (page of 500)',
    ],
    [
      `/api/calendar?from=${new Date(now - 7 * day).toISOString()}&to=${new Date(now).toISOString()}&limit=1000`,
      'calendar, one week (max page, 1,000)',
    ],
    ['/api/tasks/scale-0004242', 'one task'],
    ['/api/tasks/scale-0004242/events', 'events of a task'],
  ]
  const rows = []
  for (const [path, name, requests = REQUESTS] of endpoints) {
    await get(url, path) // warm-up (statement cache, page cache)
    await loopMaxMs(url) // resets the server's max
    let running = true
    const health = []
    const prober = (async () => {
      while (running) {
        health.push((await get(url, '/api/health')).ms)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const lat = []
    let bytes = 0
    const cpu0 = cpuSeconds(child.pid)
    for (let i = 0; i < requests; i++) {
      const r = await get(url, path)
      lat.push(r.ms)
      bytes = r.bytes
    }
    // Server CPU per request (health probes included, a few % of it): the figure that does not
    // depend on how busy the machine is; wall-clock latencies do.
    const cpuMsPerRequest = ((cpuSeconds(child.pid) - cpu0) * 1000) / requests
    running = false
    await prober
    const loopMax = await loopMaxMs(url)
    const row = {
      endpoint: name,
      path,
      requests,
      ...summary(lat),
      response_kb: Math.round(bytes / 1024),
      server_cpu_ms_per_request: Math.round(cpuMsPerRequest * 10) / 10,
      health_max_ms: Math.max(...health),
      loop_block_max_ms: loopMax,
    }
    rows.push(row)
    log(
      `${name.padEnd(32)} p50 ${fmtMs(row.p50_ms).padStart(6)}  p99 ${fmtMs(row.p99_ms).padStart(6)}  max ${fmtMs(row.max_ms).padStart(6)}  ` +
        `${String(row.response_kb).padStart(5)} KiB  cpu/req ${fmtMs(row.server_cpu_ms_per_request).padStart(5)}  health max ${fmtMs(row.health_max_ms).padStart(6)}  loop block max ${fmtMs(loopMax).padStart(6)} ms`,
    )
  }
  await stopBackend()
  const result = {
    kind: 'scale',
    at: new Date().toISOString(),
    tasks: filled.tasks,
    events: filled.events,
    requests_per_endpoint: REQUESTS,
    fill_s: Math.round(fillS * 10) / 10,
    start_s: Math.round(startS * 10) / 10,
    machine: { cpus: cpus().length, loadavg_at_end: loadavg() },
    rows,
  }
  const out = opt.out ?? join(ROOT, 'bench', 'results', `scale-${result.at.replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify(result, null, 2))
  log(
    `\n| endpoint | p50 ms | p99 ms | max ms | response KiB | server CPU ms/request | health max ms (probe every 10 ms) | event-loop block max ms |`,
  )
  log(`|---|---:|---:|---:|---:|---:|---:|---:|`)
  for (const r of rows)
    log(
      `| ${r.endpoint} | ${fmtMs(r.p50_ms)} | ${fmtMs(r.p99_ms)} | ${fmtMs(r.max_ms)} | ${r.response_kb} | ${fmtMs(r.server_cpu_ms_per_request)} | ${fmtMs(r.health_max_ms)} | ${fmtMs(r.loop_block_max_ms)} |`,
    )
  process.stdout.write(
    JSON.stringify({
      tasks: result.tasks,
      events: result.events,
      rows: rows.map((r) => [r.endpoint, r.p99_ms, r.loop_block_max_ms]),
    }) + '\n',
  )
} finally {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
}
