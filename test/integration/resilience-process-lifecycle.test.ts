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
  sqliteIntegrity,
  streamDataById,
  streamEventIdCounts,
  waitForHealth,
} from './resilience-helpers'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

const STATUSES = ['pending', 'running', 'completed', 'failed'] as const

/**
 * `writers` concurrent loops of PUTs, each on its own task, until the backend stops answering.
 * Kills the backend with SIGKILL once `killAfter` updates were accepted, while requests are in
 * flight. Returns the event ids that got a 2xx, by task.
 */
async function writeUntilKilled(backend: Backend, round: number, writers: number, killAfter: number): Promise<Map<string, string[]>> {
  const accepted = new Map<string, string[]>()
  let total = 0
  let killing: Promise<number | null> | null = null
  const loop = async (w: number) => {
    const taskId = `crash-task-${w}`
    const ids: string[] = accepted.get(taskId) ?? []
    accepted.set(taskId, ids)
    for (let i = 0; ; i++) {
      const eventId = `crash-r${round}-w${w}-${i}`
      const res = await putTask(backend, taskId, { status: STATUSES[i % 4], output: `round ${round} #${i}`, event_id: eventId })
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
      expect(ids.filter((id) => !stored.has(id)), `updates of ${taskId} lost`).toEqual([])
    }

    // Whatever the outbox held at the kills goes out now.
    await waitForHealth(backend, (h) => h.redis === 'connected' && h.outbox_pending === 0, 'outbox drained after the restart', 30_000)
    const onStream = await streamEventIdCounts(redis.url)
    expect([...acceptedAll.values()].flat().filter((id) => !onStream.has(id))).toEqual([])

    // And the restarted process is healthy: it takes a new update.
    expect((await putTask(backend, 'crash-task-0', { status: 'completed', event_id: 'after-crashes' })).status).toBe(200)
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
    const backend = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))
    const ids = Array.from({ length: 50 }, (_, i) => `term-${i}`)
    await Promise.all(ids.map((id, i) => putTask(backend, `term-task-${i % 5}`, { status: STATUSES[i % 4], output: id, event_id: id })))

    expect(await backend.stop('SIGTERM')).toBe(0)
    expect(await client.closed).toEqual({ code: 1001 })
    const onStream = await streamDataById(redis.url)
    expect(ids.filter((id) => !onStream.has(id))).toEqual([])
    for (const [i, id] of ids.entries()) {
      expect(onStream.get(id)).toMatchObject({ task_id: `term-task-${i % 5}`, status: STATUSES[i % 4], output: id })
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
    for (const id of ids) expect((await putTask(backend, 'kept-task', { status: 'running', output: id, event_id: id })).status).toBeLessThan(300)
    expect((await health(backend)).outbox_pending).toBe(ids.length)

    expect(await backend.stop('SIGTERM')).toBe(0)
    expect(await client.closed).toEqual({ code: 1001 })

    await redis.start()
    const again = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    await waitForHealth(again, (h) => h.redis === 'connected' && h.outbox_pending === 0, 'outbox relayed after restart', 30_000)
    const onStream = await streamEventIdCounts(redis.url)
    expect(ids.filter((id) => !onStream.has(id))).toEqual([])
  })
})
