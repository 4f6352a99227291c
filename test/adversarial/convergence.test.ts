// Convergence of two backends on one Redis under random mixes of every entry path: full and partial
// REST updates (with and without status, to either backend), PUBLISH and XADD, flat and in the
// reference envelope, with duplicates (also through another path) and any order. After quiescence
// both backends hold identical tasks and no drop was counted: a status-less update is not
// "malformed" for a peer, and a backend's own echoes are not drops.
//
// What a producer must give for convergence (docs/protocol.md): a PUBLISH needs `updated_at` (a
// channel message has no shared time; with it, a missing event_id is derived from the content), and
// an `event_id` always comes with an `updated_at` (one identity, one update). Everything else may
// be missing: REST stamps identity and time before relaying, a stream entry has its id.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import type { Health, Task } from '../../src-shared/protocol'
import {
  connectClient,
  startBackend,
  tempDir,
  type Backend,
  type TestClient,
} from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import {
  CHANNEL,
  STREAM,
  allTasks,
  cleanupStack,
  health,
  putTask,
  rawRedis,
  redisBarrier,
  waitForHealth,
} from '../integration/resilience-helpers'
import { recordFigure } from './probes'

const cleanup = cleanupStack()
let a: Backend
let b: Backend
let clients: TestClient[]
let producer: Redis
let redisUrl: string

beforeAll(async () => {
  const redis = await startRedis()
  redisUrl = redis.url
  cleanup.add(() => redis.close())
  a = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
  b = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
  for (const x of [a, b]) await waitForHealth(x, (h) => h.redis === 'connected', 'redis connected')
  clients = [
    cleanup.client(await connectClient(a.ws, a.token)),
    cleanup.client(await connectClient(b.ws, b.token)),
  ]
  producer = rawRedis(redis.url)
  cleanup.add(() => producer.disconnect())
})
afterAll(() => cleanup.run())

type Path = 'rest-a' | 'rest-b' | 'publish' | 'publish-envelope' | 'xadd' | 'xadd-envelope'
const PATHS: readonly Path[] = ['rest-a', 'rest-b', 'publish', 'publish-envelope', 'xadd', 'xadd-envelope']

interface GenEvent {
  task: number
  fields: Record<string, unknown>
  /** Seconds after a base time; shared values make ties (broken by event_id). */
  at: number | null
  withId: boolean
  path: Path
}

const fieldsArb = fc.record(
  {
    status: fc.constantFrom('pending', 'running', 'completed', 'failed'),
    title: fc.option(fc.constantFrom('build', 'deploy', 'test'), { nil: null }),
    output: fc.constantFrom('', 'ok', 'line 1\nline 2', 'é✓'),
    assignee: fc.constantFrom('agent-1', 'agent-2'),
    error: fc.option(fc.constantFrom('OOM', 'timeout'), { nil: null }),
  },
  { requiredKeys: [] },
)

const eventArb: fc.Arbitrary<GenEvent> = fc
  .record({
    task: fc.nat(3),
    fields: fieldsArb,
    at: fc.option(fc.nat(5), { nil: null }),
    withId: fc.boolean(),
    path: fc.constantFrom(...PATHS),
  })
  .map((e) => ({ ...e, withId: e.withId && e.at !== null }))

const scenarioArb = fc.record({
  events: fc.array(eventArb, { minLength: 1, maxLength: 30 }),
  duplicates: fc.array(fc.record({ of: fc.nat(), path: fc.constantFrom(...PATHS) }), { maxLength: 8 }),
  shuffleSeed: fc.integer(),
})

/** A PUBLISH without updated_at has no shared time: such a send goes through the stream instead. */
function usablePath(e: GenEvent, path: Path): Path {
  if (e.at === null && path.startsWith('publish')) return path === 'publish' ? 'xadd' : 'xadd-envelope'
  return path
}

function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

let runNo = 0
let totalSends = 0
let partialSends = 0

async function send(run: number, e: GenEvent, index: number, path: Path): Promise<void> {
  const taskId = `conv-${run}-t${e.task}`
  const meta = {
    ...(e.at !== null && { updated_at: new Date(Date.UTC(2026, 5, 1, 0, 0, e.at)).toISOString() }),
    ...(e.withId && { event_id: `conv-${run}-e${index}` }),
  }
  const update = { ...e.fields, ...meta }
  totalSends++
  if (!('status' in e.fields)) partialSends++
  if (path === 'rest-a' || path === 'rest-b') {
    const res = await putTask(path === 'rest-a' ? a : b, taskId, update)
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return
  }
  const flat = { task_id: taskId, ...update }
  const payload = JSON.stringify(
    path.endsWith('envelope') ? { type: 'task_status_update', data: flat } : flat,
  )
  if (path.startsWith('publish')) await producer.publish(CHANNEL, payload)
  else await producer.xadd(STREAM, '*', 'data', payload)
}

// Without stale_since: each backend's stale monitor marks old running tasks on its own (never
// relayed), at its own moment, and with a threshold from agent history that a backend computed a
// moment earlier or later may differ (docs/protocol.md "Attention"). Producer data must converge
// exactly; the marks are compared where they are deterministic (test/integration/attention.test.ts).
const byId = (tasks: Task[]) =>
  [...tasks]
    .sort((x, y) => (x.task_id < y.task_id ? -1 : 1))
    .map(({ stale_since: _local, ...producerData }) => producerData)

describe('two backends converge', () => {
  it('whatever mix of REST, PUBLISH and XADD (flat or enveloped), partial or full, duplicated and reordered', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ events, duplicates, shuffleSeed }) => {
        const run = ++runNo
        const sends = events.map((e, i) => ({ e, i, path: usablePath(e, e.path) }))
        for (const d of duplicates) {
          const i = d.of % events.length
          const e = events[i]!
          // A duplicate of an update that has no identity is a new update (REST stamps a new id, a
          // stream entry has its own): still fine for convergence.
          sends.push({ e, i, path: usablePath(e, d.path) })
        }
        for (const s of shuffle(sends, shuffleSeed)) await send(run, s.e, s.i, s.path)

        // Quiescence: both outboxes relayed, then a marker through the channel and the stream seen
        // by a client of each backend (each path is ordered, so everything before it is applied).
        for (const x of [a, b]) await waitForHealth(x, (h) => h.outbox_pending === 0, 'outbox drained')
        await redisBarrier(redisUrl, clients)

        const [onA, onB] = await Promise.all([allTasks(a, `q=conv-${run}-`), allTasks(b, `q=conv-${run}-`)])
        const expectedTasks = new Set(events.map((e) => e.task)).size
        expect(onA.length).toBe(expectedTasks)
        expect(byId(onB)).toEqual(byId(onA))
        // A task that never got a status reads as pending on both.
        for (const t of onA) {
          const gotStatus = sends.some(
            (s) => `conv-${run}-t${s.e.task}` === t.task_id && 'status' in s.e.fields,
          )
          if (!gotStatus) expect(t.status).toBe('pending')
        }
        const drops = (await Promise.all([health(a), health(b)])).map((h: Health) => h.dropped_messages)
        expect(drops).toEqual([0, 0])
      }),
      // Bounded: no shrinking against live servers (the failing input and seed are still reported).
      { numRuns: 25, endOnFailure: true },
    )
    for (const x of [a, b]) {
      const metrics = await (await x.api('/metrics')).text()
      expect(metrics).not.toMatch(/^taskpulse_dropped_messages_total\{/m)
    }
    recordFigure('convergence', { runs: runNo, sends: totalSends, status_less_sends: partialSends })
  })
})
