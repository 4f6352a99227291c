// Server-side WebSocket frames, built by ws's own framer (Sender.frame, typed in ws-sender.d.ts)
// so the bytes are exactly what ws would send. The hub frames a message once and writes the same
// prepared buffer to many sockets, through its one accounted write path (so the socket's
// writableLength, which the per-client bound reads, counts every byte: control frames included).
// Frames are plain: the hub refuses any negotiated extension (assertNoExtensions), since a
// per-message-deflate peer would read these uncompressed frames as corrupt.
import { Sender, type SenderFrameOptions, type WebSocket } from 'ws'

export const OPCODE_TEXT = 0x1
export const OPCODE_PING = 0x9
export const OPCODE_PONG = 0xa

// A server never masks (RFC 6455 §5.1), and nothing here is compressed (no RSV1).
const TEXT: SenderFrameOptions = { fin: true, opcode: OPCODE_TEXT, mask: false, readOnly: true, rsv1: false }

/** One final text frame around `json`. */
export function frameOf(json: string): Buffer {
  return joined(Sender.frame(Buffer.from(json), TEXT))
}

/** The same, for a payload given in pieces (joined into the frame without an intermediate string). */
export function frameOfParts(parts: readonly Buffer[]): Buffer {
  return joined(Sender.frame(parts.length === 1 ? parts[0]! : Buffer.concat(parts), TEXT))
}

/** One buffer holding a text frame per message, in order: the prepared buffer of a batch. */
export function framesOf(messages: readonly string[]): Buffer {
  const pieces: Buffer[] = []
  for (const message of messages) pieces.push(...Sender.frame(Buffer.from(message), TEXT))
  return joined(pieces)
}

/** A ping or pong frame; control payloads are at most 125 bytes (RFC 6455 §5.5). */
export function controlFrame(opcode: typeof OPCODE_PING | typeof OPCODE_PONG, payload: Buffer): Buffer {
  if (payload.length > 125) throw new RangeError('control frame payload over 125 bytes')
  return joined(Sender.frame(payload, { ...TEXT, opcode }))
}

/**
 * Throws unless the handshake negotiated no extension. Our frames are prepared once for every
 * socket and written past ws's own sender: with permessage-deflate a peer would expect compressed
 * payloads and ws's bufferedAmount would no longer count what we queued.
 */
export function assertNoExtensions(ws: Pick<WebSocket, 'extensions'>): void {
  if (ws.extensions !== '') {
    throw new Error(`websocket extension negotiated (${ws.extensions}); the hub's frames require none`)
  }
}

/** Sender.frame gives the header and the payload apart; a prepared frame is one buffer. */
function joined(pieces: readonly Buffer[]): Buffer {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)
}
