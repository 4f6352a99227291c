// The search row (issue 10 item 5): full-text search over 100,000 tasks with real-looking logs,
// and what the index costs the write path. Runs the real store code (src-backend/store, bundled
// here with esbuild) in this process, on real SQLite files:
//  1. ingest: the same events into a store with the FTS index and one without it (the triggers
//     that mark tasks for indexing dropped), new tasks, output rewrites, then growing outputs
//     (each update appends log lines and carries the whole output, as producers send it): events/s;
//  2. index size (dbstat) and search latency, p50/p95 over ~50 queries of different words, for
//     the live index (unicode61, prefix queries) and a trigram index built over the same rows.
//
//   node bench/search.mjs [--tasks 100000] [--updates 20000] [--grow 2000] [--queries 50]
//   (or: npm run bench -- --search --tasks 10000)
// Prints a table, ends with one JSON line; writes bench/results/search-<time>.json.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import Database from 'better-sqlite3'
import { ROOT } from './lib/servers.mjs'
import { rng } from './lib/rng.mjs'

const { values: opt } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    updates: { type: 'string', default: '20000' },
    grow: { type: 'string', default: '2000' },
    queries: { type: 'string', default: '50' },
    // Skip the trigram comparison (it builds a second, ~4× larger index over the same rows).
    'no-trigram': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: false,
})
const TASKS = Number(opt.tasks)
const UPDATES = Number(opt.updates)
const GROW = Number(opt.grow)
const QUERIES = Number(opt.queries)
const log = (msg) => process.stderr.write(`${msg}\n`)

const work = mkdtempSync(join(tmpdir(), 'taskpulse-search-bench-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))

// The store as the server runs it, from source (the server's bundle does not export it).
await build({
  stdin: {
    contents: `export { openTaskStore } from './src-backend/store/task-store'
      export { indexTasksSql } from './src-backend/store/fts-index'`,
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: join(work, 'store.mjs'),
  external: ['better-sqlite3'],
  logLevel: 'error',
})
// better-sqlite3 resolves from the repo's node_modules, not from the temp dir.
const storeFile = join(ROOT, 'node_modules', '.cache', 'taskpulse-search-bench-store.mjs')
mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true })
writeFileSync(storeFile, (await import('node:fs')).readFileSync(join(work, 'store.mjs')))
const { openTaskStore, indexTasksSql } = await import(pathToFileURL(storeFile).href)

// ---- data: 40 agents, 8 projects, logs with stack traces ---------------------------------------
const rand = rng(7)
const pick = (a) => a[Math.floor(rand() * a.length)]
const AGENTS = Array.from(
  { length: 40 },
  (_, i) => pick(['claude-code@repo-', 'codex-runner-', 'nightly-etl-', 'gpt-worker-', 'deploy-bot-']) + i,
)
const PROJECTS = [
  'billing-api',
  'web-frontend',
  'data-pipeline',
  'ml-training',
  'infra',
  'mobile-app',
  'docs',
  'search',
]
const VERBS = [
  'compiling',
  'linking',
  'fetching',
  'uploading',
  'resolving',
  'migrating',
  'indexing',
  'training',
  'evaluating',
  'rendering',
  'deploying',
  'testing',
  'scanning',
  'parsing',
  'caching',
]
const NOUNS = [
  'module',
  'kernel',
  'artifact',
  'dependency',
  'schema',
  'checkpoint',
  'shard',
  'bundle',
  'container',
  'manifest',
  'snapshot',
  'partition',
  'fixture',
  'endpoint',
  'tokenizer',
  'gradient',
  'invoice',
  'customer',
  'warehouse',
  'pipeline',
]
const EXCEPTIONS = [
  'java.lang.OutOfMemoryError: Java heap space',
  'java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null',
  "TypeError: Cannot read properties of undefined (reading 'map')",
  'psycopg2.OperationalError: could not connect to server: Connection refused',
  'Error: ENOSPC: no space left on device, write',
  'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB',
  'panic: runtime error: index out of range [3] with length 3',
  "KeyError: 'customer_id'",
]
const word = () => pick(NOUNS) + (rand() < 0.3 ? `_${Math.floor(rand() * 500)}` : '')
function logLines(n) {
  const lines = []
  for (let i = 0; i < n; i++) {
    const ts = `2026-0${1 + Math.floor(rand() * 3)}-1${Math.floor(rand() * 9)}T0${Math.floor(rand() * 9)}:${10 + Math.floor(rand() * 49)}:0${Math.floor(rand() * 9)}Z`
    lines.push(
      `${ts} INFO ${pick(VERBS)} ${word()} ${word()} (${Math.floor(rand() * 9000)} ms) src/${word()}/${word()}.ts:${Math.floor(rand() * 400)}`,
    )
  }
  return lines.join('\n')
}
function stackTrace() {
  const ex = pick(EXCEPTIONS)
  const frames = Array.from(
    { length: 4 + Math.floor(rand() * 8) },
    () =>
      `\tat com.example.${word()}.${pick(NOUNS)}${pick(['Service', 'Loader', 'Handler'])}.run(${pick(NOUNS)}.java:${Math.floor(rand() * 900)})`,
  )
  return `Exception in thread "main" ${ex}\n${frames.join('\n')}`
}
const base = Date.UTC(2026, 0, 1)
let eventNo = 0
function event(taskId, fields, at) {
  return {
    task_id: taskId,
    fields,
    updated_at: new Date(at).toISOString(),
    event_id: `ev-${++eventNo}`,
    source: 'redis',
    received_at: new Date(at).toISOString(),
  }
}
log(`generating ${TASKS} tasks…`)
const creates = []
let textBytes = 0
for (let i = 0; i < TASKS; i++) {
  const failed = rand() < 0.12
  const output = logLines(4 + Math.floor(rand() * 40)) // 0.3–4 KB
  const error = failed ? stackTrace() : null
  textBytes += output.length + (error?.length ?? 0)
  creates.push(
    event(
      `task-${i}`,
      {
        status: failed ? 'failed' : pick(['running', 'completed', 'completed', 'pending']),
        title: `${pick(VERBS)} ${word()} for ${pick(PROJECTS)}`,
        assignee: pick(AGENTS),
        project_id: pick(PROJECTS),
        output,
        error,
      },
      base + i * 45_000,
    ),
  )
}
const updates = []
for (let i = 0; i < UPDATES; i++) {
  const n = TASKS - 1 - Math.floor(rand() * Math.min(TASKS, 2000)) // the recent, running ones
  updates.push(
    event(`task-${n}`, { output: logLines(4 + Math.floor(rand() * 40)) }, base + TASKS * 45_000 + i * 100),
  )
}

// Growing outputs: running tasks (the 200 newest) each get updates that append 40 log lines; the
// event carries the whole output so far, so late updates rewrite tens of KB each.
const grows = []
let grownBytes = 0
{
  const outputs = new Map()
  for (let i = 0; i < GROW; i++) {
    const n = TASKS - 1 - Math.floor(rand() * Math.min(TASKS, 200))
    const next = `${outputs.get(n) ?? creates[n].fields.output}\n${logLines(40)}`
    outputs.set(n, next)
    grownBytes += next.length
    grows.push(event(`task-${n}`, { output: next }, base + TASKS * 45_000 + UPDATES * 100 + i * 100))
  }
}

// ---- 1. ingest with and without the index --------------------------------------------------------
function ingest(withIndex) {
  const file = join(work, withIndex ? 'with.sqlite' : 'without.sqlite')
  const store = openTaskStore({ file, outbox: false })
  store.close()
  if (!withIndex) {
    const db = new Database(file)
    // Without the triggers no task is marked for indexing, so the sync at the end of each batch
    // finds nothing: the write path without the index. The (empty) table stays so the store opens.
    db.exec(
      `DROP TRIGGER tasks_fts_dirty_on_insert; DROP TRIGGER tasks_fts_dirty_on_update; DROP TRIGGER tasks_fts_dirty_on_delete;`,
    )
    db.close()
  }
  const s = openTaskStore({ file, outbox: false })
  // Events per second of wall time, and per second of this process's CPU time: on a shared,
  // loaded machine the second is the one that does not depend on how much CPU we were given.
  const rate = (events) => {
    if (events.length === 0) return { wall: 0, cpu: 0 }
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    for (let i = 0; i < events.length; i += 500) s.apply(events.slice(i, i + 500)) // ingest's batch size
    const cpu = process.cpuUsage(c0)
    return {
      wall: events.length / ((performance.now() - t0) / 1000),
      cpu: events.length / ((cpu.user + cpu.system) / 1e6),
    }
  }
  const create = rate(creates)
  const update = rate(updates)
  const grow = rate(grows)
  return {
    store: s,
    file,
    createRate: create.wall,
    updateRate: update.wall,
    createCpu: create.cpu,
    updateCpu: update.cpu,
    growRate: grow.wall,
    growCpu: grow.cpu,
  }
}
log('ingest without the index…')
const without = ingest(false)
without.store.close()
log('ingest with the index…')
const withIdx = ingest(true)

// ---- 2. size and search latency -------------------------------------------------------------------
const db = new Database(withIdx.file)
const sizeOf = (prefix) =>
  db.prepare(`SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name LIKE ?`).get(`${prefix}%`).b
const tableBytes = db.prepare(`SELECT sum(pgsize) AS b FROM dbstat WHERE name NOT LIKE 'tasks_fts%'`).get().b

const queries = []
const qrand = rng(99)
const qpick = (a) => a[Math.floor(qrand() * a.length)]
const QUERY_KINDS = [
  () => 'OutOfMemory',
  () => 'NullPointer',
  () => 'CUDA out of memory',
  () => 'ENOSPC',
  () => qpick(AGENTS),
  () => qpick(PROJECTS),
  () => qpick(NOUNS), // common: in most outputs
  () => `${qpick(VERBS)} ${qpick(NOUNS)}`,
  () => `${qpick(NOUNS)}_${Math.floor(qrand() * 500)}`, // rare identifier
  () => `task-${Math.floor(qrand() * TASKS)}`,
  () => qpick(NOUNS).slice(0, 4), // a prefix as typed
  () => 'no-such-word-anywhere',
]
for (let i = 0; i < QUERIES; i++) queries.push(QUERY_KINDS[i % QUERY_KINDS.length]())

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
function timeAll(fn) {
  fn(queries[0]) // warm the page cache and statements
  const cpuMs = []
  const ms = queries.map((q) => {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    fn(q)
    const c = process.cpuUsage(c0)
    cpuMs.push((c.user + c.system) / 1000)
    return performance.now() - t0
  })
  return {
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    max: Math.max(...ms),
    cpuP50: percentile(cpuMs, 50),
    cpuP95: percentile(cpuMs, 95),
  }
}
log('search latency (unicode61)…')
const searchApi = timeAll((q) => withIdx.store.search(q, 500))
// The route's maximum, and what the renderer's search box asks for (search-store.ts SEARCH_LIMIT).
const searchApi5000 = timeAll((q) => withIdx.store.search(q, 5000))
const searchApi1000 = timeAll((q) => withIdx.store.search(q, 1000))
const searchApi50 = timeAll((q) => withIdx.store.search(q, 50))
const listing = timeAll((q) => withIdx.store.listTasks({ q, limit: 100 }))
// Listings with a status filter: the planner walks (status, updated_at, task_id) newest first and
// checks the match set with a Bloom filter (EXPLAIN QUERY PLAN; docs/benchmarks.md "Search").
const byStatus = {}
for (const status of ['failed', 'completed'])
  byStatus[status] = timeAll((q) => withIdx.store.listTasks({ q, status, limit: 100 }))
const hitsOnly = db.prepare(
  `SELECT task_id FROM tasks WHERE rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)
   ORDER BY updated_at DESC, task_id DESC LIMIT 500`,
)
const toPrefix = (q) =>
  q
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .map((w) => `"${w.replaceAll('"', '""')}"*`)
    .join(' ')
const uniHits = timeAll((q) => hitsOnly.all(toPrefix(q)))
const matches = queries.map((q) => withIdx.store.search(q, 100_000).results.length)
const uniBytes = sizeOf('tasks_fts')

let triBuildS = null
let triHits = null
let triBytes = null
let t0 = performance.now()
db.exec(`INSERT INTO tasks_fts (tasks_fts) VALUES ('delete-all'); ${indexTasksSql('FROM tasks AS t')}`)
const uniBuildS = (performance.now() - t0) / 1000
if (!opt['no-trigram']) {
  log('trigram index over the same rows…')
  t0 = performance.now()
  db.exec(`CREATE VIRTUAL TABLE tri_fts USING fts5(task_id, title, description, output, error, assignee, project_id,
    content = 'tasks', content_rowid = 'rowid', tokenize = 'trigram');
    INSERT INTO tri_fts (tri_fts) VALUES ('rebuild');`)
  triBuildS = (performance.now() - t0) / 1000
  const triHitsStmt = db.prepare(
    `SELECT task_id FROM tasks WHERE rowid IN (SELECT rowid FROM tri_fts WHERE tri_fts MATCH ?)
     ORDER BY updated_at DESC, task_id DESC LIMIT 500`,
  )
  // trigram: each word as a quoted substring (no prefix operator; words under 3 characters find nothing)
  const toTrigram = (q) =>
    q
      .split(/\s+/)
      .filter((w) => w.length >= 3)
      .map((w) => `"${w.replaceAll('"', '""')}"`)
      .join(' ') || '"zzz"'
  triHits = timeAll((q) => triHitsStmt.all(toTrigram(q)))
  triBytes = sizeOf('tri_fts')
}
db.close()
withIdx.store.close()

const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`
const rows = [
  ['tasks / text indexed', `${TASKS.toLocaleString('en-US')} / ${mb(textBytes)}`],
  ['tables without FTS (dbstat)', mb(tableBytes)],
  [
    'ingest, new tasks: events/s without → with index (wall)',
    `${Math.round(without.createRate)} → ${Math.round(withIdx.createRate)} (${Math.round((withIdx.createRate / without.createRate) * 100)} %)`,
  ],
  [
    'same, events per CPU-second',
    `${Math.round(without.createCpu)} → ${Math.round(withIdx.createCpu)} (${Math.round((withIdx.createCpu / without.createCpu) * 100)} %)`,
  ],
  [
    'ingest, output updates: events/s without → with (wall)',
    `${Math.round(without.updateRate)} → ${Math.round(withIdx.updateRate)} (${Math.round((withIdx.updateRate / without.updateRate) * 100)} %)`,
  ],
  [
    'same, events per CPU-second',
    `${Math.round(without.updateCpu)} → ${Math.round(withIdx.updateCpu)} (${Math.round((withIdx.updateCpu / without.updateCpu) * 100)} %)`,
  ],
  [
    `ingest, growing outputs (avg ${Math.round(grownBytes / Math.max(1, GROW) / 1024)} KB): without → with (wall)`,
    GROW === 0
      ? 'not run'
      : `${Math.round(without.growRate)} → ${Math.round(withIdx.growRate)} (${Math.round((withIdx.growRate / without.growRate) * 100)} %)`,
  ],
  [
    'same, events per CPU-second',
    GROW === 0
      ? 'not run'
      : `${Math.round(without.growCpu)} → ${Math.round(withIdx.growCpu)} (${Math.round((withIdx.growCpu / without.growCpu) * 100)} %)`,
  ],
  ['unicode61 index size / rebuild', `${mb(uniBytes)} / ${uniBuildS.toFixed(1)} s`],
  [
    'trigram index size / build',
    triBytes === null ? 'not run' : `${mb(triBytes)} / ${triBuildS.toFixed(1)} s`,
  ],
  [
    'match set → newest 500 ids, unicode61 p50/p95',
    `${uniHits.p50.toFixed(1)} / ${uniHits.p95.toFixed(1)} ms (CPU ${uniHits.cpuP50.toFixed(1)} / ${uniHits.cpuP95.toFixed(1)})`,
  ],
  [
    'match set → newest 500 ids, trigram p50/p95',
    triHits === null
      ? 'not run'
      : `${triHits.p50.toFixed(1)} / ${triHits.p95.toFixed(1)} ms (CPU ${triHits.cpuP50.toFixed(1)} / ${triHits.cpuP95.toFixed(1)})`,
  ],
  [
    'GET /api/search body (500, field+snippet) p50/p95/max',
    `${searchApi.p50.toFixed(1)} / ${searchApi.p95.toFixed(1)} / ${searchApi.max.toFixed(1)} ms (CPU p50/p95 ${searchApi.cpuP50.toFixed(1)} / ${searchApi.cpuP95.toFixed(1)})`,
  ],
  [
    'same, limit 1000 (the search box) p50/p95/max',
    `${searchApi1000.p50.toFixed(1)} / ${searchApi1000.p95.toFixed(1)} / ${searchApi1000.max.toFixed(1)} ms (CPU p50/p95 ${searchApi1000.cpuP50.toFixed(1)} / ${searchApi1000.cpuP95.toFixed(1)})`,
  ],
  [
    'same, limit 5000 (the route maximum) p50/p95/max',
    `${searchApi5000.p50.toFixed(1)} / ${searchApi5000.p95.toFixed(1)} / ${searchApi5000.max.toFixed(1)} ms (CPU p50/p95 ${searchApi5000.cpuP50.toFixed(1)} / ${searchApi5000.cpuP95.toFixed(1)})`,
  ],
  [
    'same, limit 50 p50/p95/max',
    `${searchApi50.p50.toFixed(1)} / ${searchApi50.p95.toFixed(1)} / ${searchApi50.max.toFixed(1)} ms (CPU p50/p95 ${searchApi50.cpuP50.toFixed(1)} / ${searchApi50.cpuP95.toFixed(1)})`,
  ],
  [
    'GET /api/tasks?q= page (100 tasks) p50/p95/max',
    `${listing.p50.toFixed(1)} / ${listing.p95.toFixed(1)} / ${listing.max.toFixed(1)} ms (CPU p50/p95 ${listing.cpuP50.toFixed(1)} / ${listing.cpuP95.toFixed(1)})`,
  ],
  ...Object.entries(byStatus).map(([status, t]) => [
    `same with status=${status} p50/p95/max`,
    `${t.p50.toFixed(1)} / ${t.p95.toFixed(1)} / ${t.max.toFixed(1)} ms (CPU p50/p95 ${t.cpuP50.toFixed(1)} / ${t.cpuP95.toFixed(1)})`,
  ]),
  [
    'matches per query (min / median / max)',
    `${Math.min(...matches)} / ${percentile(matches, 50)} / ${Math.max(...matches)}`,
  ],
]
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(60)} ${v}\n`)
const result = {
  bench: 'search',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg() },
  tasks: TASKS,
  updates: UPDATES,
  grow: GROW,
  grownBytes,
  queries,
  textBytes,
  tableBytes,
  ingest: {
    without: {
      create: without.createRate,
      update: without.updateRate,
      createCpu: without.createCpu,
      updateCpu: without.updateCpu,
      grow: without.growRate,
      growCpu: without.growCpu,
    },
    with: {
      create: withIdx.createRate,
      update: withIdx.updateRate,
      createCpu: withIdx.createCpu,
      updateCpu: withIdx.updateCpu,
      grow: withIdx.growRate,
      growCpu: withIdx.growCpu,
    },
  },
  unicode61: {
    bytes: uniBytes,
    rebuildS: uniBuildS,
    hits: uniHits,
    search500: searchApi,
    search5000: searchApi5000,
    search1000: searchApi1000,
    search50: searchApi50,
    listing,
    listingByStatus: byStatus,
  },
  trigram: { bytes: triBytes, buildS: triBuildS, hits: triHits },
  matches,
}
const out = opt.out ?? join(ROOT, 'bench', 'results', `search-${result.at.replace(/[:.]/g, '-')}.json`)
writeFileSync(out, JSON.stringify(result, null, 2))
process.stdout.write(`${JSON.stringify(result)}\n`)
rmSync(storeFile, { force: true })
