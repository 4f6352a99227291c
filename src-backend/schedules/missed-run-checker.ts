// Finds the runs that did not happen. For each schedule, every occurrence whose grace (plus a
// settle delay for replication) has passed is checked once: a task with that schedule_id that
// started (or, never running, was first heard of) within [occurrence − slack, occurrence + grace]
// is its run; with none, a failed "missed run" task is raised. Its task_id, event_id and every field
// (updated_at included) follow from the schedule and the occurrence alone, so every backend on one
// Redis builds the identical event and the store's event_id dedupe applies it once everywhere.
//
// A run still running past max_runtime_seconds is flagged as overrunning the same way: one update
// with a deterministic event_id that puts a note in its `error` (the task keeps running; the
// producer's own final update replaces the note only if it sets error itself).
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { TaskFieldValues } from '../../src-shared/task-model'
import {
  localClock,
  localDateTime,
  occurrencesBetween,
  previousOccurrence,
  type Schedule,
} from './schedule-model'
import type { ScheduleStore } from './schedule-store'

/** A task update the checker wants applied (the server sends it through ingest like a REST PUT). */
export interface CheckerUpdate {
  task_id: string
  event_id: string
  updated_at: string
  fields: Partial<TaskFieldValues>
}

export interface MissedRunCheckerDeps {
  store: ScheduleStore
  log: Logger
  submit(update: CheckerUpdate): Promise<unknown>
  /** Injected clock (ms since epoch). */
  now?: () => number
  /** How often to check. Default 1_000 ms. */
  intervalMs?: number
  /**
   * Extra wait after an occurrence's grace before it is judged, so a run reported to a peer
   * backend has reached this one through Redis. Default 2_000 ms.
   */
  settleMs?: number
  /** How far back a backend that was down looks for missed occurrences. Default 24 h. */
  maxLookbackMs?: number
}

/** Occurrences judged per schedule per check: a seconds-cron after a long outage catches up in steps. */
const MAX_OCCURRENCES_PER_CHECK = 500
/** How early a run may start and still count: at most a minute, at most half the gap to the previous occurrence. */
const MAX_SLACK_MS = 60_000
/** Overruns are looked for among runs that crossed their limit within this window. */
const OVERRUN_WINDOW_MS = 10 * 60_000

export function missedRunId(scheduleId: string, occurrence: Date): string {
  return `missed:${scheduleId}:${occurrence.toISOString()}`
}

export function missedRunUpdate(schedule: Schedule, occurrence: Date): CheckerUpdate {
  const deadline = new Date(occurrence.getTime() + schedule.grace_seconds * 1000)
  const id = missedRunId(schedule.schedule_id, occurrence)
  const tz = schedule.timezone
  return {
    task_id: id,
    event_id: id,
    updated_at: deadline.toISOString(),
    fields: {
      status: 'failed',
      title: `${schedule.title ?? schedule.schedule_id} — missed run`,
      assignee: schedule.assignee,
      project_id: schedule.project_id,
      schedule_id: schedule.schedule_id,
      scheduled_at: occurrence.toISOString(),
      error: `no run started by ${localClock(deadline, tz)} (${tz}; the run due ${localDateTime(occurrence, tz)}, grace ${schedule.grace_seconds} s)`,
    },
  }
}

export function createMissedRunChecker(deps: MissedRunCheckerDeps) {
  const now = deps.now ?? Date.now
  const settleMs = deps.settleMs ?? 2_000
  const maxLookbackMs = deps.maxLookbackMs ?? 24 * 3600_000
  const log = deps.log.child({ component: 'missed-runs' })
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null

  function slackMs(schedule: Schedule, occurrence: Date): number {
    const prev = previousOccurrence(schedule, occurrence)
    const gap = prev ? occurrence.getTime() - prev.getTime() : Infinity
    return Math.min(MAX_SLACK_MS, gap / 2)
  }

  /**
   * The next occurrence to judge per schedule version, so a pass over schedules with nothing due
   * costs no croner step (one per occurrence instead of one per schedule per second).
   */
  const nextDue = new Map<string, { version: string; at: number }>()

  async function checkSchedule(schedule: Schedule, at: number): Promise<void> {
    const graceMs = schedule.grace_seconds * 1000
    const judgeUpTo = new Date(at - graceMs - settleMs)
    const version = `${schedule.updated_at}\n${schedule.cron}\n${schedule.timezone}`
    const cached = nextDue.get(schedule.schedule_id)
    if (cached?.version === version && cached.at > judgeUpTo.getTime()) return
    const stored = deps.store.checkedUntil(schedule.schedule_id)
    // A new schedule is judged from its creation; a backend back from a long outage looks back a day.
    const floor = Math.max(Date.parse(schedule.created_at), at - maxLookbackMs)
    const from = new Date(Math.max(stored ? Date.parse(stored) : floor, floor))
    if (judgeUpTo <= from) return
    const due = occurrencesBetween(schedule, from, judgeUpTo, MAX_OCCURRENCES_PER_CHECK)
    for (const occurrence of due) {
      const windowFrom = new Date(occurrence.getTime() - slackMs(schedule, occurrence)).toISOString()
      const windowTo = new Date(occurrence.getTime() + graceMs).toISOString()
      if (!deps.store.hasRunBetween(schedule.schedule_id, windowFrom, windowTo)) {
        const update = missedRunUpdate(schedule, occurrence)
        log.info({ schedule: schedule.schedule_id, occurrence: update.fields.scheduled_at }, 'missed run')
        await deps.submit(update)
      }
    }
    // Up to the last judged occurrence when capped, else all the way: nothing before it is due again.
    const through = due.length === MAX_OCCURRENCES_PER_CHECK ? due.at(-1)! : judgeUpTo
    deps.store.setCheckedUntil(schedule.schedule_id, through.toISOString())
    const upcoming = occurrencesBetween(schedule, through, new Date(8.64e15), 1)[0]
    nextDue.set(schedule.schedule_id, { version, at: upcoming ? upcoming.getTime() : Infinity })
  }

  async function checkOverruns(schedule: Schedule, at: number): Promise<void> {
    if (schedule.max_runtime_seconds === null) return
    const limitMs = schedule.max_runtime_seconds * 1000
    const startedBy = new Date(at - limitMs).toISOString()
    const notBefore = new Date(at - limitMs - OVERRUN_WINDOW_MS).toISOString()
    for (const run of deps.store.runningStartedBetween(schedule.schedule_id, notBefore, startedBy, 100)) {
      const started = run.started_at ?? run.created_at
      const overAt = new Date(Date.parse(started) + limitMs)
      const digest = createHash('sha256').update(`${run.task_id}\n${started}`).digest('hex').slice(0, 32)
      await deps.submit({
        task_id: run.task_id,
        event_id: `overrun:${digest}`,
        updated_at: overAt.toISOString(),
        fields: {
          error: `overrunning: started ${localClock(new Date(started), schedule.timezone)} (${schedule.timezone}) and still running after max_runtime_seconds ${schedule.max_runtime_seconds}`,
        },
      })
    }
  }

  async function check(): Promise<void> {
    const at = now()
    for (const schedule of deps.store.list()) {
      try {
        await checkSchedule(schedule, at)
        await checkOverruns(schedule, at)
      } catch (err) {
        // One bad schedule (or a storage hiccup) must not stop the others; the next check retries.
        log.warn({ err, schedule: schedule.schedule_id }, 'checking a schedule failed')
      }
    }
  }

  function checkOnce(): Promise<void> {
    running ??= check().finally(() => {
      running = null
    })
    return running
  }

  return {
    /** One pass now (tests drive this with an injected clock). Passes never overlap. */
    check: checkOnce,
    start(): void {
      if (timer) return
      timer = setInterval(() => void checkOnce(), deps.intervalMs ?? 1_000)
      timer.unref()
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer)
      timer = null
      await running
    },
  }
}

export type MissedRunChecker = ReturnType<typeof createMissedRunChecker>
