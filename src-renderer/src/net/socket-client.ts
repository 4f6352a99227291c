// The live link to the backend. The sync protocol (hello → resume from our cursor, or a paged
// snapshot that replaces our state → replay → live; no change missed or applied twice) is the
// shared sync session's (src-shared/sync-session.ts), the same as main's. This module owns the
// socket: reconnection with backoff is reconnecting-websocket's; liveness is an app-level ping,
// because browsers cannot see WebSocket ping frames; and the pipeline readout.
import ReconnectingWebSocket from 'reconnecting-websocket'
import type { ServerMessage } from '../../../src-shared/protocol'
import { createSyncSession } from '../../../src-shared/sync-session'
import type { Incoming } from '../stores/task-store'
import type { ConnEvent } from './conn-state'

export interface SocketClientDeps {
  /** The socket URL with the token, resolved before each attempt; null when there is none. */
  url: () => Promise<string | null>
  onIncoming: (item: Incoming) => void
  onConn: (e: ConnEvent) => void
  /** Asked when a socket closes before hello: is the token the reason? */
  checkAuth: () => Promise<'ok' | 'rejected' | 'unreachable'>
  WebSocketImpl?: unknown
  now?: () => number
  pingIntervalMs?: number
  /** No message for this long on an open socket → assume it is dead and reconnect. */
  silenceLimitMs?: number
  minReconnectDelayMs?: number
  maxReconnectDelayMs?: number
}

export interface PipelineSample {
  lastEventAt: number | null
  /** Updates received in the last 10 s / 10. */
  eventsPerSecond: number
  /** Median of (receipt time − event's updated_at) over recent live updates, ms. */
  deliveryLatencyMs: number | null
  rttMs: number | null
}

export interface SocketClient {
  start(): void
  stop(): void
  /** Drops the socket and connects again now (new token, "retry now", bridge says moved). */
  reconnect(): void
  cursor(): { epoch: string | null; seq: number }
  sample(): PipelineSample
}

const RATE_WINDOW_MS = 10_000
const LATENCY_SAMPLES = 200

export function createSocketClient(deps: SocketClientDeps): SocketClient {
  const now = deps.now ?? (() => Date.now())
  const pingEvery = deps.pingIntervalMs ?? 10_000
  const silenceLimit = deps.silenceLimitMs ?? 30_000
  let rws: ReconnectingWebSocket | null = null
  let helloSeen = false
  let lastMessageAt = 0
  let timer: ReturnType<typeof setInterval> | null = null
  let authCheck: Promise<unknown> | null = null
  let stopped = false

  // Pipeline readout, bounded memory.
  let lastEventAt: number | null = null
  const arrivals: number[] = []
  const latencies: number[] = []
  let rttMs: number | null = null

  const send = (msg: unknown): void => {
    // Never let reconnecting-websocket queue a message for a later socket: a stale resume
    // would be wrong there.
    if (rws && rws.readyState === ReconnectingWebSocket.OPEN) rws.send(JSON.stringify(msg))
  }

  const sync = createSyncSession({
    send,
    snapshotPage(page) {
      deps.onIncoming({ kind: 'snapshot', ...page })
    },
    synced(cursor, via) {
      if (via !== 'snapshot') deps.onIncoming({ kind: 'synced', seq: cursor.seq })
      deps.onConn({ type: 'synced', at: now() })
      send({ type: 'ping', t: now() }) // a first round trip for the readout
    },
    update(msg, { replay }) {
      if (!replay) {
        const t = now()
        lastEventAt = t
        arrivals.push(t)
        if (arrivals.length > 4096) arrivals.splice(0, arrivals.length - 4096)
        const produced = Date.parse(msg.task.updated_at)
        // Only a frame whose event is the task's latest update measures delivery: an ack or a
        // stale mark keeps the old updated_at, and would count hours of "latency".
        if (Number.isFinite(produced) && msg.event_id === msg.task.last_event_id) {
          latencies.push(Math.max(0, t - produced))
          if (latencies.length > LATENCY_SAMPLES) latencies.shift()
        }
      }
      deps.onIncoming({ kind: 'update', msg })
    },
    incompatible() {
      // Another protocol version (a backend of another TaskPulse release): we never sync, so the
      // pill keeps saying we are not live; retry with backoff, an upgrade of either end fixes it.
      rws?.reconnect()
    },
  })

  function onMessage(ev: { data: unknown }): void {
    lastMessageAt = now()
    if (typeof ev.data !== 'string') return
    let msg: ServerMessage
    try {
      // Not validated here (that would bundle zod); main validates, the renderer trusts its own
      // backend's frames and the session ignores what it does not know.
      msg = JSON.parse(ev.data) as ServerMessage
    } catch {
      return
    }
    if (msg.type === 'hello') helloSeen = true
    if (sync.receive(msg)) return
    if (msg.type === 'pong' && typeof msg.t === 'number') rttMs = Math.max(0, now() - msg.t)
  }

  function onClose(): void {
    const wasBeforeHello = !helloSeen
    helloSeen = false
    sync.disconnected()
    if (stopped) return
    deps.onConn({ type: 'closed', at: now() })
    // A socket refused at the upgrade looks like any network error to a browser; ask REST why.
    if (wasBeforeHello && !authCheck) {
      authCheck = deps
        .checkAuth()
        .then((r) => {
          if (r === 'rejected' && !stopped) {
            deps.onConn({
              type: 'auth_rejected',
              at: now(),
              message: 'The backend rejected this token (401).',
            })
            rws?.close()
          }
        })
        .finally(() => {
          authCheck = null
        })
    }
  }

  function tick(): void {
    if (!rws || rws.readyState !== ReconnectingWebSocket.OPEN || !helloSeen) return
    const t = now()
    if (t - lastMessageAt > silenceLimit) {
      rws.reconnect()
      return
    }
    send({ type: 'ping', t })
  }

  /** A fresh reconnecting socket; events of an older one are ignored. */
  function open(): void {
    const own = new ReconnectingWebSocket(
      async () => {
        const u = await deps.url().catch(() => null)
        // reconnecting-websocket stalls forever if the provider rejects; give it a URL that
        // fails fast instead and let the backoff run.
        return u ?? 'ws://127.0.0.1:9/ws'
      },
      [],
      {
        WebSocket: deps.WebSocketImpl,
        minReconnectionDelay: deps.minReconnectDelayMs ?? 250,
        maxReconnectionDelay: deps.maxReconnectDelayMs ?? 5000,
        reconnectionDelayGrowFactor: 1.8,
        connectionTimeout: 5000,
        minUptime: 2000,
        maxEnqueuedMessages: 0,
      },
    )
    rws = own
    helloSeen = false
    own.addEventListener('open', () => {
      if (rws !== own) return
      lastMessageAt = now()
      sync.connected()
    })
    own.addEventListener('message', ((ev: MessageEvent) => {
      if (rws === own) onMessage(ev)
    }) as (e: MessageEvent) => void)
    own.addEventListener('close', () => {
      if (rws === own) onClose()
    })
  }

  return {
    start() {
      if (rws) return
      stopped = false
      open()
      timer = setInterval(tick, pingEvery)
    },
    stop() {
      stopped = true
      if (timer) clearInterval(timer)
      timer = null
      const old = rws
      rws = null
      old?.close()
    },
    reconnect() {
      if (!rws) return
      // A new instance rather than rws.reconnect(): after close() (token rejected) a connect
      // attempt that was waiting out its backoff leaves reconnecting-websocket locked for good.
      const old = rws
      open()
      old.close()
    },
    cursor() {
      const c = sync.cursor()
      return c ? { epoch: c.epoch, seq: c.seq } : { epoch: null, seq: 0 }
    },
    sample() {
      const t = now()
      let n = 0
      for (let i = arrivals.length - 1; i >= 0 && t - arrivals[i]! <= RATE_WINDOW_MS; i--) n++
      let deliveryLatencyMs: number | null = null
      if (latencies.length > 0) {
        const sorted = [...latencies].sort((a, b) => a - b)
        deliveryLatencyMs = sorted[Math.floor(sorted.length / 2)]!
      }
      return { lastEventAt, eventsPerSecond: n / (RATE_WINDOW_MS / 1000), deliveryLatencyMs, rttMs }
    },
  }
}
