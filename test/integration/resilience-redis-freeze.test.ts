// A Redis that stops answering without closing its sockets (SIGSTOP: the kernel keeps the TCP
// connections up, like a half-open link or a hung server). The backend must notice by itself (its
// pings and command timeouts), keep serving REST and WS meanwhile, and after SIGCONT recover and
// relay everything, with Redis possibly executing the commands it had buffered (duplicates on the
// stream, which event_id dedupe must keep away from clients).
import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, startBackend, tempDir, waitFor } from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import {
  cleanupStack,
  health,
  isBarrier,
  putTask,
  rawRedis,
  redisBarrier,
  repeated,
  streamEventIdCounts,
  updateIds,
  waitForHealth,
} from './resilience-helpers'
import { TASK_STATUSES as STATUSES } from '../../src-shared/protocol'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

async function redisPid(url: string): Promise<number> {
  const client = rawRedis(url)
  try {
    const info = await client.info('server')
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1])
    if (!pid) throw new Error('no process_id in INFO server')
    return pid
  } finally {
    client.disconnect()
  }
}

describe('redis frozen (SIGSTOP) and resumed', () => {
  it('is noticed, REST and WS carry on, and after SIGCONT every 2xx update reaches the stream; clients see each once', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const pid = await redisPid(redis.url)
    let frozen = false
    cleanup.add(() => {
      if (frozen) process.kill(pid, 'SIGCONT')
    })
    const backend = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }),
    )
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))

    const accepted: string[] = []
    const put = async (i: number) => {
      const eventId = `freeze-${String(i).padStart(3, '0')}`
      const res = await putTask(backend, `freeze-task-${i % 3}`, {
        status: STATUSES[i % 4],
        output: eventId,
        event_id: eventId,
      })
      expect(res.status).toBeLessThan(300)
      accepted.push(eventId)
    }

    let i = 0
    for (; i < 20; i++) await put(i)
    process.kill(pid, 'SIGSTOP')
    frozen = true
    // Updates keep flowing while the backend has not yet noticed (the relay's commands hang), …
    for (; i < 40; i++) await put(i)
    await waitForHealth(backend, (h) => h.redis === 'disconnected', 'the frozen Redis is noticed', 30_000)
    // … and after it noticed.
    for (; i < 60; i++) await put(i)
    expect((await health(backend)).outbox_pending).toBeGreaterThan(0)
    // Clients were served live throughout.
    await waitFor(
      () => accepted.every((id) => updateIds(client).includes(id)),
      'live updates while Redis is frozen',
    )

    process.kill(pid, 'SIGCONT')
    frozen = false
    for (; i < 80; i++) await put(i)
    await waitForHealth(
      backend,
      (h) => h.redis === 'connected' && h.outbox_pending === 0,
      'recovered and drained',
      30_000,
    )

    const onStream = await streamEventIdCounts(redis.url)
    expect(accepted.filter((id) => !onStream.has(id))).toEqual([])

    await redisBarrier(redis.url, [client])
    const seen = updateIds(client).filter((id) => !isBarrier(id))
    expect(repeated(seen)).toEqual([])
    expect(seen).toEqual(accepted)
  })
})
