// The schedules' tables (migration "7", store/migrations.ts) on the task database's connection:
// replicated records merged last-writer-wins, the local missed-run checkpoint, and the indexed
// reads of tasks that the checker and the feeds need. Nothing here touches the tasks table's writes.
import type { Database } from 'better-sqlite3'
import type { TaskStatus } from '../../src-shared/task-model'
import { isNewer, type ReplicatedRecord, type Schedule, type ScheduleSpec } from './schedule-model'

interface ScheduleRow {
  schedule_id: string
  spec: string
  updated_at: string
  rev: string
  deleted: number
  checked_until: string | null
}

/** The task columns the checker and feeds read (never output/description: they can be 64 KiB). */
export interface TaskBrief {
  task_id: string
  status: TaskStatus
  title: string | null
  assignee: string | null
  project_id: string | null
  error: string | null
  schedule_id: string | null
  scheduled_at: string | null
  created_at: string
  updated_at: string
  started_at: string | null
  finished_at: string | null
}
const BRIEF_COLUMNS =
  'task_id, status, title, assignee, project_id, substr(error, 1, 500) AS error, schedule_id, scheduled_at, created_at, updated_at, started_at, finished_at'

/** Where a run's start is read from: started_at once it ran, else when it was first heard of. */
const RUN_START = 'coalesce(started_at, created_at)'

export type ScheduleStore = ReturnType<typeof openScheduleStore>

export function openScheduleStore(db: Database) {
  const stmts = {
    get: db.prepare<[string], ScheduleRow>('SELECT * FROM schedules WHERE schedule_id = ?'),
    all: db.prepare<[], ScheduleRow>('SELECT * FROM schedules ORDER BY schedule_id'),
    upsert: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO schedules (schedule_id, spec, updated_at, rev, deleted) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (schedule_id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at,
         rev = excluded.rev, deleted = excluded.deleted`,
    ),
    setChecked: db.prepare<[string, string]>('UPDATE schedules SET checked_until = ? WHERE schedule_id = ?'),
    getSetting: db.prepare<[string], { key: string; value: string; updated_at: string; rev: string }>(
      'SELECT * FROM schedule_settings WHERE key = ?',
    ),
    allSettings: db.prepare<[], { key: string; value: string; updated_at: string; rev: string }>(
      'SELECT * FROM schedule_settings',
    ),
    upsertSetting: db.prepare<[string, string, string, string]>(
      `INSERT INTO schedule_settings (key, value, updated_at, rev) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, rev = excluded.rev`,
    ),
    // Both through tasks_by_schedule_start (partial index on schedule_id, run start).
    runIn: db.prepare<[string, string, string], { task_id: string }>(
      `SELECT task_id FROM tasks WHERE schedule_id = ? AND ${RUN_START} >= ? AND ${RUN_START} <= ?
         AND status <> 'pending' AND task_id NOT LIKE 'missed:%' LIMIT 1`,
    ),
    recentRuns: db.prepare<[string, number], TaskBrief>(
      `SELECT ${BRIEF_COLUMNS} FROM tasks WHERE schedule_id = ? ORDER BY ${RUN_START} DESC LIMIT ?`,
    ),
    runningOf: db.prepare<[string, string, string, number], TaskBrief>(
      `SELECT ${BRIEF_COLUMNS} FROM tasks WHERE schedule_id = ? AND ${RUN_START} >= ? AND ${RUN_START} <= ?
         AND status = 'running' LIMIT ?`,
    ),
  }

  function rowToSchedule(row: ScheduleRow): Schedule {
    const spec = JSON.parse(row.spec) as ScheduleSpec
    return { schedule_id: row.schedule_id, ...spec, updated_at: row.updated_at }
  }

  function currentVersion(record: ReplicatedRecord): { updated_at: string; rev: string } | undefined {
    return record.kind === 'schedule' ? stmts.get.get(record.id) : stmts.getSetting.get(record.id)
  }

  return {
    /** Live schedules (tombstones left out), by id. */
    list(): Schedule[] {
      return stmts.all
        .all()
        .filter((r) => r.deleted === 0)
        .map(rowToSchedule)
    },

    get(id: string): Schedule | null {
      const row = stmts.get.get(id)
      return row && row.deleted === 0 ? rowToSchedule(row) : null
    },

    /**
     * Applies a record if it is newer than what is stored (last-writer-wins). Returns whether it
     * changed anything: a replayed or older record is a no-op, so merging is idempotent and
     * order-independent, which is what makes every backend converge.
     */
    merge(record: ReplicatedRecord): boolean {
      const current = currentVersion(record)
      if (current && !isNewer(record, current)) return false
      if (record.kind === 'schedule') {
        stmts.upsert.run(
          record.id,
          JSON.stringify(record.spec ?? {}),
          record.updated_at,
          record.rev,
          record.deleted ? 1 : 0,
        )
      } else {
        stmts.upsertSetting.run(record.id, record.value, record.updated_at, record.rev)
      }
      return true
    },

    /** Every record this backend holds, tombstones included: what it pushes to Redis on (re)connect. */
    allRecords(): ReplicatedRecord[] {
      const schedules = stmts.all.all().map((r): ReplicatedRecord => ({
        kind: 'schedule',
        id: r.schedule_id,
        updated_at: r.updated_at,
        rev: r.rev,
        deleted: r.deleted === 1,
        spec: r.deleted === 1 ? null : (JSON.parse(r.spec) as ScheduleSpec),
      }))
      const settings = stmts.allSettings.all().map((s): ReplicatedRecord => ({
        kind: 'setting',
        id: s.key,
        updated_at: s.updated_at,
        rev: s.rev,
        deleted: false,
        value: s.value,
      }))
      return [...schedules, ...settings]
    },

    setting(key: string): string | null {
      return stmts.getSetting.get(key)?.value ?? null
    },

    checkedUntil(id: string): string | null {
      return stmts.get.get(id)?.checked_until ?? null
    },
    setCheckedUntil(id: string, at: string): void {
      stmts.setChecked.run(at, id)
    },

    /** Whether a run of the schedule started in [from, to] (ISO bounds, inclusive). */
    hasRunBetween(id: string, from: string, to: string): boolean {
      return stmts.runIn.get(id, from, to) !== undefined
    },

    /** The schedule's latest runs (missed ones included), newest start first. */
    recentRuns(id: string, limit: number): TaskBrief[] {
      return stmts.recentRuns.all(id, limit)
    },

    /** Runs of the schedule still running that started in [notBefore, startedBy]. */
    runningStartedBetween(id: string, notBefore: string, startedBy: string, limit: number): TaskBrief[] {
      return stmts.runningOf.all(id, notBefore, startedBy, limit)
    },
  }
}
