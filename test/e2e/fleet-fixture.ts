// A fleet the way a person running one sees it: 40 agents, 8 projects, 5,000 tasks over eight
// weeks, with multi-line logs, stack traces, long titles, runs lasting hours and days, a few
// running now and some scheduled ahead. Deterministic (seeded), times relative to `now`.
//
// Loaded the way producers really send work: XADD to the Redis stream the backend tails (one
// pipelined batch; the backend applies the stream in order), then wait for the last entry to land.
import { Redis } from 'ioredis'
import type { Backend } from '../helpers/backend-process'
import { waitFor } from '../helpers/backend-process'

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
] as const

export const FLEET_PROJECTS = [
  'checkout-web',
  'billing-api',
  'data-pipeline',
  'infra',
  'docs-site',
  'mobile-app',
  'ml-training',
  'search-service',
] as const

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

const STACK_TRACES = [
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

/** mulberry32: a tiny seeded PRNG, so the fixture is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FleetUpdate {
  task_id: string
  status: 'pending' | 'running' | 'completed' | 'failed'
  updated_at: string
  event_id: string
  title?: string
  assignee?: string
  project_id?: string
  output?: string
  error?: string
  scheduled_at?: string
  due_at?: string
}

/** A word in one task's output only, far from the end (see fleet-needle). */
export const FLEET_NEEDLE = 'OutOfMemoryGuard'

export interface Fleet {
  updates: FleetUpdate[]
  taskCount: number
  /** A task with a very long title (the detail-panel layout regression). */
  longTitleTaskId: string
  /** A failed task with a stack trace and a long log. */
  failedTaskId: string
  /** A fresh failure with a long title, a stack trace and a long log: the one the detail view shows. */
  detailTaskId: string
}

const HOUR = 3600_000
const DAY = 24 * HOUR

export function buildFleet(now: number, taskCount = 5000): Fleet {
  const r = rng(20261201)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1))
  const iso = (ms: number) => new Date(ms).toISOString()
  const log = (startMs: number, lines: number): string => {
    const out: string[] = []
    for (let i = 0; i < lines; i++)
      out.push(
        pick(OUTPUT_LINES)
          .replace('{t}', iso(startMs + i * 7_000).slice(11, 19))
          .replaceAll('{n}', String(int(1, 999))),
      )
    return out.join('\n')
  }
  // Each agent works mostly in one or two projects.
  const home = new Map<string, string[]>(
    FLEET_AGENTS.map((a, i) => [a, [FLEET_PROJECTS[i % 8]!, FLEET_PROJECTS[(i * 3 + 1) % 8]!]]),
  )
  const updates: FleetUpdate[] = []
  let ev = 0
  const eid = () => `fleet-${ev++}`
  let longTitleTaskId = ''
  let failedTaskId = ''
  const span = 56 * DAY
  for (let i = 0; i < taskCount; i++) {
    const id = `fleet-${String(i).padStart(5, '0')}`
    const agent = i % 97 === 0 ? undefined : FLEET_AGENTS[Math.floor(r() ** 1.3 * FLEET_AGENTS.length)]!
    const project = agent ? pick(home.get(agent)!) : pick(FLEET_PROJECTS)
    let title = pick(TITLES).replaceAll('{n}', String(int(100, 9999)))
    if (i === 7) {
      title =
        'Investigate why the nightly orders load for the EU warehouse silently drops rows with a null customer id'
      longTitleTaskId = id
    }
    const base = { title, ...(agent ? { assignee: agent } : {}), project_id: project }
    // Created uniformly over eight weeks, mostly in working hours; the newest ones are the ones
    // running now and the scheduled ones lie ahead.
    const kind = r()
    const createdMs = now - span + Math.floor((i / taskCount) * span) + int(0, 3) * HOUR
    const created = Math.min(createdMs, now - 5 * 60_000)
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
      continue
    }
    if (kind < 0.05) {
      updates.push({ task_id: id, ...base, status: 'pending', updated_at: iso(created), event_id: eid() })
      continue
    }
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
    // run would end (one in four of those overran it). Projects' "% done" counts these. Derived
    // from values already drawn, so the rest of the fixture stays as it was.
    const deadline =
      kind < 0.2
        ? { scheduled_at: iso(created), due_at: iso(created + Math.round(runMs * (i % 4 === 0 ? 0.7 : 1.6))) }
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
    if (endMs >= now - 60_000) continue // still running
    if (r() < 0.1) {
      const trace = pick(STACK_TRACES)
      const big = r() < 0.05
      updates.push({
        task_id: id,
        status: 'failed',
        updated_at: iso(endMs),
        event_id: eid(),
        output: log(created, big ? 400 : lines),
        error: trace,
      })
      if (!failedTaskId && big) failedTaskId = id
    } else {
      updates.push({
        task_id: id,
        status: 'completed',
        updated_at: iso(endMs),
        event_id: eid(),
        output: log(created, lines),
      })
    }
  }
  // Right now: a few running for a long while (one for five hours, one for two days), and a
  // fresh failure, so the views have something current to show.
  const nowTasks: FleetUpdate[] = [
    {
      task_id: 'fleet-now-1',
      title: 'Fine-tune ranking model on November click logs',
      assignee: 'ml-trainer-a100',
      project_id: 'ml-training',
      status: 'running',
      updated_at: iso(now - 2 * DAY - 3 * HOUR),
      event_id: eid(),
      output: log(now - 2 * DAY, 12),
    },
    {
      task_id: 'fleet-now-2',
      title: 'Nightly database backup and restore verification for billing-api primary cluster',
      assignee: 'backup-agent',
      project_id: 'billing-api',
      status: 'running',
      updated_at: iso(now - 5 * HOUR),
      event_id: eid(),
      output: log(now - 5 * HOUR, 6),
    },
    {
      task_id: 'fleet-now-3',
      title: 'Investigate flaky checkout integration test after the Stripe SDK upgrade to v14 (run on main)',
      assignee: 'test-runner-linux',
      project_id: 'checkout-web',
      status: 'running',
      updated_at: iso(now - 20 * 60_000),
      event_id: eid(),
    },
    {
      task_id: 'fleet-now-3',
      status: 'failed',
      updated_at: iso(now - 2 * 60_000),
      event_id: eid(),
      output: log(now - 20 * 60_000, 60),
      error: STACK_TRACES[1]!,
    },
  ]
  // A word only in the FIRST line of a long log: the snapshot carries the tail of each output, so
  // only the server's full-text search finds it (the search e2e types it).
  nowTasks.push({
    task_id: 'fleet-needle',
    title: 'Compact the orders parquet files',
    assignee: 'warehouse-loader',
    project_id: 'data-pipeline',
    status: 'completed',
    updated_at: iso(now - 3 * HOUR),
    event_id: eid(),
    output: [
      `[${iso(now - 4 * HOUR).slice(11, 19)}] WARN  spill: ${FLEET_NEEDLE} tripped at 97% of heap, spilling to disk`,
      log(now - 4 * HOUR, 300),
    ].join('\n'),
  })
  updates.push(...nowTasks)
  return {
    updates,
    taskCount: taskCount + 4,
    longTitleTaskId,
    failedTaskId: failedTaskId || 'fleet-now-3',
    detailTaskId: 'fleet-now-3',
  }
}

/**
 * XADDs every update to the backend's Redis stream in one pipeline and waits until the last one
 * is stored (the backend applies the stream in order, so everything before it is too).
 */
export async function loadFleet(redisUrl: string, be: Backend, fleet: Fleet, stream = 'task_status_stream') {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 })
  await redis.connect()
  try {
    for (let i = 0; i < fleet.updates.length; i += 1000) {
      const p = redis.pipeline()
      for (const u of fleet.updates.slice(i, i + 1000)) p.xadd(stream, '*', 'data', JSON.stringify(u))
      const res = await p.exec()
      const failed = res?.find(([err]) => err)
      if (failed) throw new Error(`XADD failed: ${String(failed[0])}`)
    }
  } finally {
    redis.disconnect()
  }
  const last = fleet.updates.at(-1)!
  await waitFor(
    async () => {
      const res = await be.api(`/api/tasks/${last.task_id}`)
      if (!res.ok) return false
      const t = (await res.json()) as { last_event_id: string }
      return t.last_event_id === last.event_id
    },
    `the fleet's last update (${last.event_id}) to be stored`,
    120_000,
  )
}
