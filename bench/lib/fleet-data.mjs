// @ts-check
// A fleet the way a person running one sees it, at any size: 40 agents, 8 projects, tasks spread
// over eight weeks with multi-line logs and stack traces, runs of minutes, hours and days, a few
// running now, some scheduled ahead. Deterministic (seeded), times relative to `now`.
//
// The one generator of that fleet: the ui-scale bench streams it (100,000 tasks never sit in
// memory as one array) and adds a live update source for its 50 updates/s phases; the e2e suite
// (test/e2e/fleet-fixture.ts) builds its 5,000 tasks from it, plus a few tasks of its own. Plain
// .mjs with JSDoc types (checked by tsc: tsconfig.node.json has allowJs) because the bench runs
// under plain node and the tests under vitest.
//
// Loaded the way producers send work: XADD to the backend's Redis stream in pipelined batches, so
// every index the backend keeps (aggregates, full-text search, whatever lands next) stays in step
// exactly as it would in production; then wait until the last entry is stored.

import { rng } from './rng.mjs'

/**
 * One entry of the backend's task stream, as the fleet sends it.
 * @typedef {object} FleetUpdate
 * @property {string} task_id
 * @property {'pending' | 'running' | 'completed' | 'failed'} status
 * @property {string} updated_at
 * @property {string} event_id
 * @property {string} [title]
 * @property {string} [assignee]
 * @property {string} [project_id]
 * @property {string} [output]
 * @property {string} [error]
 * @property {string} [scheduled_at]
 * @property {string} [due_at]
 */

/**
 * One task of the fleet: the stream updates that create it, and its resulting state as far as
 * search cares.
 * @typedef {object} FleetTask
 * @property {string} taskId
 * @property {FleetUpdate[]} updates
 * @property {{ title: string, error: string | undefined, lastEventId: string }} final
 * @property {boolean} longLog it failed with a 400-line log (the detail view's long case)
 */

/** The seed of the fleet both the e2e screenshots and the bench show. */
export const FLEET_SEED = 20261201

/** The task with the very long title (the detail-panel layout regression): the eighth. */
export const LONG_TITLE_INDEX = 7
const LONG_TITLE =
  'Investigate why the nightly orders load for the EU warehouse silently drops rows with a null customer id'

export const FLEET_AGENTS = [
  'claude-code@repo-x',
  'claude-code@checkout-web',
  'claude-code@billing-api',
  'claude-code@search-service',
  'claude-code@mobile-app',
  'codex-runner-1',
  'codex-runner-2',
  'codex-runner-3',
  'codex-runner-4',
  'codex-runner-5',
  'codex-runner-6',
  'nightly-etl',
  'hourly-etl',
  'warehouse-loader',
  'gpt-reviewer',
  'gpt-reviewer-security',
  'docs-writer',
  'changelog-bot',
  'scraper-01',
  'scraper-02',
  'scraper-03',
  'test-runner-linux',
  'test-runner-macos',
  'test-runner-windows',
  'e2e-runner',
  'flaky-test-hunter',
  'dependency-bot',
  'renovate@infra',
  'backup-agent',
  'cert-rotator',
  'k8s-janitor',
  'ml-trainer-a100',
  'ml-eval-runner',
  'embedding-indexer',
  'support-triage',
  'incident-summariser',
  'translation-agent',
  'devin@platform-team',
  'aider@docs-site',
  'release-captain',
]

export const FLEET_PROJECTS = [
  'checkout-web',
  'billing-api',
  'data-pipeline',
  'infra',
  'docs-site',
  'mobile-app',
  'ml-training',
  'search-service',
]

const TITLES = [
  'Refactor payment form validation',
  'Review PR #{n}: cache headers on static assets',
  'Load orders into warehouse',
  'Scrape competitor prices (EU region)',
  'Write API reference for /tasks',
  'Run integration suite on main',
  'Rotate staging TLS certificates',
  'Backfill customer segments for Q4 cohort analysis',
  'Summarise incident INC-{n}',
  'Migrate cron jobs to the queue',
  'Investigate flaky checkout integration test after the Stripe SDK upgrade to v14',
  'Bump dependencies (weekly)',
  'Fine-tune ranking model on November click logs',
  'Re-index product embeddings for search-service',
  'Translate onboarding emails into de, fr, ja',
  'Triage new support tickets',
  'Nightly database backup and restore verification for billing-api primary cluster',
  'Delete orphaned PVCs in staging',
  'Generate release notes for v{n}',
  'Fix N+1 query in invoice listing',
  'Evaluate model checkpoint {n} on the held-out set',
  'Rewrite the legacy CSV importer so it streams rows instead of loading 2 GB files into memory',
]

const OUTPUT_LINES = [
  '[{t}] INFO  worker started (pid {n}, node v24.21.0)',
  '[{t}] INFO  fetched {n} rows from source in 1.{n}s',
  '[{t}] INFO  batch {n}/48: wrote 2,048 rows to warehouse.orders_2026',
  '[{t}] DEBUG cache hit ratio 0.9{n}',
  '[{t}] INFO  tests: {n} passed, 0 failed, 3 skipped',
  '[{t}] WARN  retrying GET https://api.partner.example/v2/orders (attempt 2/5)',
  '[{t}] INFO  opened PR #{n} with 6 files changed (+182 −97)',
  '[{t}] INFO  epoch {n}: loss=0.31{n} val_loss=0.34{n} lr=3e-4',
  '[{t}] INFO  uploaded artefact s3://builds/checkout-web/{n}.tar.gz (41 MB)',
  '[{t}] INFO  step {n}: applying migration 2026_11_{n}_add_index',
]

export const STACK_TRACES = [
  `Traceback (most recent call last):
  File "/srv/etl/jobs/load_orders.py", line 212, in run
    rows = self.source.fetch(since=cursor)
  File "/srv/etl/sources/partner.py", line 88, in fetch
    resp = self.session.get(url, timeout=30)
  File "/usr/lib/python3/dist-packages/requests/sessions.py", line 602, in get
    return self.request("GET", url, **kwargs)
requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.partner.example', port=443): Read timed out. (read timeout=30)`,
  `Error: expect(received).toBe(expected)

Expected: 200
Received: 502

    at Object.<anonymous> (/repo/checkout-web/test/checkout.spec.ts:88:27)
    at processTicksAndRejections (node:internal/process/task_queues:105:5)
    at async runTest (/repo/node_modules/vitest/dist/runner.js:1410:9)`,
  `java.lang.OutOfMemoryError: Java heap space
	at java.base/java.util.Arrays.copyOf(Arrays.java:3537)
	at org.apache.spark.sql.execution.joins.HashedRelation$.apply(HashedRelation.scala:142)
	at org.apache.spark.sql.execution.joins.BroadcastHashJoinExec.doExecute(BroadcastHashJoinExec.scala:88)
	at com.acme.pipeline.JoinOrdersCustomers.run(JoinOrdersCustomers.java:57)
Caused by: OOMKilled: container exceeded memory limit of 2 GiB`,
  `RuntimeError: CUDA out of memory. Tried to allocate 2.50 GiB (GPU 0; 79.15 GiB total capacity; 74.02 GiB already allocated)
  File "train.py", line 311, in <module>
    main()
  File "train.py", line 287, in main
    loss = model(**batch).loss`,
  `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x4a2f1c]

goroutine 47 [running]:
github.com/acme/k8s-janitor/pkg/sweep.(*Sweeper).deletePVC(0xc0001a2000, {0x0, 0x0})
	/src/pkg/sweep/pvc.go:74 +0x3c`,
  `fatal: unable to access 'https://git.example.com/acme/repo-x.git/': The requested URL returned error: 503
exit status 128`,
]

/**
 * The search queries the bench types, each with a predicate that says which seeded task matches
 * under any reasonable reading (substring of a field, or FTS5 prefix match on its words): the
 * word occurs in exactly one title template, or in exactly one stack trace, and nowhere else.
 */
/** @type {{ query: string, fields: string, matches: (t: FleetTask['final']) => boolean }[]} */
export const SEARCH_QUERIES = [
  {
    // Only in an error (the Java trace): needs search over error text, i.e. the server's FTS.
    query: 'OutOfMemory',
    fields: 'error',
    matches: (t) => typeof t.error === 'string' && t.error.includes('OutOfMemory'),
  },
  {
    // Only in one title template: any search over titles finds it.
    query: 'competitor',
    fields: 'title',
    matches: (t) => typeof t.title === 'string' && t.title.includes('competitor'),
  },
]

/**
 * `xs[i]`, for an index known to be in range.
 * @template T
 * @param {readonly T[]} xs
 * @param {number} i
 */
const pickAt = (xs, i) => /** @type {T} */ (xs[i])

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** @param {() => number} r */
function tools(r) {
  /**
   * @template T
   * @param {readonly T[]} xs
   * @returns {T}
   */
  const pick = (xs) => /** @type {T} */ (xs[Math.floor(r() * xs.length)])
  /** @type {(lo: number, hi: number) => number} */
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1))
  /** @type {(ms: number) => string} */
  const iso = (ms) => new Date(ms).toISOString()
  /**
   * `lines` log lines, 7 s apart from `startMs`.
   * @type {(startMs: number, lines: number) => string}
   */
  const log = (startMs, lines) => {
    const out = []
    for (let i = 0; i < lines; i++)
      out.push(
        pick(OUTPUT_LINES)
          .replace('{t}', iso(startMs + i * 7_000).slice(11, 19))
          .replaceAll('{n}', String(int(1, 999))),
      )
    return out.join('\n')
  }
  return { pick, int, iso, log }
}

/**
 * A seeded fleet: `tasks(now, count)` yields it task by task; `log`, `iso` and `eventId` go on
 * drawing from the same sequence, so a caller that adds tasks after the loop (the e2e fixture's
 * "right now" ones) stays deterministic too.
 * @param {{ seed?: number, taskId?: (i: number) => string, eventId?: (n: number) => string }} [opts]
 *   ids: the e2e fixture's `fleet-00042` / `fleet-123` by default
 */
export function fleetSource({
  seed = FLEET_SEED,
  taskId = (i) => `fleet-${String(i).padStart(5, '0')}`,
  eventId = (n) => `fleet-${n}`,
} = {}) {
  const r = rng(seed)
  const { pick, int, iso, log } = tools(r)
  let ev = 0
  const eid = () => eventId(ev++)
  // Each agent works mostly in one or two projects.
  const home = new Map(
    FLEET_AGENTS.map((a, i) => [
      a,
      [
        /** @type {string} */ (FLEET_PROJECTS[i % 8]),
        /** @type {string} */ (FLEET_PROJECTS[(i * 3 + 1) % 8]),
      ],
    ]),
  )
  /**
   * Tasks are created oldest first over eight weeks before `now`; the newest are running now.
   * @param {number} now
   * @param {number} count
   * @returns {Generator<FleetTask>}
   */
  function* tasks(now, count) {
    const span = 56 * DAY
    for (let i = 0; i < count; i++) {
      const id = taskId(i)
      const agent =
        i % 97 === 0
          ? undefined
          : /** @type {string} */ (FLEET_AGENTS[Math.floor(r() ** 1.3 * FLEET_AGENTS.length)])
      const project = agent ? pick(/** @type {string[]} */ (home.get(agent))) : pick(FLEET_PROJECTS)
      let title = pick(TITLES).replaceAll('{n}', String(int(100, 9999)))
      if (i === LONG_TITLE_INDEX) title = LONG_TITLE
      const base = { title, ...(agent ? { assignee: agent } : {}), project_id: project }
      // Created uniformly over eight weeks, mostly in working hours; the newest ones are the ones
      // running now and the scheduled ones lie ahead.
      const kind = r()
      const created = Math.min(
        now - span + Math.floor((i / count) * span) + int(0, 3) * HOUR,
        now - 5 * 60_000,
      )
      /** @type {FleetUpdate[]} */
      const updates = []
      /** @type {string | undefined} */
      let error
      let longLog = false
      if (kind < 0.03) {
        // Scheduled ahead (pending), some with a due date.
        const at = now + int(1, 20) * DAY + int(0, 10) * HOUR
        updates.push({
          task_id: id,
          ...base,
          status: 'pending',
          updated_at: iso(created),
          event_id: eid(),
          scheduled_at: iso(at),
          due_at: iso(at + int(1, 8) * HOUR),
        })
      } else if (kind < 0.05) {
        updates.push({ task_id: id, ...base, status: 'pending', updated_at: iso(created), event_id: eid() })
      } else {
        // A run: minutes mostly, hours sometimes, days for training jobs.
        const long = r()
        const runMs =
          long < 0.02
            ? int(26, 80) * HOUR
            : long < 0.1
              ? int(1, 9) * HOUR
              : int(1, 55) * 60_000 + int(0, 59) * 1000
        const lines = int(3, 40)
        // About one run in seven had a deadline: scheduled when it started, due a little after its
        // run would end (one in four of those overran it). Projects' "% done" counts these.
        // Derived from values already drawn, so the rest of the fleet stays as it was.
        const deadline =
          kind < 0.2
            ? {
                scheduled_at: iso(created),
                due_at: iso(created + Math.round(runMs * (i % 4 === 0 ? 0.7 : 1.6))),
              }
            : {}
        updates.push({
          task_id: id,
          ...base,
          ...deadline,
          status: 'running',
          updated_at: iso(created),
          event_id: eid(),
          output: log(created, 2),
        })
        const endMs = created + runMs
        if (endMs < now - 60_000) {
          if (r() < 0.1) {
            error = pick(STACK_TRACES)
            longLog = r() < 0.05
            updates.push({
              task_id: id,
              status: 'failed',
              updated_at: iso(endMs),
              event_id: eid(),
              output: log(created, longLog ? 400 : lines),
              error,
            })
          } else {
            updates.push({
              task_id: id,
              status: 'completed',
              updated_at: iso(endMs),
              event_id: eid(),
              output: log(created, lines),
            })
          }
        } // else still running
      }
      const lastEventId = /** @type {FleetUpdate} */ (updates.at(-1)).event_id
      yield { taskId: id, updates, final: { title, error, lastEventId }, longLog }
    }
  }
  return { tasks, log, iso, eventId: eid }
}

/** The bench's ids: zero-padded to sort in send order at 100,000 tasks. */
const BENCH_IDS = {
  /** @param {number} i */
  taskId: (i) => `uis-${String(i).padStart(6, '0')}`,
  /** @param {number} n */
  eventId: (n) => `uis-${String(n).padStart(9, '0')}`,
}

/**
 * XADDs a fleet of `count` tasks in pipelined batches and waits until the backend stored the last
 * entry. Returns what the search phase needs: per query, the last event ids of matching tasks.
 * @param {import('ioredis').Redis} redis
 * @param {(path: string) => Promise<Response>} api REST call with the token
 * @param {{ now: number, count: number, stream?: string, log?: (msg: string) => void }} opts
 */
export async function seedFleet(redis, api, { now, count, stream = 'task_status_stream', log = () => {} }) {
  /** @type {string[][]} */
  const matches = SEARCH_QUERIES.map(() => [])
  let batch = redis.pipeline()
  let inBatch = 0
  let entries = 0
  /** @type {FleetUpdate | null} */
  let last = null
  const flush = async () => {
    if (inBatch === 0) return
    const res = await batch.exec()
    const failed = res?.find(([err]) => err)
    if (failed) throw new Error(`XADD failed: ${String(failed[0])}`)
    batch = redis.pipeline()
    inBatch = 0
  }
  let n = 0
  for (const task of fleetSource({ ...BENCH_IDS }).tasks(now, count)) {
    for (const u of task.updates) {
      batch.xadd(stream, '*', 'data', JSON.stringify(u))
      inBatch++
      entries++
      last = u
    }
    SEARCH_QUERIES.forEach((q, i) => {
      if (q.matches(task.final)) matches[i]?.push(task.final.lastEventId)
    })
    if (inBatch >= 2000) await flush()
    if (++n % 20_000 === 0) log(`  queued ${n.toLocaleString('en-US')} tasks`)
  }
  await flush()
  if (!last) throw new Error('an empty fleet: nothing to wait for')
  // The backend applies the stream in order: when the last entry is stored, so is every other.
  const deadline = Date.now() + Math.max(120_000, count * 10)
  let pollErrors = 0
  for (;;) {
    try {
      const res = await api(`/api/tasks/${last.task_id}`)
      if (res.ok) {
        const t = /** @type {{ last_event_id?: string }} */ (await res.json())
        if (t.last_event_id === last.event_id) break
      } else await res.arrayBuffer()
    } catch (err) {
      // A busy server can close an idle keep-alive socket as the next poll reuses it; a few
      // such errors are the race, a run of them is a dead server.
      if (++pollErrors > 20) throw err
      log(`  poll failed (${/** @type {Error} */ (err).message}); retrying`)
    }
    if (Date.now() > deadline)
      throw new Error(`the fleet's last update (${last.event_id}) was not stored in time`)
    await new Promise((r) => setTimeout(r, 250))
  }
  return {
    entries,
    search: SEARCH_QUERIES.map((q, i) => ({ query: q.query, fields: q.fields, lastEventIds: matches[i] })),
  }
}

/** Every live update's event id starts so; the backend's own updates (stale marks) never do. */
export const LIVE_EVENT_PREFIX = 'live-'

/**
 * Live traffic like a busy fleet: tasks start, log lines arrive on running tasks, runs finish
 * (one in ten failing with a trace). Every call returns the next update (a fresh event id).
 * Works on tasks of its own (ids `live-…`), so every update is a real change and the run is the
 * same on every view.
 * @returns {(nowMs: number) => FleetUpdate}
 */
export function liveUpdates(seed = 7) {
  // Live tasks never match a search query: the search phase knows its results from the seed.
  /** @param {string} text */
  const searched = (text) => SEARCH_QUERIES.some((q) => text.includes(q.query))
  const titles = TITLES.filter((t) => !searched(t))
  const traces = STACK_TRACES.filter((t) => !searched(t))
  const r = rng(seed)
  const { pick, int, iso, log } = tools(r)
  /** @type {{ id: string, started: number, lines: number }[]} */
  const running = []
  let created = 0
  let ev = 0
  return function next(nowMs) {
    // Zero-padded: event ids break ties in last-writer-wins, so they must sort in send order.
    const eventId = `${LIVE_EVENT_PREFIX}${seed}-${String(ev++).padStart(9, '0')}`
    const roll = r()
    if (running.length < 60 || roll < 0.2) {
      const id = `live-${seed}-${created++}`
      const agent = pickAt(FLEET_AGENTS, int(0, FLEET_AGENTS.length - 1))
      running.push({ id, started: nowMs, lines: 1 })
      return {
        task_id: id,
        status: 'running',
        title: pick(titles).replaceAll('{n}', String(int(100, 9999))),
        assignee: agent,
        project_id: pickAt(FLEET_PROJECTS, int(0, 7)),
        updated_at: iso(nowMs),
        event_id: eventId,
        output: log(nowMs, 1),
      }
    }
    const k = int(0, running.length - 1)
    const t = /** @type {{ id: string, started: number, lines: number }} */ (running[k])
    if (roll < 0.35) {
      running.splice(k, 1)
      const failed = r() < 0.1
      return {
        task_id: t.id,
        status: failed ? 'failed' : 'completed',
        updated_at: iso(nowMs),
        event_id: eventId,
        output: log(t.started, t.lines + 1),
        ...(failed ? { error: pick(traces) } : {}),
      }
    }
    t.lines++
    return {
      task_id: t.id,
      status: 'running',
      updated_at: iso(nowMs),
      event_id: eventId,
      output: log(t.started, Math.min(t.lines, 60)),
    }
  }
}
