// Last-resort guards for the entries the HTTP server hands us outside express: the request
// handler itself, the `upgrade` event and the `clientError` event. Each handler is meant to be
// total on its own (no input can make it throw); these wrappers are the backstop for the case it is
// not: an exception thrown from a Node event listener ends the process, so one odd request line from
// any web page could take the backend down. A caught throw is a bug: it is logged (rate-limited, so
// an attacker who finds one cannot flood the log) and answered 400, never rethrown.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'

/** Logs at most `perMinute` lines a minute; counts the rest and reports them with the next line. */
export function rateLimitedLog(perMinute = 20) {
  let windowStart = 0
  let inWindow = 0
  let suppressed = 0
  return (write: (suppressedBefore: number) => void): void => {
    const now = Date.now()
    if (now - windowStart >= 60_000) {
      windowStart = now
      inWindow = 0
    }
    if (inWindow >= perMinute) {
      suppressed++
      return
    }
    inWindow++
    write(suppressed)
    suppressed = 0
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
}

/**
 * A complete HTTP/1.1 error response with the REST error body, for sockets that are not (or no
 * longer) behind a ServerResponse: refused upgrades and unparseable requests.
 */
export function rawErrorResponse(status: number, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } })
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/** Writes an error response on a raw socket unless a response has begun there; then closes it. */
export function endSocketWithError(socket: Duplex, status: number, code: string, message: string): void {
  const written = (socket as Partial<Socket>).bytesWritten ?? 0
  if (socket.writable && written === 0) {
    socket.end(rawErrorResponse(status, code, message))
    // A client that never reads would keep the socket (and its unsent reply) forever.
    setTimeout(() => socket.destroy(), 5_000).unref()
  } else {
    socket.destroy()
  }
}

/** Shortens a client-controlled string before it goes into a log line. */
const forLog = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : s.length > 200 ? `${s.slice(0, 200)}…` : s

export interface EntryGuards {
  request(handler: RequestListener): RequestListener
  upgrade(
    handler: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
  ): (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** A property, not a method: it is handed to `server.on('clientError', …)` unbound. */
  clientError: (err: Error & { code?: string }, socket: Duplex) => void
}

export function createEntryGuards(log: Logger): EntryGuards {
  const limited = rateLimitedLog()
  const caught = (entry: string, err: unknown, req: IncomingMessage) =>
    limited((suppressed) =>
      log.error(
        { err, entry, method: forLog(req.method), url: forLog(req.url), suppressed },
        'a request handler threw; answered 400 (a bug: handlers must be total)',
      ),
    )

  return {
    request(handler) {
      return (req: IncomingMessage, res: ServerResponse) => {
        try {
          handler(req, res)
        } catch (err) {
          caught('request', err, req)
          if (res.headersSent) {
            res.destroy()
            return
          }
          const body = JSON.stringify({ error: { code: 'bad_request', message: 'bad request' } })
          res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', connection: 'close' })
          res.end(body)
        }
      }
    },

    upgrade(handler) {
      return (req, socket, head) => {
        // Without a listener, a socket error (a reset mid-handshake) would be thrown.
        socket.on('error', () => socket.destroy())
        try {
          handler(req, socket, head)
        } catch (err) {
          caught('upgrade', err, req)
          endSocketWithError(socket, 400, 'bad_request', 'bad upgrade request')
        }
      }
    },

    // Node's default behaviour (400/431/408 unless a response has begun, then close), plus a JSON
    // body and a debug line: malformed requests are routine on an open port, not worth a warning.
    clientError(err, socket) {
      log.debug({ code: err.code, err: err.message }, 'unparseable HTTP request')
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        socket.destroy()
        return
      }
      if (err.code === 'HPE_HEADER_OVERFLOW') {
        endSocketWithError(socket, 431, 'headers_too_large', 'request headers too large')
      } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        endSocketWithError(socket, 408, 'request_timeout', 'request not received in time')
      } else {
        endSocketWithError(socket, 400, 'bad_request', 'malformed HTTP request')
      }
    },
  }
}
