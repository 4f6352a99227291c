// Server-side WebSocket framing (RFC 6455 §5.2), done here rather than by ws's (untyped) Sender
// so that one prepared buffer can be written to many sockets, and so that every frame the hub
// sends goes through one accounted write path (control frames included).

/** One unmasked, final text frame around `json`. */
export function frameOf(json: string): Buffer {
  const n = Buffer.byteLength(json)
  const frame = Buffer.allocUnsafe(headerLength(n) + n)
  frame.write(json, writeHeader(frame, n, OPCODE_TEXT)) // one copy: the string straight into the frame
  return frame
}

/** The same, for a payload given in pieces (joined into the frame without an intermediate string). */
export function frameOfParts(parts: readonly Buffer[]): Buffer {
  let n = 0
  for (const p of parts) n += p.length
  const header = Buffer.allocUnsafe(headerLength(n))
  writeHeader(header, n, OPCODE_TEXT)
  return Buffer.concat([header, ...parts], header.length + n)
}

export const OPCODE_TEXT = 0x1
export const OPCODE_PING = 0x9
export const OPCODE_PONG = 0xa

/** A ping or pong frame; control payloads are at most 125 bytes (RFC 6455 §5.5). */
export function controlFrame(opcode: typeof OPCODE_PING | typeof OPCODE_PONG, payload: Buffer): Buffer {
  if (payload.length > 125) throw new RangeError('control frame payload over 125 bytes')
  const frame = Buffer.allocUnsafe(2 + payload.length)
  writeHeader(frame, payload.length, opcode)
  payload.copy(frame, 2)
  return frame
}

const headerLength = (n: number): number => (n < 126 ? 2 : n < 65536 ? 4 : 10)

/** Writes the header for a payload of n bytes at the start of `buf`; returns its length. */
function writeHeader(buf: Buffer, n: number, opcode: number): number {
  buf[0] = 0x80 | opcode // FIN + opcode
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
