// The ingest pipeline: every update, whatever its entry (REST, CLI, Redis channel, Redis stream),
// is validated and normalised here, queued, and applied in one SQLite transaction per event-loop
// turn. Batching per turn keeps commits cheap under load and adds no waiting when idle. After the
// commit: REST callers are answered, the changes are broadcast, and the outbox relay is kicked.
import { backoffDelay } from '../src-shared/backoff'
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import {
  MAX_MESSAGE_BYTES,
  MAX_TEXT_FIELD_BYTES,
  normalizeTimestamp,
  redisUpdateSchema,
  unwrapRedisEnvelope,
  type EventSource,
  type TaskEvent,
  type TaskFieldValues,
} from '../src-shared/protocol'
import type { InboundMessage } from './bus/bus'
import { describeStorageFailure } from './store/storage-errors'
import type { ApplyOutcome, TaskStore } from './store/task-store'
import { uuidv7 } from './uuidv7'

/** A change that was committed and must be broadcast. */
export interface AppliedChange {
  seq: number
  message: string
}

export interface IngestDeps {
  store: TaskStore
  log: Logger
  /** Called after each commit with the changes in seq order. */
  onChanges(changes: readonly AppliedChange[]): void
  /** Called after a commit that added local events to the outbox. */
  onOutboxWritten?(): void
  /** Counts a dropped inbound message by reason (metrics). */
  onDrop?(reason: string): void
  now?: () => Date
  /** A drop reason is logged at most once per this period (the rest are counted). Default 60_000. */
  dropLogIntervalMs?: number
}

interface Pending {
  event: TaskEvent
  resolve?: (outcome: ApplyOutcome) => void
  reject?: (err: Error) => void
}

/** Re-exported: callers have always found it here. */
export { uuidv7 }

/** Inbound events held while storage fails; beyond this the oldest go (a stream re-reads them at restart). */
const MAX_HELD_INBOUND = 100_000
/** The most events one commit takes; a longer queue is committed over several event-loop turns. */
const MAX_BATCH_EVENTS = 100

const TRUNCATION_MARK = (omitted: number) => `\n…[truncated by TaskPulse: ${omitted} bytes omitted]`

/** Cuts text to MAX_TEXT_FIELD_BYTES of UTF-8 on a character boundary and marks the cut. */
export function capText(text: string): string {
  const size = Buffer.byteLength(text)
  if (size <= MAX_TEXT_FIELD_BYTES) return text
  const buf = Buffer.from(text)
  let end = MAX_TEXT_FIELD_BYTES - 64 // room for the mark
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end-- // do not split a multi-byte character
  return buf.subarray(0, end).toString('utf8') + TRUNCATION_MARK(size - end)
}

/** Builds the normalised event from validated fields; fills identity and time when missing. */
export function toTaskEvent(input: {
  task_id: string
  fields: Partial<TaskFieldValues>
  updated_at?: string | undefined
  event_id?: string | undefined
  source: EventSource
  received_at: Date
  streamId?: string | undefined
}): TaskEvent {
  const fields = { ...input.fields }
  if (typeof fields.output === 'string') fields.output = capText(fields.output)
  if (typeof fields.error === 'string') fields.error = capText(fields.error)
  let updatedAt = input.updated_at
  if (!updatedAt && input.streamId) updatedAt = plausibleStreamIdTime(input.streamId, input.received_at)
  return {
    event_id: input.event_id ?? input.streamId ?? uuidv7(input.received_at.getTime()),
    task_id: input.task_id,
    updated_at: updatedAt ?? input.received_at.toISOString(),
    fields,
    source: input.source,
    received_at: input.received_at.toISOString(),
  }
}

/** How far ahead of this backend's clock a stream entry id's time may be when it stands in for updated_at. */
export const MAX_STREAM_ID_AHEAD_MS = 24 * 60 * 60 * 1000

/**
 * The entry id's time, when it can stand in for a missing updated_at: Redis stamps ids with its
 * clock, so within a day of ours it is a real time that every backend reads alike. An explicit id
 * far in the future (99999999999999-0, the year 5138, or one past Date's range) is no time: used
 * as updated_at it would win every later update of its task forever. Such an entry is still a
 * valid update, and after it Redis numbers every later `*` entry above it, so dropping them would
 * lose the stream for good: they get the time of receipt instead, like a PUBLISH without
 * updated_at (no cross-backend ordering for them, as documented).
 */
function plausibleStreamIdTime(streamId: string, receivedAt: Date): string | undefined {
  const time = streamIdTime(streamId)
  if (time === null || Date.parse(time) > receivedAt.getTime() + MAX_STREAM_ID_AHEAD_MS) return undefined
  return time
}

/**
 * The time of a stream entry id (`ms-seq`) as a canonical timestamp, or null when the id is not
 * `digits-digits` or its time is outside what `updated_at` accepts (1970–9999): an explicit id such
 * as `99999999999999999-0` would otherwise throw in Date or stamp a task with a year beyond 9999.
 */
export function streamIdTime(streamId: string): string | null {
  const m = /^(\d{1,20})-\d{1,20}$/.exec(streamId)
  if (!m) return null
  const ms = Number(m[1])
  return Number.isSafeInteger(ms) ? normalizeTimestamp(ms) : null
}

/**
 * An event_id derived from the update's content, for updates that carry their own `updated_at` but
 * no `event_id`: every backend computes the same id, so such an update converges (same
 * last_event_id, same tie-break) and the same update delivered twice, or by both PUBLISH and XADD,
 * counts once. Without `updated_at` there is no such identity: two identical messages sent at
 * different times are two updates.
 */
export function contentEventId(taskId: string, updatedAt: string, fields: Record<string, unknown>): string {
  const canonical = JSON.stringify([
    taskId,
    updatedAt,
    Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k]]),
  ])
  return `c-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`
}

export type ParseResult = { ok: true; event: TaskEvent } | { ok: false; reason: string; detail: string }

/** The reason of a message whose event_id is stored already: nothing to apply, and not a drop. */
export const KNOWN_EVENT = 'known_event'

/**
 * Parses one Redis payload (channel message or stream `data`) into an event: a flat update or the
 * reference design's envelope `{"type":"task_status_update","data":{...}}`. Total: whatever the
 * input, it returns a result and never throws, so one bad entry never takes its batch with it.
 */
export function parseInbound(
  msg: InboundMessage,
  now: Date,
  isKnownEvent?: (eventId: string) => boolean,
): ParseResult {
  try {
    return parseInboundUnsafe(msg, now, isKnownEvent)
  } catch (err) {
    return { ok: false, reason: 'invalid_message', detail: `could not be read: ${(err as Error).message}` }
  }
}

/**
 * Whether the event is stored, false when the lookup fails: the message then goes through
 * validation and the write path, whose storage failures keep inbound events and retry them. Caught
 * here, not by parseInbound's catch-all, which would drop a valid stream entry for good.
 */
function knownOrUnsure(isKnownEvent: (eventId: string) => boolean, eventId: string): boolean {
  try {
    return isKnownEvent(eventId)
  } catch {
    return false
  }
}

function parseInboundUnsafe(
  msg: InboundMessage,
  now: Date,
  isKnownEvent?: (eventId: string) => boolean,
): ParseResult {
  if (msg.payload === null)
    return { ok: false, reason: 'no_data_field', detail: 'stream entry has no `data` field' }
  if (Buffer.byteLength(msg.payload) > MAX_MESSAGE_BYTES) {
    return { ok: false, reason: 'too_large', detail: `payload over ${MAX_MESSAGE_BYTES} bytes` }
  }
  let json: unknown
  try {
    json = JSON.parse(msg.payload)
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'payload is not JSON' }
  }
  const update = unwrapRedisEnvelope(json)
  // With Redis every local event comes back twice (PUBLISH and XADD), and every other backend's
  // twice too: most inbound messages are ones this store holds. Looked up by their id before the
  // schema runs, they cost a JSON.parse and an index lookup instead of validation, a task read and
  // the garbage of both (an ack flood of 1,000-id requests grew the heap by ~150 MB through them).
  const eventId = (update as { event_id?: unknown } | null)?.event_id
  if (isKnownEvent && typeof eventId === 'string' && knownOrUnsure(isKnownEvent, eventId))
    return { ok: false, reason: KNOWN_EVENT, detail: 'event_id already stored' }
  const parsed = redisUpdateSchema.safeParse(update)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    return {
      ok: false,
      reason: 'invalid_message',
      detail: first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid',
    }
  }
  const { task_id, updated_at, event_id, ...fields } = parsed.data
  const streamId = msg.source === 'stream' ? msg.streamId : undefined
  return {
    ok: true,
    event: toTaskEvent({
      task_id,
      fields,
      updated_at,
      event_id: event_id ?? (updated_at ? contentEventId(task_id, updated_at, fields) : undefined),
      source: msg.source,
      received_at: now,
      streamId,
    }),
  }
}

export function createIngest(deps: IngestDeps) {
  const now = deps.now ?? (() => new Date())
  const dropLogIntervalMs = deps.dropLogIntervalMs ?? 60_000
  let queue: Pending[] = []
  let scheduled: NodeJS.Immediate | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let commitFailures = 0
  // Why the last commit failed, while commits keep failing: /api/health reports it, so a server
  // whose every write is refused does not look healthy.
  let storageFailure: string | null = null
  let stopped = false
  // reason → when it was last logged and how many drops of it were only counted since.
  const dropLog = new Map<string, { at: number; suppressed: number }>()
  let dropped = 0
  // The newest stream entry id seen (valid or not); stored with the next commit. A bad entry must
  // advance the cursor too, or it would be re-read forever.
  let pendingStreamCursor: string | undefined

  function schedule(): void {
    if (!scheduled && !retryTimer) scheduled = setImmediate(flush)
  }

  function flush(): void {
    scheduled = null
    if (queue.length === 0 && !pendingStreamCursor) return
    // One transaction per turn, but a bounded one: a stream backlog arrives 500 entries a read,
    // and with the full-text index a large output costs milliseconds to index, so the whole queue
    // in one commit blocked the event loop for seconds (health unanswered, Redis sockets timing
    // out). The rest goes in the next turn. The stream cursor is stored only with the commit that
    // empties the queue: every entry up to it is then stored.
    const batch = queue.length > MAX_BATCH_EVENTS ? queue.splice(0, MAX_BATCH_EVENTS) : queue
    if (batch === queue) queue = []
    const streamCursor = queue.length === 0 ? pendingStreamCursor : undefined
    if (queue.length === 0) pendingStreamCursor = undefined
    let outcomes: ApplyOutcome[]
    try {
      outcomes = deps.store.apply(
        batch.map((p) => p.event),
        streamCursor ? { streamCursor } : {},
      )
      commitFailures = 0
      storageFailure = null
    } catch (err) {
      commitFailures++
      const why = describeStorageFailure(err)
      storageFailure = why
      deps.log.error(
        { err, file: deps.store.file, why, events: batch.length, attempt: commitFailures },
        `could not store a batch of events in ${deps.store.file}: ${why}`,
      )
      // REST/CLI callers get the failure (503) and may retry. Events from Redis have no caller to
      // retry them and the bus has already read past them: keep them, with their stream cursor,
      // and try again after a pause (they are idempotent by event_id).
      const failure = Object.assign(new Error(`storage failed: ${why}; the update was not accepted`), {
        code: 'storage_failed',
        reason: why,
      })
      for (const p of batch) p.reject?.(failure)
      const inbound = batch.filter((p) => !p.reject)
      queue = [...inbound, ...queue]
      if (queue.length > MAX_HELD_INBOUND) {
        const over = queue.length - MAX_HELD_INBOUND
        queue = queue.slice(over)
        for (let i = 0; i < over; i++)
          drop('storage_backlog', 'storage kept failing; the oldest held events went')
      }
      pendingStreamCursor ??= streamCursor
      retryTimer ??= setTimeout(
        () => {
          retryTimer = null
          schedule()
        },
        backoffDelay(commitFailures + 1, 50, 5000),
      )
      return
    }
    const changes: AppliedChange[] = []
    let local = false
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!
      const p = batch[i]!
      if (outcome.kind === 'changed') changes.push({ seq: outcome.seq, message: outcome.message })
      if (outcome.kind !== 'duplicate' && (p.event.source === 'rest' || p.event.source === 'cli'))
        local = true
      p.resolve?.(outcome)
    }
    if (changes.length > 0) deps.onChanges(changes)
    if (local) deps.onOutboxWritten?.()
    if (queue.length > 0) schedule()
  }

  function drop(reason: string, detail: string): void {
    dropped++
    deps.onDrop?.(reason)
    // One line per reason per interval, with how many more were only counted: a producer stuck in a
    // bad loop must not flood the log, and a new kind of drop is still seen at once.
    const t = Date.now()
    const seen = dropLog.get(reason)
    if (seen && t - seen.at < dropLogIntervalMs) {
      seen.suppressed++
      return
    }
    dropLog.set(reason, { at: t, suppressed: 0 })
    deps.log.warn(
      { reason, detail, droppedSinceLastLog: seen?.suppressed ?? 0 },
      'dropped an inbound Redis message (further drops of this kind are counted, and logged at most once a minute)',
    )
  }

  return {
    /** From the bus: parse, validate, count drops, queue the rest. Never throws. */
    submitInbound(batch: readonly InboundMessage[]): void {
      if (stopped) return
      const t = now()
      for (const msg of batch) {
        // parseInbound never throws: each entry is stored or dropped on its own, and a stream
        // entry moves the cursor either way, so a bad one is never re-read.
        const result = parseInbound(msg, t, deps.store.hasEvent)
        if (msg.source === 'stream') pendingStreamCursor = msg.streamId
        if (result.ok) queue.push({ event: result.event })
        else if (result.reason !== KNOWN_EVENT) drop(result.reason, result.detail)
      }
      schedule()
    },

    /**
     * Replaces the durable stream cursor (the bus found the stream reset, recreated or trimmed past
     * it). Stored with the next commit, so a restart does not warn about the same loss again.
     */
    resetStreamCursor(cursor: string): void {
      if (stopped) return
      pendingStreamCursor = cursor
      schedule()
    },

    /** From REST/CLI: resolves once the event is committed (the caller then answers 2xx). */
    submitLocal(event: TaskEvent): Promise<ApplyOutcome> {
      if (stopped)
        return Promise.reject(Object.assign(new Error('server is shutting down'), { code: 'shutting_down' }))
      return new Promise((resolve, reject) => {
        queue.push({ event, resolve, reject })
        schedule()
      })
    },

    droppedCount: (): number => dropped,
    /** Why storing fails right now, or null when the last commit succeeded. */
    storageFailure: (): string | null => storageFailure,

    /** Applies what is queued and stops accepting. Idempotent. */
    stop(): void {
      if (scheduled) clearImmediate(scheduled)
      if (retryTimer) clearTimeout(retryTimer)
      scheduled = null
      retryTimer = null
      flush()
      stopped = true
    },
  }
}
