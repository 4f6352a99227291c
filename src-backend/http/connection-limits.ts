// Bounds on what one client can hold in the HTTP server:
// - connections per server: at the cap, the oldest connection that has not yet been answered
//   (idle since it opened, or trickling its headers) is closed to make room, so idle or slow
//   sockets cannot lock out a client that wants /api/health; served and upgraded (WebSocket)
//   connections are never evicted for this.
// - requests in flight per connection: a client that pipelines requests without reading the
//   answers is cut off past the bound. (Node itself stops reading a connection whose queued answers
//   exceed its write buffer; this catches what arrives before that, e.g. one large read.)
import { readFileSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'

export interface ConnectionLimitsOptions {
  maxConnections: number
  maxPipelined: number
  /** A connection that sends no byte within this is closed. */
  silentTimeoutMs: number
  log: Logger
}

export interface ConnectionLimits {
  /** Call before handling a request; when false, do not handle it (its connection was cut off). */
  admit(req: IncomingMessage, res: ServerResponse): boolean
  /** Open connections (HTTP and upgraded). */
  count(): number
  /** Connections closed to make room, and connections cut off for pipelining past the bound. */
  evicted(): number
  cutOff(): number
}

/** The process's soft limit on open files (Linux), or null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

/**
 * The connection cap actually used: the configured one, lowered to leave room under the open-file
 * limit (SQLite, logs, Redis need descriptors too), or the server would fail to accept before the
 * cap could make room.
 */
export function effectiveConnectionCap(configured: number, fileLimit = openFileLimit()): number {
  if (fileLimit === null) return configured
  return Math.max(16, Math.min(configured, fileLimit - 64))
}

export function applyConnectionLimits(server: Server, opts: ConnectionLimitsOptions): ConnectionLimits {
  let open = 0
  let evicted = 0
  let cutOff = 0
  let warned = false
  // Not yet answered, oldest first (a Set iterates in insertion order).
  const unanswered = new Set<Socket>()
  const inFlight = new WeakMap<Socket, number>()
  const cutSockets = new WeakSet<Socket>()

  server.on('connection', (socket: Socket) => {
    open++
    unanswered.add(socket)
    socket.once('close', () => {
      open--
      unanswered.delete(socket)
    })
    // When a connection closes, node:http aborts every request still queued on it, each with an
    // Error whose stack trace costs ~50 µs: thousands of pipelined requests made one close block
    // the event loop for a second. Those errors go nowhere (the peer is gone), so they are built
    // without a stack: before node's own 'close' listener, and restored right after it.
    let savedLimit: number | undefined
    socket.prependListener('close', () => {
      if ((inFlight.get(socket) ?? 0) === 0 && !cutSockets.has(socket)) return
      savedLimit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
    })
    socket.on('close', () => {
      if (savedLimit !== undefined) Error.stackTraceLimit = savedLimit
    })
    // Node times out a request whose headers are incomplete, but never a connection that sends
    // nothing at all: those are closed here after the same time.
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0 && unanswered.has(socket)) socket.destroy()
    }, opts.silentTimeoutMs)
    silent.unref()
    socket.once('close', () => clearTimeout(silent))
    if (open <= opts.maxConnections) return
    const victim = unanswered.values().next().value ?? socket
    unanswered.delete(victim)
    victim.destroy()
    evicted++
    if (!warned) {
      warned = true
      opts.log.warn(
        { maxConnections: opts.maxConnections },
        'connection cap reached: closing the oldest unanswered connections (further ones only counted)',
      )
    }
  })

  /**
   * Called first for every request, before any routing: false when the connection is cut off.
   * A cut-off connection's remaining pipelined requests (Node parses the rest of the chunk it
   * already read) then cost only this check, not a trip through the app.
   */
  function admit(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket
    if (socket.destroyed) return false
    const n = (inFlight.get(socket) ?? 0) + 1
    inFlight.set(socket, n)
    res.once('close', () => {
      inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1)
      unanswered.delete(socket)
    })
    if (n > opts.maxPipelined) {
      cutOff++
      cutSockets.add(socket)
      // Node still parses the rest of the chunk it already read (up to 64 KiB), but each of those
      // requests now stops at the destroyed check above.
      socket.destroy()
      return false
    }
    return true
  }

  // A client error (bad request, header timeout) is answered by the server's clientError handler
  // with socket.end(); node:http sockets allow half-open, so a client that keeps its side open
  // (slowloris) would keep the connection for ever. Make sure it goes.
  server.on('clientError', (_err: Error, socket: Socket) => {
    setTimeout(() => socket.destroy(), 1000).unref()
  })

  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    unanswered.delete(socket)
  })

  return { admit, count: () => open, evicted: () => evicted, cutOff: () => cutOff }
}
