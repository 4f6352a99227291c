// TaskPulse's benchmark suite (issue 5): delivery latency and fan-out of three servers on one
// machine, one Redis, one load generator:
//   taskpulse  the real backend (`taskpulse serve`), fed by Redis PUBLISH, and in separate rows by REST PUT
//   limit      bench/limit-relay.mjs: the floor (no storage, one frame per event-loop turn to every socket)
//   socketio   bench/socketio-server.mjs: Socket.IO 4 + @socket.io/redis-adapter, fed by the redis-emitter
//
//   npm run bench                  full matrix + REST rows + knee (≈ 15–25 min)
//   npm run bench -- --quick       100×100 and 1,000×100 on the PUBLISH path (< 3 min), ends with one JSON line
//   npm run bench -- --latency-basic   one client, 1,000 sequential updates (REST and PUBLISH → WS)
//   npm run bench -- --scale       read endpoints on 100,000 tasks + 1,000,000 events (bench/scale.mjs)
//   npm run bench -- --search      full-text search and its write cost (bench/search.mjs; its own options)
//   npm run bench -- --ui-scale    the UI in Chromium at fleet scale (bench/ui-scale.mjs; its own options)
// Options: --servers taskpulse,limit  --rows 100x100,1000x100  --duration 10  --warmup 2  --no-knee  --no-rest  --rest (REST rows for --rows)
//          --repeat N (best p99 of N rounds)  --quiet-wait S (wait for an idle machine before each row)  --cpu-prof DIR (profile the servers)
import { mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { cpus, totalmem, release, tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { startRedis } from './lib/redis-server.mjs'
import {
  cleanUpOnSignal,
  ROOT,
  SERVERS,
  CLK_TCK,
  startServer,
  spawnNode,
  cpuSeconds,
  rssMb,
  taskpulseBuilt,
} from './lib/servers.mjs'
import { textTable, ratio } from './lib/stats.mjs'

// The UI bench has options of its own: hand over before this runner's strict parse rejects them.
if (process.argv.includes('--ui-scale')) {
  await import('./ui-scale.mjs')
  process.exit(process.exitCode ?? 0)
}
if (process.argv.includes('--search')) {
  await import('./search.mjs')
  process.exit(process.exitCode ?? 0)
}

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'latency-basic': { type: 'boolean', default: false },
    scale: { type: 'boolean', default: false },
    servers: { type: 'string' },
    rows: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    drain: { type: 'string', default: '10' },
    'no-knee': { type: 'boolean', default: false },
    'no-rest': { type: 'boolean', default: false },
    rest: { type: 'boolean', default: false },
    out: { type: 'string' },
    // Run the grid this many rounds and keep, per server and row, the round with the lowest p99
    // (external load only ever adds latency); every round is kept in the results file.
    repeat: { type: 'string', default: '1' },
    // Before each row, wait up to this many seconds for the machine to go quiet (other engineers'
    // builds and tests share the cores); 0 disables.
    'quiet-wait': { type: 'string' },
    // Write a V8 CPU profile of every server process into this folder (node --cpu-prof).
    'cpu-prof': { type: 'string' },
  },
})

if (opt.scale) {
  await import('./scale.mjs')
  process.exit(process.exitCode ?? 0)
}
if (opt['latency-basic']) {
  await import('./latency-basic.mjs')
  process.exit(process.exitCode ?? 0)
}

const log = (msg) => process.stderr.write(`${msg}\n`)
const mode = opt.quick ? 'quick' : 'full'
const durationS = Number(opt.duration)
const warmupS = Number(opt.warmup)
const drainS = Number(opt.drain)
const quietWaitS = Number(opt['quiet-wait'] ?? (opt.quick ? 5 : 20))
const QUIET_BUSY_PCT = 30
const repeat = Math.max(1, Number(opt.repeat))
const servers = (opt.servers ?? SERVERS.join(',')).split(',')
for (const s of servers) if (!SERVERS.includes(s)) throw new Error(`unknown server ${s}`)
if (servers.includes('taskpulse') && !taskpulseBuilt()) {
  log('taskpulse is not built: run `npm run build` first (or pass --servers limit,socketio)')
  process.exit(1)
}

const MATRIX = [
  [1, 10],
  [100, 100],
  [1000, 10],
  [1000, 50],
  [1000, 100],
  [10000, 1],
]
const QUICK = [
  [100, 100],
  [1000, 100],
]
const REST_ROWS = [
  [1, 10],
  [100, 100],
  [1000, 100],
]
const KNEE_CLIENTS = 1000
const KNEE_LADDER = [10, 25, 50, 100, 150, 200, 300, 400, 600, 800, 1000]
const KNEE_P99_MS = 100

const parseRows = (text) => text.split(',').map((s) => s.toLowerCase().split('x').map(Number))
const grid = opt.rows ? parseRows(opt.rows) : mode === 'quick' ? QUICK : MATRIX

function machine() {
  let redisVersion = ''
  try {
    redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim()
  } catch {}
  let commit = ''
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
  } catch {}
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    redis: redisVersion,
    commit,
    load_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

/** CPU seconds the whole machine spent busy (all cores, softirq included) and stolen, so far. */
function machineCpuSeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , irq, softirq, steal] = f
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: (steal ?? 0) / CLK_TCK }
}

/** Microseconds some task on the machine spent waiting for I/O so far (PSI), or null without PSI. */
function ioStallUs() {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/io', 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

/** Samples the machine for up to `maxS` seconds until one second passes with < QUIET_BUSY_PCT busy. */
async function waitQuiet(maxS) {
  const deadline = performance.now() + maxS * 1000
  const t0 = performance.now()
  let busy = null
  while (maxS > 0) {
    const a = machineCpuSeconds()
    const ta = performance.now()
    await new Promise((r) => setTimeout(r, 1000))
    busy = Math.round(((machineCpuSeconds().busy - a.busy) / ((performance.now() - ta) / 1000)) * 1000) / 10
    if (busy < QUIET_BUSY_PCT || performance.now() > deadline) break
  }
  return { pre_row_busy_pct: busy, quiet_wait_s: Math.round((performance.now() - t0) / 100) / 10 }
}

/** Runs the generator against a started server and measures the server meanwhile. */
async function runGenerator(server, genCfg, redisPid) {
  const budgetMs = (genCfg.connectTimeoutS ?? 180) * 1000 + (warmupS + durationS + drainS) * 1000 + 30_000
  const child = spawnNode(['bench/load-gen.mjs', JSON.stringify(genCfg)], {
    stderrFile: server.logFile + '.gen',
  })
  const exited = new Promise((r) => child.once('exit', r))
  const killer = setTimeout(() => child.kill('SIGKILL'), budgetMs)
  let cpu0 = 0
  let redis0 = 0
  let mach0 = null
  let io0 = null
  let t0 = 0
  let maxRss = 0
  let sampler = null
  const measured = {}
  let result = null
  let error = null
  const rl = createInterface({ input: child.stdout })
  for await (const line of rl) {
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      continue
    }
    if (msg.event === 'connected') {
      measured.rss_connected_mb = rssMb(server.pid)
    } else if (msg.event === 'measure-start') {
      t0 = performance.now()
      mach0 = machineCpuSeconds()
      io0 = ioStallUs()
      cpu0 = cpuSeconds(server.pid)
      redis0 = cpuSeconds(redisPid)
      maxRss = rssMb(server.pid)
      sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(server.pid))), 500)
    } else if (msg.event === 'measure-end') {
      const wall = (performance.now() - t0) / 1000
      measured.server_cpu_pct = Math.round(((cpuSeconds(server.pid) - cpu0) / wall) * 1000) / 10
      measured.redis_cpu_pct = Math.round(((cpuSeconds(redisPid) - redis0) / wall) * 1000) / 10
      const mach = machineCpuSeconds()
      measured.machine_busy_pct = Math.round(((mach.busy - mach0.busy) / wall) * 1000) / 10
      measured.machine_steal_pct = Math.round(((mach.steal - mach0.steal) / wall) * 1000) / 10
      const io = ioStallUs()
      // Time some task waited on the disk during the row: fsync stalls (other work, or the server's own).
      measured.io_pressure_ms = io === null || io0 === null ? null : Math.round((io - io0) / 1000)
      measured.load_avg_1m = Math.round(loadavg()[0] * 100) / 100
      clearInterval(sampler)
      measured.server_rss_mb = Math.max(maxRss, rssMb(server.pid))
    } else if (msg.event === 'result') result = msg
    else if (msg.event === 'error') error = msg.message
  }
  clearInterval(sampler)
  await exited
  clearTimeout(killer)
  if (!result) throw new Error(error ?? `load generator exited with code ${child.exitCode} and no result`)
  return { ...result, ...measured }
}

async function runRow(redis, name, path, clients, rate, extra = {}) {
  const label = `${name.padEnd(9)} ${path.padEnd(7)} ${String(clients).padStart(5)} clients × ${String(rate).padStart(4)} upd/s`
  const flush = new Redis(redis.url)
  await flush.flushall()
  flush.disconnect()
  const quiet = await waitQuiet(quietWaitS)
  const started = Date.now()
  let server
  try {
    server = await startServer(name, redis.url, { logDir, cpuProfDir: opt['cpu-prof'] ?? null })
    const genCfg = {
      ...server.gen,
      path: name === 'socketio' ? 'emitter' : path,
      redisUrl: redis.url,
      clients,
      rate,
      warmupS,
      durationS,
      drainS,
    }
    const r = await runGenerator(server, genCfg, redis.pid)
    const row = {
      server: name,
      clients,
      rate,
      ...extra,
      ...r,
      ...quiet,
      path,
      generator_path: r.path,
      wall_s: Math.round((Date.now() - started) / 100) / 10,
    }
    log(
      `${label}: p50 ${row.p50_ms} p99 ${row.p99_ms} max ${row.max_ms} ms, ${row.deliveries_per_s} deliv/s, undelivered ${row.undelivered}, srv CPU ${row.server_cpu_pct}%, RSS ${row.server_rss_mb} MB, gen CPU ${row.generator_cpu_pct}% (${row.wall_s} s)`,
    )
    return row
  } catch (err) {
    log(`${label}: FAILED ${err.message}`)
    return {
      server: name,
      path,
      clients,
      rate,
      ...extra,
      error: err.message.split('\n')[0],
      undelivered: null,
    }
  } finally {
    await server?.stop()
  }
}

function bestOfRounds(all) {
  const groups = new Map()
  for (const r of all) {
    const k = `${r.server}|${r.path}|${r.clients}|${r.rate}`
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  const score = (r) => [r.error ? 1 : 0, r.undelivered ?? Infinity, r.p99_ms ?? Infinity]
  const better = (a, b) => {
    const [x, y] = [score(a), score(b)]
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i]
    return false
  }
  return [...groups.values()].map((g) => {
    const best = g.reduce((a, b) => (better(b, a) ? b : a))
    return g.length > 1 ? { ...best, best_of: g.length, p99_rounds: g.map((r) => r.p99_ms) } : best
  })
}

const passesKnee = (r) => !r.error && r.undelivered === 0 && r.p99_ms !== null && r.p99_ms < KNEE_P99_MS

async function findKnee(redis, name, rows) {
  const at = (rate) =>
    rows.find(
      (r) => r.server === name && r.path === 'publish' && r.clients === KNEE_CLIENTS && r.rate === rate,
    )
  const run = async (rate) => {
    let r = at(rate)
    if (!r) {
      // A probe gets as many rounds as the grid (--repeat), stopping at the first that passes.
      const tries = []
      for (let k = 0; k < repeat; k++) {
        const t = {
          ...(await runRow(redis, name, 'publish', KNEE_CLIENTS, rate, { knee_probe: true })),
          round: k,
        }
        tries.push(t)
        allRounds.push(t)
        if (passesKnee(t)) break
      }
      r = bestOfRounds(tries)[0]
      rows.push(r)
    }
    return r
  }
  let i = KNEE_LADDER.indexOf(100)
  let best = null
  if (passesKnee(await run(KNEE_LADDER[i]))) {
    best = at(KNEE_LADDER[i])
    for (i++; i < KNEE_LADDER.length; i++) {
      const r = await run(KNEE_LADDER[i])
      if (!passesKnee(r)) break
      best = r
    }
  } else {
    for (i--; i >= 0; i--) {
      const r = await run(KNEE_LADDER[i])
      if (passesKnee(r)) {
        best = r
        break
      }
    }
  }
  return best
    ? {
        server: name,
        clients: KNEE_CLIENTS,
        rate: best.rate,
        deliveries_per_s: best.deliveries_per_s,
        p99_ms: best.p99_ms,
        generator_cpu_pct: best.generator_cpu_pct,
      }
    : { server: name, clients: KNEE_CLIENTS, rate: null, deliveries_per_s: 0, p99_ms: null }
}

// ---- main -------------------------------------------------------------------------------------

const logDir = join(tmpdir(), `taskpulse-bench-logs-${Date.now()}`)
mkdirSync(logDir, { recursive: true })
const startedAt = new Date()
const info = machine()
log(
  `taskpulse bench (${mode}): ${info.cpu}, ${info.cores} cores, node ${info.node}, load ${info.load_at_start.join(' ')}; server logs in ${logDir}`,
)
const redis = await startRedis()
cleanUpOnSignal(() => redis.close())
const rows = []
const allRounds = []
const knee = {}
try {
  // REST rows: the fixed set in the full run; with --rows, the same grid when --rest is given.
  const restGrid = opt.rows ? (opt.rest ? grid : []) : mode === 'full' && !opt['no-rest'] ? REST_ROWS : []
  for (let round = 0; round < repeat; round++) {
    for (const [clients, rate] of grid) {
      // Rotate the order each round so no server always runs right after another's teardown.
      const order = servers.map((_, i) => servers[(i + round) % servers.length])
      for (const s of order) allRounds.push({ ...(await runRow(redis, s, 'publish', clients, rate)), round })
    }
    if (servers.includes('taskpulse'))
      for (const [clients, rate] of restGrid)
        allRounds.push({ ...(await runRow(redis, 'taskpulse', 'rest', clients, rate)), round })
  }
  rows.push(...bestOfRounds(allRounds))
  if (mode === 'full' && !opt['no-knee']) for (const s of servers) knee[s] = await findKnee(redis, s, rows)
} finally {
  await redis.close()
}

// ---- summary ----------------------------------------------------------------------------------

const pick = (server, clients, rate, path = 'publish') =>
  rows.find(
    (r) =>
      r.server === server && r.path === path && r.clients === clients && r.rate === rate && !r.knee_probe,
  ) ?? rows.find((r) => r.server === server && r.path === path && r.clients === clients && r.rate === rate)
const summaryRows = grid.map(([clients, rate]) => {
  const p99 = {}
  const undelivered = {}
  for (const s of SERVERS) {
    const r = pick(s, clients, rate)
    p99[s] = r && !r.error ? r.p99_ms : null
    undelivered[s] = r ? r.undelivered : null
  }
  return { clients, rate, p99_ms: p99, undelivered }
})
// taskpulse/limit: the worst row (up to 100,000 deliveries/s); taskpulse/socketio: the 1,000×100 row.
const overLimit = summaryRows
  .filter((r) => r.clients * r.rate <= 100_000)
  .map((r) => ratio(r.p99_ms.taskpulse, r.p99_ms.limit))
  .filter((x) => x !== null)
const row1000 = summaryRows.find((r) => r.clients === 1000 && r.rate === 100)
const summary = {
  rows: summaryRows,
  ratios: {
    taskpulse_over_limit_p99: overLimit.length ? Math.max(...overLimit) : null,
    taskpulse_over_socketio_p99: row1000 ? ratio(row1000.p99_ms.taskpulse, row1000.p99_ms.socketio) : null,
  },
}
if (Object.keys(knee).length) {
  summary.knee_deliveries_per_s = Object.fromEntries(
    Object.entries(knee).map(([s, k]) => [s, k.deliveries_per_s]),
  )
  summary.ratios.knee_taskpulse_over_limit = ratio(
    knee.taskpulse?.deliveries_per_s,
    knee.limit?.deliveries_per_s,
  )
}
const restRow = pick('taskpulse', 100, 100, 'rest')
const pubRow = pick('taskpulse', 100, 100)
if (restRow && pubRow && !restRow.error && !pubRow.error)
  summary.rest_minus_publish_p99_ms_at_100x100 = Math.round((restRow.p99_ms - pubRow.p99_ms) * 100) / 100

const finishedAt = new Date()
const result = {
  mode,
  started_at: startedAt.toISOString(),
  finished_at: finishedAt.toISOString(),
  wall_s: Math.round((finishedAt - startedAt) / 1000),
  machine: { ...info, load_at_end: loadavg().map((x) => Math.round(x * 100) / 100) },
  settings: {
    duration_s: durationS,
    warmup_s: warmupS,
    drain_s: drainS,
    quiet_wait_s: quietWaitS,
    quiet_busy_pct: QUIET_BUSY_PCT,
    payload_bytes: 333,
    knee_p99_ms: KNEE_P99_MS,
    knee_clients: KNEE_CLIENTS,
  },
  rows,
  knee,
  summary,
  ...(repeat > 1 ? { rounds: allRounds } : {}),
}
const outDir = join(ROOT, 'bench', 'results')
mkdirSync(outDir, { recursive: true })
const outFile = opt.out ?? join(outDir, `${mode}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(outFile + '.tmp', JSON.stringify(result, null, 2) + '\n')
renameSync(outFile + '.tmp', outFile)

process.stdout.write('\n' + textTable(rows) + '\n')
if (Object.keys(knee).length) {
  process.stdout.write(
    `\nknee (${KNEE_CLIENTS} clients, p99 < ${KNEE_P99_MS} ms, nothing undelivered): ` +
      Object.values(knee)
        .map(
          (k) => `${k.server} ${k.deliveries_per_s.toLocaleString('en-US')} deliv/s (${k.rate ?? '–'} upd/s)`,
        )
        .join(', ') +
      '\n',
  )
}
process.stdout.write(`\nresults: ${outFile} (${result.wall_s} s)\n`)
process.stdout.write(JSON.stringify({ rows: summary.rows, ratios: summary.ratios }) + '\n')
// Server logs are kept only when something failed (their path is on stderr).
if (rows.some((r) => r.error)) process.exitCode = 1
else rmSync(logDir, { recursive: true, force: true })
