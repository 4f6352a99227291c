// A WebSocket client that completes the upgrade, subscribes and then never reads: the hub must cut
// it off once its unsent bytes pass the bound (8 MiB by default), and another client must keep
// getting every update. The stalled client is a raw TCP socket speaking the upgrade by hand, so no
// library reads on its behalf; it is paused after `subscribed`.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { cleanupStack, health, putTask, repeated, updateIds } from './resilience-helpers'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

/** A masked client text frame (RFC 6455 §5.3: client frames must be masked). */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  if (payload.length >= 126) throw new Error('short frames only')
  const mask = randomBytes(4)
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked])
}

interface StalledClient {
  socket: Socket
  /** Starts reading again and resolves with the bytes read once the server has closed the socket. */
  drainUntilClosed(): Promise<number>
}

/** Upgrade by hand, wait for hello, subscribe, wait for `subscribed`, then stop reading. */
async function stalledClient(b: Backend): Promise<StalledClient> {
  const socket = connect(b.port, '127.0.0.1')
  socket.on('error', () => {}) // a reset after the cut-off is expected
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const key = randomBytes(16).toString('base64')
  socket.write(
    `GET /ws?token=${encodeURIComponent(b.token)} HTTP/1.1\r\n` +
      `Host: 127.0.0.1:${b.port}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  let received = Buffer.alloc(0)
  const onData = (d: Buffer) => (received = Buffer.concat([received, d]))
  socket.on('data', onData)
  await waitFor(() => received.includes('"type":"hello"'), 'hello on the raw socket')
  expect(received.subarray(0, 12).toString()).toBe('HTTP/1.1 101')
  socket.write(clientTextFrame(JSON.stringify({ type: 'subscribe' })))
  await waitFor(() => received.includes('"type":"subscribed"'), 'subscribed on the raw socket')
  socket.off('data', onData)
  socket.pause() // from here on nothing is read: the kernel buffers fill, then the server's

  return {
    socket,
    drainUntilClosed() {
      let bytes = 0
      return new Promise((resolve) => {
        socket.on('data', (d: Buffer) => (bytes += d.length))
        socket.once('close', () => resolve(bytes))
        socket.resume()
      })
    },
  }
}

describe('slow consumer', () => {
  it('cuts off a client that never reads once past the buffer bound; another client gets every update', async () => {
    const backend = cleanup.backend(await startBackend({ dataDir: cleanup.dir(tempDir()) }))
    const fast = cleanup.client(await connectClient(backend.ws, backend.token))
    const slow = await stalledClient(backend)
    cleanup.add(() => slow.socket.destroy())
    expect((await health(backend)).clients).toBe(2)

    // 64 KiB outputs (the stored maximum): each update is a ~66 KB frame. Push until the stalled
    // client is gone, with a generous cap (kernel socket buffers absorb some MB before the bound).
    const output = (i: number) => `${i}:`.padEnd(64 * 1024, 'x')
    const MAX_UPDATES = 2000
    const sent: string[] = []
    let cutAt = -1
    let next = 0
    // One task per writer: concurrent updates of one task could commit out of stamp order, and a
    // stale one is (rightly) not broadcast.
    const writer = async (w: number) => {
      while (cutAt < 0 || next < cutAt + 20) {
        const i = next++
        if (i >= MAX_UPDATES) return
        const eventId = `big-${String(i).padStart(5, '0')}`
        const res = await putTask(backend, `big-task-${w}`, {
          status: 'running',
          output: output(i),
          event_id: eventId,
        })
        expect(res.status).toBeLessThan(300)
        sent.push(eventId)
        if (cutAt < 0 && i % 10 === 0 && (await health(backend)).clients === 1) cutAt = i
      }
    }
    await Promise.all([writer(0), writer(1), writer(2)])
    expect(
      cutAt,
      `the stalled client was not cut off after ${MAX_UPDATES} updates of 64 KiB`,
    ).toBeGreaterThan(0)

    // The stalled socket was closed by the server: reading again reaches the end.
    const bytesAfterResume = await slow.drainUntilClosed()
    expect(bytesAfterResume).toBeGreaterThanOrEqual(0)
    expect(backend.stderr()).toContain('cutting off a websocket client')

    // The other client carried on: every update, once, in order, and it is still connected.
    await waitFor(() => updateIds(fast).length >= sent.length, 'the fast client got every update', 30_000)
    expect(repeated(updateIds(fast))).toEqual([])
    expect(new Set(updateIds(fast))).toEqual(new Set(sent))
    const seqs = fast.updates().map((u) => u.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(fast.updates().every((u) => u.task.output?.length === 64 * 1024)).toBe(true)
    expect(fast.ws.readyState).toBe(fast.ws.OPEN)
    expect((await health(backend)).clients).toBe(1)
  })

  it('SIGTERM with a stalled client connected still closes the others with 1001 and exits 0', async () => {
    const backend = cleanup.backend(await startBackend({ dataDir: cleanup.dir(tempDir()) }))
    const fast = cleanup.client(await connectClient(backend.ws, backend.token))
    const slow = await stalledClient(backend)
    cleanup.add(() => slow.socket.destroy())
    // Enough queued for the stalled one that its close handshake cannot complete.
    for (let i = 0; i < 40; i++) {
      expect(
        (await putTask(backend, 'stall-task', { status: 'running', output: `${i}:`.padEnd(64 * 1024, 'y') }))
          .status,
      ).toBeLessThan(300)
    }
    expect(await backend.stop('SIGTERM')).toBe(0)
    expect(await fast.closed).toEqual({ code: 1001 })
    await slow.drainUntilClosed()
  })
})
