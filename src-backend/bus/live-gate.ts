// Keeps the two inbound paths of the Redis bus in each origin's order. Live channel messages are
// at-most-once: what was published while the subscriber was away comes later, through the stream
// reader. Handed on as they arrive, a live update published after the (re)subscribe could then be
// applied before an older one of the same task that the reader has not delivered yet, and the
// older one, arriving second, changes nothing and is never broadcast: a window, the tray and a
// notification would miss a failure that really happened. (Seen when two backends came back from a
// Redis outage: the one whose subscriber was back first saw newer updates live and dropped four
// terminal ones the stream brought a moment later.)
//
// So after each SUBSCRIBE, live messages are held until the reader has delivered everything the
// stream held at that moment: its position reaches the stream's last id asked for right after the
// SUBSCRIBE, or a read sent after it returns short (it got to the end; this also covers an end
// the reader cannot reach, such as deleted entries). Then the held messages follow in order
// (those the stream brought too are duplicates, dropped by event_id). In steady state the reader
// is already at the end, and the hold lasts one round trip. This needs each event on the stream
// no later than on the channel: TaskPulse's publisher sends XADD before PUBLISH
// (stream-publisher.ts), and a producer that does the reverse gets best-effort order. The hold
// is bounded: by time (a reader that cannot read, say NOPERM on XREAD, must
// not stop live updates) and by count and bytes (a flood meanwhile). When a bound is hit the held
// messages go on at once, as they would have without the gate: order is then best-effort, nothing
// is lost.
import type { Logger } from 'pino'
import type { InboundMessage } from './bus'
import { compareStreamIds } from './stream-cursor'

export interface LiveGateDeps {
  deliver(batch: InboundMessage[]): void
  log: Logger
  /**
   * The stream's last entry id, asked on a socket other than the subscriber's; null when the
   * stream is empty or missing (nothing to catch up). A failure leaves the other two ends of a
   * hold: a short read, or the time bound.
   */
  streamEnd(): Promise<string | null>
  /** The id of the last stream entry the reader has delivered (its cursor). */
  readerPosition(): string
  /** The longest live messages are held after a subscribe. Default 10_000. */
  maxHoldMs?: number
  /** Held messages beyond which the hold ends at once. Default 10_000. */
  maxHeldMessages?: number
  /** Held payload bytes beyond which the hold ends at once. Default 32 MiB. */
  maxHeldBytes?: number
}

export type ReleaseReason = 'caught_up' | 'timeout' | 'overflow'

export interface LiveGate {
  /** The subscriber's SUBSCRIBE was confirmed: hold live messages until the reader catches up. */
  subscribed(): void
  /** Called as a stream read is sent; pass the token to readDone when it returns. */
  readStarting(): number
  /**
   * The read sent with `token` returned and its entries were delivered; `reachedEnd`: it returned
   * fewer entries than asked for, so it got to the stream's end.
   */
  readDone(token: number, reachedEnd: boolean): void
  /**
   * The socket streamEnd asks on is ready again: a hold whose question failed (that socket was
   * still down when the subscriber came back) asks again instead of waiting for a fresh read.
   */
  publisherReady(): void
  /** Live messages from the subscriber: handed on, or held. */
  offer(batch: InboundMessage[]): void
  /** Whether live messages are held right now (for tests). */
  holding(): boolean
  /** Drops what is held and stops the timer. */
  stop(): void
}

export function createLiveGate(deps: LiveGateDeps): LiveGate {
  const maxHoldMs = deps.maxHoldMs ?? 10_000
  const maxHeldMessages = deps.maxHeldMessages ?? 10_000
  const maxHeldBytes = deps.maxHeldBytes ?? 32 * 1024 * 1024
  // Bumped at every subscribe: only a read sent after the latest one proves the catch-up.
  let generation = 0
  let isHolding = false
  // The stream's end as it was right after the latest subscribe, once known.
  let target: string | null = null
  // The generation whose streamEnd question is in flight (0: none).
  let asking = 0
  let held: InboundMessage[] = []
  let heldBytes = 0
  let timer: NodeJS.Timeout | null = null
  let stopped = false

  function release(reason: ReleaseReason): void {
    if (timer) clearTimeout(timer)
    timer = null
    isHolding = false
    const batch = held
    held = []
    heldBytes = 0
    if (reason !== 'caught_up') {
      deps.log.warn(
        { reason, held: batch.length },
        'live Redis messages released before the stream caught up; their order against it is best-effort',
      )
    }
    if (batch.length > 0 && !stopped) deps.deliver(batch)
  }

  // Exactly at the end. A reader past it may hold a cursor from before a stream was reset on a
  // new Redis (whose ids are lower): it is about to re-read from the start, so only a short read
  // after the subscribe ends such a hold.
  function releaseIfReached(): void {
    if (isHolding && target !== null && compareStreamIds(deps.readerPosition(), target) === 0)
      release('caught_up')
  }

  function askEnd(): void {
    const mine = generation
    asking = mine
    deps.streamEnd().then(
      (end) => {
        if (asking === mine) asking = 0
        if (mine !== generation || !isHolding) return
        if (end === null) release('caught_up')
        else {
          target = end
          releaseIfReached()
        }
      },
      () => {
        // publisherReady asks again; meanwhile a short read or the time bound ends the hold.
        if (asking === mine) asking = 0
      },
    )
  }

  return {
    subscribed() {
      if (stopped) return
      generation++
      isHolding = true
      target = null
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => release('timeout'), maxHoldMs)
      timer.unref()
      askEnd()
    },
    publisherReady() {
      if (isHolding && target === null && asking !== generation) askEnd()
    },
    readStarting: () => generation,
    readDone(token, reachedEnd) {
      if (isHolding && reachedEnd && token === generation) release('caught_up')
      else releaseIfReached()
    },
    offer(batch) {
      if (stopped || batch.length === 0) return
      if (!isHolding) {
        deps.deliver(batch)
        return
      }
      for (const msg of batch) {
        held.push(msg)
        heldBytes += msg.payload === null ? 0 : Buffer.byteLength(msg.payload)
      }
      if (held.length > maxHeldMessages || heldBytes > maxHeldBytes) release('overflow')
    },
    holding: () => isHolding,
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = null
      held = []
      heldBytes = 0
      isHolding = false
    },
  }
}
