// The bus's live path: SUBSCRIBE <channel> on every (re)connect, and every message handed on as a
// redis InboundMessage. At-most-once: what is published while this socket is down is caught up
// by the stream reader. Counted ready only once Redis confirmed the SUBSCRIBE, so the bus says
// 'connected' only when live messages really arrive.
import type { InboundMessage } from './bus'
import type { BusConnection } from './redis-connection'

export interface ChannelSubscriberDeps {
  conn: BusConnection
  channel: string
  /** Redis confirmed the SUBSCRIBE on the current socket. */
  onSubscribed(): void
  /** A batch of live messages (all those that arrived in one event-loop turn). */
  deliver(batch: InboundMessage[]): void
  onError(err: unknown): void
  isStopped(): boolean
}

export interface ChannelSubscriber {
  /** Drops messages not yet handed on (at stop). */
  discardPending(): void
}

export function attachChannelSubscriber(deps: ChannelSubscriberDeps): ChannelSubscriber {
  const { conn, channel } = deps
  const subscriber = conn.redis

  let epoch = 0
  subscriber.on('ready', () => {
    const mine = ++epoch
    subscriber.subscribe(channel).then(
      () => {
        if (mine === epoch && subscriber.status === 'ready') {
          conn.healthy()
          deps.onSubscribed()
        }
      },
      (err: unknown) => {
        deps.onError(err)
        // A failed SUBSCRIBE on a live socket (NOPERM, say): start over on a fresh connection,
        // after the backoff (the retry strategy counts this as a failed attempt).
        if (mine === epoch && !deps.isStopped()) subscriber.disconnect(true)
      },
    )
  })
  subscriber.on('close', () => {
    epoch++
  })

  // Live messages arrive one per callback; hand them over in one batch per event-loop turn.
  let pending: InboundMessage[] = []
  let flushScheduled = false
  function flush(): void {
    flushScheduled = false
    const batch = pending
    pending = []
    if (batch.length > 0 && !deps.isStopped()) deps.deliver(batch)
  }
  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return
    pending.push({ source: 'redis', payload: message })
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flush)
    }
  })

  return {
    discardPending() {
      pending = []
    },
  }
}
