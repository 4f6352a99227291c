// A WebSocket client made by hand on a raw TCP socket: it does the upgrade, can send any frame
// (masked, as RFC 6455 §5.3 requires of clients, or deliberately not), and reads only when told.
// Nothing reads on its behalf, so it can play a client that stops reading.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { Backend } from '../helpers/backend-process'
import { waitFor } from '../helpers/backend-process'

/** A masked client frame. `fin` false for a fragment. */
export function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4)
  const len = payload.length
  let header: Buffer
  if (len < 126) header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
  else if (len < 65536) header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff])
  else {
    header = Buffer.alloc(10)
    header[0] = (fin ? 0x80 : 0) | opcode
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(BigInt(len), 2)
  }
  const masked = Buffer.allocUnsafe(len)
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i % 4]!
  return Buffer.concat([header, mask, masked])
}

export const textFrame = (text: string): Buffer => clientFrame(0x1, Buffer.from(text))

export interface RawWs {
  socket: Socket
  /** The hello the server sent. */
  hello: { epoch: string; seq: number }
  /** Resolves when the socket is closed (by the server, or after a write failed). */
  closed: Promise<void>
  isClosed(): boolean
}

/** Upgrades, waits for hello, then stops reading (the socket is paused). */
export async function rawWs(b: Backend): Promise<RawWs> {
  const socket = connect(b.port, '127.0.0.1')
  let closedFlag = false
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closedFlag = true
      resolve()
    }),
  )
  socket.on('error', () => {}) // a reset after the cut-off is expected
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(
    `GET /ws?token=${encodeURIComponent(b.token)} HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  let got = Buffer.alloc(0)
  const onData = (d: Buffer) => (got = Buffer.concat([got, d]))
  socket.on('data', onData)
  await waitFor(
    () => got.includes('"type":"hello"') && got.includes('}', got.indexOf('"type":"hello"')),
    'hello',
  )
  socket.off('data', onData)
  socket.pause()
  if (got.subarray(0, 12).toString() !== 'HTTP/1.1 101') throw new Error(`upgrade refused: ${got.toString()}`)
  const json = got.subarray(got.indexOf('{"type":"hello"'))
  const hello = JSON.parse(json.subarray(0, json.indexOf('}') + 1).toString()) as {
    epoch: string
    seq: number
  }
  return { socket, hello, closed, isClosed: () => closedFlag }
}

/**
 * Writes `chunk` again and again, as fast as the socket takes it and never reading, until the
 * server closes the connection or `maxMs` passes. Resolves with the bytes written and whether
 * the server cut it off.
 */
export async function flood(
  c: RawWs,
  chunk: Buffer,
  maxMs: number,
): Promise<{ bytes: number; cut: boolean }> {
  const deadline = Date.now() + maxMs
  let bytes = 0
  while (!c.isClosed() && Date.now() < deadline) {
    bytes += chunk.length
    if (!c.socket.write(chunk)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000) // a server that stops reading us: check the clock again
        const done = () => {
          clearTimeout(t)
          c.socket.off('drain', done)
          resolve()
        }
        c.socket.once('drain', done)
        void c.closed.then(done)
      })
    } else {
      await new Promise((r) => setImmediate(r))
    }
  }
  return { bytes, cut: c.isClosed() }
}
