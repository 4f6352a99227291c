// The backend's mini benchmark (issue 2): one WebSocket client, 1,000 sequential updates, each sent
// only after the previous one arrived; latency = WS receipt − send, on one clock.
//   REST PUT /api/tasks/:id → WS receipt   (validation, SQLite commit, outbox, broadcast)
//   Redis PUBLISH           → WS receipt   (subscriber, validation, SQLite commit, broadcast)
//
//   npm run build && node bench/latency-basic.mjs [--count 1000]     (or: npm run bench -- --latency-basic)
// Prints p50/p99 per path and ends with one JSON line; writes bench/results/latency-basic-<time>.json.
import { mkdirSync, writeFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { startRedis } from './lib/redis-server.mjs'
import { ROOT, cleanUpOnSignal, startServer, taskpulseBuilt } from './lib/servers.mjs'
import { openRawWebSocket } from './lib/raw-ws-client.mjs'

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    out: { type: 'string' },
    // How long one message may take before it counts as lost (the test passes more: a loaded
    // machine is slow, not lossy).
    'timeout-ms': { type: 'string', default: '5000' },
  },
  strict: false,
})
const COUNT = Number(opt.count ?? 1000)
const TIMEOUT_MS = Number(opt['timeout-ms'] ?? 5000)
const MARK = Buffer.from('"event_id":"bq')

if (!taskpulseBuilt()) {
  process.stderr.write('taskpulse is not built: run `npm run build` first\n')
  process.exit(1)
}

const logDir = join(tmpdir(), `taskpulse-bench-logs-${Date.now()}`)
mkdirSync(logDir, { recursive: true })
const redis = await startRedis()
cleanUpOnSignal(() => redis.close())
let server
let ws
const waiting = new Map() // n → resolve(receipt time)

function onMessage(data, socket) {
  const idx = data.indexOf(MARK)
  if (idx < 0) {
    const msg = JSON.parse(data.toString())
    if (msg.type === 'hello') socket.send('{"type":"subscribe"}')
    else if (msg.type === 'subscribed') waiting.get('subscribed')?.()
    return
  }
  const t = performance.now()
  let n = 0
  for (let i = idx + MARK.length; i < data.length && data[i] >= 48 && data[i] <= 57; i++)
    n = n * 10 + data[i] - 48
  waiting.get(n)?.(t)
}

const stats = (xs) => {
  const s = Float64Array.from(xs).sort()
  const p = (q) =>
    s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 100) / 100 : null
  return {
    n: s.length,
    p50_ms: p(0.5),
    p99_ms: p(0.99),
    max_ms: s.length ? Math.round(s[s.length - 1] * 100) / 100 : null,
    mean_ms: s.length ? Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 100) / 100 : null,
  }
}

async function sequential(label, offset, send) {
  const latencies = []
  const responses = []
  let lost = 0
  for (let i = 0; i < COUNT; i++) {
    const n = offset + i
    const received = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), TIMEOUT_MS)
      waiting.set(n, (t) => {
        clearTimeout(timer)
        resolve(t)
      })
    })
    const t0 = performance.now()
    const responded = await send(n, i)
    if (responded) responses.push(responded - t0)
    const t1 = await received
    waiting.delete(n)
    if (t1 === null) lost++
    else latencies.push(t1 - t0)
  }
  const result = { ...stats(latencies), lost }
  if (responses.length) result.rest_response = stats(responses)
  process.stderr.write(
    `${label}: p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms, lost ${lost}\n`,
  )
  return result
}

const body = (n, i) => ({
  status: i % 2 === 0 ? 'running' : 'pending',
  title: 'latency probe',
  output: `sent_ms=${(performance.timeOrigin + performance.now()).toFixed(3)}`,
  event_id: `bq${String(n).padStart(9, '0')}`,
  updated_at: new Date().toISOString(),
})

let exit = 0
try {
  server = await startServer('taskpulse', redis.url, { logDir })
  const subscribed = new Promise((r) => waiting.set('subscribed', r))
  ws = await openRawWebSocket(server.gen.wsUrl, { onMessage })
  await subscribed
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.gen.token}` }
  const rest = await sequential('REST PUT → WS', 0, async (n, i) => {
    const res = await fetch(`${server.gen.httpUrl}/api/tasks/basic-${i % 10}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(body(n, i)),
    })
    await res.arrayBuffer()
    if (res.status >= 300) throw new Error(`PUT answered ${res.status}`)
    return performance.now()
  })
  const pub = new Redis(redis.url)
  const publish = await sequential('PUBLISH → WS', 1_000_000, async (n, i) => {
    // Every settable field present (null = empty), as in the load generator.
    const msg = {
      task_id: `basic-pub-${i % 10}`,
      ...body(n, i),
      description: null,
      assignee: null,
      project_id: null,
      error: null,
      scheduled_at: null,
      due_at: null,
    }
    await pub.publish('task_status_update', JSON.stringify(msg))
    return 0
  })
  pub.disconnect()
  const result = {
    mode: 'latency-basic',
    at: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      node: process.version,
      load: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    count: COUNT,
    rest_put_to_ws: rest,
    publish_to_ws: publish,
  }
  const outDir = join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const file = opt.out ?? join(outDir, `latency-basic-${result.at.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file + '.tmp', JSON.stringify(result, null, 2) + '\n')
  renameSync(file + '.tmp', file)
  process.stdout.write(
    `REST PUT → WS   p50 ${rest.p50_ms} ms  p99 ${rest.p99_ms} ms  (${rest.n} of ${COUNT}, lost ${rest.lost})\n`,
  )
  process.stdout.write(
    `PUBLISH → WS    p50 ${publish.p50_ms} ms  p99 ${publish.p99_ms} ms  (${publish.n} of ${COUNT}, lost ${publish.lost})\n`,
  )
  process.stdout.write(`results: ${file}\n`)
  process.stdout.write(
    JSON.stringify({
      rest_put_to_ws: { p50_ms: rest.p50_ms, p99_ms: rest.p99_ms },
      publish_to_ws: { p50_ms: publish.p50_ms, p99_ms: publish.p99_ms },
    }) + '\n',
  )
  if (rest.lost || publish.lost) exit = 1
} catch (err) {
  process.stderr.write(`latency-basic failed: ${err.message}\n`)
  exit = 1
} finally {
  ws?.close()
  await server?.stop()
  await redis.close()
  if (exit === 0) rmSync(logDir, { recursive: true, force: true })
}
process.exitCode = exit
