// The bus connects a backend to its peers. RedisBus (ioredis) is the distributed engine; LocalBus
// stands in when no Redis is configured. The bus moves raw text only: validation, dedupe and
// storage happen in the ingest pipeline, so a malformed message is counted in one place.
import type { TaskEvent } from '../../src-shared/protocol'

/** An error with a machine-readable code. */
export class BusError extends Error {
  constructor(
    readonly code: 'BUS_DISCONNECTED' | 'BUS_PUBLISH_FAILED' | 'BUS_STOPPED' | 'BUS_BAD_URL',
    message: string,
  ) {
    super(message)
    this.name = 'BusError'
  }
}

export type BusState = 'connected' | 'disconnected' | 'disabled'

/** A message that arrived from outside: a PUBLISH on the channel or an entry of the stream. */
export type InboundMessage =
  | { source: 'redis'; payload: string }
  /** `payload` is the entry's `data` field, or null when the entry has none. */
  | { source: 'stream'; payload: string | null; streamId: string }

export interface BusHandlers {
  /**
   * Called with every batch that arrives. Must be synchronous and must not throw. For stream
   * entries the receiver stores the stream cursor together with the events (at-least-once; the
   * store dedupes by event_id).
   */
  onMessages(batch: InboundMessage[]): void
  /** Called whenever the connection state changes (the outbox relay retries on 'connected'). */
  onStateChange?(state: BusState): void
  /** The last stream id this backend has durably applied ('0' for a new database). Read on every (re)connect. */
  getStreamCursor(): string
  /**
   * The bus checked the cursor against the stream and moved it (the stream was reset, recreated or
   * trimmed past it): store `cursor` durably, so the loss is not found and warned about again.
   */
  setStreamCursor?(cursor: string): void
}

export interface Bus {
  readonly kind: 'redis' | 'local'
  /** Starts connecting; resolves at once, without waiting for Redis (which may be down). */
  start(handlers: BusHandlers): Promise<void>
  /**
   * Publishes locally accepted events, given as their wire JSON (`eventToWire`, as the outbox
   * stores it): PUBLISH on the channel and XADD (approximate MAXLEN) on the stream, for each.
   * Resolves once Redis accepted every command; rejects at once when not connected (the outbox
   * keeps the events and retries).
   */
  publish(payloads: readonly string[]): Promise<void>
  state(): BusState
  /** Idempotent. */
  stop(): Promise<void>
}

/** The JSON a producer would send for this event; what our own events look like on Redis. */
export function eventToWire(event: TaskEvent): string {
  return JSON.stringify({
    task_id: event.task_id,
    ...event.fields,
    updated_at: event.updated_at,
    event_id: event.event_id,
  })
}
