// One HTTP/1.1 request over node:net, for the hook's and exec's sends to a plain `http:` server.
//
// Why not node:http: a hook call runs on every tool call of an agent, which waits for it, and
// loading node:http (its agent, ClientRequest, the llhttp parser) costs the call ~8–10 ms of CPU
// above node:net's own connect (docs/benchmarks.md "Agent hooks"). What the CLI needs is small: a
// request with a body, the status code, and the start of the body for an error message. Each
// request has its own connection (`Connection: close`): the body ends when the server closes it,
// so no keep-alive framing is needed, and a chunked body is decoded when the server sends one.
// `https:` targets keep node:https (TLS is not written by hand).
import type { Socket } from 'node:net'

export interface Http1Request {
  /** Host name or IP address (an IPv6 address without brackets). */
  host: string
  port: number
  method: string
  /** The request target: path and query, already encoded. */
  path: string
  headers: Record<string, string>
  body: string
}

export interface Http1Response {
  status: number
  /** The body as text, at most MAX_BODY_BYTES of it. */
  body: string
}

/** Bytes of a response kept: the CLI reads only a status and an error message. */
export const MAX_BODY_BYTES = 64 * 1024

/** An error with the socket's code (ECONNREFUSED, ...) or `EPROTO` for a response we cannot read. */
export type Http1Error = Error & { code?: string }

const protocolError = (message: string): Http1Error => Object.assign(new Error(message), { code: 'EPROTO' })

/**
 * Sends the request; resolves with the response once it is whole (by its framing, or the server
 * closing the connection), or rejects on a socket error, an unreadable response or a header that
 * holds a line break. The caller bounds the time, and gives up by destroying the socket it is
 * handed (`onSocket`).
 */
export function http1Request(req: Http1Request, onSocket?: (socket: Socket) => void): Promise<Http1Response> {
  const net = process.getBuiltinModule('node:net')
  const body = Buffer.from(req.body)
  // As node:http writes it: the port only when it is not HTTP's own.
  const hostName = req.host.includes(':') ? `[${req.host}]` : req.host
  const hostHeader = req.port === 80 ? hostName : `${hostName}:${req.port}`
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${hostHeader}\r\nconnection: close\r\ncontent-length: ${body.length}\r\n`
  for (const [name, value] of Object.entries(req.headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
      return Promise.reject(new Error(`header ${name} holds a line break`))
    head += `${name}: ${value}\r\n`
  }
  head += '\r\n'
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: req.host, port: req.port })
    onSocket?.(socket)
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (complete: boolean) => {
      if (settled) return
      const raw = Buffer.concat(chunks)
      // A server that keeps the connection open after a complete response is not waited for.
      if (!complete && !isComplete(raw)) return
      settled = true
      socket.destroy()
      try {
        resolve(parseResponse(raw))
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    }
    socket.on('data', (chunk: Buffer) => {
      // Past the cap only the status line and headers matter, and they are in the first bytes.
      if (size < MAX_BODY_BYTES + 16 * 1024) chunks.push(chunk)
      size += chunk.length
      settle(false)
    })
    socket.once('error', (err) => {
      if (settled) return
      settled = true
      reject(err)
    })
    socket.once('end', () => settle(true))
    // Not end(): a half-closed request makes a node:http server cut its answer short (it closes
    // the connection once what it had written so far is out). The server closes after answering.
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]))
  })
}

/** Whether `raw` holds a whole response by its own framing (Content-Length, chunked, or none). */
function isComplete(raw: Buffer): boolean {
  const final = finalHead(raw)
  if (!final) return false
  const { status, chunked, length } = final.head
  if (status === null) return true // unreadable: parseResponse says why
  if (status === 204 || status === 304) return true
  const body = raw.subarray(final.end + 4)
  if (chunked) return dechunk(body).complete
  return length !== null && body.length >= length
}

type Head = ReturnType<typeof readHead>

/**
 * The final response's head, past any interim 1xx ones (a server or proxy may send `100 Continue`
 * or `103 Early Hints` unasked, and a client must read past them); null while it has not all come.
 */
function finalHead(raw: Buffer): { end: number; head: Head } | null {
  for (let start = 0; ;) {
    const end = raw.indexOf('\r\n\r\n', start)
    if (end < 0) return null
    const head = readHead(raw.subarray(start, end))
    if (head.status === null || head.status >= 200) return { end, head }
    start = end + 4
  }
}

function readHead(head: Buffer): {
  status: number | null
  chunked: boolean
  length: number | null
  line: string
} {
  const lines = head.toString('latin1').split('\r\n')
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '')
  let chunked = false
  let length: number | null = null
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value)
    else if (name === 'content-length' && /^\d+$/.test(value)) length = Number(value)
  }
  return { status: status ? Number(status[1]) : null, chunked, length, line: lines[0] ?? '' }
}

/** Parses a whole `Connection: close` response: status line, headers, body (chunked or not). */
export function parseResponse(raw: Buffer): Http1Response {
  const final = finalHead(raw)
  if (!final) throw protocolError('the response ended inside its headers')
  const { status, chunked, length, line } = final.head
  if (status === null)
    throw protocolError(`not an HTTP/1.1 status line: ${JSON.stringify(line.slice(0, 80))}`)
  let body = raw.subarray(final.end + 4)
  if (chunked) body = dechunk(body).data
  else if (length !== null) body = body.subarray(0, length)
  return { status, body: body.subarray(0, MAX_BODY_BYTES).toString('utf8') }
}

/**
 * The data of a chunked body, as much as arrived, and whether it is complete: its last (size 0)
 * chunk and the blank line after the trailers are in. Read by the framing, not by how the bytes
 * end: a data chunk can end in `0\r\n` too.
 */
function dechunk(body: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16)
    if (!Number.isFinite(size) || size < 0) break
    if (size === 0) {
      const rest = body.subarray(lineEnd + 2)
      // No trailers: a blank line next; else the trailers end at a blank line.
      const complete = rest.subarray(0, 2).toString('latin1') === '\r\n' || rest.includes('\r\n\r\n')
      return { data: Buffer.concat(parts), complete }
    }
    const dataEnd = lineEnd + 2 + size
    parts.push(body.subarray(lineEnd + 2, Math.min(dataEnd, body.length)))
    if (dataEnd + 2 > body.length) break
    at = dataEnd + 2
  }
  return { data: Buffer.concat(parts), complete: false }
}
