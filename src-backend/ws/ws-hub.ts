// The WebSocket hub: sessions (hello, then subscribe — live from now — or resume — a paged replay
// after a seq, or a paged snapshot — then live changes) and the fan-out of committed changes.
// Fan-out cost is what decides latency at scale, so each change is serialised once, at commit
// (the store keeps that frame for replays too), and a batch of changes becomes one prepared
// buffer of WS frames (frames.ts, ws's own framer), written to every live socket with a single
// write: no per-client JSON, no per-client framing.
// The parts with their own reasons to change live beside it: every byte queued for a client goes
// through client-sender.ts (the per-client bound), replays and snapshots are paging.ts, and the
// ping allowance is ping-budget.ts.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { clientMessageSchema } from '../../src-shared/protocol'
import type { AppliedChange } from '../ingest'
import type { TaskStore } from '../store/task-store'
import { createClientSender, type HubClient } from './client-sender'
import { OPCODE_PING, OPCODE_PONG, assertNoExtensions, controlFrame, framesOf } from './frames'
import { createPaging } from './paging'
import { createPingBudget } from './ping-budget'

export { frameOf, frameOfParts } from './frames'

export interface WsHubDeps {
  store: Pick<TaskStore, 'epoch' | 'currentSeq' | 'messagesAfter' | 'snapshotPage' | 'canReplayFrom'>
  log: Logger
  /** Bytes queued for one client past which it is cut off (default 8 MiB). */
  maxBufferedBytes?: number
  /** Ping interval; a client that has not answered the previous ping is dropped (default 30 s). */
  heartbeatMs?: number
  /** Largest frame a client may send (default 64 KiB); larger closes with 1009. */
  maxInboundBytes?: number
  /** Rows read from the store per replay or snapshot page (default 500 / 1000). */
  replayPageSize?: number
  snapshotPageSize?: number
  /** A replay page is cut once it reaches this many bytes (default 256 KiB). */
  pageBytes?: number
  /** A snapshot page is cut once it reaches this many bytes (default 1 MiB). */
  snapshotPageBytes?: number
  /** The next page is written only when fewer bytes than this wait for the client (default 512 KiB). */
  lowWaterBytes?: number
  /** Invalid frames tolerated before the socket is closed with 1008. */
  maxInvalidFrames?: number
  /** Pings (control or `{"type":"ping"}`) answered in a burst, and refilled per second. */
  pingBurst?: number
  pingsPerSecond?: number
  /** Pings past the budget (unanswered) tolerated before the socket is closed with 1008. */
  maxExcessPings?: number
  now?: () => number
}

export function createWsHub(deps: WsHubDeps) {
  const { store, log } = deps
  const now = deps.now ?? (() => Date.now())
  const maxInvalid = deps.maxInvalidFrames ?? 20
  const sender = createClientSender({
    maxBufferedBytes: deps.maxBufferedBytes ?? 8 * 1024 * 1024,
    lowWaterBytes: deps.lowWaterBytes ?? 512 * 1024,
    log,
  })
  const { send, write } = sender
  const paging = createPaging({
    store,
    sender,
    goLive,
    replayPageSize: deps.replayPageSize ?? 500,
    // Snapshot pages are large enough that a 10,000-task snapshot is a handful of messages (each
    // page is a store update and a render in the UI); replay pages are small, as their messages are
    // already one per change. Either way a client holds a page over the low-water mark at most.
    snapshotPageSize: deps.snapshotPageSize ?? 1000,
    pageBytes: deps.pageBytes ?? 256 * 1024,
    snapshotPageBytes: deps.snapshotPageBytes ?? 1024 * 1024,
  })
  const pingBudget = createPingBudget({
    burst: deps.pingBurst ?? 20,
    perSecond: deps.pingsPerSecond ?? 2,
    maxExcess: deps.maxExcessPings ?? 50,
    now,
  })
  const clients = new Set<HubClient>()
  const live = new Set<HubClient>()
  let closing = false

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxInboundBytes ?? 64 * 1024,
    // Our prepared frames are uncompressed (and checked per connection: assertNoExtensions).
    perMessageDeflate: false,
    clientTracking: false,
    // Pongs to a client's pings are ours to send (budgeted and counted); ws's automatic ones would
    // pile up unbounded for a client that pings without reading.
    autoPong: false,
  })

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (c.pendingPing) {
        // Only the answer to our own ping counts: a client that does not read never sees it.
        log.debug({}, 'websocket client did not answer the heartbeat ping')
        c.ws.terminate()
        continue
      }
      c.pendingPing = randomBytes(8)
      write(c, controlFrame(OPCODE_PING, c.pendingPing))
    }
  }, deps.heartbeatMs ?? 30_000)
  heartbeat.unref()

  /**
   * Closes with a policy code. From here on nothing the client sends is handled (a flood costs
   * only ws's frame parsing), and a client that does not read the close frame is dropped soon.
   */
  function closeForPolicy(c: HubClient, code: number, reason: string): void {
    if (c.closing) return
    c.closing = true
    live.delete(c)
    if (c.ws.readyState !== WebSocket.OPEN) return
    c.ws.close(code, reason)
    // Stop reading it at all: a flood would otherwise still cost frame parsing until the close
    // completes. Its answer to our close frame is not needed; it is dropped shortly either way.
    c.socket.removeAllListeners('data')
    c.socket.pause()
    setTimeout(() => c.ws.terminate(), 1000).unref()
  }

  /** A ping (control frame or app-level) within the client's budget? Past it: unanswered, counted. */
  function pingAllowed(c: HubClient): boolean {
    const verdict = pingBudget.take(c.pings)
    if (verdict === 'close') closeForPolicy(c, 1008, 'too many pings')
    return verdict === 'answer'
  }

  function goLive(c: HubClient, reply: 'subscribed' | 'resumed' | null): void {
    const seq = store.currentSeq()
    c.lastSentSeq = Math.max(c.lastSentSeq, seq)
    c.state = 'live'
    live.add(c)
    if (reply) send(c, { type: reply, seq })
  }

  function onMessage(c: HubClient, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const invalid = (code: string, message: string) => {
      c.invalidFrames++
      send(c, { type: 'error', code, message })
      if (c.invalidFrames >= maxInvalid) closeForPolicy(c, 1008, 'too many invalid messages')
    }
    if (isBinary) return invalid('binary_not_supported', 'send JSON text frames')
    let json: unknown
    try {
      json = JSON.parse(Buffer.isBuffer(data) ? data.toString() : Buffer.from(data as ArrayBuffer).toString())
    } catch {
      return invalid('invalid_json', 'frame is not JSON')
    }
    const parsed = clientMessageSchema.safeParse(json)
    if (!parsed.success) {
      return invalid(
        'invalid_message',
        'expected {"type":"subscribe"}, {"type":"resume","epoch":…,"seq":…} or {"type":"ping"}',
      )
    }
    const msg = parsed.data
    if (msg.type === 'ping') {
      if (pingAllowed(c)) send(c, msg.t === undefined ? { type: 'pong' } : { type: 'pong', t: msg.t })
      return
    }
    if (c.state !== 'awaiting') return invalid('already_subscribed', 'this socket is already subscribed')
    if (msg.type === 'subscribe') return goLive(c, 'subscribed')
    c.state = 'paging' // now: a second resume before the first page is refused
    const paged =
      msg.epoch === store.epoch && store.canReplayFrom(msg.seq)
        ? paging.resume(c, msg.seq)
        : paging.snapshot(c)
    paged.catch((err: unknown) => {
      log.error({ err }, 'replay or snapshot failed')
      c.ws.terminate()
    })
  }

  /** Contains anything a handler throws to the one socket: it would otherwise end the process. */
  function guarded(c: HubClient, what: string, fn: () => void): void {
    if (c.closing) return
    try {
      fn()
    } catch (err) {
      log.error({ err }, `failed to handle a websocket ${what}`)
      closeForPolicy(c, 1011, 'internal error')
    }
  }

  return {
    /** Completes an upgrade the HTTP layer has already authenticated and guarded. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      if (closing) {
        socket.destroy()
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        try {
          assertNoExtensions(ws)
        } catch (err) {
          // Only a change of our own options could get here: say so loudly, and serve no frames
          // the peer would misread.
          log.error({ err }, 'refusing a websocket connection: an extension was negotiated')
          ws.close(1011, 'extension negotiated')
          return
        }
        const c: HubClient = {
          ws,
          socket,
          state: 'awaiting',
          lastSentSeq: 0,
          invalidFrames: 0,
          pendingPing: null,
          pings: pingBudget.fresh(),
          wake: null,
          closing: false,
        }
        clients.add(c)
        socket.on('drain', () => c.wake?.())
        ws.on('pong', (data) => {
          // An unsolicited pong, or one for an older ping, proves nothing.
          if (c.pendingPing && data.equals(c.pendingPing)) c.pendingPing = null
        })
        ws.on('ping', (data) =>
          guarded(c, 'ping', () => {
            if (pingAllowed(c)) write(c, controlFrame(OPCODE_PONG, data))
          }),
        )
        ws.on('message', (data, isBinary) => guarded(c, 'message', () => onMessage(c, data, isBinary)))
        // Protocol errors (bad opcode, unmasked frame, bad close code, invalid UTF-8, oversized):
        // ws has already closed with 1002 / 1007 / 1009.
        ws.on('error', (err) => log.debug({ err }, 'websocket client error'))
        ws.on('close', () => {
          c.state = 'closed'
          clients.delete(c)
          live.delete(c)
          c.wake?.()
        })
        send(c, { type: 'hello', epoch: store.epoch, seq: store.currentSeq() })
      })
    },

    /** Sends committed changes (in seq order) to every live client. */
    broadcast(changes: readonly AppliedChange[]): void {
      if (changes.length === 0 || live.size === 0) return
      // The batch's one prepared buffer.
      const all = framesOf(changes.map((ch) => ch.message))
      const firstSeq = changes[0]!.seq
      const lastSeq = changes.at(-1)!.seq
      for (const c of live) {
        if (c.lastSentSeq < firstSeq) {
          write(c, all)
        } else if (c.lastSentSeq < lastSeq) {
          // Rare: a client that turned live inside this batch's range gets only what it lacks.
          const start = changes.findIndex((ch) => ch.seq > c.lastSentSeq)
          write(c, framesOf(changes.slice(start).map((ch) => ch.message)))
        } else {
          continue
        }
        c.lastSentSeq = lastSeq
      }
    },

    clientCount: (): number => clients.size,
    /** Bytes queued for all clients (what the bound limits per client). */
    queuedBytes(): number {
      let n = 0
      for (const c of clients) n += c.socket.writableLength
      return n
    },
    cutOffCount: sender.cutOffCount,

    /** Closes every client with 1001 and waits briefly for them to go. Idempotent. */
    async close(): Promise<void> {
      if (closing) return
      closing = true
      clearInterval(heartbeat)
      const left = [...clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.state === 'closed') return resolve()
            c.ws.once('close', () => resolve())
            c.ws.close(1001, 'server shutting down')
          }),
      )
      const timeout = new Promise<void>((r) => setTimeout(r, 1000).unref())
      await Promise.race([Promise.all(left), timeout])
      for (const c of clients) c.ws.terminate()
      wss.close()
    },
  }
}

export type WsHub = ReturnType<typeof createWsHub>
