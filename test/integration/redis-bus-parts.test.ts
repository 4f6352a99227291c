// The parts of the Redis bus, each on its own against a real redis-server: one connection
// (redis-connection.ts), the publisher, the channel subscriber and the stream reader. The bus as a
// whole (state, outages, auth, TLS) is test/integration/redis-bus.test.ts.
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { InboundMessage } from '../../src-backend/bus/bus'
import { attachChannelSubscriber } from '../../src-backend/bus/channel-subscriber'
import { openBusConnection, type BusConnection } from '../../src-backend/bus/redis-connection'
import { createStreamPublisher } from '../../src-backend/bus/stream-publisher'
import { createStreamReader, type StreamReaderDeps } from '../../src-backend/bus/stream-reader'
import { waitFor } from '../helpers/backend-process'
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server'

function memoryLog(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = []
  return { log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) }), lines }
}

let counter = 0
const uniq = (what: string): string => `${what}-parts-${++counter}`

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.()
})

interface Opened {
  conn: BusConnection
  errors: unknown[]
  downs: number
}
function open(url: string, blockingMs?: number): Opened {
  const o: Opened = { conn: undefined as unknown as BusConnection, errors: [], downs: 0 }
  let stopped = false
  o.conn = openBusConnection({
    url,
    name: 'reader',
    connectionName: 'taskpulse-test',
    commandTimeoutMs: 1_000,
    ...(blockingMs !== undefined && { blockingMs }),
    retryBaseMs: 50,
    retryMaxMs: 300,
    isStopped: () => stopped,
    onError: (err) => o.errors.push(err),
    onDown: () => o.downs++,
  })
  cleanups.push(() => {
    stopped = true
    return o.conn.close()
  })
  return o
}

function rawClient(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1 })
  c.on('error', () => {})
  cleanups.push(() => c.disconnect())
  return c
}

describe('redis bus parts', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.close()
  })

  describe('bus connection', () => {
    it('names itself, reports a close as down, and close() resolves once the socket ended', async () => {
      const { conn, downs } = open(redis.url)
      expect(downs).toBe(0)
      conn.connect()
      await waitFor(() => conn.redis.status === 'ready', 'ready')
      const raw = rawClient(redis.url)
      expect(String(await raw.call('CLIENT', 'LIST'))).toContain('name=taskpulse-test')
      await conn.close()
      expect(conn.redis.status).toBe('end')
    })

    it('keeps reconnecting with backoff while nothing listens, fails commands at once meanwhile, and stops retrying once closed', async () => {
      const port = await freePort()
      const o = open(`redis://127.0.0.1:${port}`)
      o.conn.connect()
      await waitFor(() => o.errors.length >= 3, 'several failed attempts')
      await expect(o.conn.redis.ping()).rejects.toThrow()
      await o.conn.close()
      const errorsAtClose = o.errors.length
      await sleep(700) // longer than the largest backoff step: a retry would have failed by now
      expect(o.errors.length).toBe(errorsAtClose)
    })
  })

  describe('stream publisher', () => {
    it('puts each payload on the channel and the stream, in order', async () => {
      const channel = uniq('chan')
      const streamKey = uniq('stream')
      const { conn } = open(redis.url)
      conn.connect()
      await waitFor(() => conn.redis.status === 'ready', 'ready')
      const watcher = rawClient(redis.url)
      const seen: string[] = []
      watcher.on('message', (_ch: string, msg: string) => seen.push(msg))
      await watcher.subscribe(channel)
      const publish = createStreamPublisher({
        redis: conn.redis,
        channel,
        streamKey,
        maxLen: 100,
        scrub: (t) => t,
      })
      await publish(['a', 'b'])
      await publish([])
      await waitFor(() => seen.length === 2, 'two messages')
      expect(seen).toEqual(['a', 'b'])
      const entries = await rawClient(redis.url).xrange(streamKey, '-', '+')
      expect(entries.map(([, fields]) => fields)).toEqual([
        ['data', 'a'],
        ['data', 'b'],
      ])
    })

    it('rejects with BUS_PUBLISH_FAILED, scrubbed, when Redis refuses a command', async () => {
      const streamKey = uniq('not-a-stream')
      const raw = rawClient(redis.url)
      await raw.set(streamKey, 'a string') // XADD on it: WRONGTYPE
      const { conn } = open(redis.url)
      conn.connect()
      await waitFor(() => conn.redis.status === 'ready', 'ready')
      const publish = createStreamPublisher({
        redis: conn.redis,
        channel: uniq('chan'),
        streamKey,
        maxLen: 100,
        scrub: (t) => t.replace('WRONGTYPE', '<scrubbed>'),
      })
      const failure: unknown = await publish(['x']).catch((err: unknown) => err)
      expect(failure).toMatchObject({ code: 'BUS_PUBLISH_FAILED' })
      expect(String((failure as Error).message)).toContain('<scrubbed>')
    })
  })

  describe('channel subscriber', () => {
    it('is ready only after SUBSCRIBE, and hands on its channel only, one batch per turn', async () => {
      const channel = uniq('chan')
      const { conn } = open(redis.url)
      const batches: InboundMessage[][] = []
      let subscribed = 0
      attachChannelSubscriber({
        conn,
        channel,
        onSubscribed: () => subscribed++,
        deliver: (b) => batches.push(b),
        onError: () => {},
        isStopped: () => false,
      })
      conn.connect()
      await waitFor(() => subscribed === 1, 'subscribed')
      const raw = rawClient(redis.url)
      const pipe = raw.pipeline()
      for (let i = 0; i < 50; i++) pipe.publish(channel, `m${i}`)
      pipe.publish(uniq('other'), 'ignored')
      await pipe.exec()
      await waitFor(() => batches.flat().length === 50, 'fifty messages')
      expect(batches.flat().map((m) => m.payload)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`))
      expect(batches.length).toBeLessThan(50) // batched, not one call per message
      // After a reconnect it subscribes again by itself.
      await raw.call('CLIENT', 'KILL', 'SKIPME', 'yes', 'TYPE', 'pubsub')
      await waitFor(() => subscribed === 2, 'subscribed again')
      await raw.publish(channel, 'after')
      await waitFor(() => batches.flat().some((m) => m.payload === 'after'), 'a message after the reconnect')
    })
  })

  describe('stream reader', () => {
    function reader(url: string, streamKey: string, over: Partial<StreamReaderDeps> = {}) {
      const o = open(url, 300)
      const { log, lines } = memoryLog()
      const got: InboundMessage[] = []
      let readies = 0
      const r = createStreamReader({
        conn: o.conn,
        streamKey,
        blockMs: 300,
        readCount: 100,
        recheckMs: 30_000,
        retryBaseMs: 50,
        retryMaxMs: 300,
        getCursor: () => '0',
        onReady: () => readies++,
        deliver: (b) => got.push(...b),
        onError: (err) => o.errors.push(err),
        log,
        ...over,
      })
      cleanups.push(() => r.stop())
      return { ...o, r, got, lines, readies: () => readies }
    }

    it('reads after the stored cursor, in batches, and follows new entries', async () => {
      const streamKey = uniq('stream')
      const raw = rawClient(redis.url)
      const ids: string[] = []
      for (let i = 0; i < 250; i++) ids.push((await raw.xadd(streamKey, '*', 'data', String(i))) as string)
      const t = reader(redis.url, streamKey, { getCursor: () => ids[49] ?? '0' })
      t.r.start()
      t.conn.connect()
      await waitFor(() => t.got.length === 200, 'the 200 entries after the cursor')
      expect(t.readies()).toBe(1)
      expect(t.got[0]).toEqual({ source: 'stream', payload: '50', streamId: ids[50] })
      await raw.xadd(streamKey, '*', 'data', 'new')
      await waitFor(() => t.got.length === 201, 'the new entry')
    })

    it('stores the moved cursor of a stream that is gone, and warns once', async () => {
      const streamKey = uniq('stream')
      const stored: string[] = []
      const t = reader(redis.url, streamKey, {
        getCursor: () => '5-0',
        setCursor: (c) => void stored.push(c),
      })
      t.r.start()
      t.conn.connect()
      await waitFor(() => stored.length === 1, 'the cursor stored')
      expect(stored).toEqual(['0'])
      expect(t.lines.filter((l) => l.includes('"kind":"missing"'))).toHaveLength(1)
      await rawClient(redis.url).xadd(streamKey, '1-0', 'data', 'first')
      await waitFor(() => t.got.length === 1, 'the first entry of the new stream')
    })

    it('backs off on a command error instead of spinning, and stop() ends the loop', async () => {
      const streamKey = uniq('not-a-stream')
      await rawClient(redis.url).set(streamKey, 'a string') // XINFO/XREAD: WRONGTYPE
      const t = reader(redis.url, streamKey)
      t.r.start()
      t.conn.connect()
      await waitFor(() => t.errors.length >= 2, 'two failed reads')
      await sleep(500)
      // Backoff 50 → 300 ms: a spinning loop would have failed thousands of times by now.
      expect(t.errors.length).toBeLessThan(30)
      await t.conn.close()
      await t.r.stop()
    })
  })
})
