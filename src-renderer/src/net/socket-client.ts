// The live link to the backend. On every (re)connect the server says hello {epoch, seq}; we
// answer `resume` with the last (epoch, seq) we applied, so the server replays what we missed
// (then `resumed`) or, when it cannot (new database, pruned history, first connect), sends a
// snapshot that replaces our state. Either way no change is missed or applied twice.
// Reconnection with backoff is reconnecting-websocket's; liveness is an app-level ping, because
// browsers cannot see WebSocket ping frames.
import ReconnectingWebSocket from 'reconnecting-websocket'
import type { ServerMessage } from '../../../src-shared/protocol'
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
  let epoch: string | null = null
  let seq = 0
  let serverEpoch: string | null = null
  let helloSeen = false
  let replaying = false
  /** Inside a paged snapshot: a page with more:true came, its last page has not. */
  let inSnapshot = false
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

  function onMessage(ev: { data: unknown }): void {
    lastMessageAt = now()
    if (typeof ev.data !== 'string') return
    let msg: ServerMessage
    try {
      msg = JSON.parse(ev.data) as ServerMessage
    } catch {
      return
    }
    switch (msg.type) {
      case 'hello':
        helloSeen = true
        inSnapshot = false
        serverEpoch = msg.epoch
        replaying = true
        // First connect: an epoch that cannot match asks for a snapshot (race-free initial load).
        send({ type: 'resume', epoch: epoch ?? 'none', seq })
        return
      case 'snapshot': {
        // Pages: the first replaces the state, the rest add to it, `more: false` ends it. Until
        // the last page our cursor means nothing (the state is partial): a reconnect in between
        // asks for a snapshot again. An older server sends one message without `more`.
        const first = !inSnapshot
        const more = msg.more === true
        inSnapshot = more
        if (first) {
          epoch = null
          seq = 0
        }
        deps.onIncoming({ kind: 'snapshot', seq: msg.seq, tasks: msg.tasks, first, more })
        if (more) return
        epoch = serverEpoch
        seq = msg.seq
        replaying = false
        deps.onConn({ type: 'synced', at: now() })
        send({ type: 'ping', t: now() }) // a first round trip for the readout
        return
      }
      case 'resumed':
      case 'subscribed':
        epoch = serverEpoch
        if (msg.seq > seq) seq = msg.seq
        replaying = false
        deps.onIncoming({ kind: 'synced', seq: msg.seq })
        deps.onConn({ type: 'synced', at: now() })
        send({ type: 'ping', t: now() })
        return
      case 'task_status_update': {
        if (msg.seq <= seq) return
        seq = msg.seq
        const t = now()
        if (!replaying) {
          lastEventAt = t
          arrivals.push(t)
          if (arrivals.length > 4096) arrivals.splice(0, arrivals.length - 4096)
          const produced = Date.parse(msg.updated_at)
          if (Number.isFinite(produced)) {
            latencies.push(Math.max(0, t - produced))
            if (latencies.length > LATENCY_SAMPLES) latencies.shift()
          }
        }
        deps.onIncoming({ kind: 'update', msg })
        return
      }
      case 'pong':
        if (typeof msg.t === 'number') rttMs = Math.max(0, now() - msg.t)
        return
      case 'error':
        return
    }
  }

  function onClose(): void {
    const wasBeforeHello = !helloSeen
    helloSeen = false
    replaying = false
    inSnapshot = false
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
      if (rws === own) lastMessageAt = now()
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
    cursor: () => ({ epoch, seq }),
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
