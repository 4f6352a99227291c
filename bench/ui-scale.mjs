// The UI at fleet scale (issue 10, "Must hold"): the built UI in Debian's Chromium (playwright-core)
// against a real `taskpulse serve` and a private Redis, with a fleet (40 agents, 8 projects, eight
// weeks, real-looking logs and stack traces) XADDed to the backend's stream. A benchmark, not a
// test: it reports figures and checks them against the issue's goals, it never fails on them.
//
//   npm run build && node bench/ui-scale.mjs          (or: npm run bench -- --ui-scale)
//   npm run bench -- --ui-scale --quick               (20,000 + 2,000 tasks, 10 s a view, 1 min heap)
//
// For each fleet size (--small-tasks, default 5,000: the frame-time goal; --tasks, default
// 100,000), in a fresh backend, data dir and page:
//   load    navigation → first snapshot page, first task row in the DOM (+ the frame after it),
//           last snapshot page, the task count showing every task; long tasks during the load
//   live    per view (bench/lib/ui-views.mjs: Agents, Timeline, Month, Projects, reached by
//           clicking as a person does), --rate updates/s (Redis PUBLISH) for --seconds:
//           frame p50/p95 (requestAnimationFrame deltas), long tasks > 50 ms (count, longest),
//           socket-to-DOM p50/p95 (an update's event id appearing in the DOM) and socket to the
//           view's next DOM mutation (views whose elements carry no event id)
// and at the large size only:
//   search  the search box ("/" then the query): input event → rows shown that are all results
//           (known from the fixture), pasted at once and typed key by key
//   heap    JS heap after --heap-minutes of live updates (CDP, after a forced GC), with samples
// Prints progress to stderr, a table, and one JSON line last; writes
// bench/results/ui-scale-<time>.json. Options: --views agents,month (which, in order)
// --views-file FILE (JSON list like bench/lib/ui-views.mjs: adds views, or replaces one by name)
// --trace (main-thread trace summary per view: why frames were long)  --trace-load (the same for
// the first page load; keep the fleet small)  --cpu-profile (top
// functions)  --quiet-wait S  --step-wait S (how long a view's control may take to appear; 30;
// a click and the view's ready marker always get 30 s)
// --width/--height  --chromium PATH  --out FILE  --rate  --seconds.
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import { startRedis } from './lib/redis-server.mjs'
import {
  ROOT,
  cleanUpOnSignal,
  readReadyLine,
  rssMb,
  spawnNode,
  taskpulseBuilt,
  taskpulseServeArgs,
  waitHealthy,
} from './lib/servers.mjs'
import { LIVE_EVENT_PREFIX, liveUpdates, seedFleet } from './lib/fleet-data.mjs'
import { probeScript } from './lib/ui-probe.mjs'
import { PAGE_MARKERS, UI_VIEWS, goToView } from './lib/ui-views.mjs'
import { endProfile, endTrace, heapMb, startProfile, startTrace } from './lib/cdp.mjs'
import { CHROMIUM_PATH, launchChromium, quietWait } from './lib/chromium.mjs'

const { values: opt } = parseArgs({
  options: {
    'ui-scale': { type: 'boolean' },
    quick: { type: 'boolean', default: false },
    tasks: { type: 'string' },
    'small-tasks': { type: 'string' },
    seconds: { type: 'string' },
    rate: { type: 'string', default: '50' },
    'heap-minutes': { type: 'string' },
    views: { type: 'string' },
    'views-file': { type: 'string' },
    'no-search': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    // Trace the first page load too (large: keep the fleet small).
    'trace-load': { type: 'boolean', default: false },
    'cpu-profile': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string' },
    'step-wait': { type: 'string' },
    width: { type: 'string', default: '1440' },
    height: { type: 'string', default: '900' },
    chromium: { type: 'string', default: CHROMIUM_PATH },
    out: { type: 'string' },
  },
})
const quick = opt.quick
const BIG = Number(opt.tasks ?? (quick ? 20_000 : 100_000))
const SMALL = Number(opt['small-tasks'] ?? (quick ? 2_000 : 5_000))
const SECONDS = Number(opt.seconds ?? (quick ? 10 : 30))
const RATE = Number(opt.rate)
const HEAP_MINUTES = Number(opt['heap-minutes'] ?? (quick ? 1 : 5))
const QUIET_WAIT_S = Number(opt['quiet-wait'] ?? (quick ? 5 : 30))
const STEP_WAIT_MS = Number(opt['step-wait'] ?? 30) * 1000
const VIEWPORT = { width: Number(opt.width), height: Number(opt.height) }
// A views file adds views or replaces built-in ones of the same name (e.g. a new timeline selector).
const fileViews = opt['views-file'] ? JSON.parse(readFileSync(opt['views-file'], 'utf8')) : []
const allViews = [
  ...UI_VIEWS.map((v) => fileViews.find((f) => f.name === v.name) ?? v),
  ...fileViews.filter((f) => !UI_VIEWS.some((v) => v.name === f.name)),
]
const VIEWS = opt.views ? opt.views.split(',').map((n) => byName(allViews, n)) : allViews
const log = (msg) => process.stderr.write(`[ui-scale] ${msg}\n`)
const load1 = () => +loadavg()[0].toFixed(2)

function byName(views, name) {
  const v = views.find((x) => x.name === name)
  if (!v) throw new Error(`unknown view ${name} (known: ${views.map((x) => x.name).join(', ')})`)
  return v
}

if (!taskpulseBuilt() || !existsSync(join(ROOT, 'out/renderer/index.html'))) {
  log('not built: run `npm run build` first')
  process.exit(2)
}
if (!existsSync(opt.chromium)) {
  log(`Chromium not found at ${opt.chromium} (Debian: apt-get install chromium, or --chromium PATH)`)
  process.exit(2)
}

// ---- statistics ---------------------------------------------------------------------------------

const round1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10)
function pct(values, p) {
  if (!values.length) return null
  const s = [...values].sort((a, b) => a - b)
  return round1(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)])
}
const dist = (values) => ({
  n: values.length,
  p50: pct(values, 50),
  p95: pct(values, 95),
  max: values.length ? round1(Math.max(...values)) : null,
})
function longTaskSummary(list) {
  return {
    count: list.length,
    longest_ms: list.length ? round1(Math.max(...list.map((l) => l.duration))) : 0,
    total_ms: Math.round(list.reduce((a, l) => a + l.duration, 0)),
  }
}

// ---- backend --------------------------------------------------------------------------------------

async function startBackend(redisUrl) {
  const dataDir = mkdtempSync(join(tmpdir(), 'taskpulse-uiscale-'))
  const token = randomBytes(16).toString('hex')
  const child = spawnNode(taskpulseServeArgs({ dataDir, token, redisUrl, logLevel: 'warn' }), {
    stderrFile: join(dataDir, 'server.log'),
  })
  const ready = await readReadyLine(child, 60_000, 'taskpulse')
  const api = (path) => fetch(ready.url + path, { headers: { authorization: `Bearer ${token}` } })
  await waitHealthy(ready.url, 30_000)
  return {
    ...ready,
    pid: child.pid,
    api,
    serverLog: join(dataDir, 'server.log'),
    exited: () => (child.exitCode ?? child.signalCode) !== null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

// ---- live updates -----------------------------------------------------------------------------------

/** PUBLISHes `rate` updates/s on a fixed schedule for `seconds`; returns { sent, errors, seconds }. */
async function publishFor(redis, next, rate, seconds) {
  const total = Math.round(rate * seconds)
  let sent = 0
  let errors = 0
  const t0 = performance.now()
  await new Promise((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate))
      while (sent < due) {
        sent++
        redis.publish('task_status_update', JSON.stringify(next(Date.now()))).catch(() => errors++)
      }
      if (sent >= total) done()
      else setTimeout(tick, Math.max(1, Math.floor(1000 / rate / 2)))
    }
    tick()
  })
  return { sent, errors, seconds: +((performance.now() - t0) / 1000).toFixed(2) }
}

// ---- phases ---------------------------------------------------------------------------------------

async function loadPhase(page, be, tasks) {
  const navAt = Date.now()
  await page.goto(be.ui)
  const timeoutMs = Math.max(120_000, tasks * 2)
  try {
    await page.waitForFunction(
      () => {
        const p = window.__uiScale
        return p.countMatchedAt !== null || (p.snapshot.lastPageAt !== null && p.firstRowFrameAt !== null)
      },
      null,
      { timeout: timeoutMs, polling: 100 },
    )
  } catch {
    log(`  load: the snapshot was not applied within ${timeoutMs / 1000} s`)
  }
  // The count may trail the last page by a frame or a long task: give it a moment, then settle.
  if (tasks >= 0)
    await page
      .waitForFunction(() => window.__uiScale.countMatchedAt !== null, null, {
        timeout: 15_000,
        polling: 100,
      })
      .catch(() => {})
  const p = await page.evaluate(() => {
    const p = window.__uiScale
    return {
      snapshot: p.snapshot,
      firstRowAt: p.firstRowAt,
      firstRowFrameAt: p.firstRowFrameAt,
      countMatchedAt: p.countMatchedAt,
      firstMutationAfterLastPage: p.firstMutationAfterLastPage,
      longTasks: p.longTasks,
    }
  })
  const applied = p.countMatchedAt ?? p.firstMutationAfterLastPage
  const r = {
    wall_ms: Date.now() - navAt,
    first_snapshot_page_ms: round1(p.snapshot.firstPageAt),
    first_rows_in_dom_ms: round1(p.firstRowAt),
    // The frame after the first row was inserted: when a person sees it.
    first_rows_visible_ms: round1(p.firstRowFrameAt),
    last_snapshot_page_ms: round1(p.snapshot.lastPageAt),
    snapshot_applied_ms: round1(applied),
    snapshot_applied_method:
      p.countMatchedAt !== null
        ? `task count shows ${tasks.toLocaleString('en-US')} (${PAGE_MARKERS.countSelector})`
        : p.firstMutationAfterLastPage !== null
          ? 'first DOM change after the last page (the task count never showed every task)'
          : 'not applied',
    snapshot_pages: p.snapshot.pages,
    snapshot_mb: round1(p.snapshot.bytes / 2 ** 20),
    long_tasks: longTaskSummary(p.longTasks.filter((l) => applied === null || l.start <= applied + 1000)),
  }
  log(
    `  load: first rows ${r.first_rows_visible_ms} ms, snapshot applied ${r.snapshot_applied_ms} ms ` +
      `(${r.snapshot_pages} pages, ${r.snapshot_mb} MB), long tasks ${r.long_tasks.count} (longest ${r.long_tasks.longest_ms} ms)`,
  )
  return r
}

async function livePhase(page, cdp, redis, next, view) {
  const reached = await goToView(page, view, { stepTimeoutMs: STEP_WAIT_MS })
  if (!reached.ok) {
    const status = reached.blocked ? 'blocked' : 'missing'
    log(`  ${view.name}: ${status} (${reached.reason})`)
    return { view: view.name, status, reason: reached.reason }
  }
  await page.waitForTimeout(1500) // let the view's first render and lazy chunks settle
  const load = { start: load1() }
  if (opt.trace) await startTrace(cdp)
  if (opt['cpu-profile']) await startProfile(cdp)
  await page.evaluate(() => window.__uiScale.start())
  const pub = await publishFor(redis, next, RATE, SECONDS)
  // Every update on its way to the page first (a busy machine may take seconds), then 1 s for the
  // last ones' way to the DOM. A window that closed early would count late frames as lost.
  await page
    .waitForFunction((n) => window.__uiScale.liveReceived() >= n, pub.sent, { timeout: 60_000, polling: 100 })
    .catch(() => {})
  await page.waitForTimeout(1000)
  const w = await page.evaluate(() => window.__uiScale.stop())
  const trace = opt.trace ? await endTrace(cdp) : undefined
  const profile = opt['cpu-profile'] ? await endProfile(cdp) : undefined
  load.end = load1()
  const eventIdMatched = w.lat.length
  const r = {
    view: view.name,
    status: 'measured',
    // Click on the view's control → its ready marker visible (wall clock, includes rendering).
    switch_ms: reached.switch_ms,
    updates_sent: pub.sent,
    // The bench's own updates that reached the page (distinct event ids). Frames sent twice (after
    // a reconnect) and the backend's own updates (stale marks) are counted apart.
    updates_received: w.receivedLive,
    duplicate_frames: w.duplicates,
    sockets_opened: w.socketsOpened,
    other_updates_received: w.received - w.receivedLive - w.duplicates,
    other_event_ids: w.otherEventIds,
    publish_errors: pub.errors,
    frames: { ...dist(w.frames), over_17ms: w.frames.filter((f) => f > 17).length },
    long_tasks: longTaskSummary(w.longTasks),
    socket_to_dom_ms: dist(w.lat),
    socket_to_next_mutation_ms: dist(w.nextMut),
    // Updates whose event id showed on an element: the Agents view shows every one (a task moves
    // to the top of the list); month totals and project cards carry no event id.
    event_id_seen: eventIdMatched,
    dom_nodes: w.domNodes,
    load_avg_1m: load,
    ...(trace ? { trace } : {}),
    ...(profile ? { cpu_profile_top: profile } : {}),
  }
  log(
    `  ${view.name}: frames p50 ${r.frames.p50} p95 ${r.frames.p95} ms, long tasks ${r.long_tasks.count} ` +
      `(longest ${r.long_tasks.longest_ms} ms), socket→DOM p50 ${r.socket_to_dom_ms.p50 ?? '–'} p95 ${r.socket_to_dom_ms.p95 ?? '–'} ms ` +
      `(${eventIdMatched}/${w.received} by event id; next mutation p95 ${r.socket_to_next_mutation_ms.p95 ?? '–'} ms), load ${load.start}→${load.end}`,
  )
  return r
}

/** True once the page has had no long task for 2 s (polled; false after maxMs). */
async function settled(page, maxMs) {
  const deadline = Date.now() + maxMs
  while (Date.now() < deadline) {
    const quiet = await Promise.race([
      page
        .evaluate(() => {
          const last = window.__uiScale.longTasks.at(-1)
          return !last || performance.now() - (last.start + last.duration) > 2000
        })
        .catch(() => false),
      new Promise((res) => setTimeout(() => res(false), 5000)),
    ])
    if (quiet) return true
    await new Promise((res) => setTimeout(res, 500))
  }
  return false
}

async function clearSearch(page) {
  const box = page.locator(PAGE_MARKERS.searchSelector).first()
  await box.fill('')
  await page.keyboard.press('Escape')
  await page.waitForTimeout(1500)
}

async function searchPhase(page, queries) {
  const agents = await goToView(page, VIEWS.find((v) => v.name === 'agents') ?? UI_VIEWS[0], {
    stepTimeoutMs: STEP_WAIT_MS,
  })
  if (!agents.ok) return [{ status: 'missing', reason: `agents view: ${agents.reason}` }]
  const out = []
  for (const q of queries) {
    const r = { query: q.query, fields: q.fields, expected_results: q.lastEventIds.length }
    for (const mode of ['paste', 'typed']) {
      await page
        .locator('body')
        .click({ position: { x: 5, y: 5 } })
        .catch(() => {})
      await page.keyboard.press(PAGE_MARKERS.searchKey)
      await page.evaluate((ids) => window.__uiScale.armSearch(ids), q.lastEventIds)
      await page.evaluate(() => window.__uiScale.start())
      if (mode === 'paste') await page.keyboard.insertText(q.query)
      else await page.keyboard.type(q.query, { delay: 120 })
      const shown = await page
        .waitForFunction(() => window.__uiScale.search.shownFrameAt !== null, null, {
          // A ceiling for a loaded machine; the figure is the time to results, not this.
          timeout: 60_000,
          polling: 50,
        })
        .then(() => true)
        .catch(() => false)
      await page.waitForTimeout(500)
      const w = await page.evaluate(() => window.__uiScale.stop())
      const s = await page.evaluate(() => {
        const p = window.__uiScale
        return { ...p.search, expected: undefined, lastInputAt: p.lastInputAt, lastMut: p.lastMainMutationAt }
      })
      const rows = await page.locator(PAGE_MARKERS.rowSelector).count()
      r[mode] = {
        // input event → the frame after the DOM first showed only results
        to_results_ms: shown ? round1(s.shownFrameAt - s.inputAt) : null,
        results_shown: shown,
        ...(shown && mode === 'typed' && s.inputAt < s.lastInputAt
          ? { note: 'results were already shown before the last key (a prefix matched the same tasks)' }
          : {}),
        rows_in_dom: rows,
        long_tasks: longTaskSummary(w.longTasks),
        frames: dist(w.frames),
      }
      if (!shown)
        r[mode].why =
          rows === 0 ? 'no rows shown (the search found nothing)' : 'rows shown include non-results'
      log(
        `  search "${q.query}" (${mode}): ${shown ? `${r[mode].to_results_ms} ms to results` : `not shown: ${r[mode].why}`}, ` +
          `long tasks ${r[mode].long_tasks.count} (longest ${r[mode].long_tasks.longest_ms} ms)`,
      )
      await clearSearch(page)
    }
    out.push(r)
  }
  return out
}

async function heapPhase(page, cdp, redis, next) {
  const agents = await goToView(page, VIEWS.find((v) => v.name === 'agents') ?? UI_VIEWS[0], {
    stepTimeoutMs: STEP_WAIT_MS,
  })
  if (!agents.ok) return { status: 'missing', reason: agents.reason }
  const start = await heapMb(cdp, { gc: true })
  const samples = []
  const stepS = Math.min(30, HEAP_MINUTES * 60)
  const t0 = Date.now()
  for (let done = 0; done < HEAP_MINUTES * 60 - 1e-9; done += stepS) {
    await publishFor(redis, next, RATE, Math.min(stepS, HEAP_MINUTES * 60 - done))
    samples.push({ s: Math.round((Date.now() - t0) / 1000), ...(await heapMb(cdp)) })
  }
  const end = await heapMb(cdp, { gc: true })
  const r = {
    minutes: HEAP_MINUTES,
    rate_per_s: RATE,
    used_mb_after_gc: { start: start.used, end: end.used },
    growth_mb: round1(end.used - start.used),
    max_sampled_mb: Math.max(...samples.map((x) => x.used)),
    samples,
  }
  log(`  heap: ${start.used} MB → ${end.used} MB after ${HEAP_MINUTES} min at ${RATE}/s (after GC)`)
  return r
}

// ---- main ---------------------------------------------------------------------------------------

const startedAt = new Date()
let commit = ''
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
} catch {}
const result = {
  kind: 'ui-scale',
  started_at: startedAt.toISOString(),
  mode: quick ? 'quick' : 'full',
  settings: {
    tasks: BIG,
    small_tasks: SMALL,
    rate_per_s: RATE,
    seconds_per_view: SECONDS,
    heap_minutes: HEAP_MINUTES,
    viewport: VIEWPORT,
    views: VIEWS.map((v) => v.name),
  },
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit,
    load_avg_at_start: loadavg().map((x) => +x.toFixed(2)),
  },
  sizes: [],
}
log(
  `${result.mode}: ${SMALL.toLocaleString('en-US')} and ${BIG.toLocaleString('en-US')} tasks, ${RATE}/s for ${SECONDS} s on ${VIEWS.map((v) => v.name).join(', ')}; load ${result.machine.load_avg_at_start.join(' ')}`,
)

const redisServer = await startRedis()
let be = null
let context = null
const userDataDir = mkdtempSync(join(tmpdir(), 'taskpulse-uiscale-chromium-'))
cleanUpOnSignal(async () => {
  await be?.stop().catch(() => {})
  await context?.close().catch(() => {})
  await redisServer.close()
  rmSync(userDataDir, { recursive: true, force: true })
})
const redis = new Redis(redisServer.url)
let exitCode = 0
try {
  context = await launchChromium(userDataDir, { executablePath: opt.chromium, viewport: VIEWPORT })
  result.machine.chromium = context.browser()?.version() ?? (await chromiumVersion())
  const sizes = [...new Set([SMALL, BIG].filter((n) => n > 0))]
  for (const tasks of sizes) {
    const big = tasks === BIG
    const size = { tasks, big }
    result.sizes.push(size)
    await redis.flushall()
    be = await startBackend(redisServer.url)
    log(`${tasks.toLocaleString('en-US')} tasks: backend ${be.url}; seeding…`)
    const t0 = performance.now()
    const seeded = await seedFleet(redis, be.api, {
      now: Date.now(),
      count: tasks,
      log,
    })
    size.seed = { entries: seeded.entries, seconds: round1((performance.now() - t0) / 1000) }
    log(`  seeded ${seeded.entries.toLocaleString('en-US')} stream entries in ${size.seed.seconds} s`)
    size.load_avg_before = await quietWait(QUIET_WAIT_S, { log })
    // A page with the probe, loaded: the first one's load is the measurement; later ones replace a
    // page whose main thread a view blocked, so the next phases measure their own view.
    const openPage = async (expectedTasks) => {
      const page = await context.newPage()
      await page.addInitScript(
        probeScript({
          rowSelector: PAGE_MARKERS.rowSelector,
          countSelector: PAGE_MARKERS.countSelector,
          mainSelector: PAGE_MARKERS.mainSelector,
          expectedTasks,
          liveEventPrefix: LIVE_EVENT_PREFIX,
        }),
      )
      const cdp = await context.newCDPSession(page)
      const traced = opt['trace-load'] && expectedTasks >= 0
      if (traced) await startTrace(cdp)
      const load = await loadPhase(page, be, expectedTasks)
      if (traced) load.trace = await endTrace(cdp)
      return { page, cdp, load }
    }
    let { page, cdp, load } = await openPage(tasks)
    size.load = { ...load, load_avg_1m: load1() }
    await page.waitForTimeout(1000)
    size.heap_after_load_mb = await heapMb(cdp, { gc: true })
    size.server_rss_mb_after_load = rssMb(be.pid)
    const next = liveUpdates(tasks)
    size.views = []
    size.page_reloads = 0
    const freshIfBlocked = async (blocked) => {
      if (!blocked) return
      log('  the page is blocked: a fresh page for the next phase')
      await page.close({ runBeforeUnload: false }).catch(() => {})
      size.page_reloads++
      ;({ page, cdp } = await openPage(-1))
    }
    for (const view of VIEWS) {
      // A view that leaves the main thread busy (a calendar still laying out) must not be billed
      // to the next one: wait for the page to go quiet, else start the next view on a fresh page.
      await freshIfBlocked(!(await settled(page, 60_000)))
      const r = await livePhase(page, cdp, redis, next, view)
      size.views.push(r)
      await freshIfBlocked(r.status === 'blocked')
    }
    await freshIfBlocked(!(await settled(page, 60_000)))
    if (big && !opt['no-search']) size.search = await searchPhase(page, seeded.search)
    if (big && HEAP_MINUTES > 0) size.heap = await heapPhase(page, cdp, redis, next)
    size.server_rss_mb_at_end = rssMb(be.pid)
    await page.close()
    await be.stop()
    be = null
  }
} catch (err) {
  log(`FAILED: ${err.stack ?? err.message}${err.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ''}`)
  result.error = err.message
  exitCode = 1
  // The data dir goes with the backend: keep its log beside the results to say what happened.
  if (be) {
    log(
      `  backend ${be.exited() ? 'had exited' : 'was still running'}; its log: ${keepServerLog(be.serverLog)}`,
    )
  }
} finally {
  redis.disconnect()
  await be?.stop().catch(() => {})
  await context?.close().catch(() => {})
  await redisServer.close()
  rmSync(userDataDir, { recursive: true, force: true })
}

function keepServerLog(file) {
  const dir = join(ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const kept = join(dir, `ui-scale-server-${new Date().toISOString().replace(/[:.]/g, '-')}.log`)
  try {
    copyFileSync(file, kept)
    return kept
  } catch (e) {
    return `not kept (${e.message})`
  }
}

async function chromiumVersion() {
  try {
    return execFileSync(opt.chromium, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

// ---- goals (issue 10) -------------------------------------------------------------------------------

function verdict(value, limit, what) {
  if (value === null || value === undefined)
    return { value: null, goal: limit, verdict: 'not measured', what }
  return { value, goal: limit, verdict: value < limit ? 'met' : 'missed', what }
}
const bigSize = result.sizes.find((s) => s.big)
const smallSize = result.sizes.find((s) => s.tasks === SMALL) ?? bigSize
const measured = (s) => (s?.views ?? []).filter((v) => v.status === 'measured')
const worstLong = Math.max(0, ...result.sizes.flatMap((s) => measured(s).map((v) => v.long_tasks.longest_ms)))
const anyMeasured = result.sizes.some((s) => measured(s).length)
const blockedViews = result.sizes.flatMap((s) =>
  (s.views ?? []).filter((v) => v.status === 'blocked').map((v) => `${v.view} at ${s.tasks} tasks`),
)
const searchTimes = (bigSize?.search ?? []).map((q) => q.paste?.to_results_ms ?? null)
result.goals = {
  first_rows_under_1s: verdict(bigSize?.load?.first_rows_visible_ms, 1000, `first rows at ${BIG} tasks (ms)`),
  no_long_task_over_50ms_live: blockedViews.length
    ? {
        value: null,
        goal: 50,
        verdict: 'missed',
        what: `views too busy to render within 30 s: ${blockedViews.join(', ')}`,
      }
    : anyMeasured
      ? verdict(worstLong, 50.0001, 'longest long task during live updates, any view, any size (ms)')
      : verdict(null, 50, 'longest long task during live updates'),
  frame_p95_under_17ms: verdict(
    measured(smallSize).length ? Math.max(...measured(smallSize).map((v) => v.frames.p95 ?? Infinity)) : null,
    17,
    `worst view's frame p95 at ${smallSize?.tasks} tasks (ms)`,
  ),
  search_under_150ms: verdict(
    searchTimes.length && searchTimes.every((x) => x !== null) ? Math.max(...searchTimes) : null,
    150,
    `slowest query, input → results shown at ${BIG} tasks (ms); null when a query showed no results`,
  ),
  blocked_views: blockedViews,
  missing_views: [
    ...new Set(
      result.sizes.flatMap((s) => (s.views ?? []).filter((v) => v.status === 'missing').map((v) => v.view)),
    ),
  ],
}
result.finished_at = new Date().toISOString()
result.machine.load_avg_at_end = loadavg().map((x) => +x.toFixed(2))
result.wall_s = Math.round((Date.now() - startedAt.getTime()) / 1000)

const outDir = join(ROOT, 'bench', 'results')
mkdirSync(outDir, { recursive: true })
const outFile = opt.out ?? join(outDir, `ui-scale-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(outFile + '.tmp', JSON.stringify(result, null, 2) + '\n')
renameSync(outFile + '.tmp', outFile)

// A table a person reads, then the one JSON line.
const lines = []
for (const s of result.sizes) {
  if (s.load)
    lines.push(
      `${s.tasks} tasks: first rows ${s.load.first_rows_visible_ms} ms, snapshot applied ${s.load.snapshot_applied_ms} ms, heap after load ${s.heap_after_load_mb?.used} MB`,
    )
  for (const v of s.views ?? [])
    lines.push(
      v.status !== 'measured'
        ? `  ${v.view.padEnd(9)} ${v.status}: ${v.reason}`
        : `  ${v.view.padEnd(9)} frame p50/p95 ${v.frames.p50}/${v.frames.p95} ms  long ${v.long_tasks.count} (max ${v.long_tasks.longest_ms})  socket→DOM p50/p95 ${v.socket_to_dom_ms.p50 ?? '–'}/${v.socket_to_dom_ms.p95 ?? '–'}  next mutation p50/p95 ${v.socket_to_next_mutation_ms.p50 ?? '–'}/${v.socket_to_next_mutation_ms.p95 ?? '–'}  load ${v.load_avg_1m.start}→${v.load_avg_1m.end}`,
    )
  for (const q of s.search ?? [])
    lines.push(
      `  search "${q.query}": paste ${q.paste?.to_results_ms ?? 'not shown'} ms, typed ${q.typed?.to_results_ms ?? 'not shown'} ms`,
    )
  if (s.heap?.used_mb_after_gc)
    lines.push(`  heap after ${s.heap.minutes} min: ${s.heap.used_mb_after_gc.end} MB`)
}
for (const [k, g] of Object.entries(result.goals))
  if (!Array.isArray(g)) lines.push(`goal ${k}: ${g.verdict} (${g.value ?? '–'} vs ${g.goal})`)
process.stdout.write(lines.join('\n') + `\nresults: ${outFile} (${result.wall_s} s)\n`)
process.stdout.write(
  JSON.stringify({
    kind: 'ui-scale',
    file: outFile,
    load_avg: [result.machine.load_avg_at_start[0], result.machine.load_avg_at_end[0]],
    load: Object.fromEntries(
      result.sizes.map((s) => [
        s.tasks,
        s.load
          ? { first_rows_ms: s.load.first_rows_visible_ms, applied_ms: s.load.snapshot_applied_ms }
          : null,
      ]),
    ),
    views: Object.fromEntries(
      result.sizes.map((s) => [
        s.tasks,
        Object.fromEntries(
          (s.views ?? []).map((v) => [
            v.view,
            v.status !== 'measured'
              ? v.status
              : {
                  frame_p95: v.frames.p95,
                  long_max: v.long_tasks.longest_ms,
                  long_n: v.long_tasks.count,
                  s2dom_p95: v.socket_to_dom_ms.p95 ?? v.socket_to_next_mutation_ms.p95,
                },
          ]),
        ),
      ]),
    ),
    search_ms: Object.fromEntries(
      (bigSize?.search ?? []).map((q) => [q.query, q.paste?.to_results_ms ?? null]),
    ),
    heap_mb: bigSize?.heap?.used_mb_after_gc?.end ?? null,
    goals: Object.fromEntries(
      Object.entries(result.goals).map(([k, g]) => [k, Array.isArray(g) ? g : g.verdict]),
    ),
    ...(result.error ? { error: result.error } : {}),
  }) + '\n',
)
process.exit(exitCode)
