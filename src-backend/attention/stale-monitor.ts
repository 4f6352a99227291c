// The stale monitor: every `intervalMs` it looks at the running tasks not yet marked stale and
// marks those whose last update is older than their threshold (stale-threshold.ts). The mark is a
// local event through the normal ingest path (stored, broadcast as an ordinary update frame,
// replayed on resume) but never relayed to Redis: every backend sees the same replicated updates
// and decides on its own, with the same deterministic event_id and time, so each converges to the
// same `stale_since` without a second source of truth on the wire. Any later update of the task,
// or its leaving `running`, clears the mark in the write path.
import type { TaskEvent } from '../../src-shared/protocol'
import type { ThresholdResolver } from './stale-threshold'

/** A running task not yet stale, as the monitor's query returns it. */
export interface StaleCandidate {
  task_id: string
  assignee: string | null
  updated_at: string
  last_event_id: string
  stale_after_seconds: number | null
}

export interface StaleMonitorDeps {
  /**
   * Running tasks with no `stale_since` that could be stale: those with their own threshold, and
   * those whose last update is before `cutoff` (now minus the smallest other threshold).
   */
  candidates(cutoff: string): readonly StaleCandidate[]
  thresholds: ThresholdResolver
  /** Applies an event like any local one (resolves once committed). */
  submit(event: TaskEvent): Promise<unknown>
  now: () => Date
  intervalMs: number
  log: { warn(obj: object, msg?: string): void }
}

export interface StaleMonitor {
  start(): void
  /** Stops the timer and waits for a check under way. Idempotent. */
  stop(): Promise<void>
  /** One check now; resolves with how many tasks were marked (tests, and the timer). */
  check(): Promise<number>
}

/** The mark's identity: the same on every backend for the same task and latest update. */
export const staleEventId = (taskId: string, basisEventId: string): string =>
  `stale:${taskId}:${basisEventId}`

/** The stale mark for `c` at `now`, or null while it is within its threshold. */
export function staleEventFor(c: StaleCandidate, thresholdSeconds: number, now: Date): TaskEvent | null {
  const sinceMs = Date.parse(c.updated_at) + thresholdSeconds * 1000
  if (!Number.isFinite(sinceMs) || sinceMs > now.getTime()) return null
  // The time it turned stale follows from the data alone (not from when this backend happened to
  // look), so every backend writes the same stale_since.
  const since = new Date(sinceMs).toISOString()
  return {
    event_id: staleEventId(c.task_id, c.last_event_id),
    task_id: c.task_id,
    updated_at: since,
    fields: {},
    source: 'monitor',
    received_at: now.toISOString(),
    stale: { since, basis_event_id: c.last_event_id },
  }
}

export function createStaleMonitor(deps: StaleMonitorDeps): StaleMonitor {
  let timer: NodeJS.Timeout | null = null
  let running: Promise<number> | null = null
  let stopped = false
  let failuresLogged = 0

  async function checkOnce(): Promise<number> {
    const now = deps.now()
    const cutoff = new Date(now.getTime() - deps.thresholds.floorSeconds() * 1000).toISOString()
    const marks: TaskEvent[] = []
    for (const c of deps.candidates(cutoff)) {
      const mark = staleEventFor(c, deps.thresholds.thresholdFor(c).seconds, now)
      if (mark) marks.push(mark)
    }
    // Submitted together, so they are committed in one transaction.
    const results = await Promise.allSettled(marks.map((m) => deps.submit(m)))
    const failed = results.filter((r) => r.status === 'rejected')
    if (failed.length > 0 && failuresLogged++ % 60 === 0) {
      // Storage failing: the next check tries again (the marks are idempotent by event_id).
      deps.log.warn(
        { failed: failed.length, err: String((failed[0] as PromiseRejectedResult).reason) },
        'could not store stale marks; retrying at the next check',
      )
    }
    return marks.length - failed.length
  }

  const check = (): Promise<number> => {
    // One check at a time: a slow commit must not stack up checks of the same tasks.
    running ??= checkOnce().finally(() => (running = null))
    return running
  }

  const schedule = (): void => {
    if (stopped) return
    timer = setTimeout(() => {
      timer = null
      check()
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'stale check failed'))
        .finally(schedule)
    }, deps.intervalMs)
    timer.unref()
  }

  return {
    start() {
      if (timer || stopped) return
      schedule()
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = null
      await running?.catch(() => undefined)
    },
    check,
  }
}
