// The one definition of a task: every field, its kind, and whether producers set it. The Task
// type, the key lists, the store's columns, a new task's defaults and the wire schema are all
// derived from TASK_FIELDS, so adding a field is one edit here (plus a migration and the code that
// uses it). Plain TypeScript, no zod: the renderer imports this without pulling zod's bundle;
// protocol.ts builds the zod schemas from it.

// `waiting` (needs input) is TaskPulse's fifth status; the reference design's four keep their meaning.
export const TASK_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

export function isTaskStatus(v: unknown): v is TaskStatus {
  return (TASK_STATUSES as readonly unknown[]).includes(v)
}

export type StatusCounts = Record<TaskStatus, number>
export const emptyCounts = (): StatusCounts =>
  Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as StatusCounts

/**
 * Field kinds: `id` and `stamp` are always-present strings, `status` a TaskStatus, `text` and
 * `time` nullable strings (`time` a canonical UTC ISO date-time), `seconds` a nullable whole number
 * of seconds.
 */
interface FieldKinds {
  id: string
  status: TaskStatus
  text: string | null
  time: string | null
  stamp: string
  seconds: number | null
}
export type TaskFieldKind = keyof FieldKinds

interface FieldSpec {
  readonly kind: TaskFieldKind
  /** Set by producers (REST, CLI, Redis); the others the backend derives. */
  readonly settable: boolean
}

/** Every field of a task, in the order the store's columns and the wire list them. */
export const TASK_FIELDS = {
  task_id: { kind: 'id', settable: false },
  status: { kind: 'status', settable: true },
  title: { kind: 'text', settable: true },
  description: { kind: 'text', settable: true },
  assignee: { kind: 'text', settable: true },
  project_id: { kind: 'text', settable: true },
  output: { kind: 'text', settable: true },
  error: { kind: 'text', settable: true },
  scheduled_at: { kind: 'time', settable: true },
  due_at: { kind: 'time', settable: true },
  /** A running task with no update for this long is stale; unset: the agent's own or the global default. */
  stale_after_seconds: { kind: 'seconds', settable: true },
  /** The task this one is part of (an agent's sub-agent, a step of a job): the UI shows the tree. */
  parent_id: { kind: 'text', settable: true },
  /** The schedule this run belongs to (`taskpulse exec --schedule`): missed-run detection matches on it. */
  schedule_id: { kind: 'text', settable: true },
  created_at: { kind: 'stamp', settable: false },
  updated_at: { kind: 'stamp', settable: false },
  started_at: { kind: 'time', settable: false },
  finished_at: { kind: 'time', settable: false },
  last_event_id: { kind: 'id', settable: false },
  /** Set by the backend when a running task passes its staleness threshold; cleared by any update. */
  stale_since: { kind: 'time', settable: false },
  /**
   * When someone acknowledged the task (one key in the UI; `POST /api/tasks/:id/ack`); a failure
   * after it is unacknowledged again. Settable like any field, so an ack is an ordinary
   * last-writer-wins update that every path (REST, outbox, Redis, peers) already carries; an
   * update that sets only this field does not move `updated_at` (an ack is not producer activity).
   */
  acknowledged_at: { kind: 'time', settable: true },
} as const satisfies Record<string, FieldSpec>

type Fields = typeof TASK_FIELDS
export type TaskKey = keyof Fields

/** A task as REST returns it and WS frames carry it. Times are canonical UTC ISO strings. */
export type Task = { [K in TaskKey]: FieldKinds[Fields[K]['kind']] }

export type SettableField = { [K in TaskKey]: Fields[K]['settable'] extends true ? K : never }[TaskKey]
export type TaskFieldValues = Pick<Task, SettableField>

export const TASK_KEYS = Object.keys(TASK_FIELDS) as TaskKey[]
export const SETTABLE_FIELDS = TASK_KEYS.filter((k) => TASK_FIELDS[k].settable) as SettableField[]

/**
 * A task the backend has just heard of: `pending` without a status version, every nullable field
 * null, both stamps the event's time.
 */
export function newTask(taskId: string, eventId: string, at: string): Task {
  const defaults: Record<TaskFieldKind, string | number | null> = {
    id: eventId,
    status: 'pending',
    text: null,
    time: null,
    stamp: at,
    seconds: null,
  }
  const task = Object.fromEntries(TASK_KEYS.map((k) => [k, defaults[TASK_FIELDS[k].kind]])) as Task
  task.task_id = taskId
  return task
}

/** A copy of `source` with exactly the task's fields (drops extra keys such as snapshot sizes). */
export function pickTask(source: Task): Task {
  return Object.fromEntries(TASK_KEYS.map((k) => [k, source[k]])) as Task
}

/**
 * A failure that still needs a person: failed and not acknowledged since it failed (an ack of an
 * earlier failure does not cover a later one).
 */
export function isUnacknowledgedFailure(
  task: Pick<Task, 'status' | 'acknowledged_at' | 'finished_at'>,
): boolean {
  if (task.status !== 'failed') return false
  return (
    task.acknowledged_at === null || (task.finished_at !== null && task.acknowledged_at < task.finished_at)
  )
}

/**
 * A stale task nobody has acknowledged since it turned stale: still running with no update past its
 * threshold (`stale_since` set by the backend) and no ack at or after `stale_since`.
 */
export function isUnacknowledgedStale(
  task: Pick<Task, 'status' | 'stale_since' | 'acknowledged_at'>,
): boolean {
  if (task.status !== 'running' || task.stale_since === null) return false
  return task.acknowledged_at === null || task.acknowledged_at < task.stale_since
}

export function sameTask(a: Task, b: Task): boolean {
  return TASK_KEYS.every((k) => a[k] === b[k])
}
