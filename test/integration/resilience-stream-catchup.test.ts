// The durable path: what a producer XADDs while the backend is not running (stopped gracefully or
// SIGKILLed) is applied when it starts again on the same data dir, from its stored stream cursor,
// and reaches a client that resumes; what it had already applied is not applied or sent again.
import { afterEach, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { connectClient, startBackend, tempDir, waitFor } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import {
  allEventsOf,
  cleanupStack,
  getJson,
  health,
  isBarrier,
  redisBarrier,
  repeated,
  resumeClient,
  updateIds,
  STREAM,
  rawRedis,
  waitForHealth,
  xadd,
} from './resilience-helpers'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

// The seeds are running tasks stamped long ago: stale at the monitor's first check, 5 s after a
// start, whose mark would be one more update in the exact lists below. This file is about
// catch-up, so the first check is put off past the test (10 min, the longest interval).
const NO_STALE_MARKS = ['--stale-check-ms', '600000']

async function redisForTest(): Promise<RedisServer> {
  const redis = await startRedis()
  cleanup.add(() => redis.close())
  return redis
}

describe('stream catch-up across a backend restart', () => {
  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`applies and broadcasts what was XADDed while the backend was down (${how})`, async () => {
      const redis = await redisForTest()
      const dataDir = cleanup.dir(tempDir())
      const first = cleanup.backend(
        await startBackend({ redisUrl: redis.url, dataDir, extraArgs: NO_STALE_MARKS }),
      )
      await waitForHealth(first, (h) => h.redis === 'connected', 'redis connected')
      const live = cleanup.client(await connectClient(first.ws, first.token))

      // Applied live before the stop: must not come back after the restart.
      const before = {
        task_id: 'catchup-1',
        status: 'running',
        title: 'before the stop',
        event_id: `${how}-before`,
        updated_at: '2026-01-01T10:00:00Z',
      }
      await xadd(redis.url, before)
      await waitFor(() => updateIds(live).includes(before.event_id), 'the live XADD reached the client')
      await redisBarrier(redis.url, [live])
      const { epoch, seq } = await health(first)

      const code = await first.stop(how)
      expect(code).toBe(how === 'SIGTERM' ? 0 : null)

      // Written while no backend runs: one with full identity, one without event_id/updated_at.
      const whileDown = {
        task_id: 'catchup-1',
        status: 'failed',
        error: 'boom',
        event_id: `${how}-while-down`,
        updated_at: '2026-01-01T10:05:00Z',
      }
      await xadd(redis.url, whileDown)
      const anonymousEntryId = await xadd(redis.url, {
        task_id: 'catchup-2',
        status: 'completed',
        output: 'done',
      })

      const second = cleanup.backend(
        await startBackend({ redisUrl: redis.url, dataDir, extraArgs: NO_STALE_MARKS }),
      )
      expect((await health(second)).epoch).toBe(epoch)
      const resumed = cleanup.client(await resumeClient(second.ws, second.token, epoch, seq))
      expect(resumed.messages.some((m) => m.type === 'snapshot')).toBe(false)
      await waitFor(
        () =>
          updateIds(resumed).includes(whileDown.event_id) && updateIds(resumed).includes(anonymousEntryId),
        'the resumed client got what was XADDed while the backend was down',
        20_000,
      )
      await waitForHealth(second, (h) => h.redis === 'connected', 'redis connected after the restart')
      await redisBarrier(redis.url, [resumed])

      // Exactly the two new changes, in stream order; the one applied before the stop is not resent.
      expect(updateIds(resumed).filter((id) => !isBarrier(id))).toEqual([
        whileDown.event_id,
        anonymousEntryId,
      ])
      expect(repeated(updateIds(resumed))).toEqual([])

      // Stored: the task state and the history (the first event once, not twice).
      const task1 = await getJson<Task>(second, '/api/tasks/catchup-1')
      expect(task1).toMatchObject({
        status: 'failed',
        error: 'boom',
        title: 'before the stop',
        last_event_id: whileDown.event_id,
      })
      const history1 = await allEventsOf(second, 'catchup-1')
      expect(history1.map((e) => e.event_id)).toEqual([before.event_id, whileDown.event_id])

      // An entry without identity takes the entry id as event_id and the entry's time as updated_at.
      const task2 = await getJson<Task>(second, '/api/tasks/catchup-2')
      expect(task2.last_event_id).toBe(anonymousEntryId)
      expect(task2.updated_at).toBe(new Date(Number(anonymousEntryId.split('-')[0])).toISOString())
      expect(task2).toMatchObject({ status: 'completed', output: 'done' })
    })
  }

  it('a new data dir starts at the beginning of what the stream retains', async () => {
    const redis = await redisForTest()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(`fresh-${i}`)
      await xadd(redis.url, {
        task_id: `fresh-task-${i % 2}`,
        status: i % 2 ? 'running' : 'pending',
        event_id: `fresh-${i}`,
        updated_at: `2026-01-01T00:00:0${i}Z`,
      })
    }
    const backend = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()), extraArgs: NO_STALE_MARKS }),
    )
    const client = cleanup.client(
      await resumeClient(backend.ws, backend.token, (await health(backend)).epoch, 0),
    )
    await waitFor(
      () => ids.every((id) => updateIds(client).includes(id)),
      'every retained entry applied',
      20_000,
    )
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    await redisBarrier(redis.url, [client])
    expect(updateIds(client).filter((id) => !isBarrier(id))).toEqual(ids)
  })

  it('catches up a backlog of 5,000 entries XADDed while it was stopped, in order, each once', async () => {
    const redis = await redisForTest()
    const dataDir = cleanup.dir(tempDir())
    const first = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir, extraArgs: NO_STALE_MARKS }),
    )
    await waitForHealth(first, (h) => h.redis === 'connected', 'redis connected')
    const { epoch, seq } = await health(first)
    expect(await first.stop('SIGTERM')).toBe(0)

    const N = 5000
    const ids = Array.from({ length: N }, (_, i) => `backlog-${String(i).padStart(5, '0')}`)
    const producer = rawRedis(redis.url)
    try {
      const pipeline = producer.pipeline()
      for (const [i, id] of ids.entries()) {
        // One task per entry: each is a change, so each is broadcast.
        pipeline.xadd(
          STREAM,
          '*',
          'data',
          JSON.stringify({ task_id: `backlog-task-${i}`, status: 'completed', event_id: id }),
        )
      }
      await pipeline.exec()
    } finally {
      producer.disconnect()
    }

    const second = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir, extraArgs: NO_STALE_MARKS }),
    )
    const resumed = cleanup.client(await resumeClient(second.ws, second.token, epoch, seq))
    // A generous ceiling: ingest commits 100 entries a turn, and a busy 2-core machine took 40 s.
    await waitFor(() => updateIds(resumed).length >= N, 'the whole backlog on the resumed client', 150_000)
    await waitForHealth(second, (h) => h.redis === 'connected', 'redis connected')
    await redisBarrier(redis.url, [resumed])
    expect(updateIds(resumed).filter((id) => !isBarrier(id))).toEqual(ids)
    const seqs = resumed.updates().map((u) => u.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  }, 240_000)

  it('broadcasts the entries to a client that subscribed before the backend could reach Redis', async () => {
    const redis = await redisForTest()
    const dataDir = cleanup.dir(tempDir())
    const first = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir, extraArgs: NO_STALE_MARKS }),
    )
    await waitForHealth(first, (h) => h.redis === 'connected', 'redis connected')
    expect(await first.stop('SIGTERM')).toBe(0)

    await xadd(redis.url, {
      task_id: 'subscribed-catchup',
      status: 'failed',
      error: 'while away',
      event_id: 'sub-while-down',
    })
    // Redis goes away too (its AOF keeps the entry), so the new process cannot catch up before
    // the client has subscribed: the catch-up then has to reach it as a live change.
    await redis.stop()
    const second = cleanup.backend(
      await startBackend({ redisUrl: redis.url, dataDir, extraArgs: NO_STALE_MARKS }),
    )
    expect((await health(second)).redis).toBe('disconnected')
    const client = cleanup.client(await connectClient(second.ws, second.token))
    await redis.start()
    await waitFor(
      () => updateIds(client).includes('sub-while-down'),
      'the caught-up entry on the subscribed client',
      20_000,
    )
    expect(client.updates().find((u) => u.event_id === 'sub-while-down')).toMatchObject({
      previous_status: null,
      task: { task_id: 'subscribed-catchup', status: 'failed', error: 'while away' },
    })
    expect(await getJson<Task>(second, '/api/tasks/subscribed-catchup')).toMatchObject({
      status: 'failed',
      last_event_id: 'sub-while-down',
    })
  })
})
