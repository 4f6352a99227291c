// Types for ws's Sender.frame (ws/lib/sender.js, exported by ws but not typed by @types/ws). The
// hub frames with it rather than by hand, so one prepared buffer per batch can be written to many
// sockets with the same bytes ws itself would send.
import 'ws'

declare module 'ws' {
  /** Options of `Sender.frame`, as documented in ws/lib/sender.js. */
  export interface SenderFrameOptions {
    /** FIN bit: the last (here: only) frame of a message. */
    fin: boolean
    /** 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xa pong. */
    opcode: number
    /** Clients mask, servers never do (RFC 6455 §5.1). */
    mask: boolean
    /** Whether `data` may not be modified in place (only matters when masking). */
    readOnly: boolean
    /** RSV1 bit: set only for a per-message-deflated payload. */
    rsv1: boolean
    /** Buffer to hold the masking key. */
    maskBuffer?: Buffer
    /** Fills the masking key. */
    generateMask?: (mask: Buffer) => void
  }

  export const Sender: {
    /**
     * Frames `data`: returns the header and, unless masked into one buffer or empty, the payload
     * itself (not copied), to be written in order.
     */
    frame(data: Buffer, options: SenderFrameOptions): Buffer[]
  }
}
