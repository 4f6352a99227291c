// The store's read queries: one task, listings (filtered, paged, by text through the FTS index),
// a task's events, calendar pages, snapshot pages and the per-agent and per-project aggregates.
// They only read, so they change with what the API and the views ask for, never with how events
// are applied (task-writes.ts). Every page is a keyset page on an index; none sorts all tasks.
import type Database from 'better-sqlite3'
import {
  TASK_KEYS,
  emptyCounts,
  type AgentSummary,
  type EventSource,
  type ProjectSummary,
  type StoredEvent,
  type Task,
  type TaskFieldValues,
  type TaskStatus,
} from '../../src-shared/protocol'
import { toFtsQuery } from './fts-query'
import { TASK_COLUMNS, decodeCursor, encodeCursor, rowToTask, type TaskRow } from './task-rows'
import { MATCHING_ROWIDS } from './task-search'

export interface ListTasksQuery {
  status?: TaskStatus | undefined
  assignee?: string | undefined
  project_id?: string | undefined
  /** updated_at >= from */
  from?: string | undefined
  /** updated_at < to */
  to?: string | undefined
  q?: string | undefined
  cursor?: string | undefined
  limit?: number | undefined
}

export interface TaskPage {
  tasks: Task[]
  next_cursor: string | null
}

/** A task whose output/error are only their last `tailChars` characters, with their full byte sizes. */
export interface TaskTailRow extends Task {
  output_bytes: number
  error_bytes: number
}

/** A task's place on the calendar; the same expressions as the index tasks_by_calendar. */
const CALENDAR_START = 'coalesce(scheduled_at, due_at, started_at, created_at)'
const CALENDAR_END = 'coalesce(due_at, scheduled_at, finished_at, updated_at)'

// Parameters: tail length (chars) for output, then for error.
// The `?`s are bound in column order: output's before error's.
const SNAPSHOT_COLUMNS = [
  TASK_KEYS.map((k) => (k === 'output' || k === 'error' ? `substr(${k}, -?) AS ${k}` : k)).join(', '),
  'coalesce(length(CAST(output AS BLOB)), 0) AS output_bytes',
  'coalesce(length(CAST(error AS BLOB)), 0) AS error_bytes',
].join(', ')

interface StoredEventRow {
  seq: number
  event_id: string
  task_id: string
  fields: string
  updated_at: string
  received_at: string
  source: EventSource
  changed: number
}

type SnapshotAfter = { updated_at: string; task_id: string }

export type TaskQueries = ReturnType<typeof createTaskQueries>

export function createTaskQueries(db: Database.Database) {
  const stmts = {
    getTask: db.prepare<[string], TaskRow>(`SELECT ${TASK_COLUMNS}, versions FROM tasks WHERE task_id = ?`),
    hasTask: db.prepare<[string], { x: number }>('SELECT 1 AS x FROM tasks WHERE task_id = ?'),
    allTasks: db.prepare<[], TaskRow>(
      `SELECT ${TASK_COLUMNS}, versions FROM tasks ORDER BY updated_at DESC, task_id DESC`,
    ),
    // Snapshot pages (keyset on the tasks_by_updated index). Only the tail of output/error leaves
    // SQLite (substr counts characters), so a page never loads the full 64 KiB texts.
    snapshotFirst: db.prepare<[number, number, number], TaskTailRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM tasks ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
    ),
    snapshotAfter: db.prepare<[number, number, string, string, number], TaskTailRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM tasks WHERE (updated_at, task_id) < (?, ?)
       ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
    ),
    eventsOfTask: db.prepare<[string, number, number], StoredEventRow>(
      'SELECT seq, event_id, task_id, fields, updated_at, received_at, source, message IS NOT NULL AS changed FROM task_events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    // The window end is found through tasks_by_calendar (migration 2), a covering index: the
    // page's rowids are chosen from the index alone, then only those rows are read.
    calendar: db.prepare<
      [{ from: string; to: string; cs: string | null; ct: string | null; n: number }],
      TaskRow
    >(
      `SELECT ${TASK_COLUMNS}, versions FROM tasks WHERE rowid IN (
         SELECT rowid FROM tasks
         WHERE ${CALENDAR_END} >= @from AND ${CALENDAR_START} < @to
           AND (@cs IS NULL OR ${CALENDAR_START} > @cs OR (${CALENDAR_START} = @cs AND task_id > @ct))
         ORDER BY ${CALENDAR_START}, task_id LIMIT @n)
       ORDER BY ${CALENDAR_START}, task_id`,
    ),
    countsOf: db.prepare<[string], { key: string; status: TaskStatus; n: number }>(
      'SELECT key, status, n FROM task_counts WHERE dim = ? AND n > 0',
    ),
    latestOfAgent: db.prepare<[string], TaskRow>(
      `SELECT ${TASK_COLUMNS}, versions FROM tasks WHERE assignee = ? ORDER BY updated_at DESC, task_id DESC LIMIT 1`,
    ),
    lastUpdateOfProject: db.prepare<[string], { updated_at: string }>(
      'SELECT updated_at FROM tasks WHERE project_id = ? ORDER BY updated_at DESC, task_id DESC LIMIT 1',
    ),
    failuresOfProject: db.prepare<[string], TaskRow>(
      `SELECT ${TASK_COLUMNS}, versions FROM tasks WHERE project_id = ? AND status = 'failed'
       ORDER BY updated_at DESC, task_id DESC LIMIT 5`,
    ),
  }

  const listStatements = new Map<string, Database.Statement<(string | number)[], TaskRow>>()

  /** The rows of a task listing, newest first; `match`: the FTS5 expression of `query.q`. */
  function selectTasks(query: ListTasksQuery, match: string | null, n: number): TaskRow[] {
    const where: string[] = []
    const params: (string | number)[] = []
    const filter = (clause: string, value: string | undefined) => {
      if (value === undefined || value === '') return
      where.push(clause)
      params.push(value)
    }
    filter('status = ?', query.status)
    filter('assignee = ?', query.assignee)
    filter('project_id = ?', query.project_id)
    filter('updated_at >= ?', query.from)
    filter('updated_at < ?', query.to)
    if (match !== null) {
      where.push(`rowid IN (${MATCHING_ROWIDS})`)
      params.push(match)
    }
    const upper: readonly (string | number)[] | null = query.cursor ? decodeCursor(query.cursor, 2) : null
    if (upper) {
      const [updatedAt, taskId] = upper
      // The plain `updated_at <= ?` is implied by the OR, but only it lets SQLite seek the index
      // instead of scanning from the newest row on every page.
      where.push('updated_at <= ? AND (updated_at < ? OR (updated_at = ? AND task_id < ?))')
      params.push(String(updatedAt), String(updatedAt), String(updatedAt), String(taskId))
    }
    // A text search without a status, agent or project filter walks the updated_at index newest
    // first and stops at the page (as task-search.ts does): the planner's own choice looks every
    // match up and sorts, 1.5 s of CPU for a common word at 100,000 tasks. With one of those
    // filters its index is the narrower walk, and the planner picks it.
    const byRecency =
      match !== null && !query.status && !query.assignee && !query.project_id
        ? 'INDEXED BY tasks_by_updated'
        : ''
    const sql = `SELECT ${TASK_COLUMNS}, versions FROM tasks ${byRecency} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY updated_at DESC, task_id DESC LIMIT ?`
    let stmt = listStatements.get(sql)
    if (!stmt) {
      // One statement per combination of filters (a few dozen at most): preparing is a large part
      // of a small listing's cost.
      stmt = db.prepare<(string | number)[], TaskRow>(sql)
      if (listStatements.size < 256) listStatements.set(sql, stmt)
    }
    return stmt.all(...params, n)
  }

  function pageOf(rows: readonly TaskRow[], limit: number): TaskPage {
    const page = rows.slice(0, limit).map(rowToTask)
    const last = page.at(-1)
    return {
      tasks: page,
      next_cursor: rows.length > limit && last ? encodeCursor([last.updated_at, last.task_id]) : null,
    }
  }

  function listTasks(query: ListTasksQuery): TaskPage {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000)
    const match = query.q ? toFtsQuery(query.q) : null
    // Text with no word in it ("%", "--") matches nothing, as a search box would show.
    if (query.q && match === null) {
      if (query.cursor) decodeCursor(query.cursor, 2) // a bad cursor is still an error
      return { tasks: [], next_cursor: null }
    }
    return pageOf(selectTasks(query, match, limit + 1), limit)
  }

  function calendarPage(from: string, to: string, limit = 500, cursor?: string): TaskPage {
    const n = Math.min(Math.max(limit, 1), 5000) // the REST route allows up to 1000
    const after = cursor ? decodeCursor(cursor, 2).map(String) : null
    const rows = stmts.calendar.all({ from, to, cs: after?.[0] ?? null, ct: after?.[1] ?? null, n: n + 1 })
    const tasks = rows.slice(0, n).map(rowToTask)
    const last = tasks.at(-1)
    const start = (t: Task) => t.scheduled_at ?? t.due_at ?? t.started_at ?? t.created_at
    return {
      tasks,
      next_cursor: rows.length > n && last ? encodeCursor([start(last), last.task_id]) : null,
    }
  }

  return {
    getTask(taskId: string): Task | null {
      const row = stmts.getTask.get(taskId)
      return row ? rowToTask(row) : null
    },

    /** Whether the task exists, without reading its texts. */
    hasTask: (taskId: string): boolean => stmts.hasTask.get(taskId) !== undefined,

    listTasks,

    listEvents(
      taskId: string,
      cursor?: string,
      limit = 200,
    ): { events: StoredEvent[]; next_cursor: string | null } {
      const after = cursor ? Number(decodeCursor(cursor, 1)[0]) : 0
      const n = Math.min(Math.max(limit, 1), 1000)
      const rows = stmts.eventsOfTask.all(taskId, after, n + 1)
      const events = rows.slice(0, n).map((r): StoredEvent => ({
        seq: r.seq,
        event_id: r.event_id,
        task_id: r.task_id,
        fields: JSON.parse(r.fields) as Partial<TaskFieldValues>,
        updated_at: r.updated_at,
        received_at: r.received_at,
        source: r.source,
        changed: r.changed === 1,
      }))
      const last = events.at(-1)
      return { events, next_cursor: rows.length > n && last ? encodeCursor([last.seq]) : null }
    },

    /**
     * Tasks placed in [from, to): by scheduled_at/due_at, else by their run window, else
     * created..updated; ordered by their start, a page of `limit` at a time.
     */
    calendar(from: string, to: string, limit = 5000): Task[] {
      return calendarPage(from, to, limit).tasks
    },

    calendarPage,

    // Both aggregates read the trigger-kept task_counts (migration 2) and one index seek per agent or
    // project: O(agents/projects), never a scan of every task.
    agents(): AgentSummary[] {
      const byAgent = new Map<string, AgentSummary>()
      for (const c of stmts.countsOf.all('agent')) {
        let agent = byAgent.get(c.key)
        if (!agent) {
          const latest = stmts.latestOfAgent.get(c.key)
          if (!latest) continue // cannot happen while the triggers hold; skip rather than lie
          agent = { assignee: c.key, counts: emptyCounts(), latest_task: rowToTask(latest) }
          byAgent.set(c.key, agent)
        }
        agent.counts[c.status] = c.n
      }
      return [...byAgent.values()].sort((a, b) =>
        a.latest_task.updated_at < b.latest_task.updated_at
          ? 1
          : a.latest_task.updated_at > b.latest_task.updated_at
            ? -1
            : 0,
      )
    },

    projects(): ProjectSummary[] {
      const byProject = new Map<string, ProjectSummary>()
      for (const c of stmts.countsOf.all('project')) {
        let p = byProject.get(c.key)
        if (!p) {
          const last = stmts.lastUpdateOfProject.get(c.key)?.updated_at
          if (!last) continue
          p = {
            project_id: c.key,
            counts: emptyCounts(),
            total: 0,
            last_updated_at: last,
            latest_failures: stmts.failuresOfProject.all(c.key).map(rowToTask),
          }
          byProject.set(c.key, p)
        }
        p.counts[c.status] = c.n
        p.total += c.n
      }
      return [...byProject.values()].sort((a, b) => (a.last_updated_at < b.last_updated_at ? 1 : -1))
    },

    /** Every task, newest first (tests and tools; the WS snapshot reads snapshotPage). */
    allTasks(): Task[] {
      return stmts.allTasks.all().map(rowToTask)
    },

    /**
     * One page of a snapshot, newest first: tasks after `after` (the last page's last task) in
     * (updated_at, task_id) descending order, with output/error cut to their last `tailChars`
     * characters and their full sizes in bytes.
     */
    snapshotPage(after: SnapshotAfter | null, limit: number, tailChars: number): TaskTailRow[] {
      const rows = after
        ? stmts.snapshotAfter.all(tailChars, tailChars, after.updated_at, after.task_id, limit)
        : stmts.snapshotFirst.all(tailChars, tailChars, limit)
      return rows.map((r) => ({ ...rowToTask(r), output_bytes: r.output_bytes, error_bytes: r.error_bytes }))
    },
  }
}
