// Several backends, separate data dirs: on one Redis a change made through one backend's REST reaches
// every client of every backend exactly once; and whatever order the same events arrive in (through
// REST on backends without Redis, or as raw PUBLISH/XADD on a Redis backend), with duplicates, every
// backend ends with the same task states.
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { connectClient, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import {
  CHANNEL,
  STREAM,
  allEventsOf,
  allTasks,
  cleanupStack,
  isBarrier,
  putTask,
  rawRedis,
  redisBarrier,
  repeated,
  updateIds,
  waitForHealth,
} from './resilience-helpers'
import { TASK_STATUSES as STATUSES } from '../../src-shared/protocol'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

describe('two backends on one Redis', () => {
  it('a change through either backend reaches every client of both exactly once', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const a = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
    const b = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
    for (const x of [a, b]) await waitForHealth(x, (h) => h.redis === 'connected', 'redis connected')
    const clients = [
      cleanup.client(await connectClient(a.ws, a.token)),
      cleanup.client(await connectClient(a.ws, a.token)),
      cleanup.client(await connectClient(b.ws, b.token)),
      cleanup.client(await connectClient(b.ws, b.token)),
    ]

    // Each backend writes its own tasks, sequentially per task, so every event changes its task on
    // both backends whatever path it takes (a stale event would rightly not be broadcast).
    const N = 40
    const write = async (x: Backend, name: string): Promise<string[]> => {
      const ids: string[] = []
      for (let i = 0; i < N; i++) {
        const eventId = `${name}-${String(i).padStart(3, '0')}`
        const res = await putTask(x, `${name}-task-${i % 4}`, {
          status: STATUSES[i % 4],
          output: eventId,
          event_id: eventId,
        })
        expect(res.status).toBeLessThan(300)
        ids.push(eventId)
      }
      return ids
    }
    const [fromA, fromB] = await Promise.all([write(a, 'via-a'), write(b, 'via-b')])
    const all = [...fromA, ...fromB]

    for (const [k, c] of clients.entries()) {
      await waitFor(
        () => all.every((id) => updateIds(c).includes(id)),
        'every change on every client',
        10_000,
      ).catch((err: unknown) => {
        const missing = all.filter((id) => !updateIds(c).includes(id))
        throw new Error(
          `client ${k} (of ${k < 2 ? 'a' : 'b'}) misses ${missing.length}: ${missing.join(' ')}`,
          { cause: err },
        )
      })
    }
    for (const x of [a, b]) await waitForHealth(x, (h) => h.outbox_pending === 0, 'outbox drained')
    // Both backends have now processed every echo from the channel and the stream.
    await redisBarrier(redis.url, clients)

    for (const c of clients) {
      const seen = updateIds(c).filter((id) => !isBarrier(id))
      expect(repeated(seen)).toEqual([])
      expect([...seen].sort()).toEqual([...all].sort())
      // Per task, changes arrive in the order they were made.
      for (const name of ['via-a', 'via-b'])
        expect(seen.filter((id) => id.startsWith(name))).toEqual(name === 'via-a' ? fromA : fromB)
    }
    // And both hold the same tasks.
    expect(await allTasks(b, 'q=via-')).toEqual(await allTasks(a, 'q=via-'))
  })
})

// ---- convergence property ----------------------------------------------------------------------

interface GenEvent {
  task_id: string
  event_id: string
  updated_at: string
  status: (typeof STATUSES)[number]
  title?: string | null
  output?: string | null
  assignee?: string | null
}
type Route = 'channel' | 'stream' | 'both'

const fieldArb = <T>(values: T[]) => fc.option(fc.constantFrom<T | null>(...values, null), { nil: undefined })

const eventArb = fc.record({
  task: fc.nat(2),
  status: fc.constantFrom(...STATUSES),
  // Few distinct times, so ties (broken by event_id) are common.
  second: fc.nat(4),
  title: fieldArb(['alpha', 'beta']),
  output: fieldArb(['out-1', 'out-2', 'out-3']),
  assignee: fieldArb(['agent-x', 'agent-y']),
})

const scenarioArb = fc.array(eventArb, { minLength: 1, maxLength: 20 }).chain((events) => {
  const n = events.length
  return fc.record({
    events: fc.constant(events),
    // Event id suffixes in an order unrelated to the times.
    idKeys: fc.uniqueArray(fc.integer({ min: 100, max: 999 }), { minLength: n, maxLength: n }),
    duplicates: fc.array(fc.nat(n - 1), { maxLength: 6 }),
    perm1: fc.array(fc.double({ noNaN: true }), { minLength: n + 6, maxLength: n + 6 }),
    perm2: fc.array(fc.double({ noNaN: true }), { minLength: n + 6, maxLength: n + 6 }),
    perm3: fc.array(fc.double({ noNaN: true }), { minLength: n + 6, maxLength: n + 6 }),
    perm4: fc.array(fc.double({ noNaN: true }), { minLength: n + 6, maxLength: n + 6 }),
    routes: fc.array(fc.constantFrom<Route>('channel', 'stream', 'both'), {
      minLength: n + 6,
      maxLength: n + 6,
    }),
  })
})

/** Orders `items` by the given random keys (a permutation chosen by fast-check). */
// Each backend's stale monitor marks old running tasks on its own, never relayed (docs/protocol.md
// "Attention"): its marks are local history and a local field, so what must converge and be
// stored once is everything else.
const producerEventsOf = async (b: Backend, taskId: string) =>
  (await allEventsOf(b, taskId)).filter((e) => e.source !== 'monitor')
const withoutLocalMark = ({ stale_since: _local, ...rest }: Task) => rest

function permute<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i] ?? 0, i }))
    .sort((x, y) => x.key - y.key || x.i - y.i)
    .map((x) => x.item)
}

describe('convergence (fast-check, end to end)', () => {
  let redis: RedisServer
  let viaRest1: Backend
  let viaRest2: Backend
  let viaRedis: Backend
  // A pair on its own channel and stream: `relayer` gets the events by REST, `follower` only
  // through Redis from relayer's outbox.
  let relayer: Backend
  let follower: Backend
  const shared = cleanupStack()

  beforeAll(async () => {
    redis = await startRedis()
    shared.add(() => redis.close())
    const pairNames = ['--channel', 'pbt_pair_channel', '--stream', 'pbt_pair_stream']
    ;[viaRest1, viaRest2, viaRedis, relayer, follower] = await Promise.all([
      startBackend({ dataDir: shared.dir(tempDir()) }),
      startBackend({ dataDir: shared.dir(tempDir()) }),
      startBackend({ redisUrl: redis.url, dataDir: shared.dir(tempDir()) }),
      startBackend({ redisUrl: redis.url, dataDir: shared.dir(tempDir()), extraArgs: pairNames }),
      startBackend({ redisUrl: redis.url, dataDir: shared.dir(tempDir()), extraArgs: pairNames }),
    ])
    for (const x of [viaRest1, viaRest2, viaRedis, relayer, follower]) shared.backend(x)
    for (const x of [viaRedis, relayer, follower])
      await waitForHealth(x, (h) => h.redis === 'connected', 'redis connected')
  })
  afterAll(() => shared.run())

  it('any arrival order of the same events, with duplicates, leaves every backend with the same tasks', async () => {
    let runNo = 0
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const run = `pbt${++runNo}`
        const events: GenEvent[] = s.events.map((e, i) => {
          const ev: GenEvent = {
            task_id: `${run}-t${e.task}`,
            event_id: `${run}-e${s.idKeys[i]}`,
            updated_at: `2026-03-01T12:00:0${e.second}.000Z`,
            status: e.status,
          }
          if (e.title !== undefined) ev.title = e.title
          if (e.output !== undefined) ev.output = e.output
          if (e.assignee !== undefined) ev.assignee = e.assignee
          return ev
        })
        const withDuplicates = [...events, ...s.duplicates.map((i) => events[i]!)]

        const restSend = async (x: Backend, order: GenEvent[]) => {
          for (const { task_id, ...body } of order) {
            const res = await putTask(x, task_id, body)
            // 409: that event_id was applied before (a duplicate).
            if (![200, 201, 409].includes(res.status))
              throw new Error(`PUT answered ${res.status}: ${JSON.stringify(res.body)}`)
          }
        }
        const redisSend = async (order: GenEvent[]) => {
          const client = rawRedis(redis.url)
          try {
            for (const [i, ev] of order.entries()) {
              const route = s.routes[i] ?? 'stream'
              const payload = JSON.stringify(ev)
              if (route !== 'stream') await client.publish(CHANNEL, payload)
              if (route !== 'channel') await client.xadd(STREAM, '*', 'data', payload)
            }
          } finally {
            client.disconnect()
          }
        }
        await Promise.all([
          restSend(viaRest1, permute(withDuplicates, s.perm1)),
          restSend(viaRest2, permute(withDuplicates, s.perm2)),
          redisSend(permute(withDuplicates, s.perm3)),
          restSend(relayer, permute(withDuplicates, s.perm4)),
        ])

        // Settled when the Redis backend holds every distinct event in its history.
        const expectedByTask = new Map<string, number>()
        for (const ev of events) expectedByTask.set(ev.task_id, (expectedByTask.get(ev.task_id) ?? 0) + 1)
        for (const [x, name] of [
          [viaRedis, 'the raw-Redis backend'],
          [follower, 'the follower'],
        ] as const) {
          await waitFor(
            async () => {
              for (const [taskId, n] of expectedByTask) {
                const stored = await producerEventsOf(x, taskId).catch(() => [])
                if (stored.length < n) return false
              }
              return true
            },
            `${run}: every event applied on ${name}`,
            10_000,
          )
        }

        const all = [viaRest1, viaRest2, viaRedis, relayer, follower]
        const [t1, ...others] = await Promise.all(
          all.map(async (x) => (await allTasks(x, `q=${run}-`)).map(withoutLocalMark)),
        )
        expect(t1!.map((t) => t.task_id).sort()).toEqual([...expectedByTask.keys()].sort())
        for (const t of others) expect(t).toEqual(t1)
        // History holds each distinct event once, whatever the duplicates.
        for (const x of all) {
          for (const [taskId, n] of expectedByTask) expect((await producerEventsOf(x, taskId)).length).toBe(n)
        }
      }),
      { numRuns: 8, interruptAfterTimeLimit: 20_000 },
    )
    expect(runNo).toBeGreaterThanOrEqual(8)
  })
})
