import { describe, expect, it } from 'vitest'
import * as wsModule from 'ws'
import { frameOf, frameOfParts } from './ws-hub'

// ws exports its frame parser at runtime; @types/ws does not declare it.
interface FrameReceiver {
  on(event: 'message', cb: (data: Buffer) => void): void
  write(chunk: Buffer): void
}
const { Receiver } = wsModule as unknown as { Receiver: new (opts: { isServer: boolean }) => FrameReceiver }

/** Parses frames with ws's own receiver: our framing must be what any WebSocket client reads. */
function parse(frames: Buffer): string[] {
  const out: string[] = []
  const receiver = new Receiver({ isServer: false })
  receiver.on('message', (data: Buffer) => out.push(data.toString()))
  receiver.write(frames)
  return out
}

describe('ws frames', () => {
  it.each([0, 1, 125, 126, 65535, 65536, 300_000])('frames a %i-byte text payload readably', (size) => {
    const text = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2)
    expect(parse(frameOf(text))).toEqual([text])
  })
  it('frames a payload given in parts, and several frames in one buffer', () => {
    const parts = ['{"a":', '1', '}'].map((p) => Buffer.from(p))
    expect(parse(Buffer.concat([frameOfParts(parts), frameOf('second')]))).toEqual(['{"a":1}', 'second'])
  })
})
