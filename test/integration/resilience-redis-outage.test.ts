// Redis outages seen from outside: the real built backend (child process) on a real redis-server
// that is SIGKILLed and restarted, or down when the backend starts. What must hold: every update
// that got a 2xx reaches the Redis stream once Redis is back (the outbox), WS clients see each
// change exactly once, REST and WS keep working while Redis is away, and health tells the truth.
import { afterEach, describe, expect, it } from 'vitest'
import type { Health } from '../../src-shared/protocol'
import { connectClient, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import {
  allTasks,
  cleanupStack,
  health,
  isBarrier,
  putTask,
  redisBarrier,
  repeated,
  sleep,
  streamDataById,
  streamEventIdCounts,
  tryHealth,
  updateIds,
  waitForHealth,
} from './resilience-helpers'
import { TASK_STATUSES as STATUSES } from '../../src-shared/protocol'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

const expectMatch = (
  actual: Record<string, unknown> | undefined,
  expected: Record<string, unknown>,
): boolean => actual !== undefined && Object.entries(expected).every(([k, v]) => actual[k] === v)

describe('redis outage while REST updates continue', () => {
  it('relays every 2xx update to the stream after a SIGKILL + restart of Redis, and no client sees one twice', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const backend = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }),
    )
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected at start')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))

    // Record every health state seen, from a poller that runs through the whole test.
    const healthStates: Health['redis'][] = []
    let maxOutboxPending = 0
    let polling = true
    const poller = (async () => {
      while (polling) {
        const h = await tryHealth(backend)
        if (h && healthStates.at(-1) !== h.redis) healthStates.push(h.redis)
        if (h) maxOutboxPending = Math.max(maxOutboxPending, h.outbox_pending)
        await sleep(10)
      }
    })()

    const TOTAL = 300
    const KILL_AT = 100
    const RESTART_AT = 200
    const accepted: string[] = []
    const sent = new Map<string, { task_id: string; status: string; output: string }>()
    const refused: { i: number; status: number }[] = []
    let killed: Promise<void> | null = null
    // Typed by a cast: assigned in a callback, which TS's narrowing does not see.
    let restarted = null as Promise<void> | null

    // Two writers in parallel, so requests are in flight while Redis dies and while it comes back.
    // Each writer has its own tasks: two concurrent updates of one task may be stamped in one
    // millisecond and commit in either order, and then the older one rightly changes nothing (and
    // is not broadcast), which is not what this test is about.
    let next = 0
    const writer = async (w: number) => {
      for (;;) {
        const i = next++
        if (i >= TOTAL) return
        if (i === KILL_AT) killed = redis.stop({ hard: true })
        if (i === RESTART_AT) {
          // Restart only once the backend has noticed; the updates in between went in during the outage.
          await killed
          await waitForHealth(
            backend,
            (h) => h.redis === 'disconnected',
            'health disconnected after the kill',
          )
          restarted = redis.start()
        }
        const eventId = `outage-${String(i).padStart(4, '0')}`
        const update = {
          task_id: `outage-w${w}-task-${i % 3}`,
          status: STATUSES[i % 4]!,
          output: `update ${i}`,
        }
        sent.set(eventId, update)
        const res = await putTask(backend, update.task_id, {
          status: update.status,
          output: update.output,
          event_id: eventId,
        })
        if (res.status === 200 || res.status === 201) accepted.push(eventId)
        else refused.push({ i, status: res.status })
        await sleep(5)
      }
    }
    try {
      await Promise.all([writer(0), writer(1)])
      await restarted
      await waitForHealth(
        backend,
        (h) => h.redis === 'connected',
        'health connected after the restart',
        30_000,
      )
      await waitForHealth(backend, (h) => h.outbox_pending === 0, 'outbox drained', 30_000)
    } finally {
      polling = false
      await poller
    }

    // REST kept accepting during the outage; the outage really held updates back in the outbox.
    expect(maxOutboxPending).toBeGreaterThan(0)
    expect(refused).toEqual([])
    expect(accepted).toHaveLength(TOTAL)

    // Every accepted update is on the stream (read by an outside client); duplicates on the stream
    // are allowed (at-least-once), loss is not.
    const onStream = await streamEventIdCounts(redis.url)
    const missing = accepted.filter((id) => !onStream.has(id))
    expect(missing).toEqual([])
    // …and carry what the update set, so other backends can apply it.
    const data = await streamDataById(redis.url)
    const wrong = accepted.filter((id) => !expectMatch(data.get(id), sent.get(id)!))
    expect(wrong.slice(0, 3).map((id) => ({ sent: sent.get(id), onStream: data.get(id) }))).toEqual([])

    // Each update changed its task, so the client gets each exactly once, even though the backend
    // also receives its own events back from the channel and the stream.
    await waitFor(
      () => updateIds(client).filter((id) => id.startsWith('outage-')).length >= TOTAL,
      'client got every update',
    )
    await redisBarrier(redis.url, [client]) // every echo from Redis has been processed by now
    const seen = updateIds(client).filter((id) => !isBarrier(id))
    expect(repeated(seen)).toEqual([])
    expect(new Set(seen)).toEqual(new Set(accepted))
    const seqs = client.updates().map((u) => u.seq)
    expect(seqs.length).toBe(TOTAL + 2)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))

    // Health went connected → disconnected → connected.
    const firstDown = healthStates.indexOf('disconnected')
    expect(healthStates[0]).toBe('connected')
    expect(firstDown).toBeGreaterThan(0)
    expect(healthStates.slice(firstDown)).toContain('connected')
    expect((await health(backend)).redis).toBe('connected')
  })
})

describe('backend started while Redis is down', () => {
  it('serves REST and WS, reports redis disconnected, then connects by itself and drains the outbox', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    await redis.stop({ hard: true }) // its port stays reserved for the later start()

    const backend = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }),
    )
    expect((await health(backend)).redis).toBe('disconnected')

    const client = cleanup.client(await connectClient(backend.ws, backend.token))
    const ids = ['down-1', 'down-2', 'down-3'].map((id, i) => ({ id, eventId: `down-ev-${i}` }))
    for (const [i, { id, eventId }] of ids.entries()) {
      const res = await putTask(backend, id, {
        status: STATUSES[i % 4],
        title: `while down ${i}`,
        event_id: eventId,
      })
      expect(res.status).toBe(201)
    }
    await waitFor(
      () => updateIds(client).length >= ids.length,
      'client got the updates made while Redis is down',
    )
    expect(updateIds(client)).toEqual(ids.map((x) => x.eventId))
    const h = await health(backend)
    expect(h.redis).toBe('disconnected')
    expect(h.outbox_pending).toBe(ids.length)

    await redis.start()
    await waitForHealth(backend, (x) => x.redis === 'connected', 'health connected once Redis is up', 30_000)
    await waitForHealth(backend, (x) => x.outbox_pending === 0, 'outbox drained', 30_000)
    const onStream = await streamDataById(redis.url)
    expect(ids.filter(({ eventId }) => !onStream.has(eventId))).toEqual([])
    for (const [i, { id, eventId }] of ids.entries()) {
      expect(onStream.get(eventId)).toMatchObject({
        task_id: id,
        status: STATUSES[i % 4],
        title: `while down ${i}`,
      })
    }

    // Our own events coming back from Redis are not broadcast again; a new change still is.
    const res = await putTask(backend, 'down-1', { status: 'completed', event_id: 'down-ev-after' })
    expect(res.status).toBe(200)
    await waitFor(
      () => updateIds(client).includes('down-ev-after'),
      'client got the update made after recovery',
    )
    await waitForHealth(backend, (x) => x.outbox_pending === 0, 'outbox drained again', 30_000)
    await redisBarrier(redis.url, [client])
    expect(updateIds(client).filter((id) => !isBarrier(id))).toEqual([
      ...ids.map((x) => x.eventId),
      'down-ev-after',
    ])
  })
})

describe('two backends across a Redis outage', () => {
  it('each gets every update the other accepted before, during and after the outage, exactly once', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const a = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
    const b = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
    for (const x of [a, b]) await waitForHealth(x, (h) => h.redis === 'connected', 'redis connected')
    const clients = [
      cleanup.client(await connectClient(a.ws, a.token)),
      cleanup.client(await connectClient(b.ws, b.token)),
    ]

    // Sequential per backend (each backend its own tasks), so every update changes its task everywhere.
    const made: string[] = []
    const write = async (x: Backend, name: string, from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        const eventId = `${name}-${String(i).padStart(3, '0')}`
        const res = await putTask(x, `${name}-task-${i % 3}`, {
          status: STATUSES[i % 4],
          output: eventId,
          event_id: eventId,
        })
        expect(res.status).toBeLessThan(300)
        made.push(eventId)
      }
    }
    await Promise.all([write(a, 'two-a', 0, 10), write(b, 'two-b', 0, 10)])
    await redis.stop({ hard: true })
    for (const x of [a, b]) await waitForHealth(x, (h) => h.redis === 'disconnected', 'redis disconnected')
    await Promise.all([write(a, 'two-a', 10, 20), write(b, 'two-b', 10, 20)])
    await redis.start()
    await Promise.all([write(a, 'two-a', 30, 10), write(b, 'two-b', 30, 10)])
    for (const x of [a, b]) {
      await waitForHealth(
        x,
        (h) => h.redis === 'connected' && h.outbox_pending === 0,
        'reconnected and drained',
        30_000,
      )
    }

    for (const [k, c] of clients.entries()) {
      await waitFor(
        () => made.every((id) => updateIds(c).includes(id)),
        `client of ${k ? 'b' : 'a'} got every update`,
        15_000,
      ).catch((err: unknown) => {
        const missing = made.filter((id) => !updateIds(c).includes(id))
        throw new Error(
          `client of ${k ? 'b' : 'a'} misses ${missing.length}: ${missing.slice(0, 10).join(' ')}…`,
          { cause: err },
        )
      })
    }
    await redisBarrier(redis.url, clients)
    for (const c of clients) {
      const seen = updateIds(c).filter((id) => !isBarrier(id))
      expect(repeated(seen)).toEqual([])
      expect([...seen].sort()).toEqual([...made].sort())
    }
    expect(await allTasks(b, 'q=two-')).toEqual(await allTasks(a, 'q=two-'))
  })
})

describe('redis flapping', () => {
  it('three SIGKILL/restart cycles in quick succession under REST load: nothing lost, nothing doubled', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const backend = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }),
    )
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))

    const accepted: string[] = []
    let writing = true
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const eventId = `flap-w${w}-${String(i).padStart(4, '0')}`
        const res = await putTask(backend, `flap-w${w}`, {
          status: STATUSES[i % 4],
          output: eventId,
          event_id: eventId,
        })
        expect(res.status).toBeLessThan(300)
        accepted.push(eventId)
        await sleep(2)
      }
    }
    const writers = Promise.all([writer(0), writer(1)])
    const waitAccepted = (n: number) => waitFor(() => accepted.length >= n, `${n} accepted updates`, 20_000)
    try {
      for (let cycle = 0; cycle < 3; cycle++) {
        await waitAccepted(accepted.length + 30)
        await redis.stop({ hard: true })
        await waitAccepted(accepted.length + 30)
        await redis.start()
        // The next kill may come before the backend has fully reconnected.
      }
      await waitAccepted(accepted.length + 30)
    } finally {
      writing = false
      await writers
    }
    await waitForHealth(
      backend,
      (h) => h.redis === 'connected' && h.outbox_pending === 0,
      'reconnected and drained',
      30_000,
    )

    const data = await streamDataById(redis.url)
    expect(accepted.filter((id) => !data.has(id))).toEqual([])
    expect(accepted.filter((id) => data.get(id)?.output !== id)).toEqual([])
    await waitFor(() => accepted.every((id) => updateIds(client).includes(id)), 'every update on the client')
    await redisBarrier(redis.url, [client])
    const seen = updateIds(client).filter((id) => !isBarrier(id))
    expect(repeated(seen)).toEqual([])
    expect([...seen].sort()).toEqual([...accepted].sort())
  })
})
