// A fleet the way a person running one sees it: 40 agents, 8 projects, 5,000 tasks over eight
// weeks, with multi-line logs, stack traces, long titles, runs lasting hours and days, a few
// running now and some scheduled ahead. Deterministic (seeded), times relative to `now`. The
// fleet itself comes from the generator the ui-scale bench streams (bench/lib/fleet-data.mjs);
// this adds the tasks the e2e suite looks for (running now, a fresh failure, a search needle).
//
// Loaded the way producers really send work: XADD to the Redis stream the backend tails (one
// pipelined batch; the backend applies the stream in order), then wait for the last entry to land.
import { Redis } from 'ioredis'
import { fleetSource, LONG_TITLE_INDEX, STACK_TRACES, type FleetUpdate } from '../../bench/lib/fleet-data.mjs'
import type { Backend } from '../helpers/backend-process'
import { waitFor } from '../helpers/backend-process'

export { FLEET_AGENTS, FLEET_PROJECTS } from '../../bench/lib/fleet-data.mjs'
export type { FleetUpdate }

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
  const source = fleetSource()
  const { iso, log } = source
  const eid = source.eventId
  const updates: FleetUpdate[] = []
  let longTitleTaskId = ''
  let failedTaskId = ''
  let i = 0
  for (const task of source.tasks(now, taskCount)) {
    updates.push(...task.updates)
    if (i++ === LONG_TITLE_INDEX) longTitleTaskId = task.taskId
    if (!failedTaskId && task.longLog) failedTaskId = task.taskId
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
