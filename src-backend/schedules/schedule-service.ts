// The schedules feature as one part with an explicit start/stop: the local store, replication
// through Redis (when configured), the missed-run checker, and the read-only feed key. The REST
// routes, the feeds and the CLI go through this; server.ts only builds and starts it.
import { timingSafeEqual } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import { createMissedRunChecker, type CheckerUpdate } from './missed-run-checker'
import {
  occurrenceIterator,
  occurrencesBetween,
  type ReplicatedRecord,
  type Schedule,
  type ScheduleInput,
} from './schedule-model'
import {
  FEED_KEY_SETTING,
  feedKeyHash,
  newFeedKey,
  scheduleRecord,
  scheduleTombstone,
} from './schedule-records'
import { openScheduleStore, type TaskBrief } from './schedule-store'
import { createScheduleSync } from './schedule-sync'
import type { ScheduleOccurrence, ScheduleState } from '../../src-shared/schedule-shapes'

export interface ScheduleServiceDeps {
  db: Database
  log: Logger
  /** Applies a task update as a local write (ingest → store → WS → outbox → Redis). */
  submit(update: CheckerUpdate): Promise<unknown>
  redisUrl?: string | undefined
  now?: () => number
  checkIntervalMs?: number
  settleMs?: number
}

export type { ScheduleState }

export interface ScheduleDetail extends Schedule {
  next_occurrences: string[]
  state: ScheduleState
  last_run: TaskBrief | null
}

export type Occurrence = ScheduleOccurrence

/**
 * The longest one occurrences() call computes. croner walks a named time zone through Intl at
 * about 0.2–0.7 ms an occurrence, so `limit=5000` over minute crons blocked the event loop for 3–7 s
 * (test/adversarial/new-routes-floods.test.ts); past this the answer is the prefix found so far,
 * with `truncated: true`, as when the cap is reached.
 */
export const OCCURRENCES_BUDGET_MS = 250

export function createScheduleService(deps: ScheduleServiceDeps) {
  const now = deps.now ?? Date.now
  const log = deps.log
  const store = openScheduleStore(deps.db)
  const sync = deps.redisUrl
    ? createScheduleSync({
        url: deps.redisUrl,
        log,
        localRecords: () => store.allRecords(),
        mergeRemote: (record) => {
          if (store.merge(record))
            log.debug({ kind: record.kind, id: record.id }, 'schedule record merged from a peer')
        },
      })
    : null
  const checker = createMissedRunChecker({
    store,
    log,
    submit: (update) => deps.submit(update),
    now,
    ...(deps.checkIntervalMs !== undefined && { intervalMs: deps.checkIntervalMs }),
    ...(deps.settleMs !== undefined && { settleMs: deps.settleMs }),
  })

  const recordOf = (kind: ReplicatedRecord['kind'], id: string): ReplicatedRecord | null =>
    store.allRecords().find((r) => r.kind === kind && r.id === id) ?? null

  function write(record: ReplicatedRecord): void {
    store.merge(record)
    sync?.push(record)
  }

  function stateOf(last: TaskBrief | null): ScheduleState {
    if (!last) return 'never_run'
    if (last.task_id.startsWith('missed:')) return 'missed'
    if (last.status === 'failed') return 'failed'
    if (last.status === 'completed') return 'ok'
    return 'running'
  }

  return {
    store,

    list: (): Schedule[] => store.list(),
    get: (id: string): Schedule | null => store.get(id),

    /** Creates or replaces a schedule; throws the zod error for bad input. */
    put(id: string, input: ScheduleInput): { schedule: Schedule; created: boolean } {
      const existing = store.get(id)
      write(scheduleRecord(id, input, recordOf('schedule', id), now()))
      return { schedule: store.get(id)!, created: existing === null }
    },

    /** Deletes (a tombstone that replicates); false when there was no such schedule. */
    remove(id: string): boolean {
      if (!store.get(id)) return false
      write(scheduleTombstone(id, recordOf('schedule', id), now()))
      return true
    },

    detail(schedule: Schedule, count = 5): ScheduleDetail {
      const at = new Date(now())
      const next = occurrencesBetween(schedule, at, new Date(at.getTime() + 366 * 86400_000), count)
      const last = store.recentRuns(schedule.schedule_id, 1)[0] ?? null
      return {
        ...schedule,
        next_occurrences: next.map((d) => d.toISOString()),
        state: stateOf(last),
        last_run: last,
      }
    },

    /**
     * Occurrences of every schedule in [from, to), time order, at most `cap` in all. The schedules
     * are merged lazily (each asked for its next occurrence only when its previous one was taken),
     * so the cost is about cap + schedules steps of croner, however dense a cron is.
     */
    occurrences(
      from: Date,
      to: Date,
      cap: number,
      budgetMs = OCCURRENCES_BUDGET_MS,
    ): { occurrences: Occurrence[]; truncated: boolean } {
      const deadline = performance.now() + budgetMs
      // Occurrences strictly after `from − 1 ms` are those at or after `from`.
      const after = new Date(from.getTime() - 1)
      const heads = store.list().map((s) => {
        const next = occurrenceIterator(s, after)
        return { s, next, at: next() }
      })
      const out: Occurrence[] = []
      for (;;) {
        let best: (typeof heads)[number] | null = null
        for (const h of heads) {
          if (!h.at || h.at.getTime() >= to.getTime()) continue
          if (
            !best ||
            h.at < best.at! ||
            (h.at.getTime() === best.at!.getTime() && h.s.schedule_id < best.s.schedule_id)
          )
            best = h
        }
        if (!best) return { occurrences: out, truncated: false }
        // At least one occurrence per call, so a caller that asks again from the last one advances.
        if (out.length === cap || (out.length > 0 && performance.now() > deadline))
          return { occurrences: out, truncated: true }
        const d = best.at!
        out.push({
          schedule_id: best.s.schedule_id,
          title: best.s.title,
          assignee: best.s.assignee,
          project_id: best.s.project_id,
          at: d.toISOString(),
          deadline: new Date(d.getTime() + best.s.grace_seconds * 1000).toISOString(),
        })
        best.at = best.next()
      }
    },

    /** Makes a new feed key (only its hash is kept, and replicated); the old one stops working. */
    rotateFeedKey(): string {
      const { key, record } = newFeedKey(recordOf('setting', FEED_KEY_SETTING), now())
      write(record)
      return key
    },

    feedKeyMatches(candidate: string | null | undefined): boolean {
      const stored = store.setting(FEED_KEY_SETTING)
      if (!candidate || !stored || !/^[0-9a-f]{64}$/.test(stored)) return false
      return timingSafeEqual(feedKeyHash(candidate), Buffer.from(stored, 'hex'))
    },
    hasFeedKey: (): boolean => store.setting(FEED_KEY_SETTING) !== null,

    checker,

    start(): void {
      sync?.start()
      checker.start()
    },
    async stop(): Promise<void> {
      await checker.stop()
      await sync?.stop()
    },
  }
}

export type ScheduleService = ReturnType<typeof createScheduleService>
