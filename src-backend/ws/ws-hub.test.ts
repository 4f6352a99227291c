// The hub against a real in-memory store and real sockets (an http server on port 0 doing the
// upgrade): paged snapshots with excerpts, paged replays that wait for the socket to drain, every
// queued byte counted (pongs included), the ping budget, the heartbeat that needs the answer to
// our own ping, and hostile frames that close the socket without ever throwing.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, * as wsModule from 'ws'
import {
  SNAPSHOT_EXCERPT_BYTES,
  type ServerMessage,
  type SnapshotMessage,
  type SnapshotTask,
  type TaskFieldValues,
} from '../../src-shared/protocol'
import { openTaskStore, type TaskStore } from '../store/task-store'
import { utf8Tail } from './excerpt'
import { rawText } from '../../test/helpers/backend-process'
import { OPCODE_PING, OPCODE_PONG, assertNoExtensions, controlFrame, framesOf } from './frames'
import { createWsHub, frameOf, frameOfParts, type WsHub, type WsHubDeps } from './ws-hub'

// ws exports its frame parser at runtime; @types/ws does not declare it.
interface FrameReceiver {
  on(event: 'message' | 'ping' | 'pong', cb: (data: Buffer) => void): void
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
  it('prepares a batch as one buffer of frames, in order', () => {
    const messages = ['{"n":1}', 'x'.repeat(70_000), '', 'é'.repeat(200)]
    expect(parse(framesOf(messages))).toEqual(messages)
    expect(parse(framesOf(['only']))).toEqual(['only'])
  })
  it('frames pings and pongs with their payload, and refuses an oversized one', () => {
    const seen: string[] = []
    const receiver = new Receiver({ isServer: false })
    receiver.on('ping', (d) => seen.push(`ping:${d.toString()}`))
    receiver.on('pong', (d) => seen.push(`pong:${d.toString()}`))
    receiver.write(
      Buffer.concat([
        controlFrame(OPCODE_PING, Buffer.from('abc')),
        controlFrame(OPCODE_PONG, Buffer.alloc(0)),
      ]),
    )
    expect(seen).toEqual(['ping:abc', 'pong:'])
    expect(() => controlFrame(OPCODE_PING, Buffer.alloc(126))).toThrow(RangeError)
  })
  it('asserts that no extension was negotiated', () => {
    expect(() => assertNoExtensions({ extensions: '' })).not.toThrow()
    expect(() => assertNoExtensions({ extensions: 'permessage-deflate' })).toThrow(/permessage-deflate/)
  })
})

describe('utf8Tail', () => {
  it('keeps short text whole and cuts long text to its last bytes on a character boundary', () => {
    expect(utf8Tail('short', 2048)).toBe('short')
    const text = 'a' + '€'.repeat(1000) // 3 bytes each
    const tail = utf8Tail(text, 2048)
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(2048)
    expect(Buffer.byteLength(tail)).toBeGreaterThan(2048 - 3)
    expect(tail).toBe('€'.repeat(tail.length)) // no broken character at the start
    expect(text.endsWith(tail)).toBe(true)
    const emoji = '😀'.repeat(600) // 4 bytes, surrogate pairs in JS
    expect(emoji.endsWith(utf8Tail(emoji, 2048))).toBe(true)
    expect(utf8Tail(emoji, 2048)).toBe('😀'.repeat(512))
  })
})

// ---- a hub on a real server ------------------------------------------------------------------

const quiet = pino({ level: 'silent' })
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f()
})

interface Rig {
  store: TaskStore
  hub: WsHub
  port: number
  /** Applies an update to the store and broadcasts it, like ingest does. */
  put(id: string, fields: Partial<TaskFieldValues>): number
}

let eventNo = 0
async function rig(opts: Partial<WsHubDeps> = {}, storeOverride?: (s: TaskStore) => WsHubDeps['store']) {
  const store = openTaskStore({ file: ':memory:', outbox: false })
  cleanups.push(() => store.close())
  const hub = createWsHub({ store: storeOverride ? storeOverride(store) : store, log: quiet, ...opts })
  const server: Server = createServer()
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    await hub.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  const put = (id: string, fields: Partial<TaskFieldValues>): number => {
    eventNo++
    const at = new Date(Date.UTC(2026, 0, 1) + eventNo * 1000).toISOString()
    const [outcome] = store.apply([
      {
        event_id: `e-${eventNo}`,
        task_id: id,
        updated_at: at,
        fields,
        source: 'rest',
        received_at: at,
      },
    ])
    if (outcome?.kind !== 'changed') throw new Error(`update of ${id} changed nothing`)
    hub.broadcast([{ seq: outcome.seq, message: outcome.message }])
    return outcome.seq
  }
  const r: Rig = { store, hub, port: (server.address() as AddressInfo).port, put }
  return r
}

interface Recorder {
  ws: WebSocket
  messages: ServerMessage[]
  closed: Promise<number>
}
async function client(port: number): Promise<Recorder> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { maxPayload: 64 * 1024 * 1024 })
  cleanups.push(() => ws.terminate())
  const messages: ServerMessage[] = []
  ws.on('message', (d) => messages.push(JSON.parse(rawText(d)) as ServerMessage))
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
  await once(ws, 'open')
  await until(() => messages.some((m) => m.type === 'hello'), 'hello')
  return { ws, messages, closed }
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Upgrades a raw TCP socket by hand; nothing reads from it after the 101 unless asked. */
async function rawClient(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  cleanups.push(() => socket.destroy())
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  let got = Buffer.alloc(0)
  const onData = (d: Buffer) => (got = Buffer.concat([got, d]))
  socket.on('data', onData)
  await until(() => got.includes('"type":"hello"'), 'hello on a raw socket')
  socket.off('data', onData)
  socket.pause()
  return socket
}

/** A masked client frame (RFC 6455 §5.3). `fin` false for a fragment. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4)
  const len = payload.length
  const header =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff])
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))])
}

/** Writes `data` again and again (yielding, so the in-process server runs) until the hub has no client. */
async function floodUntilGone(r: Rig, raw: Socket, data: Buffer): Promise<void> {
  while (r.hub.clientCount() > 0 && !raw.destroyed) {
    if (!raw.write(data))
      await new Promise<void>((res) => {
        raw.once('drain', res)
        raw.once('close', res)
      })
    else await new Promise((res) => setImmediate(res))
  }
  await until(() => r.hub.clientCount() === 0, 'the flooding client gone')
}

const snapshotPages = (r: Recorder): SnapshotMessage[] =>
  r.messages.filter((m): m is SnapshotMessage => m.type === 'snapshot')

describe('extensions', { timeout: 30_000 }, () => {
  it('negotiates none with a client that offers permessage-deflate, and its frames read', async () => {
    const r = await rig()
    const ws = new WebSocket(`ws://127.0.0.1:${r.port}/ws`, { perMessageDeflate: true })
    cleanups.push(() => ws.terminate())
    const messages: ServerMessage[] = []
    ws.on('message', (d) => messages.push(JSON.parse(rawText(d)) as ServerMessage))
    await once(ws, 'open')
    expect(ws.extensions).toBe('')
    await until(() => messages.some((m) => m.type === 'hello'), 'hello')
    ws.send(JSON.stringify({ type: 'subscribe' }))
    await until(() => messages.some((m) => m.type === 'subscribed'), 'subscribed')
    r.put('t-ext', { status: 'running', output: 'x'.repeat(200_000) })
    await until(() => messages.some((m) => m.type === 'task_status_update'), 'a live change')
  })
})

describe('paged snapshot', { timeout: 30_000 }, () => {
  it('sends task excerpts in pages of one seq, newest first, the last with more:false', async () => {
    const r = await rig({ snapshotPageSize: 7 })
    for (let i = 0; i < 30; i++)
      r.put(`big-${i}`, { status: 'failed', output: `${i}:`.padEnd(10_000, 'o') + 'END' })
    r.put('small', { status: 'completed', output: 'ok', error: null })
    const c = await client(r.port)
    c.ws.send(JSON.stringify({ type: 'resume', epoch: 'another-database', seq: 0 }))
    await until(() => snapshotPages(c).some((p) => !p.more), 'last page')
    const pages = snapshotPages(c)
    expect(pages.length).toBe(5) // 31 tasks in pages of 7
    expect(pages.map((p) => p.more)).toEqual([true, true, true, true, false])
    expect(new Set(pages.map((p) => p.seq))).toEqual(new Set([r.store.currentSeq()]))
    const tasks = pages.flatMap((p) => p.tasks)
    expect(tasks.map((t) => t.task_id)).toEqual([
      'small',
      ...Array.from({ length: 30 }, (_, i) => `big-${29 - i}`),
    ])
    const big = tasks.find((t) => t.task_id === 'big-3')!
    expect(big).toMatchObject({ excerpt: true, output_bytes: 10_003, error_bytes: 0, error: null })
    expect(Buffer.byteLength(big.output!)).toBe(SNAPSHOT_EXCERPT_BYTES)
    expect(big.output!.endsWith('END')).toBe(true)
    expect(tasks.find((t) => t.task_id === 'small')).toMatchObject({
      excerpt: false,
      output: 'ok',
      output_bytes: 2,
    })
    // nothing else was sent, and the client is live afterwards
    r.put('after', { status: 'running' })
    await until(() => c.messages.some((m) => m.type === 'task_status_update'), 'live update')
    expect(c.messages.map((m) => m.type)).toEqual([
      'hello',
      ...pages.map(() => 'snapshot'),
      'task_status_update',
    ])
  })

  it('an empty store is one page with no tasks and more:false', async () => {
    const r = await rig()
    const c = await client(r.port)
    c.ws.send(JSON.stringify({ type: 'resume', epoch: 'x', seq: 0 }))
    await until(() => snapshotPages(c).length === 1, 'snapshot')
    expect(snapshotPages(c)[0]).toEqual({ type: 'snapshot', seq: 0, tasks: [], more: false })
  })

  it('delivers changes committed while paging after the last page: no gap, no duplicate', async () => {
    let reads = 0
    let during: (() => void) | null = null
    const r = await rig({ snapshotPageSize: 3 }, (store) => ({
      epoch: store.epoch,
      currentSeq: () => store.currentSeq(),
      messagesAfter: (seq, limit) => store.messagesAfter(seq, limit),
      canReplayFrom: (seq) => store.canReplayFrom(seq),
      snapshotPage: (after, limit, chars) => {
        const page = store.snapshotPage(after, limit, chars)
        if (++reads === 2) during?.() // between the first and the second page
        return page
      },
    }))
    for (let i = 0; i < 10; i++) r.put(`t${i}`, { status: 'pending' })
    const c = await client(r.port)
    const n = r.store.currentSeq()
    const changed: number[] = []
    during = () => {
      changed.push(r.put('t0', { status: 'running' })) // not yet sent: moves to the top
      changed.push(r.put('t9', { status: 'failed' })) // already sent
      changed.push(r.put('new', { status: 'pending' }))
    }
    c.ws.send(JSON.stringify({ type: 'resume', epoch: 'x', seq: 0 }))
    await until(() => c.messages.filter((m) => m.type === 'task_status_update').length === 3, 'catch-up')
    const pages = snapshotPages(c)
    expect(pages.every((p) => p.seq === n)).toBe(true)
    const lastPage = c.messages.findIndex((m) => m.type === 'snapshot' && !m.more)
    const updates = c.messages.slice(lastPage + 1)
    expect(updates.map((m) => m.type === 'task_status_update' && m.seq)).toEqual(changed)
    // Replaying what the client got gives the store's state.
    const state = new Map<string, string>()
    for (const m of c.messages) {
      if (m.type === 'snapshot') for (const t of m.tasks) state.set(t.task_id, t.status)
      if (m.type === 'task_status_update') state.set(m.task.task_id, m.task.status)
    }
    const expected = new Map(r.store.snapshotPage(null, 100, 10).map((t) => [t.task_id, t.status]))
    expect(state).toEqual(expected)
  })
})

describe('paged replay', { timeout: 60_000 }, () => {
  it('writes the next page only as the socket drains; a non-reading client holds a bounded amount', async () => {
    const r = await rig({ pageBytes: 64 * 1024, lowWaterBytes: 128 * 1024 })
    // How far the hub has read the history: the seq it asked to continue after.
    let read = 0
    const limits: number[] = []
    const wrapped = r.store.messagesAfter.bind(r.store)
    r.store.messagesAfter = (seq, limit) => {
      read = Math.max(read, seq)
      limits.push(limit)
      return wrapped(seq, limit)
    }
    const total = 600 // 600 × 60 KiB = 36 MB of history: far beyond what kernel buffers absorb
    for (let i = 0; i < total; i++)
      r.put(`t${i % 50}`, { status: 'running', output: `${i}:`.padEnd(60 * 1024, 'x') })
    const raw = await rawClient(r.port)
    raw.write(clientFrame(1, Buffer.from(JSON.stringify({ type: 'resume', epoch: r.store.epoch, seq: 0 }))))
    // The hub stops reading history once the socket stays full; it holds about a page over the
    // low-water mark, not the history.
    // Paused: no progress for 300 ms and over 20 polls (two polls in a row were too few on a busy
    // machine: a drain callback still due could run after them; and after a 300 ms stall, time
    // alone passes before the due I/O runs — each poll is its own turn of the event loop).
    let stable = -1
    let stableSince = 0
    let stablePolls = 0
    await until(() => {
      if (read !== stable || read === 0) {
        stable = read
        stableSince = Date.now()
        stablePolls = 0
        return false
      }
      stablePolls++
      return Date.now() - stableSince >= 300 && stablePolls >= 20
    }, 'replay paused')
    await new Promise((res) => setTimeout(res, 200))
    expect(read).toBe(stable)
    expect(read).toBeLessThan(r.store.currentSeq() / 2)
    // rows of 60 KiB: after the first read, a page's worth is read, not 500 rows
    expect(Math.max(...limits.slice(1))).toBeLessThanOrEqual(8)
    expect(r.hub.queuedBytes()).toBeLessThanOrEqual(128 * 1024 + 64 * 1024 + 61 * 1024)
    // Reading again lets it finish, in order, then `resumed`.
    const receiver = new Receiver({ isServer: false })
    const got: ServerMessage[] = []
    receiver.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as ServerMessage))
    raw.on('data', (d: Buffer) => receiver.write(d))
    raw.resume()
    await until(() => got.some((m) => m.type === 'resumed'), 'resumed', 60_000)
    const seqs = got.flatMap((m) => (m.type === 'task_status_update' ? [m.seq] : []))
    expect(seqs).toHaveLength(total)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  }, 60_000)

  it('falls back to a snapshot when the history it pages through is pruned under it', async () => {
    let checks = 0
    // canReplayFrom answers true when the resume arrives, false at the first page: pruned meanwhile.
    const r = await rig({}, (store) => ({
      epoch: store.epoch,
      currentSeq: () => store.currentSeq(),
      messagesAfter: (seq, limit) => store.messagesAfter(seq, limit),
      canReplayFrom: (seq) => checks++ === 0 && store.canReplayFrom(seq),
      snapshotPage: (after, limit, chars) => store.snapshotPage(after, limit, chars),
    }))
    r.put('a', { status: 'running' })
    const c = await client(r.port)
    c.ws.send(JSON.stringify({ type: 'resume', epoch: r.store.epoch, seq: 0 }))
    await until(() => snapshotPages(c).some((p) => !p.more), 'snapshot instead')
    expect(snapshotPages(c)[0]!.tasks.map((t) => t.task_id)).toEqual(['a'])
    expect(c.messages.some((m) => m.type === 'resumed')).toBe(false)
  })
})

describe('every queued byte counts', { timeout: 60_000 }, () => {
  it('cuts off a non-reading client flooding control pings once its pongs pass the bound', async () => {
    const r = await rig({ maxBufferedBytes: 256 * 1024, pingBurst: 1e9, pingsPerSecond: 1e9 })
    const raw = await rawClient(r.port)
    const pings = Buffer.concat(Array.from({ length: 256 }, () => clientFrame(0x9, randomBytes(125))))
    // Kernel buffers absorb some MB of pongs first; then the server's queue passes the bound.
    await floodUntilGone(r, raw, pings)
    expect(r.hub.cutOffCount()).toBe(1)
  }, 60_000)

  it('cuts off a non-reading client flooding app-level pings the same way', async () => {
    const r = await rig({ maxBufferedBytes: 256 * 1024, pingBurst: 1e9, pingsPerSecond: 1e9 })
    const raw = await rawClient(r.port)
    const ping = clientFrame(1, Buffer.from(JSON.stringify({ type: 'ping', t: 1234567890123 })))
    const pings = Buffer.concat(Array.from({ length: 256 }, () => ping))
    await floodUntilGone(r, raw, pings)
    expect(r.hub.cutOffCount()).toBe(1)
  }, 60_000)

  it('answers pings within the budget; a flood past it is closed with 1008', async () => {
    const r = await rig({ pingBurst: 5, pingsPerSecond: 0.001, maxExcessPings: 10 })
    const c = await client(r.port)
    const pongs: Buffer[] = []
    c.ws.on('pong', (d) => pongs.push(d))
    for (let i = 0; i < 3; i++) c.ws.ping(Buffer.from(`p${i}`))
    for (let i = 0; i < 2; i++) c.ws.send(JSON.stringify({ type: 'ping', t: i }))
    await until(() => pongs.length === 3 && c.messages.filter((m) => m.type === 'pong').length === 2, 'pongs')
    expect(pongs.map(String)).toEqual(['p0', 'p1', 'p2'])
    for (let i = 0; i < 20; i++) c.ws.send(JSON.stringify({ type: 'ping', t: 100 + i }))
    expect(await c.closed).toBe(1008)
    expect(c.messages.filter((m) => m.type === 'pong')).toHaveLength(2)
  })
})

describe('heartbeat', { timeout: 30_000 }, () => {
  it('keeps a client that answers our pings (ws answers them, as browsers do)', async () => {
    // 500 ms, not 30: the pong must be read before the next tick, and a stall of one tick (GC, a
    // loaded machine) runs the tick first and cuts the client off. The drop tests keep 30 ms: load
    // only makes their drop come sooner.
    const r = await rig({ heartbeatMs: 500 })
    const c = await client(r.port)
    let pings = 0
    c.ws.on('ping', () => pings++)
    await until(() => pings >= 3, 'three heartbeats')
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
    expect(r.hub.clientCount()).toBe(1)
  })

  it('drops a client whose pongs do not answer our ping, however many it sends', async () => {
    const r = await rig({ heartbeatMs: 30 })
    const raw = await rawClient(r.port)
    raw.resume() // reads, and answers every ping with a pong of its own making
    raw.on('data', () => raw.write(clientFrame(0xa, Buffer.from('not-your-nonce'))))
    const closed = once(raw, 'close')
    for (let i = 0; i < 5; i++) raw.write(clientFrame(0xa, randomBytes(8))) // unsolicited
    await closed
    await until(() => r.hub.clientCount() === 0, 'dropped')
    expect(r.hub.cutOffCount()).toBe(0)
  })

  it('drops a client that stopped reading (our ping never reaches it)', async () => {
    const r = await rig({ heartbeatMs: 30 })
    const raw = await rawClient(r.port)
    const stop = setInterval(() => raw.write(clientFrame(0xa, randomBytes(8))), 5)
    cleanups.push(() => clearInterval(stop))
    await until(() => r.hub.clientCount() === 0, 'dropped')
  })
})

describe('hostile frames', { timeout: 30_000 }, () => {
  const closes: [string, Buffer[], number][] = [
    ['an unmasked frame', [Buffer.from([0x81, 0x02, 0x7b, 0x7d])], 1002],
    ['a reserved opcode', [clientFrame(0x3, Buffer.from('x'))], 1002],
    ['a fragmented control frame', [clientFrame(0x9, Buffer.from('x'), false)], 1002],
    ['a continuation without a start', [clientFrame(0x0, Buffer.from('x'))], 1002],
    ['a close with an invalid code', [clientFrame(0x8, Buffer.from([0x03, 0xe7]))], 1002],
    ['a close with a one-byte body', [clientFrame(0x8, Buffer.from([0x03]))], 1002],
    ['invalid UTF-8 in a text frame', [clientFrame(0x1, Buffer.from([0xc3, 0x28]))], 1007],
    ['RSV bits set', [Buffer.from([0xc1, 0x80, 1, 2, 3, 4])], 1002],
    ['an oversized frame', [Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4])], 1009],
  ]
  it.each(closes)('closes on %s without throwing, and keeps serving others', async (_, frames, code) => {
    const r = await rig()
    const other = await client(r.port)
    other.ws.send(JSON.stringify({ type: 'subscribe' }))
    const raw = await rawClient(r.port)
    let got = Buffer.alloc(0)
    raw.on('data', (d: Buffer) => (got = Buffer.concat([got, d])))
    raw.resume()
    for (const f of frames) raw.write(f)
    await until(() => r.hub.clientCount() === 1, 'hostile socket closed')
    await until(() => got.length >= 4, 'a close frame')
    expect(got[0]).toBe(0x88)
    expect(got.readUInt16BE(2)).toBe(code)
    r.put('still', { status: 'running' })
    await until(() => other.messages.some((m) => m.type === 'task_status_update'), 'other served')
  })

  it('answers binary, garbage and a fragmented valid message sensibly', async () => {
    const r = await rig()
    const raw = await rawClient(r.port)
    const got: ServerMessage[] = []
    const receiver = new Receiver({ isServer: false })
    receiver.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as ServerMessage))
    raw.on('data', (d: Buffer) => receiver.write(d))
    raw.resume()
    raw.write(clientFrame(0x2, Buffer.from([1, 2, 3])))
    raw.write(clientFrame(0x1, Buffer.from('{nope')))
    raw.write(clientFrame(0x1, Buffer.from('{"type":"ping",'), false))
    raw.write(clientFrame(0x9, Buffer.from('mid'))) // a control frame between fragments is allowed
    raw.write(clientFrame(0x0, Buffer.from('"t":5}')))
    await until(() => got.some((m) => m.type === 'pong'), 'pong to the fragmented ping')
    expect(got.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual([
      'binary_not_supported',
      'invalid_json',
      'pong',
    ])
    expect(got.at(-1)).toEqual({ type: 'pong', t: 5 })
  })
})

// Type-level check that snapshot tasks carry what clients rely on.
const _shape: (keyof SnapshotTask)[] = ['output_bytes', 'error_bytes', 'excerpt']
void _shape
