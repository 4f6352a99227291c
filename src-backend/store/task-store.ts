// Durable state of one backend: tasks, their event history with a local monotonic seq, the outbox
// of locally accepted events not yet confirmed by Redis, and meta (epoch, stream cursor).
//
// Every batch of events is applied in one SQLite transaction. A task is a last-writer-wins map:
// each field holds the value of the latest event that set it, latest by (updated_at, event_id), so
// any arrival order of the same events gives the same task on every backend.
import { randomBytes } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import {
  SETTABLE_FIELDS,
  TASK_KEYS,
  emptyCounts,
  newTask,
  pickTask,
  sameTask,
  type AgentSummary,
  type EventSource,
  type ProjectSummary,
  type SettableField,
  type StoredEvent,
  type Task,
  type TaskEvent,
  type TaskFieldValues,
  type TaskStatus,
  type TaskStatusUpdateMessage,
} from '../../src-shared/protocol'
import { eventToWire } from '../bus/bus'
import { ensureDataDir } from './data-dir-lock'
import { StorageError } from './storage-errors'
import { migrate } from './migrations'
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer'

type Version = readonly [updatedAt: string, eventId: string]
type Versions = Partial<Record<SettableField, Version>>

interface TaskRow extends Omit<Task, never> {
  versions: string
}

export type ApplyOutcome =
  /** The event changed the task; `message` is the broadcast frame (JSON) carrying `seq`. */
  | { kind: 'changed'; seq: number; message: string; task: Task; created: boolean }
  /** Stored in history, but older than every field it sets: nothing to broadcast. */
  | { kind: 'unchanged'; seq: number; task: Task; created: false }
  /** This event_id was applied before: not stored again. `conflict`: it was another task's. */
  | { kind: 'duplicate'; task: Task | null; created: false; conflict: boolean }

export interface ApplyOptions {
  /** Stream cursor to store in the same transaction (the last stream entry id of this batch). */
  streamCursor?: string
}

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

export interface OutboxEntry {
  seq: number
  wire: string
}

export interface TaskStoreOptions {
  /** Path of the SQLite file; ':memory:' for tests of pure logic. */
  file: string
  /** Write locally accepted events to the outbox (only when a Redis bus will relay them). */
  outbox: boolean
  /** How many events of history to keep (older ones are pruned; a resume from before gets a snapshot). */
  eventRetention?: number
  /** 'normal' survives a process crash; 'full' also an OS crash or power loss, at a cost per commit. */
  synchronous?: 'normal' | 'full'
  /** Checkpoint the WAL from a worker thread instead of inside commits (default: true for files). */
  checkpointInWorker?: boolean
  /** Told when the checkpoint worker fails (the store then falls back to SQLite's own checkpoints). */
  onCheckpointError?: (err: Error) => void
}

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor'
}

/** Rows of the newest-first index a substring search reads per event-loop turn (≈ 10 ms at 100k tasks). */
const SEARCH_SLICE = 1000

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed'])

function newer(a: Version, b: Version | undefined): boolean {
  if (!b) return true
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])
}

function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url')
}
function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(parts) && parts.length === arity) return parts as (string | number)[]
  } catch {
    // fall through
  }
  throw new InvalidCursorError('cursor is not one this server issued')
}

// A row's task fields (the row also holds `versions` and, in snapshots, the sizes).
const rowToTask = pickTask

/** A task's place on the calendar; the same expressions as the index tasks_by_calendar. */
const CALENDAR_START = 'coalesce(scheduled_at, due_at, started_at, created_at)'
const CALENDAR_END = 'coalesce(due_at, scheduled_at, finished_at, updated_at)'

const TASK_COLUMNS = TASK_KEYS.join(', ')

/** A task whose output/error are only their last `tailChars` characters, with their full byte sizes. */
export interface TaskTailRow extends Task {
  output_bytes: number
  error_bytes: number
}
type SnapshotRow = TaskTailRow
// Parameters: tail length (chars) for output, then for error.
// The `?`s are bound in column order: output's before error's.
const SNAPSHOT_COLUMNS = [
  TASK_KEYS.map((k) => (k === 'output' || k === 'error' ? `substr(${k}, -?) AS ${k}` : k)).join(', '),
  'coalesce(length(CAST(output AS BLOB)), 0) AS output_bytes',
  'coalesce(length(CAST(error AS BLOB)), 0) AS error_bytes',
].join(', ')

export type TaskStore = ReturnType<typeof openTaskStore>

const RECOVERY_HINT =
  'stop TaskPulse and recover it as docs/operations.md ("Recovering a damaged database") says: ' +
  'sqlite3 taskpulse.sqlite ".recover" | sqlite3 recovered.sqlite, or restore a backup'

/**
 * Opens the database and proves it sound before anything is served: a damaged page would
 * otherwise surface only at the first query that reads it, as a 500 or a crash mid-run.
 * Every failure here names the file and says what to do.
 */
function openCheckedDatabase(options: TaskStoreOptions): Database.Database {
  const file = options.file
  const onDisk = file !== ':memory:'
  if (onDisk) {
    ensureDataDir(dirname(file))
    // SQLite writes its header on the first write, so a 0-byte file is a database that was never
    // written or one truncated by a tool or a full disk: taking it as new would hide a data loss.
    if (existsSync(file) && statSync(file).size === 0) {
      throw new StorageError(
        file,
        `database file ${file} is empty (0 bytes), which TaskPulse never leaves behind: it was truncated ` +
          `or replaced. Restore it from a backup, or delete it (and its -wal/-shm files) to start empty`,
        'database_empty',
      )
    }
  }
  let db: Database.Database | undefined
  try {
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('busy_timeout = 5000')
    // Without this a WAL that grew under a burst stays at its largest size forever.
    db.pragma('journal_size_limit = 67108864')
    if (onDisk) {
      const problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check)
      if (problems.length !== 1 || problems[0] !== 'ok') {
        throw new StorageError(
          file,
          `database file ${file} is damaged (quick_check: ${problems.join('; ')}); ${RECOVERY_HINT}`,
          'database_corrupt',
        )
      }
    }
    migrate(db)
    return db
  } catch (err) {
    if (db?.open) db.close()
    if (err instanceof StorageError) throw err
    const e = err as { code?: string; message?: string }
    const damaged = e.code === 'SQLITE_CORRUPT' || e.code === 'SQLITE_NOTADB'
    throw new StorageError(
      file,
      `cannot open database file ${file}: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}` +
        (damaged ? `; ${RECOVERY_HINT}` : ''),
      damaged ? 'database_corrupt' : 'storage_error',
    )
  }
}

export function openTaskStore(options: TaskStoreOptions) {
  const db = openCheckedDatabase(options)

  let checkpointer: WalCheckpointer | null = null
  if (options.file !== ':memory:' && options.checkpointInWorker !== false) {
    checkpointer = startWalCheckpointer({
      file: options.file,
      onError: options.onCheckpointError,
      // Autocheckpoint is off only while the worker runs; if it dies SQLite checkpoints inside
      // commits again, slower but safe.
      onRunning: (running) => {
        if (db.open) db.pragma(`wal_autocheckpoint = ${running ? 0 : 1000}`)
      },
    })
  }

  const metaGet = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?')
  const metaSet = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
  const getMeta = (key: string) => metaGet.get(key)?.value

  let epoch = getMeta('epoch')
  if (!epoch) {
    epoch = randomBytes(12).toString('base64url')
    metaSet.run('epoch', epoch)
  }
  const retention = Math.max(1000, options.eventRetention ?? 1_000_000)

  const seqRow = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'task_events'").get() as
    { seq: number } | undefined
  let lastSeq = seqRow?.seq ?? 0

  const stmts = {
    getTask: db.prepare<[string], TaskRow>(`SELECT ${TASK_COLUMNS}, versions FROM tasks WHERE task_id = ?`),
    eventExists: db.prepare<[string], { task_id: string }>(
      'SELECT task_id FROM task_events WHERE event_id = ?',
    ),
    upsertTask: db.prepare(`
      INSERT INTO tasks (${TASK_COLUMNS}, versions)
      VALUES (${[...TASK_KEYS, 'versions'].map((k) => `@${k}`).join(', ')})
      ON CONFLICT (task_id) DO UPDATE SET
        ${[...TASK_KEYS.filter((k) => k !== 'task_id'), 'versions'].map((k) => `${k} = excluded.${k}`).join(', ')}`),
    insertEvent: db.prepare(`
      INSERT INTO task_events (seq, event_id, task_id, status, fields, updated_at, received_at, source, message)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    latestRunningBefore: db.prepare<[string, string], { t: string | null }>(
      "SELECT max(updated_at) AS t FROM task_events WHERE task_id = ? AND status = 'running' AND updated_at <= ?",
    ),
    insertOutbox: db.prepare<[number, string]>('INSERT INTO outbox (seq, wire) VALUES (?, ?)'),
    pendingOutbox: db.prepare<[number], OutboxEntry>('SELECT seq, wire FROM outbox ORDER BY seq LIMIT ?'),
    ackOutbox: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
    countOutbox: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox'),
    messagesAfter: db.prepare<[number, number], { seq: number; message: string }>(
      'SELECT seq, message FROM task_events WHERE seq > ? AND message IS NOT NULL ORDER BY seq LIMIT ?',
    ),
    allTasks: db.prepare<[], TaskRow>(
      `SELECT ${TASK_COLUMNS}, versions FROM tasks ORDER BY updated_at DESC, task_id DESC`,
    ),
    // Snapshot pages (keyset on the tasks_by_updated index). Only the tail of output/error leaves
    // SQLite (substr counts characters), so a page never loads the full 64 KiB texts.
    snapshotFirst: db.prepare<[number, number, number], SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM tasks ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
    ),
    snapshotAfter: db.prepare<[number, number, string, string, number], SnapshotRow>(
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
    sliceBoundTop: db.prepare<[number], { updated_at: string; task_id: string }>(
      'SELECT updated_at, task_id FROM tasks ORDER BY updated_at DESC, task_id DESC LIMIT 1 OFFSET ?',
    ),
    sliceBoundBelow: db.prepare<
      [{ u: string; t: string; skip: number }],
      { updated_at: string; task_id: string }
    >(
      `SELECT updated_at, task_id FROM tasks
       WHERE updated_at <= @u AND (updated_at < @u OR (updated_at = @u AND task_id < @t))
       ORDER BY updated_at DESC, task_id DESC LIMIT 1 OFFSET @skip`,
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
    pruneBelow: db.prepare<[number, number]>(
      'DELETE FROM task_events WHERE seq IN (SELECT seq FROM task_events WHERE seq <= ? ORDER BY seq LIMIT ?)',
    ),
  }

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

  /** Applies one event inside the caller's transaction. */
  function applyOne(event: TaskEvent): ApplyOutcome {
    // Checked first: with Redis every local event comes back twice (PUBLISH and XADD).
    const seen = stmts.eventExists.get(event.event_id)
    if (seen) {
      const row = stmts.getTask.get(event.task_id)
      return {
        kind: 'duplicate',
        task: row ? rowToTask(row) : null,
        created: false,
        conflict: seen.task_id !== event.task_id,
      }
    }
    const existingRow = stmts.getTask.get(event.task_id)
    const version: Version = [event.updated_at, event.event_id]
    const versions: Versions = existingRow ? (JSON.parse(existingRow.versions) as Versions) : {}
    const before: Task | null = existingRow ? rowToTask(existingRow) : null
    const next: Task = before ? { ...before } : newTask(event.task_id, event.event_id, event.updated_at)

    for (const field of SETTABLE_FIELDS) {
      if (!(field in event.fields)) continue
      if (!newer(version, versions[field])) continue
      const value = event.fields[field]
      if (field === 'status') {
        if (value == null) continue // status cannot be cleared
        next.status = value as TaskStatus
      } else {
        ;(next as unknown as Record<string, unknown>)[field] = value ?? null
      }
      versions[field] = version
    }
    if (event.updated_at < next.created_at) next.created_at = event.updated_at
    if (newer(version, [next.updated_at, next.last_event_id])) {
      next.updated_at = event.updated_at
      next.last_event_id = event.event_id
    }

    // started_at / finished_at follow from the winning status and the running events before it,
    // which makes them order-independent like every other field.
    const statusVersion = versions.status
    if (!statusVersion || next.status === 'pending') {
      next.started_at = null
      next.finished_at = null
    } else {
      const statusTime = statusVersion[0]
      next.finished_at = TERMINAL.has(next.status) ? statusTime : null
      if (next.status === 'running') {
        next.started_at = statusTime
      } else {
        let started = stmts.latestRunningBefore.get(event.task_id, statusTime)?.t ?? null
        if (
          event.fields.status === 'running' &&
          event.updated_at <= statusTime &&
          (!started || event.updated_at > started)
        ) {
          started = event.updated_at
        }
        next.started_at = started
      }
    }

    const seq = ++lastSeq
    const changed = !before || !sameTask(before, next)
    let message: string | null = null
    if (changed) {
      const frame: TaskStatusUpdateMessage = {
        type: 'task_status_update',
        seq,
        event_id: event.event_id,
        previous_status: before ? before.status : null,
        task: next,
      }
      message = JSON.stringify(frame)
      stmts.upsertTask.run({ ...next, versions: JSON.stringify(versions) })
    } else if (existingRow && JSON.stringify(versions) !== existingRow.versions) {
      stmts.upsertTask.run({ ...next, versions: JSON.stringify(versions) })
    }
    stmts.insertEvent.run(
      seq,
      event.event_id,
      event.task_id,
      event.fields.status ?? null,
      JSON.stringify(event.fields),
      event.updated_at,
      event.received_at,
      event.source,
      message,
    )
    if (options.outbox && (event.source === 'rest' || event.source === 'cli')) {
      stmts.insertOutbox.run(seq, eventToWire(event))
    }
    return changed
      ? { kind: 'changed', seq, message: message!, task: next, created: !before }
      : { kind: 'unchanged', seq, task: next, created: false }
  }

  const applyBatch = db.transaction((events: readonly TaskEvent[], opts: ApplyOptions): ApplyOutcome[] => {
    const outcomes = events.map(applyOne)
    if (opts.streamCursor) metaSet.run('stream_cursor', opts.streamCursor)
    return outcomes
  })

  const listStatements = new Map<string, Database.Statement<(string | number)[], TaskRow>>()

  /** The rows of a task listing, newest first; `slice` limits them to one slice of the index. */
  function selectTasks(
    query: ListTasksQuery,
    n: number,
    slice: { upper: [string, string] | null; bound: { updated_at: string; task_id: string } | null } | null,
  ): TaskRow[] {
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
    if (query.q) {
      const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      where.push(
        "(task_id LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\' OR assignee LIKE ? ESCAPE '\\' OR project_id LIKE ? ESCAPE '\\')",
      )
      params.push(like, like, like, like)
    }
    const upper: readonly (string | number)[] | null = query.cursor
      ? decodeCursor(query.cursor, 2)
      : (slice?.upper ?? null)
    if (upper) {
      const [updatedAt, taskId] = upper
      // The plain `updated_at <= ?` is implied by the OR, but only it lets SQLite seek the index
      // instead of scanning from the newest row on every page.
      where.push('updated_at <= ? AND (updated_at < ? OR (updated_at = ? AND task_id < ?))')
      params.push(String(updatedAt), String(updatedAt), String(updatedAt), String(taskId))
    }
    if (slice?.bound) {
      where.push('updated_at >= ? AND (updated_at > ? OR (updated_at = ? AND task_id >= ?))')
      params.push(slice.bound.updated_at, slice.bound.updated_at, slice.bound.updated_at, slice.bound.task_id)
    }
    const sql = `SELECT ${TASK_COLUMNS}, versions FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
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

  function pageOf(rows: readonly TaskRow[], limit: number): { tasks: Task[]; next_cursor: string | null } {
    const page = rows.slice(0, limit).map(rowToTask)
    const last = page.at(-1)
    return {
      tasks: page,
      next_cursor: rows.length > limit && last ? encodeCursor([last.updated_at, last.task_id]) : null,
    }
  }

  return {
    /** Path of the database file, named in every storage error. */
    file: options.file,
    epoch,
    /** The seq of the latest applied event (a cursor; not a count). */
    currentSeq: (): number => lastSeq,

    /** Applies a batch in one transaction; outcomes in the same order as `events`. */
    apply(events: readonly TaskEvent[], opts: ApplyOptions = {}): ApplyOutcome[] {
      const seqBefore = lastSeq
      try {
        return applyBatch(events, opts)
      } catch (err) {
        lastSeq = seqBefore // the transaction rolled back; so do the seqs it handed out
        throw err
      }
    },

    getTask(taskId: string): Task | null {
      const row = stmts.getTask.get(taskId)
      return row ? rowToTask(row) : null
    },

    listTasks(query: ListTasksQuery): { tasks: Task[]; next_cursor: string | null } {
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000)
      const rows = selectTasks(query, limit + 1, null)
      return pageOf(rows, limit)
    },

    /**
     * listTasks for every query, `q` included. A substring search cannot use an index, so it walks
     * the newest-first index in slices of SEARCH_SLICE rows and yields to the event loop between
     * slices: the search costs O(tasks) in total but never blocks other requests for long.
     */
    async listTasksYielding(
      query: ListTasksQuery,
      yieldTurn: () => Promise<unknown>,
    ): Promise<{ tasks: Task[]; next_cursor: string | null }> {
      if (!query.q) return this.listTasks(query)
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000)
      let upper: [string, string] | null = null
      if (query.cursor) {
        const [u, t] = decodeCursor(query.cursor, 2)
        upper = [String(u), String(t)]
      }
      const found: TaskRow[] = []
      for (;;) {
        // The last row of the next slice (by the covering index tasks_by_updated); null: last slice.
        const bound = upper
          ? stmts.sliceBoundBelow.get({ u: upper[0], t: upper[1], skip: SEARCH_SLICE - 1 })
          : stmts.sliceBoundTop.get(SEARCH_SLICE - 1)
        found.push(
          ...selectTasks({ ...query, cursor: undefined }, limit + 1 - found.length, {
            upper,
            bound: bound ?? null,
          }),
        )
        if (found.length > limit || !bound) break
        upper = [bound.updated_at, bound.task_id]
        await yieldTurn()
      }
      return pageOf(found, limit)
    },

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
      return this.calendarPage(from, to, limit).tasks
    },

    calendarPage(
      from: string,
      to: string,
      limit = 500,
      cursor?: string,
    ): { tasks: Task[]; next_cursor: string | null } {
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
    },

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

    /** Every task, newest first: the content of a WS snapshot. */
    allTasks(): Task[] {
      return stmts.allTasks.all().map(rowToTask)
    },

    /**
     * One page of a snapshot, newest first: tasks after `after` (the last page's last task) in
     * (updated_at, task_id) descending order, with output/error cut to their last `tailChars`
     * characters and their full sizes in bytes.
     */
    snapshotPage(
      after: { updated_at: string; task_id: string } | null,
      limit: number,
      tailChars: number,
    ): TaskTailRow[] {
      const rows = after
        ? stmts.snapshotAfter.all(tailChars, tailChars, after.updated_at, after.task_id, limit)
        : stmts.snapshotFirst.all(tailChars, tailChars, limit)
      return rows.map((r) => ({ ...rowToTask(r), output_bytes: r.output_bytes, error_bytes: r.error_bytes }))
    },

    /** Broadcast frames of changes after `seq`, in order, at most `limit`. */
    messagesAfter(seq: number, limit: number): { seq: number; message: string }[] {
      return stmts.messagesAfter.all(seq, limit)
    },

    /** Whether a resume from `seq` can be served by replay (nothing after it was pruned). */
    canReplayFrom(seq: number): boolean {
      const prunedThrough = Number(getMeta('pruned_through') ?? 0)
      return seq >= prunedThrough && seq <= lastSeq
    },

    /** Deletes the oldest events beyond the retention, in bounded chunks so the loop stays responsive. */
    pruneHistory(chunk = 5000): number {
      const limitSeq = lastSeq - retention
      if (limitSeq <= 0) return 0
      const deleted = db.transaction(() => {
        const n = stmts.pruneBelow.run(limitSeq, chunk).changes
        const prunedThrough = Number(getMeta('pruned_through') ?? 0)
        if (n > 0) {
          const oldest = db
            .prepare<[], { s: number | null }>('SELECT min(seq) AS s FROM task_events')
            .get()?.s
          const through = oldest ? oldest - 1 : limitSeq
          if (through > prunedThrough) metaSet.run('pruned_through', String(through))
        }
        return n
      })()
      return deleted
    },

    streamCursor: (): string => getMeta('stream_cursor') ?? '0',

    pendingOutbox: (limit: number): OutboxEntry[] => stmts.pendingOutbox.all(limit),
    ackOutbox: db.transaction((seqs: readonly number[]) => {
      for (const s of seqs) stmts.ackOutbox.run(s)
    }),
    outboxCount: (): number => stmts.countOutbox.get()?.n ?? 0,

    integrityCheck: (): string => String(db.pragma('integrity_check', { simple: true })),
    /** 0 while the checkpoint worker runs (diagnostics and tests). */
    walAutocheckpoint: (): number => Number(db.pragma('wal_autocheckpoint', { simple: true })),

    /** The connection, for modules that keep their own tables in this database (schedules, feeds). */
    db,

    /** Idempotent. The checkpoint worker finishes with a last checkpoint on its own connection. */
    close(): void {
      void checkpointer?.stop()
      checkpointer = null
      if (db.open) db.close()
    },
  }
}
