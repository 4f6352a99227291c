// Every byte the hub queues for a client goes through here: live changes, replay and snapshot
// pages, pongs, errors, replies and our pings. The socket's writableLength holds all of it (ws's
// own close frames included), so one bound per client limits its memory whatever it asked for,
// and a client past the bound is cut off at once, without slowing anyone else. Pages are written
// only once the socket has drained below a low-water mark (roomForPage).
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../../src-shared/protocol'
import { frameOf } from './frames'
import type { PingAllowance } from './ping-budget'

export type ClientState = 'awaiting' | 'paging' | 'live' | 'closed'

/** One connected client: its socket and where its session stands. */
export interface HubClient {
  ws: WebSocket
  socket: Duplex
  state: ClientState
  /** Highest seq this client has been sent (or told about): live frames at or below it are skipped. */
  lastSentSeq: number
  invalidFrames: number
  /** Payload of our last heartbeat ping still unanswered; null when answered (or none sent yet). */
  pendingPing: Buffer | null
  pings: PingAllowance
  /** Resolves a page writer waiting for the socket to drain (or to close). */
  wake: (() => void) | null
  /** Closed for a policy violation: its frames are no longer handled. */
  closing: boolean
}

export interface ClientSenderOptions {
  /** Bytes queued for one client past which it is cut off. */
  maxBufferedBytes: number
  /** The next page is written only when fewer bytes than this wait for the client. */
  lowWaterBytes: number
  log: Logger
}

export function createClientSender(opts: ClientSenderOptions) {
  const { maxBufferedBytes, lowWaterBytes, log } = opts
  let cutOff = 0

  const gone = (c: HubClient): boolean =>
    c.state === 'closed' || c.closing || c.ws.readyState !== WebSocket.OPEN

  function cut(c: HubClient, why: string): void {
    cutOff++
    log.warn(
      { buffered: c.socket.writableLength, why },
      'cutting off a websocket client that does not keep up',
    )
    c.ws.terminate()
  }

  /** The only way bytes reach a client; false when it is gone or was cut off by this write. */
  function write(c: HubClient, data: Buffer): boolean {
    if (gone(c) || !c.socket.writable) return false
    c.socket.write(data)
    if (c.socket.writableLength > maxBufferedBytes) {
      cut(c, 'send buffer over bound')
      return false
    }
    return true
  }

  return {
    gone,
    write,
    // A property, not a method: the hub takes it out of this object (no `this` involved).
    send: (c: HubClient, message: ServerMessage): void => {
      write(c, frameOf(JSON.stringify(message)))
    },

    /** Resolves once fewer than the low-water mark of bytes wait for the client; false if it went away. */
    async roomForPage(c: HubClient): Promise<boolean> {
      // Never below the socket's own highWaterMark: 'drain' is only emitted after passing that.
      const mark = Math.max(lowWaterBytes, c.socket.writableHighWaterMark)
      while (!gone(c) && c.socket.writableLength > mark) {
        // Above the low-water mark the socket has passed its highWaterMark, so 'drain' will come
        // (or 'close', which also wakes us).
        await new Promise<void>((resolve) => (c.wake = resolve))
        c.wake = null
      }
      return !gone(c)
    },

    /** Clients cut off so far. */
    cutOffCount: (): number => cutOff,
  }
}

export type ClientSender = ReturnType<typeof createClientSender>
