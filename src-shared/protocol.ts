// The public wire contract of TaskPulse: what producers send (REST, CLI, Redis), what the backend
// stores and returns, and every WebSocket message. Pure TypeScript + zod so the backend, the main
// process and the renderer validate with one definition. No node, dom or electron import here.
import { z } from 'zod'
import {
  TASK_FIELDS,
  TASK_KEYS,
  TASK_STATUSES,
  type SettableField,
  type StatusCounts,
  type Task,
  type TaskFieldKind,
  type TaskKey,
  type TaskFieldValues,
  type TaskStatus,
} from './task-model'

export * from './task-model'

export const taskStatusSchema = z.enum(TASK_STATUSES)

export { PROTOCOL_VERSION } from './protocol-version'

/** A message (Redis payload, REST body, client WS frame) above this is rejected whole. */
export const MAX_MESSAGE_BYTES = 1024 * 1024
/** `output` and `error` are stored up to this many bytes (UTF-8); longer text is cut and marked. */
export const MAX_TEXT_FIELD_BYTES = 64 * 1024

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/
// Numeric ids arrive as numbers from some producers (the reference design used ints); they are the
// same task as their string form.
const idLike = (what: string) =>
  z
    .union([z.string(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform((v) => String(v))
    .pipe(z.string().regex(ID_PATTERN, `${what} must be 1–128 characters of A–Z a–z 0–9 . _ : -`))

export const taskIdSchema = idLike('task_id')
export const eventIdSchema = idLike('event_id')

// Free text that names things (agent, project): no control characters, bounded.
const nameText = (max: number) =>
  z
    .union([z.string(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform((v) => String(v).trim())
    .pipe(
      z
        .string()
        .min(1)
        .max(max)
        // eslint-disable-next-line no-control-regex
        .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
    )

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/

/**
 * Parses an ISO 8601 date or date-time into the canonical form `YYYY-MM-DDTHH:mm:ss.sssZ`.
 * A time without a zone is UTC (the reference producers send naive UTC). Milliseconds are kept;
 * finer digits are dropped. Returns null when the text is not such a time.
 * The canonical form sorts lexicographically in time order, which the store relies on.
 */
export function normalizeTimestamp(input: string | number): string | null {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0 || input > 253402300799999) return null
    return new Date(input).toISOString()
  }
  const m = ISO_PATTERN.exec(input.trim())
  if (!m) return null
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m
  const ms = (frac + '000').slice(0, 3)
  let z = zone ?? 'Z'
  if (z === 'z') z = 'Z'
  if (z !== 'Z' && !z.includes(':')) z = `${z.slice(0, 3)}:${z.slice(3)}`
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${z}`)
  if (Number.isNaN(date.getTime())) return null
  // Reject calendar overflow such as 2026-02-31, which Date silently rolls over.
  if (z === 'Z' && (date.getUTCDate() !== Number(d) || date.getUTCMonth() + 1 !== Number(mo))) return null
  const year = date.getUTCFullYear()
  if (year < 1970 || year > 9999) return null
  return date.toISOString()
}

export const timestampSchema = z.union([z.string().max(64), z.number()]).transform((v, ctx) => {
  const normalized = normalizeTimestamp(v)
  if (normalized === null) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time (a time without zone is UTC)' })
    return z.NEVER
  }
  return normalized
})

/**
 * The fields a producer may set on a task. `null` clears a field; an absent key leaves it. Every
 * field is optional on every path (REST, CLI, Redis channel, stream), `status` included: a task that
 * has never had a status reads as `pending` but holds no status version, so the first status event
 * to arrive, earlier or later, wins on every backend (see docs/protocol.md "Tasks and updates").
 */
export const taskFieldsShape = {
  status: taskStatusSchema.optional(),
  title: z.string().max(1024).nullable().optional(),
  description: z.string().max(MAX_TEXT_FIELD_BYTES).nullable().optional(),
  assignee: nameText(256).nullable().optional(),
  project_id: nameText(128).nullable().optional(),
  // Longer output/error is accepted and cut at MAX_TEXT_FIELD_BYTES by the backend, not rejected.
  output: z.string().nullable().optional(),
  error: z.string().nullable().optional(),
  scheduled_at: timestampSchema.nullable().optional(),
  due_at: timestampSchema.nullable().optional(),
  // Up to thirty days; the producer knows its own cadence (tests and fast loops use seconds).
  stale_after_seconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86400)
    .nullable()
    .optional(),
  // Set by the ack routes to the server's time; a producer may set it too (an external tool
  // acknowledging). null un-acknowledges. A time in the future covers failures up to it.
  acknowledged_at: timestampSchema.nullable().optional(),
  parent_id: taskIdSchema.nullable().optional(),
  schedule_id: idLike('schedule_id').nullable().optional(),
} as const satisfies Record<SettableField, z.ZodType>

/** Identity and producer time, optional on every path. */
const updateMetaShape = {
  updated_at: timestampSchema.optional(),
  event_id: eventIdSchema.optional(),
} as const

/**
 * An update as it travels on Redis (channel message or stream `data`): `task_id` plus any subset of
 * the fields. The same field rules as REST, so whatever REST accepts (and the outbox relays) every
 * peer accepts too. Unknown keys are stripped: producers may add their own metadata, and dropping
 * the whole update for it would lose a status change.
 */
export const redisUpdateSchema = z.object({
  task_id: taskIdSchema,
  ...taskFieldsShape,
  ...updateMetaShape,
})

/** The envelope producers written for the reference design use: the WebSocket frame's shape. */
export const REDIS_ENVELOPE_TYPE = 'task_status_update'

/**
 * Unwraps `{"type":"task_status_update","data":{...}}` to its `data`; anything else is returned as
 * is (a flat update). Only that exact type with an object `data` is an envelope, so a flat update
 * that happens to carry its own `type` or `data` metadata key is still read as flat.
 */
export function unwrapRedisEnvelope(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json
  const { type, data } = json as { type?: unknown; data?: unknown }
  if (type === REDIS_ENVELOPE_TYPE && typeof data === 'object' && data !== null && !Array.isArray(data))
    return data
  return json
}

/** Body of `PUT /api/tasks/:id`: a partial update. Unknown keys are rejected so typos surface. */
export const restUpdateSchema = z
  .object({
    ...taskFieldsShape,
    ...updateMetaShape,
  })
  .strict()

/** Body of `POST /api/tasks`: like PUT, with an optional `task_id` (generated when absent). */
export const restCreateSchema = restUpdateSchema.extend({ task_id: taskIdSchema.optional() }).strict()

/** `monitor`: the backend's own stale monitor (local only, never relayed: every backend decides). */
export const EVENT_SOURCES = ['rest', 'cli', 'redis', 'stream', 'monitor'] as const
export type EventSource = (typeof EVENT_SOURCES)[number]

/**
 * An update after normalisation: identity and time always known. This is what the store applies,
 * what the outbox relays and what other backends receive.
 */
export interface TaskEvent {
  event_id: string
  task_id: string
  updated_at: string
  fields: Partial<TaskFieldValues>
  source: EventSource
  received_at: string
  /**
   * Only on the stale monitor's events (never on the wire): the task turned stale at `since`,
   * judged on its update `basis_event_id`. Applied only while that update is still the task's
   * latest and the task is running; any later update clears `stale_since` again.
   */
  stale?: { since: string; basis_event_id: string }
}

/** One stored event of a task's history (`GET /api/tasks/:id/events`). */
export interface StoredEvent {
  seq: number
  event_id: string
  task_id: string
  fields: Partial<TaskFieldValues>
  updated_at: string
  received_at: string
  source: EventSource
  /** Whether this event changed the task (and so was broadcast). */
  changed: boolean
}

// ---- WebSocket ------------------------------------------------------------------------------

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe') }),
  z.object({
    type: z.literal('resume'),
    epoch: z.string().min(1).max(128),
    seq: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('ping'), t: z.number().optional() }),
])
export type ClientMessage = z.infer<typeof clientMessageSchema>

export interface HelloMessage {
  type: 'hello'
  /** PROTOCOL_VERSION of the server. */
  protocol: number
  epoch: string
  seq: number
}
export interface SubscribedMessage {
  type: 'subscribed'
  seq: number
}
export interface ResumedMessage {
  type: 'resumed'
  seq: number
}
/**
 * A task as a snapshot page carries it: `output` and `error` are at most their last
 * SNAPSHOT_EXCERPT_BYTES (cut on a character boundary), with the full sizes beside them.
 * `excerpt` is true when either was cut: the full text is at `GET /api/tasks/:id`.
 */
export interface SnapshotTask extends Task {
  output_bytes: number
  error_bytes: number
  excerpt: boolean
}
/** Bytes of the tail of `output` / `error` a snapshot carries per task. */
export const SNAPSHOT_EXCERPT_BYTES = 2048

/** Whether a task held by a client is a snapshot excerpt (its full text is only over REST). */
export function isExcerpt(task: Task): task is SnapshotTask {
  return (task as Partial<SnapshotTask>).excerpt === true
}

/**
 * One page of a snapshot. Every page of one snapshot has the same `seq`; the first page replaces
 * the client's state, later ones add to it; `more: false` marks the last. Changes after `seq`
 * follow the last page as `task_status_update`s, then live ones.
 */
export interface SnapshotMessage {
  type: 'snapshot'
  seq: number
  tasks: SnapshotTask[]
  more: boolean
}
/** One applied change: the cursor, the event, and the task's resulting state (whole, under `task`). */
export interface TaskStatusUpdateMessage {
  type: 'task_status_update'
  seq: number
  event_id: string
  previous_status: TaskStatus | null
  task: Task
}
export interface PongMessage {
  type: 'pong'
  t?: number
}
export interface ErrorMessage {
  type: 'error'
  code: string
  message: string
}
export type ServerMessage =
  | HelloMessage
  | SubscribedMessage
  | ResumedMessage
  | SnapshotMessage
  | TaskStatusUpdateMessage
  | PongMessage
  | ErrorMessage

// ---- REST shapes ----------------------------------------------------------------------------

export interface ApiError {
  error: { code: string; message: string; details?: unknown[] }
}
export interface TaskList {
  tasks: Task[]
  next_cursor: string | null
}
export interface EventList {
  events: StoredEvent[]
  next_cursor: string | null
}
export interface AgentSummary {
  assignee: string
  counts: StatusCounts
  latest_task: Task
}
export interface ProjectSummary {
  project_id: string
  counts: StatusCounts
  total: number
  last_updated_at: string
  latest_failures: Task[]
}
/** Where a running task's staleness threshold came from. */
export type StaleThresholdSource = 'task' | 'agent' | 'default'
export interface StaleThreshold {
  seconds: number
  source: StaleThresholdSource
}
/** A task as `GET /api/attention` lists it: its names and times, no long text. */
export type AttentionTask = Pick<
  Task,
  | 'task_id'
  | 'status'
  | 'title'
  | 'assignee'
  | 'project_id'
  | 'updated_at'
  | 'started_at'
  | 'finished_at'
  | 'stale_since'
  | 'acknowledged_at'
  | 'stale_after_seconds'
> & {
  /** One line saying why it needs attention: the error's first line, or the output's last. */
  reason: string | null
}
/** `GET /api/attention`: what needs a person now, as the backend decides it. */
export interface AttentionSummary {
  /** Running tasks past their threshold, oldest `stale_since` first. */
  stale: (AttentionTask & { threshold: StaleThreshold })[]
  /** Failed and not acknowledged since they failed, newest first (at most `limit`). */
  failures: AttentionTask[]
  /** How many unacknowledged failures there are, counted up to 1000 (`failures_more`: more than that). */
  failures_total: number
  failures_more: boolean
  /** Tasks waiting for input, longest waiting first. */
  waiting: AttentionTask[]
  /** The threshold that applies to each running task, by task_id. */
  thresholds: Record<string, StaleThreshold>
}
/** Body of `POST /api/tasks/ack`. */
export const MAX_ACK_IDS = 1000
/**
 * Answer of `POST /api/tasks/ack`: the ids acknowledged (each task's new state follows as an
 * update frame; whole tasks here could be 1000 × 64 KiB of output), the ack's time, and the ids
 * no task has.
 */
export interface AckManyResult {
  acknowledged: string[]
  acknowledged_at: string
  not_found: string[]
}
/** GET /api/search (docs/protocol.md "Search"): tasks matching free text, newest first. */
export type SearchField = 'title' | 'output' | 'error' | 'assignee' | 'project_id' | 'task_id' | 'description'
export interface SearchResult {
  task_id: string
  /** The field the snippet comes from: the first of title, task_id, assignee, project_id, description, error, output that matched. */
  field: SearchField
  /** ≤ 160 characters of that field around the match, whitespace collapsed, cuts marked with "…". */
  snippet: string
}
export interface SearchResponse {
  query: string
  results: SearchResult[]
  /** More tasks matched than `limit`. */
  truncated: boolean
}
export interface Health {
  status: 'ok'
  redis: 'connected' | 'disconnected' | 'disabled'
  epoch: string
  seq: number
  clients: number
  outbox_pending: number
  dropped_messages: number
  /** `failing` while SQLite refuses writes (disk full, I/O error); `storage_error` says why. */
  storage: 'ok' | 'failing'
  storage_error?: string
  uptime_s: number
  version: string
}

// ---- Server messages, validated (a client that must not trust the frames it gets) ------------

// Nullable task fields: a missing one reads as null, so the parsed value is a full `Task`.
const wireNullable = z
  .string()
  .nullish()
  .transform((v) => v ?? null)

const wireFieldOfKind: Record<TaskFieldKind, z.ZodType> = {
  id: z.string(),
  status: taskStatusSchema,
  text: wireNullable,
  time: wireNullable,
  stamp: z.string(),
  seconds: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
}

/** A task as the server sends it (snapshot entry, update); checks shape, not content rules. */
export const taskWireSchema = z.object(
  Object.fromEntries(TASK_KEYS.map((k) => [k, wireFieldOfKind[TASK_FIELDS[k].kind]])) as {
    [K in TaskKey]: z.ZodType<Task[K], unknown>
  },
)

const wireSeq = z.number().int().nonnegative()

/** Every message the server sends on the socket; `z.infer` is assignable to `ServerMessage`. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    // A server from before versions sent none: protocol 1.
    protocol: z.number().int().positive().default(1),
    epoch: z.string().min(1),
    seq: wireSeq,
  }),
  z.object({ type: z.literal('subscribed'), seq: wireSeq }),
  z.object({ type: z.literal('resumed'), seq: wireSeq }),
  z.object({
    type: z.literal('snapshot'),
    seq: wireSeq,
    tasks: z.array(
      taskWireSchema.extend({
        // Defaults: a server from before paged snapshots sent whole tasks in one message.
        output_bytes: z.number().int().nonnegative().default(0),
        error_bytes: z.number().int().nonnegative().default(0),
        excerpt: z.boolean().default(false),
      }),
    ),
    more: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('task_status_update'),
    seq: wireSeq,
    event_id: z.string(),
    previous_status: taskStatusSchema.nullable(),
    task: taskWireSchema,
  }),
  z.object({ type: z.literal('pong'), t: z.number().optional() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
])
