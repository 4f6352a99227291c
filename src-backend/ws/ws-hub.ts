// The WebSocket hub: hello, then subscribe (live from now) or resume (replay after a seq, or a
// snapshot), then live changes. Fan-out cost is what decides latency at scale, so:
// - each change is serialised once, at commit (the store keeps that frame for replays too);
// - a batch of changes becomes one prepared buffer of WS frames, written to every live socket
//   with a single write (no per-client JSON, no per-client framing);
// - a client whose unsent bytes pass a bound is cut off; others are never slowed by it.
// Resume is race-free without locks: a catching-up client reads the store until it is empty and
// turns live in the same synchronous step, and the store holds every change before it is broadcast.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { clientMessageSchema, type ServerMessage } from '../../src-shared/protocol'
import type { AppliedChange } from '../ingest'
import type { TaskStore } from '../store/task-store'

export interface WsHubDeps {
  store: Pick<TaskStore, 'epoch' | 'currentSeq' | 'messagesAfter' | 'allTasks' | 'canReplayFrom'>
  log: Logger
  /** Unsent bytes past which a live client is cut off (default 8 MiB). */
  maxBufferedBytes?: number
  /** Ping interval; a client that has not answered the previous ping is dropped (default 30 s). */
  heartbeatMs?: number
  /** Largest frame a client may send (default 64 KiB); larger closes with 1009. */
  maxInboundBytes?: number
  replayPageSize?: number
  /** Invalid frames tolerated before the socket is closed with 1008. */
  maxInvalidFrames?: number
}

type ClientState = 'awaiting' | 'catching_up' | 'live' | 'closed'

interface Client {
  ws: WebSocket
  socket: Duplex
  state: ClientState
  /** Highest seq this client has been sent (or told about): live frames at or below it are skipped. */
  lastSentSeq: number
  invalidFrames: number
  alive: boolean
  /** Bytes of a snapshot still draining; tolerated above the bound until the socket drains. */
  bulkAllowance: number
}

/**
 * One unmasked, final text frame (RFC 6455 §5.2) around `json`. Framed here rather than by ws's
 * (untyped) Sender so one prepared buffer can be written to many sockets.
 */
export function frameOf(json: string): Buffer {
  const n = Buffer.byteLength(json)
  const frame = Buffer.allocUnsafe(headerLength(n) + n)
  frame.write(json, writeHeader(frame, n)) // one copy: the string straight into the frame
  return frame
}

/** The same, for a payload given in pieces (joined into the frame without an intermediate string). */
export function frameOfParts(parts: readonly Buffer[]): Buffer {
  let n = 0
  for (const p of parts) n += p.length
  const header = Buffer.allocUnsafe(headerLength(n))
  writeHeader(header, n)
  return Buffer.concat([header, ...parts], header.length + n)
}

const headerLength = (n: number): number => (n < 126 ? 2 : n < 65536 ? 4 : 10)

/** Writes the header for a payload of n bytes at the start of `buf`; returns its length. */
function writeHeader(buf: Buffer, n: number): number {
  buf[0] = 0x81 // FIN + opcode 1 (text)
  if (n < 126) {
    buf[1] = n
    return 2
  }
  if (n < 65536) {
    buf[1] = 126
    buf.writeUInt16BE(n, 2)
    return 4
  }
  buf[1] = 127
  buf.writeBigUInt64BE(BigInt(n), 2)
  return 10
}

export function createWsHub(deps: WsHubDeps) {
  const { store, log } = deps
  const maxBuffered = deps.maxBufferedBytes ?? 8 * 1024 * 1024
  const pageSize = deps.replayPageSize ?? 500
  const maxInvalid = deps.maxInvalidFrames ?? 20
  const clients = new Set<Client>()
  const live = new Set<Client>()
  let cutOff = 0
  let closing = false

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxInboundBytes ?? 64 * 1024,
    perMessageDeflate: false,
    clientTracking: false,
  })

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        c.ws.terminate()
        continue
      }
      c.alive = false
      c.ws.ping()
    }
  }, deps.heartbeatMs ?? 30_000)
  heartbeat.unref()

  function writeRaw(c: Client, data: Buffer): boolean {
    if (c.ws.readyState !== WebSocket.OPEN || !c.socket.writable) return false
    c.socket.write(data)
    return true
  }

  function send(c: Client, message: ServerMessage): void {
    writeRaw(c, frameOf(JSON.stringify(message)))
  }

  function overBound(c: Client): boolean {
    return c.socket.writableLength > maxBuffered + c.bulkAllowance
  }

  function cut(c: Client, why: string): void {
    cutOff++
    log.warn(
      { buffered: c.socket.writableLength, why },
      'cutting off a websocket client that does not keep up',
    )
    c.ws.terminate()
  }

  function goLive(c: Client, reply: 'subscribed' | 'resumed'): void {
    const seq = store.currentSeq()
    c.lastSentSeq = Math.max(c.lastSentSeq, seq)
    c.state = 'live'
    live.add(c)
    send(c, { type: reply, seq })
  }

  function sendSnapshot(c: Client): void {
    const seq = store.currentSeq()
    // Built from one JSON string per task rather than one stringify of everything: a snapshot of
    // many tasks with large outputs can pass V8's maximum string length, a Buffer list cannot.
    const parts: Buffer[] = [Buffer.from(`{"type":"snapshot","seq":${seq},"tasks":[`)]
    store.allTasks().forEach((task, i) => parts.push(Buffer.from((i ? ',' : '') + JSON.stringify(task))))
    parts.push(Buffer.from(']}'))
    const frame = frameOfParts(parts)
    c.bulkAllowance = frame.length
    c.socket.once('drain', () => (c.bulkAllowance = 0))
    writeRaw(c, frame)
    c.lastSentSeq = seq
    c.state = 'live'
    live.add(c)
  }

  async function catchUp(c: Client): Promise<void> {
    c.state = 'catching_up'
    for (;;) {
      if ((c.state as ClientState) === 'closed') return
      let rows = store.messagesAfter(c.lastSentSeq, pageSize)
      if (rows.length === 0) {
        goLive(c, 'resumed') // same synchronous step as the empty read: nothing can slip between
        return
      }
      // A page is bounded in bytes too: history with large outputs must not pile up per client.
      let bytes = 0
      const fit = rows.findIndex((r) => (bytes += r.message.length) > maxBuffered / 4)
      if (fit >= 0) rows = rows.slice(0, Math.max(fit, 1))
      writeRaw(c, Buffer.concat(rows.map((r) => frameOf(r.message))))
      c.lastSentSeq = rows.at(-1)!.seq
      if (c.socket.writableLength > maxBuffered / 2) {
        // Let a slow reader drain before the next page instead of buffering the whole history.
        await new Promise<void>((resolve) => {
          const done = () => {
            c.socket.off('drain', done)
            c.socket.off('close', done)
            resolve()
          }
          c.socket.once('drain', done)
          c.socket.once('close', done)
        })
      } else {
        await yieldToLoop()
      }
    }
  }

  function onMessage(c: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const invalid = (code: string, message: string) => {
      c.invalidFrames++
      send(c, { type: 'error', code, message })
      if (c.invalidFrames >= maxInvalid) c.ws.close(1008, 'too many invalid messages')
    }
    if (isBinary) return invalid('binary_not_supported', 'send JSON text frames')
    let json: unknown
    try {
      json = JSON.parse(data.toString())
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
    if (msg.type === 'ping')
      return send(c, msg.t === undefined ? { type: 'pong' } : { type: 'pong', t: msg.t })
    if (c.state !== 'awaiting') return invalid('already_subscribed', 'this socket is already subscribed')
    if (msg.type === 'subscribe') return goLive(c, 'subscribed')
    if (msg.epoch === store.epoch && store.canReplayFrom(msg.seq)) {
      c.lastSentSeq = msg.seq
      catchUp(c).catch((err: unknown) => {
        log.error({ err }, 'replay failed')
        c.ws.terminate()
      })
    } else {
      sendSnapshot(c)
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
          alive: true,
          bulkAllowance: 0,
        }
        clients.add(c)
        ws.on('pong', () => (c.alive = true))
        ws.on('message', (data, isBinary) => {
          // An exception here would escape ws's listener and end the process: contain it to the socket.
          try {
            onMessage(c, data, isBinary)
          } catch (err) {
            log.error({ err }, 'failed to answer a websocket message')
            c.ws.close(1011, 'internal error')
          }
        })
        ws.on('error', (err) => log.debug({ err }, 'websocket client error'))
        ws.on('close', () => {
          c.state = 'closed'
          clients.delete(c)
          live.delete(c)
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
          writeRaw(c, all)
        } else if (c.lastSentSeq < lastSeq) {
          // Rare: a client that turned live inside this batch's range gets only what it lacks.
          const start = changes.findIndex((ch) => ch.seq > c.lastSentSeq)
          writeRaw(c, Buffer.concat(frames.slice(start)))
        } else {
          continue
        }
        c.lastSentSeq = lastSeq
        if (overBound(c)) cut(c, 'send buffer over bound')
      }
    },

    clientCount: (): number => clients.size,
    cutOffCount: (): number => cutOff,

    /** Closes every client with 1001 and waits briefly for them to go. Idempotent. */
    async close(): Promise<void> {
      if (closing) return
      closing = true
      clearInterval(heartbeat)
      const gone = [...clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.state === 'closed') return resolve()
            c.ws.once('close', () => resolve())
            c.ws.close(1001, 'server shutting down')
          }),
      )
      const timeout = new Promise<void>((r) => setTimeout(r, 1000).unref())
      await Promise.race([Promise.all(gone), timeout])
      for (const c of clients) c.ws.terminate()
      wss.close()
    },
  }
}

export type WsHub = ReturnType<typeof createWsHub>
