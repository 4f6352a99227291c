// The backend process dying or being asked to stop: SIGKILL under concurrent write load must lose
// no update that got a 2xx and leave a sound SQLite file; SIGTERM/SIGINT close every client with
// 1001 and exit 0, also when Redis is away (the outbox is kept and relayed on the next start).
import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import {
  allEventsOf,
  cleanupStack,
  health,
  putTask,
  resumeClient,
  sqliteIntegrity,
  streamDataById,
  streamEventIdCounts,
  updateIds,
  waitForHealth,
} from './resilience-helpers'
import { TASK_STATUSES as STATUSES } from '../../src-shared/protocol'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

/**
 * `writers` concurrent loops of PUTs, each on its own task, until the backend stops answering.
 * Kills the backend with SIGKILL once `killAfter` updates were accepted, while requests are in
 * flight. Returns the event ids that got a 2xx, by task.
 */
async function writeUntilKilled(
  backend: Backend,
  round: number,
  writers: number,
  killAfter: number,
): Promise<Map<string, string[]>> {
  const accepted = new Map<string, string[]>()
  let total = 0
  // Typed by a cast, not an annotation: assigned in a callback, which TS's narrowing does not see.
  let killing = null as Promise<number | null> | null
  const loop = async (w: number) => {
    const taskId = `crash-task-${w}`
    const ids: string[] = accepted.get(taskId) ?? []
    accepted.set(taskId, ids)
    for (let i = 0; ; i++) {
      const eventId = `crash-r${round}-w${w}-${i}`
      const res = await putTask(backend, taskId, {
        status: STATUSES[i % 4],
        output: `round ${round} #${i}`,
        event_id: eventId,
      })
      if (res.status === 200 || res.status === 201) {
        ids.push(eventId)
        if (++total === killAfter) killing = backend.stop('SIGKILL')
      } else if (res.status === 0) {
        return // the process is gone
      } else {
        throw new Error(`unexpected ${res.status} for ${eventId}: ${JSON.stringify(res.body)}`)
      }
    }
  }
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w)))
  expect(await killing).toBeNull() // killed by the signal, not exited
  return accepted
}

describe('backend SIGKILLed under write load', () => {
  it('keeps every update that got a 2xx, its SQLite file passes integrity_check, and the outbox reaches Redis', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const dataDir = cleanup.dir(tempDir())
    const acceptedAll = new Map<string, string[]>()

    for (let round = 0; round < 2; round++) {
      const backend = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
      const accepted = await writeUntilKilled(backend, round, 8, 400)
      for (const [task, ids] of accepted) acceptedAll.set(task, [...(acceptedAll.get(task) ?? []), ...ids])

      const check = sqliteIntegrity(dataDir)
      expect(check.integrity).toBe('ok')
      expect(check.events).toBeGreaterThanOrEqual([...acceptedAll.values()].flat().length)
    }

    const backend = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    const acceptedCount = [...acceptedAll.values()].flat().length
    expect(acceptedCount).toBeGreaterThanOrEqual(800)
    for (const [taskId, ids] of acceptedAll) {
      const stored = new Set((await allEventsOf(backend, taskId)).map((e) => e.event_id))
      expect(
        ids.filter((id) => !stored.has(id)),
        `updates of ${taskId} lost`,
      ).toEqual([])
    }

    // Whatever the outbox held at the kills goes out now.
    await waitForHealth(
      backend,
      (h) => h.redis === 'connected' && h.outbox_pending === 0,
      'outbox drained after the restart',
      30_000,
    )
    const onStream = await streamEventIdCounts(redis.url)
    expect([...acceptedAll.values()].flat().filter((id) => !onStream.has(id))).toEqual([])

    // And the restarted process is healthy: it takes a new update.
    expect(
      (await putTask(backend, 'crash-task-0', { status: 'completed', event_id: 'after-crashes' })).status,
    ).toBe(200)
    // Three starts, two kills and 800+ writes: over 60 s on a busy 2-core machine (load 16–20).
  }, 180_000)
})

describe('resume across a SIGKILL', () => {
  it('a client that resumes from its last seq gets every change committed after it, once, and nothing it had', async () => {
    const dataDir = cleanup.dir(tempDir())
    const backend = cleanup.backend(await startBackend({ dataDir }))
    const before = cleanup.client(await connectClient(backend.ws, backend.token))
    const accepted = await writeUntilKilled(backend, 0, 4, 300)
    await before.closed
    const epoch = (await before.hello).epoch
    const seenBefore = before.updates()
    const lastSeq = seenBefore.at(-1)?.seq ?? 0

    const again = cleanup.backend(await startBackend({ dataDir }))
    const after = cleanup.client(await resumeClient(again.ws, again.token, epoch, lastSeq))
    expect(after.messages.some((m) => m.type === 'snapshot')).toBe(false)
    expect(
      (await putTask(again, 'crash-task-0', { status: 'completed', event_id: 'after-resume' })).status,
    ).toBe(200)
    await waitFor(() => updateIds(after).includes('after-resume'), 'the resumed client is live')

    // Both sockets together: every change the database holds, each once, in seq order.
    const stored = (await Promise.all([...accepted.keys()].map((t) => allEventsOf(again, t)))).flat()
    const changed = stored.filter((e) => e.changed).sort((x, y) => x.seq - y.seq)
    const delivered = [...seenBefore, ...after.updates()]
    expect(delivered.map((u) => u.seq)).toEqual(changed.map((e) => e.seq))
    expect(delivered.map((u) => u.event_id)).toEqual(changed.map((e) => e.event_id))
    // Each writer owns its task, so each of its accepted updates is a change and was delivered.
    const deliveredIds = new Set(delivered.map((u) => u.event_id))
    expect([...accepted.values()].flat().filter((id) => !deliveredIds.has(id))).toEqual([])
  })
})

describe('SIGTERM under write load', () => {
  it('exits 0 having stored every 2xx update and relayed it to Redis', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const dataDir = cleanup.dir(tempDir())
    const backend = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')

    const accepted: string[] = []
    const refusals = new Map<number, number>()
    // Typed by a cast: assigned in a callback, which TS's narrowing does not see.
    let stopping = null as Promise<number | null> | null
    const loop = async (w: number) => {
      for (let i = 0; ; i++) {
        const eventId = `term-load-w${w}-${i}`
        const res = await putTask(backend, `term-load-${w}`, {
          status: STATUSES[i % 4],
          output: eventId,
          event_id: eventId,
        })
        if (res.status === 200 || res.status === 201) {
          accepted.push(eventId)
          if (accepted.length === 300) stopping = backend.stop('SIGTERM')
          continue
        }
        refusals.set(res.status, (refusals.get(res.status) ?? 0) + 1)
        if (res.status === 0) return
      }
    }
    await Promise.all([0, 1, 2, 3, 4, 5].map(loop))
    expect(await stopping).toBe(0)
    // Refused only as "shutting down" (503) or by the closed socket (0), never a 500.
    expect([...refusals.keys()].filter((s) => s !== 503 && s !== 0)).toEqual([])

    // The shutdown drained the outbox: everything accepted is on the stream already.
    const onStream = await streamEventIdCounts(redis.url)
    expect(accepted.filter((id) => !onStream.has(id))).toEqual([])
    expect(sqliteIntegrity(dataDir).integrity).toBe('ok')

    const again = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    const stored = new Set<string>()
    for (let w = 0; w < 6; w++)
      for (const e of await allEventsOf(again, `term-load-${w}`)) stored.add(e.event_id)
    expect(accepted.filter((id) => !stored.has(id))).toEqual([])
    expect((await health(again)).outbox_pending).toBe(0)
  })
})

describe('graceful shutdown', () => {
  it('SIGTERM closes every client with 1001 and exits 0 (no Redis)', async () => {
    const backend = cleanup.backend(await startBackend({ dataDir: cleanup.dir(tempDir()) }))
    const subscribed = cleanup.client(await connectClient(backend.ws, backend.token))
    const waiting = cleanup.client(await connectClient(backend.ws, backend.token, { subscribe: false }))
    await waiting.hello
    expect((await putTask(backend, 'bye', { status: 'running' })).status).toBe(201)
    await waitFor(() => subscribed.updates().length === 1, 'the update before shutdown')

    expect(await backend.stop('SIGTERM')).toBe(0)
    expect(await subscribed.closed).toEqual({ code: 1001 })
    expect(await waiting.closed).toEqual({ code: 1001 })
  })

  it('SIGINT does the same', async () => {
    const backend = cleanup.backend(await startBackend({ dataDir: cleanup.dir(tempDir()) }))
    const client = cleanup.client(await connectClient(backend.ws, backend.token))
    expect(await backend.stop('SIGINT')).toBe(0)
    expect(await client.closed).toEqual({ code: 1001 })
  })

  it('SIGTERM with Redis connected: 1001, exit 0, the outbox drained to the stream first', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const backend = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }),
    )
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))
    const ids = Array.from({ length: 50 }, (_, i) => `term-${i}`)
    await Promise.all(
      ids.map((id, i) =>
        putTask(backend, `term-task-${i % 5}`, { status: STATUSES[i % 4], output: id, event_id: id }),
      ),
    )

    expect(await backend.stop('SIGTERM')).toBe(0)
    expect(await client.closed).toEqual({ code: 1001 })
    const onStream = await streamDataById(redis.url)
    expect(ids.filter((id) => !onStream.has(id))).toEqual([])
    for (const [i, id] of ids.entries()) {
      expect(onStream.get(id)).toMatchObject({
        task_id: `term-task-${i % 5}`,
        status: STATUSES[i % 4],
        output: id,
      })
    }
  })

  it('SIGTERM while Redis is down: 1001 and exit 0; the kept outbox is relayed on the next start', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const dataDir = cleanup.dir(tempDir())
    const backend = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    await redis.stop({ hard: true })
    await waitForHealth(backend, (h) => h.redis === 'disconnected', 'redis disconnected')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))
    const ids = Array.from({ length: 10 }, (_, i) => `kept-${i}`)
    for (const id of ids)
      expect(
        (await putTask(backend, 'kept-task', { status: 'running', output: id, event_id: id })).status,
      ).toBeLessThan(300)
    expect((await health(backend)).outbox_pending).toBe(ids.length)

    expect(await backend.stop('SIGTERM')).toBe(0)
    expect(await client.closed).toEqual({ code: 1001 })

    await redis.start()
    const again = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    await waitForHealth(
      again,
      (h) => h.redis === 'connected' && h.outbox_pending === 0,
      'outbox relayed after restart',
      30_000,
    )
    const onStream = await streamEventIdCounts(redis.url)
    expect(ids.filter((id) => !onStream.has(id))).toEqual([])
  })
})
