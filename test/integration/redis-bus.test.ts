// RedisBus against a real redis-server: publish → channel + stream, external producers → handlers,
// stream catch-up from the durable cursor, outages and recovery, half-open sockets, MAXLEN
// trimming, password and TLS URLs, and a redacted log. Waits poll a condition with a deadline.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src-shared/protocol'
import {
  BusError,
  eventToWire,
  type Bus,
  type BusHandlers,
  type BusState,
  type InboundMessage,
} from '../../src-backend/bus/bus'
import { createRedisBus, type RedisBusDeps } from '../../src-backend/bus/redis-bus'
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server'

// Short timings so outages are noticed and healed within a second or two.
const FAST = { pingIntervalMs: 300, commandTimeoutMs: 1_000, blockMs: 300, retryBaseMs: 50, retryMaxMs: 300 }
// For tests that are not about outages: a 1 s stall of a busy machine must not count as a dead
// socket (a reconnect meanwhile would lose live messages, and fail a test about their order).
const STEADY = { commandTimeoutMs: 5_000 }

async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await sleep(20)
  }
}

function memoryLog(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) })
  return { log, lines }
}

interface Recorder extends BusHandlers {
  messages: InboundMessage[]
  batches: number
  states: BusState[]
  cursor: string
}
function recorder(cursor = '0'): Recorder {
  const r: Recorder = {
    messages: [],
    batches: 0,
    states: [],
    cursor,
    onMessages(batch) {
      r.batches++
      r.messages.push(...batch)
    },
    onStateChange(state) {
      r.states.push(state)
    },
    getStreamCursor: () => r.cursor,
  }
  return r
}
const fromStream = (r: Recorder) => r.messages.filter((m) => m.source === 'stream')
const fromChannel = (r: Recorder) => r.messages.filter((m) => m.source === 'redis')

let eventCounter = 0
function event(taskId = 'task-1'): TaskEvent {
  eventCounter++
  return {
    event_id: `ev-${process.pid}-${eventCounter}`,
    task_id: taskId,
    updated_at: new Date(1_700_000_000_000 + eventCounter).toISOString(),
    fields: { status: 'running', output: `step ${eventCounter}` },
    source: 'rest',
    received_at: new Date().toISOString(),
  }
}

function rawClient(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (t) => Math.min(t * 50, 300) })
  c.on('error', () => {})
  return c
}

// Every test gets fresh names, so no test sees another's entries.
let nameCounter = 0
function names(): { channel: string; stream: string } {
  nameCounter++
  return { channel: `chan-${nameCounter}`, stream: `stream-${nameCounter}` }
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.()
})
function track<T extends { stop(): Promise<void> } | Redis>(thing: T): T {
  cleanups.push(async () => {
    if (thing instanceof Redis) thing.disconnect()
    else await thing.stop()
  })
  return thing
}

function makeBus(url: string, extra: Partial<RedisBusDeps> = {}): { bus: Bus; lines: string[] } {
  const { log, lines } = memoryLog()
  const bus = track(createRedisBus({ url, log, ...FAST, ...extra }))
  return { bus, lines }
}

describe('redis bus', () => {
  let redis: RedisServer

  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.close()
  })

  describe('#publish', () => {
    it('puts each event on the channel and on the stream, with MAXLEN applied', async () => {
      const n = names()
      const watcher = track(rawClient(redis.url))
      const seen: string[] = []
      watcher.on('message', (ch: string, msg: string) => ch === n.channel && seen.push(msg))
      await watcher.subscribe(n.channel)

      const r = recorder()
      const { bus } = makeBus(redis.url, n)
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'bus connected')
      expect(r.states).toEqual(['connected'])

      const events = [event('a'), event('b'), event('c')]
      await publishEvents(bus, events)
      await waitFor(() => seen.length === 3, 'three messages on the channel')
      expect(seen).toEqual(events.map(eventToWire))

      const raw = track(rawClient(redis.url))
      const entries = await raw.xrange(n.stream, '-', '+')
      expect(entries.map(([, fields]) => fields)).toEqual(events.map((e) => ['data', eventToWire(e)]))

      // Our own events come back through the reader too (the store dedupes them by event_id).
      await waitFor(() => fromStream(r).length === 3, 'own events read back from the stream')
      expect(fromStream(r).map((m) => m.payload)).toEqual(events.map(eventToWire))
      expect(entriesAdded(await raw.call('XINFO', 'STREAM', n.stream))).toBe(3)
    })

    it('trims the stream to about maxLen (MAXLEN ~)', async () => {
      const n = names()
      const { bus } = makeBus(redis.url, { ...n, maxLen: 10 })
      await bus.start(recorder())
      await waitFor(() => bus.state() === 'connected', 'bus connected')
      for (let i = 0; i < 5; i++)
        await publishEvents(
          bus,
          Array.from({ length: 100 }, () => event('trim')),
        )
      const raw = track(rawClient(redis.url))
      const len = await raw.xlen(n.stream)
      // Approximate trimming drops whole radix-tree nodes (100 entries each by default).
      expect(len).toBeGreaterThanOrEqual(10)
      expect(len).toBeLessThanOrEqual(110)
      expect(entriesAdded(await raw.call('XINFO', 'STREAM', n.stream))).toBe(500)
    })

    it('resolves at once for an empty list and rejects with BUS_DISCONNECTED before start', async () => {
      const { bus } = makeBus(redis.url, names())
      await expect(publishEvents(bus, [event()])).rejects.toMatchObject({ code: 'BUS_DISCONNECTED' })
      await bus.start(recorder())
      await waitFor(() => bus.state() === 'connected', 'bus connected')
      await expect(publishEvents(bus, [])).resolves.toBeUndefined()
    })
  })

  describe('inbound', () => {
    it('hands an external PUBLISH to onMessages as a redis message', async () => {
      const n = names()
      const r = recorder()
      const { bus } = makeBus(redis.url, n)
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'bus connected')
      const raw = track(rawClient(redis.url))
      await raw.publish(n.channel, '{"task_id":"x","status":"failed"}')
      await raw.publish('some-other-channel', 'ignored')
      await raw.publish(n.channel, 'not json at all')
      await waitFor(() => fromChannel(r).length === 2, 'two live messages')
      expect(fromChannel(r)).toEqual([
        { source: 'redis', payload: '{"task_id":"x","status":"failed"}' },
        { source: 'redis', payload: 'not json at all' },
      ])
    })

    it('replays XADDs made before start from cursor 0, and only the later ones from a stored cursor', async () => {
      const n = names()
      const raw = track(rawClient(redis.url))
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push((await raw.xadd(n.stream, '*', 'data', `{"n":${i}}`)) as string)
      const noData = (await raw.xadd(n.stream, '*', 'other', 'field')) as string

      const fresh = recorder('0')
      const a = makeBus(redis.url, n).bus
      await a.start(fresh)
      await waitFor(() => fromStream(fresh).length === 6, 'all six entries from cursor 0')
      expect(fromStream(fresh)).toEqual([
        ...ids.map((streamId, i) => ({ source: 'stream', payload: `{"n":${i}}`, streamId })),
        { source: 'stream', payload: null, streamId: noData },
      ])

      const resumed = recorder(ids[2])
      const b = makeBus(redis.url, n).bus
      await b.start(resumed)
      await waitFor(() => b.state() === 'connected', 'second bus connected')
      await waitFor(() => fromStream(resumed).length >= 3, 'entries after the cursor')
      await raw.xadd(n.stream, '*', 'data', 'live')
      await waitFor(() => fromStream(resumed).length === 4, 'the live entry too')
      expect(fromStream(resumed).map((m) => m.payload)).toEqual(['{"n":3}', '{"n":4}', null, 'live'])
    })

    it('warns when the stream was trimmed past the stored cursor', async () => {
      const n = names()
      const raw = track(rawClient(redis.url))
      const firstId = (await raw.xadd(n.stream, '*', 'data', 'first')) as string
      const pipe = raw.pipeline()
      for (let i = 0; i < 300; i++) pipe.xadd(n.stream, 'MAXLEN', '~', 10, '*', 'data', String(i))
      await pipe.exec()
      const r = recorder(firstId)
      const { bus, lines } = makeBus(redis.url, n)
      await bus.start(r)
      await waitFor(() => fromStream(r).length > 0, 'the remaining entries')
      await waitFor(() => lines.some((l) => l.includes('trimmed past the stored cursor')), 'a trim warning')

      // A cursor inside the stream gives no warning.
      const inside = recorder(
        fromStream(r)[0]?.source === 'stream' ? (fromStream(r)[0] as { streamId: string }).streamId : '0',
      )
      const quiet = makeBus(redis.url, n)
      await quiet.bus.start(inside)
      await waitFor(
        () => quiet.bus.state() === 'connected' && fromStream(inside).length > 0,
        'second bus reading',
      )
      expect(quiet.lines.some((l) => l.includes('trimmed past'))).toBe(false)
    })

    it('reads on after the stream is reset while connected (periodic cursor check): one warning, cursor stored', async () => {
      const n = names()
      const raw = track(rawClient(redis.url))
      const stored: string[] = []
      const r = { ...recorder('0'), setStreamCursor: (c: string) => void stored.push(c) }
      const { bus, lines } = makeBus(redis.url, { ...n, streamRecheckMs: 300 })
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'connected')
      // A far-future explicit id becomes the cursor; then the stream is deleted and refilled with
      // ids below it, which XREAD from that cursor would skip forever.
      await raw.xadd(n.stream, '99999999999999-0', 'data', 'future')
      await waitFor(() => fromStream(r).length === 1, 'the far-future entry')
      await raw.del(n.stream)
      await raw.xadd(n.stream, '*', 'data', 'after-reset')
      await waitFor(() => fromStream(r).some((m) => m.payload === 'after-reset'), 'the entry after the reset')
      expect(stored).toEqual(['0'])
      await sleep(1_000) // several more checks: the same loss is not reported again
      const warnings = lines.filter((l) => l.includes('"kind":"reset"') || l.includes('"kind":"missing"'))
      expect(warnings).toHaveLength(1)
    })

    it('delivers a large backlog in batches of at most readCount', async () => {
      const n = names()
      const raw = track(rawClient(redis.url))
      const pipe = raw.pipeline()
      for (let i = 0; i < 1_200; i++) pipe.xadd(n.stream, '*', 'data', String(i))
      await pipe.exec()
      const r = recorder()
      const { bus } = makeBus(redis.url, { ...n, readCount: 500 })
      await bus.start(r)
      await waitFor(() => fromStream(r).length === 1_200, 'the whole backlog')
      expect(r.batches).toBe(3)
      expect(fromStream(r).map((m) => m.payload)).toEqual(Array.from({ length: 1_200 }, (_, i) => String(i)))
    })

    // Live messages after a SUBSCRIBE wait for the stream to catch up (live-gate.ts). To hold the
    // reader behind for as long as the test likes, its XREAD is refused by an ACL until the test
    // grants it; the subscriber and the publisher work all along.
    describe('order of live messages against the stream after a subscribe', () => {
      async function userWithoutXread(): Promise<{ url: string; grant(): Promise<unknown> }> {
        const admin = track(rawClient(redis.url))
        const user = `nox-${++nameCounter}`
        await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-xread')
        cleanups.push(async () => {
          await admin.call('ACL', 'DELUSER', user)
        })
        const { port } = new URL(redis.url)
        return {
          url: `redis://${user}:pw@127.0.0.1:${port}`,
          grant: () => admin.call('ACL', 'SETUSER', user, '+xread'),
        }
      }
      async function clientId(admin: Redis, name: string): Promise<string> {
        const list = (await admin.call('CLIENT', 'LIST')) as string
        const line = list.split('\n').find((l) => l.includes(` name=${name} `))
        const id = line && /^id=(\d+)/.exec(line)?.[1]
        if (!id) throw new Error(`no client named ${name}`)
        return id
      }
      const payloadsInOrder = (r: Recorder): string[] => [...new Set(r.messages.map((m) => m.payload ?? ''))]
      /**
       * A bus whose reader is refused XREAD, started on a stream that holds `entry`, once it has
       * subscribed: live messages from now on are held by the gate.
       */
      async function startBehind(entry: string, extra: Partial<RedisBusDeps> = {}) {
        const n = names()
        const acl = await userWithoutXread()
        const raw = track(rawClient(redis.url))
        await raw.xadd(n.stream, '*', 'data', entry)
        const r = recorder()
        const { bus, lines } = makeBus(acl.url, { ...n, ...STEADY, ...extra })
        await bus.start(r)
        await waitFor(
          async () => ((await raw.pubsub('NUMSUB', n.channel)) as [string, number])[1] === 1,
          'the bus subscribed',
        )
        return { n, acl, raw, r, lines }
      }

      it('an update the stream holds from before the subscribe is delivered before a newer live one', async () => {
        // Published while this backend's subscriber was away: on the stream only.
        const { n, acl, raw, r } = await startBehind('older: failed')
        // The newer update of the same producer, as a TaskPulse backend sends it: XADD, PUBLISH.
        await raw.xadd(n.stream, '*', 'data', 'newer: running')
        await raw.publish(n.channel, 'newer: running')
        // Time for the live message to be handed on, if nothing held it.
        await sleep(300)
        expect(r.messages).toEqual([])
        await acl.grant()
        await waitFor(() => r.messages.length === 3, 'both stream entries and the live message')
        expect(payloadsInOrder(r)).toEqual(['older: failed', 'newer: running'])
        expect(r.messages.map((m) => m.source)).toEqual(['stream', 'stream', 'redis'])
      })

      it('a subscriber back while the reader is at the end: a live message waits one round trip, not a read', async () => {
        const n = names()
        const r = recorder()
        const raw = track(rawClient(redis.url))
        await raw.xadd(n.stream, '*', 'data', 'before')
        // A long XREAD BLOCK: were the hold waiting for a read sent after the resubscribe, it
        // would last this long; only the stream's end, asked right after it, ends it sooner.
        const { bus } = makeBus(redis.url, {
          ...n,
          blockMs: 20_000,
          commandTimeoutMs: 5_000,
          liveHoldMs: 60_000,
        })
        await bus.start(r)
        await waitFor(
          () => fromStream(r).length === 1 && bus.state() === 'connected',
          'the entry from before',
        )
        const killed = await clientId(raw, 'taskpulse-subscriber')
        await raw.call('CLIENT', 'KILL', 'ID', killed)
        await waitFor(
          async () =>
            (await clientId(raw, 'taskpulse-subscriber').catch(() => killed)) !== killed &&
            ((await raw.pubsub('NUMSUB', n.channel)) as [string, number])[1] === 1,
          'the subscriber back on a new connection',
        )
        await raw.publish(n.channel, 'live only')
        await waitFor(() => fromChannel(r).length === 1, 'the live message')
      })

      it("the publisher puts each event on the stream before the channel (the gate's end then covers it)", async () => {
        const n = names()
        const { bus } = makeBus(redis.url, { ...n, ...STEADY })
        await bus.start(recorder())
        await waitFor(() => bus.state() === 'connected', 'bus connected')
        const monitor = await track(rawClient(redis.url)).monitor()
        cleanups.push(() => void monitor.disconnect())
        const commands: string[] = []
        monitor.on('monitor', (_time: string, args: string[]) => {
          const name = String(args[0]).toLowerCase()
          if ((name === 'xadd' && args[1] === n.stream) || (name === 'publish' && args[1] === n.channel))
            commands.push(`${name} ${String(args.at(-1))}`)
        })
        const events = [event('order'), event('order')]
        // Retried if a keep-alive timed out under load meanwhile (publish rejects while
        // disconnected); a retry only repeats commands, so the first of each is compared.
        await waitFor(
          () =>
            publishEvents(bus, events).then(
              () => true,
              () => false,
            ),
          'the events published',
        )
        const wires = events.map(eventToWire)
        const first = (cmd: string, wire: string) => commands.indexOf(`${cmd} ${wire}`)
        await waitFor(
          () => wires.every((w) => first('xadd', w) >= 0 && first('publish', w) >= 0),
          'both commands of each event seen',
        )
        for (const w of wires) expect(first('xadd', w), commands.join('\n')).toBeLessThan(first('publish', w))
        expect(first('xadd', wires[0]!)).toBeLessThan(first('xadd', wires[1]!))
      })

      it('a reader that cannot read holds live messages only up to the time bound, then warns', async () => {
        const { n, raw, r, lines } = await startBehind('unreadable for now', { liveHoldMs: 1_000 })
        await raw.publish(n.channel, 'live')
        await waitFor(() => fromChannel(r).length === 1, 'the live message after the bound')
        expect(fromStream(r)).toEqual([])
        expect(lines.some((l) => l.includes('"reason":"timeout"'))).toBe(true)
      })

      it('a flood while held is handed on once over the count bound, in order, nothing lost', async () => {
        const { n, raw, r } = await startBehind('unreadable for now', { liveHoldMs: 60_000 })
        const pipe = raw.pipeline()
        for (let i = 0; i < 12_000; i++) pipe.publish(n.channel, String(i))
        await pipe.exec()
        await waitFor(() => fromChannel(r).length === 12_000, 'every live message', 20_000)
        expect(fromChannel(r).map((m) => m.payload)).toEqual(
          Array.from({ length: 12_000 }, (_, i) => String(i)),
        )
      })
    })
  })

  describe('outage', () => {
    it('goes disconnected, rejects publish at once, then recovers, resubscribes and catches up', async () => {
      const n = names()
      const r = recorder()
      const { bus, lines } = makeBus(redis.url, n)
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'bus connected')
      await publishEvents(bus, [event('before')])
      await waitFor(() => fromStream(r).length === 1, 'own event read back')
      // The durable cursor stays at '0' here (as if the store had not yet saved it): the reconnect
      // must re-read it and replay from there, so 'before' comes again (the store dedupes it).

      await redis.stop({ hard: true })
      let restarted = false
      cleanups.push(async () => {
        if (!restarted) await redis.start() // keep the shared server up for the next tests
      })
      await waitFor(() => bus.state() === 'disconnected', 'bus disconnected')
      expect(r.states).toEqual(['connected', 'disconnected'])
      const t0 = Date.now()
      const err = await publishEvents(bus, [event('during')]).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(BusError)
      expect((err as BusError).code).toBe('BUS_DISCONNECTED')
      expect(Date.now() - t0).toBeLessThan(500)

      await redis.start()
      restarted = true
      // Another producer writes right after the restart, possibly before the bus is back.
      const raw = track(rawClient(redis.url))
      const afterIds = [
        (await raw.xadd(n.stream, '*', 'data', 'after-1')) as string,
        (await raw.xadd(n.stream, '*', 'data', 'after-2')) as string,
      ]
      await waitFor(() => bus.state() === 'connected', 'bus reconnected by itself')
      expect(r.states).toEqual(['connected', 'disconnected', 'connected'])
      await waitFor(() => fromStream(r).length === 4, 'catch-up of entries added during the outage')
      expect(fromStream(r)[1]).toEqual(fromStream(r)[0])
      expect(fromStream(r).slice(2)).toEqual([
        { source: 'stream', payload: 'after-1', streamId: afterIds[0] },
        { source: 'stream', payload: 'after-2', streamId: afterIds[1] },
      ])

      await raw.publish(n.channel, 'after-restart')
      await waitFor(() => fromChannel(r).some((m) => m.payload === 'after-restart'), 'resubscribed')
      await publishEvents(bus, [event('after')])

      // One state line each way, however many reconnect attempts failed in between.
      const text = lines.join('')
      expect(text.match(/redis bus disconnected/g)?.length).toBe(1)
      expect(text.match(/redis bus connected/g)?.length).toBe(2)
      const refused = lines.filter((l) => l.includes('ECONNREFUSED'))
      expect(refused.length).toBeLessThanOrEqual(3) // at most once per connection
    })

    it('starts while Redis is down and connects by itself once it is up', async () => {
      const local = await startRedis()
      cleanups.push(() => local.close())
      await local.stop()
      const n = names()
      const r = recorder()
      const { bus } = makeBus(local.url, n)
      await bus.start(r)
      await sleep(300) // let a few reconnect attempts fail (nothing asserted on time)
      expect(bus.state()).toBe('disconnected')
      await expect(publishEvents(bus, [event()])).rejects.toMatchObject({ code: 'BUS_DISCONNECTED' })
      await local.start()
      await waitFor(() => bus.state() === 'connected', 'connected after Redis came up')
      await publishEvents(bus, [event()])
      expect(r.states).toEqual(['connected'])
    })

    it('notices a half-open connection (no replies, socket still open) and recovers', async () => {
      const proxy = await freezableProxy(redis.port)
      cleanups.push(() => proxy.close())
      const n = names()
      const r = recorder()
      const { bus, lines } = makeBus(proxy.url, n)
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'connected through the proxy')

      proxy.freeze()
      await waitFor(() => bus.state() === 'disconnected', 'half-open connection detected', 6_000)
      await expect(publishEvents(bus, [event()])).rejects.toBeInstanceOf(BusError)

      if (process.env.DUMP_LOGS) console.log(lines.join(''))
      proxy.thaw()
      await waitFor(() => bus.state() === 'connected', 'reconnected after thaw', 6_000)
      const raw = track(rawClient(redis.url))
      await raw.publish(n.channel, 'after-thaw')
      await waitFor(() => fromChannel(r).some((m) => m.payload === 'after-thaw'), 'live messages again')
    })
  })

  describe('#stop', () => {
    it('is idempotent, ends the read loop cleanly, and publish then rejects', async () => {
      const r = recorder()
      const { log } = memoryLog()
      const bus = createRedisBus({ url: redis.url, log, ...FAST, ...names() })
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'bus connected')
      await Promise.all([bus.stop(), bus.stop()])
      await bus.stop()
      expect(bus.state()).toBe('disconnected')
      expect(r.states).toEqual(['connected', 'disconnected'])
      await expect(publishEvents(bus, [event()])).rejects.toMatchObject({ code: 'BUS_STOPPED' })
    })

    it('stops cleanly without ever being started', async () => {
      const { bus } = makeBus(redis.url, names())
      await bus.stop()
      expect(bus.state()).toBe('disconnected')
    })

    it('stops quickly while Redis is unreachable', async () => {
      const port = await freePort()
      const { bus } = makeBus(`redis://127.0.0.1:${port}`)
      await bus.start(recorder())
      await sleep(200)
      const t0 = Date.now()
      await bus.stop()
      expect(Date.now() - t0).toBeLessThan(1_000)
    })
  })

  describe('auth and TLS', () => {
    const password = 'S3cret-pa55word'
    let secured: RedisServer
    beforeAll(async () => {
      secured = await startRedis({ extraArgs: ['--requirepass', password], password })
    })
    afterAll(async () => {
      await secured?.close()
    })

    it('connects with a password URL and never logs the password', async () => {
      const url = `redis://:${password}@127.0.0.1:${secured.port}`
      const r = recorder()
      const { bus, lines } = makeBus(url, names())
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'connected with the password')
      await publishEvents(bus, [event()])
      const text = lines.join('')
      expect(text).not.toContain(password)
      expect(text).toContain(`redis://:***@127.0.0.1:${secured.port}`)
    })

    it('stays disconnected with a bad password, without crashing, logging a redacted URL', async () => {
      const wrong = 'Wr0ng-pa55word'
      const url = `redis://:${wrong}@127.0.0.1:${secured.port}`
      const r = recorder()
      const { bus, lines } = makeBus(url, names())
      await bus.start(r)
      await waitFor(
        () => lines.some((l) => /WRONGPASS|NOAUTH|invalid password/i.test(l)),
        'an auth error logged',
      )
      await sleep(500) // several reconnect attempts (nothing asserted on time)
      expect(bus.state()).toBe('disconnected')
      expect(r.states).toEqual([])
      await expect(publishEvents(bus, [event()])).rejects.toMatchObject({ code: 'BUS_DISCONNECTED' })
      const text = lines.join('')
      if (process.env.DUMP_LOGS) console.log(lines.join(''))
      expect(text).not.toContain(wrong)
      expect(text).toContain(`redis://:***@127.0.0.1:${secured.port}`)
      // Rate-limited: one line per connection, not one per retry.
      expect(lines.filter((l) => /WRONGPASS/.test(l)).length).toBeLessThanOrEqual(3)
    })

    it('connects over TLS with a rediss:// URL', async () => {
      const tlsRedis = await startTlsRedis()
      cleanups.push(() => tlsRedis.close())
      const n = names()
      const r = recorder()
      const { bus } = makeBus(`rediss://127.0.0.1:${tlsRedis.port}`, { ...n, tls: { ca: tlsRedis.ca } })
      await bus.start(r)
      await waitFor(() => bus.state() === 'connected', 'connected over TLS')
      const e = event('tls')
      await publishEvents(bus, [e])
      await waitFor(
        () => fromStream(r).length === 1 && fromChannel(r).length === 1,
        'own event back over TLS',
      )
      expect(fromStream(r)[0]?.payload).toBe(eventToWire(e))
    })
  })
})

/** entries-added from an XINFO STREAM reply (flat [key, value, …] array). */
function entriesAdded(info: unknown): number {
  const arr = info as unknown[]
  const i = arr.indexOf('entries-added')
  return Number(arr[i + 1])
}

/** A TCP proxy to Redis that can stop forwarding while keeping every socket open (half-open). */
async function freezableProxy(
  targetPort: number,
): Promise<{ url: string; freeze(): void; thaw(): void; close(): Promise<void> }> {
  let frozen = false
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = netConnect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => {
        client.destroy()
        upstream.destroy()
        sockets.delete(s)
      })
    }
    client.on('data', (d) => frozen || upstream.write(d))
    upstream.on('data', (d) => frozen || client.write(d))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => void (frozen = true),
    thaw: () => void (frozen = false),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A redis-server that speaks TLS only, with a throwaway self-signed certificate for 127.0.0.1. */
async function startTlsRedis(): Promise<{ port: number; ca: Buffer; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-redis-tls-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  const gen = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  )
  if (gen.status !== 0) throw new Error(`openssl could not make a test certificate: ${gen.stderr}`)
  const ca = readFileSync(cert)
  const server = await startRedis({ tls: { cert, key, ca } })
  return {
    port: server.port,
    ca,
    close: async () => {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The bus publishes wire JSON, as the outbox stores it. */
function publishEvents(bus: Bus, events: readonly TaskEvent[]): Promise<void> {
  return bus.publish(events.map(eventToWire))
}
