// Raw TCP for the adversarial suites: bytes exactly as given (no fetch/undici, which would refuse or
// normalise the odd request lines and headers a hostile client sends), a hand-made WebSocket
// handshake, and a WebSocket frame encoder/decoder that can also write frames the RFC forbids.
import { connect, type Socket } from 'node:net'

export interface Exchange {
  /** Everything the server sent before it closed or the wait ended. */
  data: Buffer
  /** True when the server closed (or reset) the connection; false when the wait ended first. */
  closed: boolean
  /** A socket error code (ECONNRESET, EPIPE…), if any. */
  error?: string
}

export interface ExchangeOptions {
  /** Half-close after writing, so a keep-alive server ends the connection once it has answered. */
  halfClose?: boolean
  /** Stop waiting once this returns true for what has arrived so far. */
  until?: (data: Buffer) => boolean
  /** Ceiling on the whole exchange (default 10 s); reaching it is reported as `closed: false`. */
  timeoutMs?: number
}

/** Connects, writes `chunks` in order, and collects the reply until close, `until` or the ceiling. */
export function exchange(
  port: number,
  chunks: readonly Buffer[],
  opts: ExchangeOptions = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const parts: Buffer[] = []
    let error: string | undefined
    let settled = false
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const finish = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ data: Buffer.concat(parts), closed, ...(error ? { error } : {}) })
    }
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 10_000)
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message
      finish(true)
    })
    socket.on('data', (d: Buffer) => {
      parts.push(d)
      if (opts.until?.(Buffer.concat(parts))) finish(false)
    })
    socket.on('end', () => finish(true))
    socket.on('close', () => finish(true))
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c)
      if (opts.halfClose) socket.end()
    })
  })
}

/**
 * The status code of the first final HTTP response in `data` (interim 1xx such as `100 Continue`
 * skipped; a lone 101 is final for an upgrade), or null when there is none.
 */
export function statusOf(data: Buffer): number | null {
  const all = statusesOf(data)
  return all.find((s) => s >= 200 || s === 101) ?? all[0] ?? null
}

/** Every status line in `data` (pipelined or informational responses). */
export function statusesOf(data: Buffer): number[] {
  return [...data.toString('latin1').matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]))
}

/** GET /api/health over a fresh raw connection: the status code, or null when nothing answered. */
export async function rawHealth(port: number, timeoutMs = 10_000): Promise<number | null> {
  const reply = await exchange(
    port,
    [Buffer.from(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)],
    { timeoutMs },
  )
  return statusOf(reply.data)
}

// ---- WebSocket ---------------------------------------------------------------------------------

export interface FrameSpec {
  fin?: boolean
  /** RSV1–3 bits (0–7); non-zero without an extension is a protocol error. */
  rsv?: number
  opcode: number
  payload: Buffer
  /** Client frames must be masked (RFC 6455 §5.3); false sends a forbidden unmasked frame. */
  mask?: boolean
  /** Declared payload length when it should lie about the real one. */
  declaredLength?: number
  /** Use the 16- or 64-bit length form even for short payloads (a non-minimal encoding). */
  lengthForm?: 'auto' | '16' | '64'
}

/** One WebSocket frame as a client would send it (or, with the options, as it must not). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const len = spec.declaredLength ?? spec.payload.length
  const mask = spec.mask ?? true
  const form = spec.lengthForm ?? 'auto'
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)]
  const maskBit = mask ? 0x80 : 0
  let ext = Buffer.alloc(0)
  if (form === 'auto' && len < 126) {
    head.push(maskBit | len)
  } else if ((form === 'auto' && len < 65536) || form === '16') {
    head.push(maskBit | 126)
    ext = Buffer.alloc(2)
    ext.writeUInt16BE(len & 0xffff)
  } else {
    head.push(maskBit | 127)
    ext = Buffer.alloc(8)
    ext.writeBigUInt64BE(BigInt(len))
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, spec.payload])
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const masked = Buffer.from(spec.payload)
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!
  return Buffer.concat([Buffer.from(head), ext, key, masked])
}

export interface ServerFrame {
  opcode: number
  payload: Buffer
}

/** Decodes the (unmasked) frames a server sent; stops at an incomplete one. */
export function decodeFrames(data: Buffer): ServerFrame[] {
  const frames: ServerFrame[] = []
  let at = 0
  while (at + 2 <= data.length) {
    const opcode = data[at]! & 0x0f
    let len = data[at + 1]! & 0x7f
    let off = at + 2
    if (len === 126) {
      if (off + 2 > data.length) break
      len = data.readUInt16BE(off)
      off += 2
    } else if (len === 127) {
      if (off + 8 > data.length) break
      len = Number(data.readBigUInt64BE(off))
      off += 8
    }
    if (off + len > data.length) break
    frames.push({ opcode, payload: data.subarray(off, off + len) })
    at = off + len
  }
  return frames
}

/** The close code in a server's close frame, if it sent one (1005 for an empty close). */
export function closeCodeOf(frames: readonly ServerFrame[]): number | null {
  const close = frames.find((f) => f.opcode === 0x8)
  if (!close) return null
  return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005
}

export interface WsConnection {
  socket: Socket
  /** Bytes received after the 101 response (frames). */
  received(): Buffer
  /** Resolves when the server closed the TCP connection (or the ceiling passed: false). */
  closed(timeoutMs?: number): Promise<boolean>
}

/** A completed WebSocket handshake on /ws with the token; rejects unless the server answers 101. */
export function wsHandshake(port: number, token: string): Promise<WsConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let buf = Buffer.alloc(0)
    let upgraded = false
    let isClosed = false
    const closeWaiters: (() => void)[] = []
    socket.on('close', () => {
      isClosed = true
      for (const w of closeWaiters) w()
      if (!upgraded) reject(new Error(`socket closed before 101: ${buf.toString('latin1').slice(0, 200)}`))
    })
    socket.on('error', () => {})
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (upgraded) return
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end).toString('latin1')
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy()
        reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`))
        return
      }
      upgraded = true
      buf = buf.subarray(end + 4)
      resolve({
        socket,
        received: () => buf,
        closed: (timeoutMs = 10_000) =>
          new Promise((r) => {
            if (isClosed) return r(true)
            const t = setTimeout(() => r(false), timeoutMs)
            closeWaiters.push(() => {
              clearTimeout(t)
              r(true)
            })
          }),
      })
    })
    socket.on('connect', () => {
      socket.write(
        `GET /ws?token=${encodeURIComponent(token)} HTTP/1.1\r\n` +
          `Host: 127.0.0.1:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      )
    })
  })
}
