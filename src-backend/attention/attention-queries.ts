// The attention reads over the store's database: the stale monitor's candidates, an agent's
// recent history for its threshold, and the summary behind GET /api/attention. Every query
// starts from the status index (tasks_by_status) or one agent's tasks (tasks_by_assignee), so
// their cost follows the running / failed / waiting sets, never the number of tasks.
import type Database from 'better-sqlite3'
import type {
  AttentionSummary,
  AttentionTask,
  StaleThreshold,
  TaskFieldValues,
  TaskStatus,
} from '../../src-shared/protocol'
import type { StaleCandidate } from './stale-monitor'
import type { HistoryEvent, ThresholdResolver } from './stale-threshold'

/** An agent's threshold reads at most this many of its latest tasks that ran, */
export const HISTORY_TASKS = 30
/** and at most this many latest events of each. */
export const HISTORY_EVENTS_PER_TASK = 200
/** Lists in the summary hold at most this many tasks each. */
export const SUMMARY_LIMIT = 500
/** Unacknowledged failures are counted up to this many. */
export const FAILURES_COUNTED = 1000

interface AttentionRow {
  task_id: string
  status: TaskStatus
  title: string | null
  assignee: string | null
  project_id: string | null
  updated_at: string
  started_at: string | null
  finished_at: string | null
  stale_since: string | null
  acknowledged_at: string | null
  stale_after_seconds: number | null
  output_tail: string | null
  error_head: string | null
}

// Only the start of the error and the end of the output leave SQLite: the reason is one line.
const ATTENTION_COLUMNS = `task_id, status, title, assignee, project_id, updated_at, started_at, finished_at,
  stale_since, acknowledged_at, stale_after_seconds, substr(output, -1024) AS output_tail,
  substr(error, 1, 1024) AS error_head`

const REASON_MAX = 200

const cut = (line: string): string => (line.length > REASON_MAX ? `${line.slice(0, REASON_MAX - 1)}…` : line)
const lines = (text: string | null): string[] => (text ?? '').split(/\r?\n/).filter((l) => l.trim() !== '')

/** Why a task needs attention, in one line: the error's first line, else the output's last. */
export function reasonOf(task: { error_head: string | null; output_tail: string | null }): string | null {
  const line = lines(task.error_head)[0] ?? lines(task.output_tail).at(-1)
  return line === undefined ? null : cut(line.trim())
}

function toAttentionTask(row: AttentionRow): AttentionTask {
  const { output_tail, error_head, ...task } = row
  return { ...task, reason: reasonOf({ output_tail, error_head }) }
}

/** Every attention read; each starts from an index (attention-queries.test.ts holds the plans). */
export const ATTENTION_SQL = {
  candidates: `SELECT task_id, assignee, updated_at, last_event_id, stale_after_seconds FROM tasks
       WHERE status = 'running' AND stale_since IS NULL
         AND (stale_after_seconds IS NOT NULL OR updated_at < ?)`,
  tasksOfAgent: `SELECT task_id FROM tasks WHERE assignee = ? AND started_at IS NOT NULL
       ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
  // Newest first through task_events_by_task; the monitor's own marks are no producer activity.
  eventsOfTask: `SELECT status, updated_at, fields FROM task_events
       WHERE task_id = ? AND source != 'monitor' ORDER BY seq DESC LIMIT ?`,
  stale: `SELECT ${ATTENTION_COLUMNS} FROM tasks WHERE status = 'running' AND stale_since IS NOT NULL
       ORDER BY stale_since, task_id LIMIT ?`,
  failures: `SELECT ${ATTENTION_COLUMNS} FROM tasks WHERE status = 'failed'
         AND (acknowledged_at IS NULL OR acknowledged_at < finished_at)
       ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
  // Counted up to a bound: each failed row is read for its ack (no index holds it), and a
  // database from before acks has every old failure unacknowledged (10,000 rows: 130 ms).
  failuresCounted: `SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE status = 'failed'
         AND (acknowledged_at IS NULL OR acknowledged_at < finished_at) LIMIT ?)`,
  waiting: `SELECT ${ATTENTION_COLUMNS} FROM tasks WHERE status = 'waiting'
       ORDER BY updated_at, task_id LIMIT ?`,
  running: `SELECT task_id, assignee, stale_after_seconds FROM tasks WHERE status = 'running'
       ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
} as const

export interface AttentionQueries {
  staleCandidates(cutoff: string): StaleCandidate[]
  historyOfAgent(assignee: string): HistoryEvent[]
  summary(thresholds: ThresholdResolver, limit?: number): AttentionSummary
}

export function createAttentionQueries(db: Database.Database): AttentionQueries {
  const stmts = {
    candidates: db.prepare<[string], StaleCandidate>(ATTENTION_SQL.candidates),
    tasksOfAgent: db.prepare<[string, number], { task_id: string }>(ATTENTION_SQL.tasksOfAgent),
    eventsOfTask: db.prepare<[string, number], { status: string | null; updated_at: string; fields: string }>(
      ATTENTION_SQL.eventsOfTask,
    ),
    stale: db.prepare<[number], AttentionRow>(ATTENTION_SQL.stale),
    failures: db.prepare<[number], AttentionRow>(ATTENTION_SQL.failures),
    failuresCounted: db.prepare<[number], { n: number }>(ATTENTION_SQL.failuresCounted),
    waiting: db.prepare<[number], AttentionRow>(ATTENTION_SQL.waiting),
    running: db.prepare<
      [number],
      { task_id: string; assignee: string | null; stale_after_seconds: number | null }
    >(ATTENTION_SQL.running),
  }

  /** An update that set only `acknowledged_at` is a person's, not the agent's activity. */
  const isAckOnly = (fields: string): boolean => {
    if (!fields.startsWith('{"acknowledged_at":')) return false
    const parsed = JSON.parse(fields) as Partial<TaskFieldValues>
    return Object.keys(parsed).length === 1
  }

  const failureCount = (): Pick<AttentionSummary, 'failures_total' | 'failures_more'> => {
    const n = stmts.failuresCounted.get(FAILURES_COUNTED + 1)?.n ?? 0
    return { failures_total: Math.min(n, FAILURES_COUNTED), failures_more: n > FAILURES_COUNTED }
  }

  return {
    staleCandidates: (cutoff) => stmts.candidates.all(cutoff),

    historyOfAgent(assignee) {
      const events: HistoryEvent[] = []
      for (const { task_id } of stmts.tasksOfAgent.all(assignee, HISTORY_TASKS)) {
        for (const e of stmts.eventsOfTask.all(task_id, HISTORY_EVENTS_PER_TASK)) {
          if (isAckOnly(e.fields)) continue
          events.push({ task_id, status: e.status, updated_at: e.updated_at })
        }
      }
      return events
    },

    summary(thresholds, limit = SUMMARY_LIMIT) {
      const byId: Record<string, StaleThreshold> = {}
      for (const r of stmts.running.all(Math.max(limit, 10_000))) byId[r.task_id] = thresholds.thresholdFor(r)
      return {
        stale: stmts.stale.all(limit).map((row) => ({
          ...toAttentionTask(row),
          threshold: byId[row.task_id] ?? thresholds.thresholdFor(row),
        })),
        failures: stmts.failures.all(limit).map(toAttentionTask),
        ...failureCount(),
        waiting: stmts.waiting.all(limit).map(toAttentionTask),
        thresholds: byId,
      }
    },
  }
}
