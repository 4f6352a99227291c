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
  log: Logger
}

export interface ConnectionLimits {
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

  server.on('connection', (socket: Socket) => {
    open++
    unanswered.add(socket)
    socket.once('close', () => {
      open--
      unanswered.delete(socket)
    })
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

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    const n = (inFlight.get(socket) ?? 0) + 1
    inFlight.set(socket, n)
    res.once('close', () => {
      inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1)
      unanswered.delete(socket)
    })
    if (n > opts.maxPipelined) {
      cutOff++
      socket.destroy()
    }
  })

  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    unanswered.delete(socket)
  })

  return { count: () => open, evicted: () => evicted, cutOff: () => cutOff }
}
