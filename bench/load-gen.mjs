// The load generator: one process holding N WebSocket clients and the publisher, so send and
// receipt are read from one clock (performance.now()). Driven by bench/run.mjs; also usable alone:
//
//   node bench/load-gen.mjs '{"protocol":"taskpulse","path":"publish","wsUrl":"ws://…/ws?token=T",
//                             "redisUrl":"redis://…","clients":100,"rate":100}'
//
// Prints JSON lines on stdout: connected, measure-start, measure-end, result. Each update carries
// its sequence number in `event_id` ("bq" + 9 digits) and its send time in `output`; a client finds
// the number with one Buffer.indexOf, without parsing the JSON, so the generator stays cheap.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { Emitter } from '@socket.io/redis-emitter'
import { openRawWebSocket } from './lib/raw-ws-client.mjs'

const cfg = {
  protocol: 'taskpulse', // 'taskpulse' (hello/subscribe) | 'socketio' (Engine.IO v4 over ws)
  path: 'publish', // 'publish' (Redis PUBLISH) | 'rest' (PUT /api/tasks/:id) | 'emitter' (socket.io redis-emitter)
  wsUrl: '',
  httpUrl: '',
  token: '',
  redisUrl: 'redis://127.0.0.1:6379',
  channel: 'task_status_update',
  clients: 1,
  rate: 10,
  warmupS: 2,
  durationS: 10,
  drainS: 10,
  tasks: 100,
  payloadBytes: 333,
  connectConcurrency: 250,
  connectTimeoutS: 180,
  ...JSON.parse(process.argv[2] ?? '{}'),
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const MARK = Buffer.from('"event_id":"bq')
const warmupCount = Math.max(1, Math.round(cfg.rate * cfg.warmupS))
const measuredCount = Math.max(1, Math.round(cfg.rate * cfg.durationS))
const totalCount = warmupCount + measuredCount
const sendAt = new Float64Array(totalCount).fill(NaN)
const recvCount = new Uint32Array(totalCount)
// Latencies of measured deliveries; beyond the cap every k-th is kept (uniform sample).
const LAT_CAP = 4_000_000
const expected = cfg.clients * measuredCount
const sampleEvery = Math.max(1, Math.ceil(expected / LAT_CAP))
const latencies = new Float64Array(Math.ceil(expected / sampleEvery) + 16)
let latN = 0
let delivered = 0
let deliveredSeen = 0
let maxLat = 0
let duplicates = 0
let outOfOrder = 0
let sampleFrameBytes = 0
// cfg.traceFile: every measured latency of the first client, [n, send ms, latency ms], for finding spikes.
const trace = cfg.traceFile ? [] : null
let traceClient = null
let disconnects = 0
let lastReceipt = 0
let firstMeasuredSend = 0

// ---- clients --------------------------------------------------------------------------------

function onUpdate(client, data) {
  const idx = data.indexOf(MARK)
  if (idx < 0) return false
  const now = performance.now()
  let n = 0
  for (let i = idx + MARK.length; i < data.length; i++) {
    const c = data[i]
    if (c < 48 || c > 57) break
    n = n * 10 + (c - 48)
  }
  if (n >= totalCount) return true
  if (sampleFrameBytes === 0) sampleFrameBytes = data.length
  const byte = n >> 3
  const bit = 1 << (n & 7)
  if (client.seen[byte] & bit) {
    duplicates++
    return true
  }
  client.seen[byte] |= bit
  if (n < client.lastN) outOfOrder++
  else client.lastN = n
  recvCount[n]++
  if (n >= warmupCount) {
    const lat = now - sendAt[n]
    if (trace && client === traceClient) trace.push([n, Math.round(sendAt[n]), Math.round(lat * 1000) / 1000])
    delivered++
    lastReceipt = now
    if (lat > maxLat) maxLat = lat
    if (deliveredSeen++ % sampleEvery === 0) latencies[latN++] = lat
  }
  return true
}

function connectClient() {
  return new Promise((resolve, reject) => {
    const client = { ws: null, lastN: -1, ready: false, seen: new Uint8Array((totalCount >> 3) + 1) }
    let settled = false
    const timer = setTimeout(() => finish(new Error('subscribe timeout')), 30_000)
    const finish = (err) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) {
        client.ws?.close()
        reject(err)
      } else {
        client.ready = true
        resolve(client)
      }
    }
    const onMessage =
      cfg.protocol === 'socketio'
        ? (data, ws) => {
            if (client.ready) {
              if (data.length === 1 && data[0] === 0x32)
                ws.send('3') // Engine.IO ping → pong
              else onUpdate(client, data)
              return
            }
            const text = data.toString()
            if (text.startsWith('0{')) ws.send('40')
            else if (text.startsWith('40')) finish()
            else if (text === '2') ws.send('3')
          }
        : (data, ws) => {
            if (client.ready) {
              onUpdate(client, data)
              return
            }
            const msg = JSON.parse(data.toString())
            if (msg.type === 'hello') ws.send('{"type":"subscribe"}')
            else if (msg.type === 'subscribed') finish()
            else if (msg.type === 'error') finish(new Error(`server error: ${msg.code} ${msg.message}`))
          }
    openRawWebSocket(cfg.wsUrl, {
      onMessage,
      onClose: () => {
        if (client.ready) disconnects++
        else finish(new Error('closed before subscribed'))
      },
    }).then(
      (ws) => {
        client.ws = ws
      },
      (err) => finish(err),
    )
  })
}

async function connectAll() {
  const clients = []
  const deadline = Date.now() + cfg.connectTimeoutS * 1000
  let next = 0
  let failed = 0
  let firstError = null
  const worker = async () => {
    while (next < cfg.clients) {
      next++
      if (Date.now() > deadline)
        throw new Error(`connecting ${cfg.clients} clients took over ${cfg.connectTimeoutS} s`)
      try {
        clients.push(await connectClient())
      } catch (err) {
        failed++
        firstError ??= err
        if (failed > Math.max(5, cfg.clients * 0.01))
          throw new Error(`${failed} clients failed to connect: ${firstError.message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(cfg.connectConcurrency, cfg.clients) }, worker))
  if (failed > 0) throw new Error(`${failed} clients failed to connect: ${firstError?.message}`)
  return clients
}

// ---- publisher ------------------------------------------------------------------------------

function makeSender() {
  const pad = (n) => String(n).padStart(9, '0')
  const base = (n, sentEpochMs) => {
    const round = Math.floor(n / cfg.tasks)
    return {
      task_id: `bench-${n % cfg.tasks}`,
      // Flip the status on every update of a task, so each one is a status change on every path.
      status: round % 2 === 0 ? 'running' : 'pending',
      updated_at: new Date(sentEpochMs).toISOString(),
      title: `bench task ${n % cfg.tasks}`,
      output: `sent_ms=${sentEpochMs.toFixed(3)};`,
      event_id: `bq${pad(n)}`,
      // Every settable field present (null = empty): valid for any reading of the schema.
      description: null,
      assignee: null,
      project_id: null,
      error: null,
      scheduled_at: null,
      due_at: null,
    }
  }
  const padTo = (obj) => {
    const missing = cfg.payloadBytes - Buffer.byteLength(JSON.stringify(obj))
    if (missing > 0) obj.output += 'x'.repeat(missing)
    return obj
  }
  if (cfg.path === 'rest') {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${cfg.token}` }
    let errors = 0
    return {
      get errors() {
        return errors
      },
      send(n, sentEpochMs) {
        const { task_id, ...body } = padTo(base(n, sentEpochMs))
        fetch(`${cfg.httpUrl}/api/tasks/${task_id}`, { method: 'PUT', headers, body: JSON.stringify(body) })
          .then(async (res) => {
            if (res.status >= 300) errors++
            await res.arrayBuffer()
          })
          .catch(() => errors++)
      },
      close: async () => {},
    }
  }
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null })
  let errors = 0
  if (cfg.path === 'emitter') {
    const emitter = new Emitter(redis)
    return {
      get errors() {
        return errors
      },
      send(n, sentEpochMs) {
        emitter.emit('task_status_update', padTo(base(n, sentEpochMs)))
      },
      close: async () => redis.quit(),
    }
  }
  return {
    get errors() {
      return errors
    },
    send(n, sentEpochMs) {
      redis.publish(cfg.channel, JSON.stringify(padTo(base(n, sentEpochMs)))).catch(() => errors++)
    },
    close: async () => redis.quit(),
  }
}

/** Sends updates 0..total-1 at cfg.rate/s on a fixed schedule (late ticks catch up). */
function publishAll(sender, onPhase) {
  return new Promise((resolve) => {
    const interval = 1000 / cfg.rate
    const start = performance.now()
    let n = 0
    const tick = () => {
      const now = performance.now()
      let burst = 0
      while (n < totalCount && start + n * interval <= now + 0.05 && burst < 1000) {
        if (n === warmupCount) onPhase('measure-start')
        const t = performance.now()
        sendAt[n] = t
        sender.send(n, performance.timeOrigin + t)
        n++
        burst++
      }
      if (n >= totalCount) {
        onPhase('measure-end')
        resolve()
        return
      }
      setTimeout(tick, Math.max(0, start + n * interval - performance.now()))
    }
    tick()
  })
}

// ---- run ------------------------------------------------------------------------------------

const tConnect = performance.now()
let clients
try {
  clients = await connectAll()
} catch (err) {
  emit({ event: 'error', message: err.message })
  process.exit(2)
}
const connectMs = performance.now() - tConnect
traceClient = clients[0]
emit({ event: 'connected', clients: clients.length, ms: Math.round(connectMs) })
await sleep(200)

const sender = makeSender()
let cpuStart = process.cpuUsage()
let wallStart = performance.now()
let cpuPct = 0
let measureEnd = 0
await publishAll(sender, (phase) => {
  emit({ event: phase })
  if (phase === 'measure-start') {
    cpuStart = process.cpuUsage()
    wallStart = performance.now()
    firstMeasuredSend = wallStart
  } else {
    measureEnd = performance.now()
    const cpu = process.cpuUsage(cpuStart)
    cpuPct = ((cpu.user + cpu.system) / 1000 / (measureEnd - wallStart)) * 100
  }
})
const publishedMs = measureEnd - wallStart

// Drain: wait for every measured update to reach every client, or the drain budget.
const drainStart = performance.now()
while (delivered < expected && performance.now() - drainStart < cfg.drainS * 1000) await sleep(20)
const drainMs = performance.now() - drainStart
const stillArriving = delivered < expected && performance.now() - lastReceipt < 500

const lat = latencies.subarray(0, latN).sort()
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : null)
const round = (x) => (x === null ? null : Math.round(x * 100) / 100)
// The measured updates span measuredCount intervals; a backlog stretches the window to the last receipt.
const deliveryWindowMs = Math.max((measuredCount * 1000) / cfg.rate, lastReceipt - firstMeasuredSend)
emit({
  event: 'result',
  clients: clients.length,
  rate: cfg.rate,
  path: cfg.path,
  measured_updates: measuredCount,
  achieved_rate: round((measuredCount / publishedMs) * 1000),
  expected,
  delivered,
  undelivered: expected - delivered,
  duplicates,
  out_of_order: outOfOrder,
  disconnects,
  send_errors: sender.errors,
  p50_ms: round(pct(50)),
  p95_ms: round(pct(95)),
  p99_ms: round(pct(99)),
  max_ms: round(delivered ? maxLat : null),
  mean_ms: round(lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null),
  deliveries_per_s: Math.round((delivered / deliveryWindowMs) * 1000),
  generator_cpu_pct: round(cpuPct),
  message_bytes: sampleFrameBytes,
  connect_ms: Math.round(connectMs),
  drain_ms: Math.round(drainMs),
  still_arriving: stillArriving,
})
if (trace) writeFileSync(cfg.traceFile, JSON.stringify(trace))
for (const c of clients) c.ws?.close()
await sender.close().catch(() => {})
process.exit(0)
