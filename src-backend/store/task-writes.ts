// The store's write path: every event goes through here. A batch is applied in one SQLite
// transaction; a task is a last-writer-wins map (each field holds the value of the latest event
// that set it, latest by (updated_at, event_id)), so any arrival order of the same events gives
// the same task on every backend. Each applied event gets a local monotonic seq and a row in the
// event history (with its broadcast frame, for replay); locally accepted events also go to the
// outbox until Redis confirms them. History beyond the retention is pruned here too, since the
// seq, the replay window and the pruning move together.
import { randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import {
  SETTABLE_FIELDS,
  TASK_KEYS,
  newTask,
  sameTask,
  type SettableField,
  type Task,
  type TaskEvent,
  type TaskStatus,
  type TaskStatusUpdateMessage,
} from '../../src-shared/protocol'
import { eventToWire } from '../bus/bus'
import { createFtsSync } from './fts-index'
import { TASK_COLUMNS, rowToTask, type TaskRow } from './task-rows'

type Version = readonly [updatedAt: string, eventId: string]
type Versions = Partial<Record<SettableField, Version>>

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

export interface OutboxEntry {
  seq: number
  wire: string
}

export interface TaskWritesOptions {
  /** Write locally accepted events to the outbox (only when a Redis bus will relay them). */
  outbox: boolean
  /** How many events of history to keep (older ones are pruned; a resume from before gets a snapshot). */
  eventRetention?: number | undefined
}

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed'])

/** An update that sets only `acknowledged_at`: a person's ack, not the producer's activity. */
function isAckOnly(event: TaskEvent): boolean {
  const keys = Object.keys(event.fields)
  return keys.length === 1 && keys[0] === 'acknowledged_at'
}
/** The task's fields were all set by acks so far (its stamps are stand-ins). */
function isAckOnlyVersions(versions: Versions): boolean {
  const keys = Object.keys(versions)
  return keys.length === 1 && keys[0] === 'acknowledged_at'
}

function newer(a: Version, b: Version | undefined): boolean {
  if (!b) return true
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])
}

export type TaskWrites = ReturnType<typeof createTaskWrites>

export function createTaskWrites(db: Database.Database, options: TaskWritesOptions) {
  const metaGet = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?')
  const metaSet = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
  const getMeta = (key: string) => metaGet.get(key)?.value

  // The epoch names this database's seq space: a client's cursor from another database (or one
  // that was deleted) must not be taken for a position in this one.
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
    // A run ends at pending, completed or failed; waiting (for input) is part of the run.
    lastRunBoundaryBefore: db.prepare<[string, string], { t: string | null }>(
      "SELECT max(updated_at) AS t FROM task_events WHERE task_id = ? AND status IN ('pending', 'completed', 'failed') AND updated_at < ?",
    ),
    firstRunningBetween: db.prepare<[string, string, string], { t: string | null }>(
      "SELECT min(updated_at) AS t FROM task_events WHERE task_id = ? AND status = 'running' AND updated_at > ? AND updated_at <= ?",
    ),
    insertOutbox: db.prepare<[number, string]>('INSERT INTO outbox (seq, wire) VALUES (?, ?)'),
    pendingOutbox: db.prepare<[number], OutboxEntry>('SELECT seq, wire FROM outbox ORDER BY seq LIMIT ?'),
    ackOutbox: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
    countOutbox: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox'),
    messagesAfter: db.prepare<[number, number], { seq: number; message: string }>(
      'SELECT seq, message FROM task_events WHERE seq > ? AND message IS NOT NULL ORDER BY seq LIMIT ?',
    ),
    pruneBelow: db.prepare<[number, number]>(
      'DELETE FROM task_events WHERE seq IN (SELECT seq FROM task_events WHERE seq <= ? ORDER BY seq LIMIT ?)',
    ),
    oldestEvent: db.prepare<[], { s: number | null }>('SELECT min(seq) AS s FROM task_events'),
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
    // Producer activity moves updated_at / last_event_id / created_at; a person's ack and the stale
    // monitor's mark do not (a stuck task must not look alive). A task known so far only through
    // acks (they arrived before its producer's updates) has stand-in stamps that its first
    // producer update replaces, so every arrival order gives the same task.
    const ackOnly = isAckOnly(event)
    const knownOnlyByAcks = before !== null && isAckOnlyVersions(versions)
    const activity = !event.stale && (!ackOnly || before === null || knownOnlyByAcks)

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
    if (activity && knownOnlyByAcks && !ackOnly) {
      next.created_at = next.updated_at = event.updated_at
      next.last_event_id = event.event_id
    } else if (activity) {
      if (event.updated_at < next.created_at) next.created_at = event.updated_at
      if (newer(version, [next.updated_at, next.last_event_id])) {
        next.updated_at = event.updated_at
        next.last_event_id = event.event_id
      }
    }

    // started_at / finished_at follow from the winning status and the events before it, which makes
    // them order-independent like every other field. started_at is the first `running` of the run
    // the winning status belongs to: after the last pending/completed/failed before it. So a
    // producer that repeats `running` as a heartbeat, or a run that waits for input and resumes,
    // keeps its start; a retry after a failure starts a new run.
    const statusVersion = versions.status
    if (!statusVersion || next.status === 'pending') {
      next.started_at = null
      next.finished_at = null
    } else {
      const statusTime = statusVersion[0]
      next.finished_at = TERMINAL.has(next.status) ? statusTime : null
      // The event being applied is not in task_events yet: it is counted by hand.
      let boundary = stmts.lastRunBoundaryBefore.get(event.task_id, statusTime)?.t ?? ''
      const own = event.fields.status
      if (
        own &&
        own !== 'running' &&
        own !== 'waiting' &&
        event.updated_at < statusTime &&
        event.updated_at > boundary
      )
        boundary = event.updated_at
      let started = stmts.firstRunningBetween.get(event.task_id, boundary, statusTime)?.t ?? null
      if (
        own === 'running' &&
        event.updated_at > boundary &&
        event.updated_at <= statusTime &&
        (!started || event.updated_at < started)
      ) {
        started = event.updated_at
      }
      next.started_at = started
    }

    // stale_since is derived like started_at: the monitor's mark holds only while the update it
    // judged is still the task's latest and the task runs; a newer update or leaving running
    // clears it, in whatever order the events arrive.
    if (event.stale) {
      if (
        next.status === 'running' &&
        next.last_event_id === event.stale.basis_event_id &&
        next.stale_since === null
      )
        next.stale_since = event.stale.since
    } else if (next.status !== 'running' || (before && next.last_event_id !== before.last_event_id)) {
      next.stale_since = null
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

  const syncFtsIndex = createFtsSync(db)
  // Tasks written by hand while the server was stopped (sqlite3, a restore script) were only
  // listed as changed by the triggers: index them before anything is served.
  syncFtsIndex()

  const applyBatch = db.transaction((events: readonly TaskEvent[], opts: ApplyOptions): ApplyOutcome[] => {
    const outcomes = events.map(applyOne)
    if (opts.streamCursor) metaSet.run('stream_cursor', opts.streamCursor)
    // Last, so the batch's index changes are one FTS5 segment (fts-index.ts).
    syncFtsIndex()
    return outcomes
  })

  return {
    epoch,
    /** Whether an event with this id is stored (applied before, or in the history's retention). */
    hasEvent: (eventId: string): boolean => stmts.eventExists.get(eventId) !== undefined,

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
          const oldest = stmts.oldestEvent.get()?.s
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
  }
}
