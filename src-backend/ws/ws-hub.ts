// The WebSocket hub: hello, then subscribe (live from now) or resume (replay after a seq, or a
// paged snapshot), then live changes. Fan-out cost is what decides latency at scale, so:
// - each change is serialised once, at commit (the store keeps that frame for replays too);
// - a batch of changes becomes one prepared buffer of WS frames, written to every live socket
//   with a single write (no per-client JSON, no per-client framing).
// Memory per client is bounded: every byte queued for a client (live changes, replay and snapshot
// pages, pongs, errors, replies, our pings) goes through one write path that counts it, and a
// client past its bound is cut off without slowing anyone else. Replays and snapshots are written
// a page at a time, only when the socket has drained below a low-water mark, so a client that
// stops reading holds at most its bound whatever it asked for.
// Resume is race-free without locks: a catching-up client reads the store until it is empty and
// turns live in the same synchronous step, and the store holds every change before it is broadcast.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { clientMessageSchema, type ServerMessage } from '../../src-shared/protocol'
import type { AppliedChange } from '../ingest'
import type { TaskStore } from '../store/task-store'
import { EXCERPT_TAIL_CHARS, snapshotTaskOf } from './excerpt'
import { OPCODE_PING, OPCODE_PONG, controlFrame, frameOf, frameOfParts } from './frames'

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

type ClientState = 'awaiting' | 'paging' | 'live' | 'closed'

interface Client {
  ws: WebSocket
  socket: Duplex
  state: ClientState
  /** Highest seq this client has been sent (or told about): live frames at or below it are skipped. */
  lastSentSeq: number
  invalidFrames: number
  /** Payload of our last heartbeat ping still unanswered; null when answered (or none sent yet). */
  pendingPing: Buffer | null
  pingTokens: number
  pingRefilledAt: number
  excessPings: number
  /** Resolves a page writer waiting for the socket to drain (or to close). */
  wake: (() => void) | null
  /** Closed for a policy violation: its frames are no longer handled. */
  closing: boolean
}

/** Outcome of a replay: caught up and live, the client went away, or the history it needs is gone. */
type ReplayEnd = 'live' | 'gone' | 'pruned'

export function createWsHub(deps: WsHubDeps) {
  const { store, log } = deps
  const now = deps.now ?? (() => Date.now())
  const maxBuffered = deps.maxBufferedBytes ?? 8 * 1024 * 1024
  const replayPageSize = deps.replayPageSize ?? 500
  // Snapshot pages are large enough that a 10,000-task snapshot is a handful of messages (each
  // page is a store update and a render in the UI); replay pages are small, as their messages are
  // already one per change. Either way a client holds a page over the low-water mark at most.
  const snapshotPageSize = deps.snapshotPageSize ?? 1000
  const snapshotPageBytes = deps.snapshotPageBytes ?? 1024 * 1024
  const pageBytes = deps.pageBytes ?? 256 * 1024
  const lowWater = deps.lowWaterBytes ?? 512 * 1024
  const maxInvalid = deps.maxInvalidFrames ?? 20
  const pingBurst = deps.pingBurst ?? 20
  const pingsPerSecond = deps.pingsPerSecond ?? 2
  const maxExcessPings = deps.maxExcessPings ?? 50
  const clients = new Set<Client>()
  const live = new Set<Client>()
  let cutOff = 0
  let closing = false

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxInboundBytes ?? 64 * 1024,
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

  const gone = (c: Client): boolean => c.state === 'closed' || c.closing || c.ws.readyState !== WebSocket.OPEN

  /**
   * The only way bytes reach a client. Everything queued counts (socket.writableLength holds all
   * of it, ws's own close frames included); a client past the bound is cut off at once.
   */
  function write(c: Client, data: Buffer): boolean {
    if (gone(c) || !c.socket.writable) return false
    c.socket.write(data)
    if (c.socket.writableLength > maxBuffered) {
      cut(c, 'send buffer over bound')
      return false
    }
    return true
  }

  function send(c: Client, message: ServerMessage): void {
    write(c, frameOf(JSON.stringify(message)))
  }

  function cut(c: Client, why: string): void {
    cutOff++
    log.warn(
      { buffered: c.socket.writableLength, why },
      'cutting off a websocket client that does not keep up',
    )
    c.ws.terminate()
  }

  /**
   * Closes with a policy code. From here on nothing the client sends is handled (a flood costs
   * only ws's frame parsing), and a client that does not read the close frame is dropped soon.
   */
  function closeForPolicy(c: Client, code: number, reason: string): void {
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

  /** Resolves once fewer than `lowWater` bytes wait for the client; false if it went away. */
  async function roomForPage(c: Client): Promise<boolean> {
    // Never below the socket's own highWaterMark: 'drain' is only emitted after passing that.
    const mark = Math.max(lowWater, c.socket.writableHighWaterMark)
    while (!gone(c) && c.socket.writableLength > mark) {
      // Above the low-water mark the socket has passed its highWaterMark, so 'drain' will come
      // (or 'close', which also wakes us).
      await new Promise<void>((resolve) => (c.wake = resolve))
      c.wake = null
    }
    return !gone(c)
  }

  /** A ping (control frame or app-level) within the client's budget? Past it: unanswered, counted. */
  function pingAllowed(c: Client): boolean {
    const t = now()
    c.pingTokens = Math.min(pingBurst, c.pingTokens + ((t - c.pingRefilledAt) / 1000) * pingsPerSecond)
    c.pingRefilledAt = t
    if (c.pingTokens >= 1) {
      c.pingTokens -= 1
      return true
    }
    if (++c.excessPings > maxExcessPings) closeForPolicy(c, 1008, 'too many pings')
    return false
  }

  function goLive(c: Client, reply: 'subscribed' | 'resumed' | null): void {
    const seq = store.currentSeq()
    c.lastSentSeq = Math.max(c.lastSentSeq, seq)
    c.state = 'live'
    live.add(c)
    if (reply) send(c, { type: reply, seq })
  }

  /**
   * Sends every change after c.lastSentSeq a page at a time, then turns the client live (in the
   * same synchronous step as the read that found nothing more). `reply` is sent on going live.
   */
  async function replay(c: Client, reply: 'resumed' | null): Promise<ReplayEnd> {
    c.state = 'paging'
    // Rows to read next: sized from the last page's messages so that a history of large outputs
    // is not loaded 500 at a time only to send a few.
    let limit = Math.min(32, replayPageSize)
    for (;;) {
      if (!(await roomForPage(c))) return 'gone'
      // History may be pruned while a slow client pages through it: a gap must not go unnoticed.
      if (!store.canReplayFrom(c.lastSentSeq)) return 'pruned'
      let rows = store.messagesAfter(c.lastSentSeq, limit)
      if (rows.length === 0) {
        goLive(c, reply)
        return 'live'
      }
      let bytes = 0
      const fit = rows.findIndex((r) => (bytes += r.message.length) > pageBytes)
      if (fit >= 0) rows = rows.slice(0, Math.max(fit, 1))
      write(c, Buffer.concat(rows.map((r) => frameOf(r.message))))
      c.lastSentSeq = rows.at(-1)!.seq
      const average = Math.max(1, bytes / (fit >= 0 ? fit + 1 : rows.length))
      limit = Math.max(1, Math.min(replayPageSize, Math.ceil(pageBytes / average)))
    }
  }

  /**
   * A snapshot at seq N in pages of task excerpts, newest first; the last page says more:false.
   * Changes committed while paging are then replayed from N like a resume: a task that moved in
   * the order while we paged is covered by that replay, so nothing is missed.
   */
  async function snapshot(c: Client): Promise<void> {
    for (;;) {
      c.state = 'paging'
      const seq = store.currentSeq()
      c.lastSentSeq = seq
      let after: { updated_at: string; task_id: string } | null = null
      for (let more = true; more;) {
        if (!(await roomForPage(c))) return
        const rows = store.snapshotPage(after, snapshotPageSize + 1, EXCERPT_TAIL_CHARS)
        const parts: Buffer[] = []
        let bytes = 0
        let n = 0
        for (const row of rows.slice(0, snapshotPageSize)) {
          const json = Buffer.from((n ? ',' : '') + JSON.stringify(snapshotTaskOf(row)))
          if (n > 0 && bytes + json.length > snapshotPageBytes) break
          parts.push(json)
          bytes += json.length
          n++
        }
        more = n < rows.length
        if (n > 0) after = rows[n - 1]!
        write(
          c,
          frameOfParts([
            Buffer.from(`{"type":"snapshot","seq":${seq},"tasks":[`),
            ...parts,
            Buffer.from(`],"more":${more}}`),
          ]),
        )
      }
      // History after N pruned while we paged: start over with a fresh snapshot (its first page
      // replaces the client's state again).
      if ((await replay(c, null)) !== 'pruned') return
    }
  }

  async function resume(c: Client, seq: number): Promise<void> {
    c.lastSentSeq = seq
    if ((await replay(c, 'resumed')) === 'pruned') await snapshot(c)
  }

  function onMessage(c: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
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
    const paging =
      msg.epoch === store.epoch && store.canReplayFrom(msg.seq) ? resume(c, msg.seq) : snapshot(c)
    paging.catch((err: unknown) => {
      log.error({ err }, 'replay or snapshot failed')
      c.ws.terminate()
    })
  }

  /** Contains anything a handler throws to the one socket: it would otherwise end the process. */
  function guarded(c: Client, what: string, fn: () => void): void {
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
        const c: Client = {
          ws,
          socket,
          state: 'awaiting',
          lastSentSeq: 0,
          invalidFrames: 0,
          pendingPing: null,
          pingTokens: pingBurst,
          pingRefilledAt: now(),
          excessPings: 0,
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
      const frames = changes.map((ch) => frameOf(ch.message))
      const all = frames.length === 1 ? frames[0]! : Buffer.concat(frames)
      const firstSeq = changes[0]!.seq
      const lastSeq = changes.at(-1)!.seq
      for (const c of live) {
        if (c.lastSentSeq < firstSeq) {
          write(c, all)
        } else if (c.lastSentSeq < lastSeq) {
          // Rare: a client that turned live inside this batch's range gets only what it lacks.
          const start = changes.findIndex((ch) => ch.seq > c.lastSentSeq)
          write(c, Buffer.concat(frames.slice(start)))
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
    cutOffCount: (): number => cutOff,

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
