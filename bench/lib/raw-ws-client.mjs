// A minimal WebSocket client for the load generator: HTTP upgrade by hand, then a frame parser
// over the raw TCP stream. Server frames arrive unmasked and, from coalescing relays, many per TCP
// read; parsing them in one loop costs a fraction of a full client library, so one generator
// process can receive 100,000+ messages/s and leave the CPU to the servers under test.
// Handles text/binary, ping (answered), close; not fragmentation or extensions (none is negotiated).
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'

/**
 * @param {string} url ws://host:port/path?query
 * @param {{ onMessage: (payload: Buffer, ws: { send(text: string): void }) => void, onClose?: () => void, timeoutMs?: number }} handlers
 * @returns {Promise<{ send(text: string): void, close(): void }>}
 */
export function openRawWebSocket(url, handlers) {
  const u = new URL(url)
  const host = u.hostname
  const port = Number(u.port || 80)
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port })
    sock.setNoDelay(true)
    let upgraded = false
    let closed = false
    let pending = null // unparsed bytes
    const timer = setTimeout(() => fail(new Error('handshake timeout')), handlers.timeoutMs ?? 30_000)
    const fail = (err) => {
      clearTimeout(timer)
      sock.destroy()
      if (!upgraded) reject(err)
    }

    const sendFrame = (opcode, payload) => {
      const len = payload.length
      const headerLen = len < 126 ? 6 : len < 65536 ? 8 : 14
      const frame = Buffer.allocUnsafe(headerLen + len)
      frame[0] = 0x80 | opcode
      let o = 2
      if (len < 126) frame[1] = 0x80 | len
      else if (len < 65536) {
        frame[1] = 0x80 | 126
        frame.writeUInt16BE(len, 2)
        o = 4
      } else {
        frame[1] = 0x80 | 127
        frame.writeBigUInt64BE(BigInt(len), 2)
        o = 10
      }
      const mask = randomBytes(4)
      mask.copy(frame, o)
      o += 4
      for (let i = 0; i < len; i++) frame[o + i] = payload[i] ^ mask[i & 3]
      if (!sock.destroyed) sock.write(frame)
    }

    const api = {
      send: (text) => sendFrame(0x1, Buffer.from(text)),
      close: () => {
        closed = true
        sock.destroy()
      },
    }

    const parse = (buf) => {
      let off = 0
      const n = buf.length
      while (n - off >= 2) {
        const b0 = buf[off]
        let len = buf[off + 1] & 0x7f
        let p = off + 2
        if (len === 126) {
          if (n - off < 4) break
          len = buf.readUInt16BE(off + 2)
          p = off + 4
        } else if (len === 127) {
          if (n - off < 10) break
          len = Number(buf.readBigUInt64BE(off + 2))
          p = off + 10
        }
        if (n - p < len) break
        const opcode = b0 & 0x0f
        const payload = buf.subarray(p, p + len)
        off = p + len
        if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) handlers.onMessage(payload, api)
        else if (opcode === 0x9) sendFrame(0xa, Buffer.from(payload))
        else if (opcode === 0x8) {
          sock.destroy()
          return
        }
      }
      pending = off < n ? Buffer.from(buf.subarray(off)) : null
    }

    sock.on('data', (chunk) => {
      if (!upgraded) {
        pending = pending ? Buffer.concat([pending, chunk]) : chunk
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = pending.subarray(0, end).toString('latin1')
        if (!head.startsWith('HTTP/1.1 101')) {
          fail(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
          return
        }
        upgraded = true
        clearTimeout(timer)
        const rest = pending.subarray(end + 4)
        pending = null
        resolve(api)
        if (rest.length) parse(rest)
        return
      }
      parse(pending ? Buffer.concat([pending, chunk]) : chunk)
    })
    sock.on('error', (err) => fail(err))
    sock.on('close', () => {
      clearTimeout(timer)
      if (!upgraded) reject(new Error('connection closed during handshake'))
      else if (!closed) handlers.onClose?.()
    })
    sock.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
        'Sec-WebSocket-Version: 13\r\n\r\n',
    )
  })
}
