// Schedules on two real backends sharing one real Redis: a schedule written on either backend
// reaches the other and converges (last-writer-wins, deletes as tombstones, a backend that was down
// catches up), and a seconds-cron with a short grace shows that linked runs keep it green while a
// skipped occurrence becomes exactly one missed-run failure, one update on each backend's socket.
import { Cron } from 'croner'
import { afterEach, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { connectClient, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import { allEventsOf, allTasks, cleanupStack, putTask, rawRedis, waitForHealth } from './resilience-helpers'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

interface ScheduleDetail {
  schedule_id: string
  title: string | null
  cron: string
  updated_at: string
  state: string
  next_occurrences: string[]
}

async function putSchedule(b: Backend, id: string, body: Record<string, unknown>): Promise<Response> {
  return b.api(`/api/schedules/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify(body) })
}
async function scheduleOn(b: Backend, id: string): Promise<ScheduleDetail | null> {
  const res = await b.api(`/api/schedules/${encodeURIComponent(id)}`)
  if (res.status === 404) return null
  expect(res.status).toBe(200)
  return (await res.json()) as ScheduleDetail
}

async function twoBackends() {
  const redis = await startRedis()
  cleanup.add(() => redis.close())
  const a = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
  const bDir = cleanup.dir(tempDir())
  const b = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: bDir }))
  for (const x of [a, b]) await waitForHealth(x, (h) => h.redis === 'connected', 'redis connected')
  return { redis, a, b, bDir }
}

describe('schedules across two backends on one Redis', () => {
  it('replicate both ways, converge on concurrent writes, and a delete wins over the older write', async () => {
    const { redis, a, b, bDir } = await twoBackends()

    expect(
      (await putSchedule(a, 'nightly', { cron: '0 2 * * *', timezone: 'Europe/Berlin', title: 'from a' }))
        .status,
    ).toBe(201)
    await waitFor(
      async () => (await scheduleOn(b, 'nightly'))?.title === 'from a',
      'the schedule on b',
      20_000,
    )

    // Concurrent writes on both: whichever wins, both end with the same one.
    const [ra, rb] = await Promise.all([
      putSchedule(a, 'nightly', { cron: '0 3 * * *', title: 'edit on a' }),
      putSchedule(b, 'nightly', { cron: '0 4 * * *', title: 'edit on b' }),
    ])
    expect([ra.status, rb.status]).toEqual([200, 200])
    const converged = await waitFor(
      async () => {
        const [sa, sb] = [await scheduleOn(a, 'nightly'), await scheduleOn(b, 'nightly')]
        return sa && sb && sa.updated_at === sb.updated_at && sa.title === sb.title ? sa : null
      },
      'both backends on the same version',
      20_000,
    )
    expect(['edit on a', 'edit on b']).toContain(converged.title)

    // Delete on b: gone on a too; a late replay of the old record on Redis does not revive it.
    const raw = rawRedis(redis.url)
    cleanup.add(() => raw.disconnect())
    const before = await raw.hget('taskpulse:schedules', 'schedule:nightly')
    expect(before).toContain('"deleted":false')
    expect((await b.api('/api/schedules/nightly', { method: 'DELETE' })).status).toBe(200)
    await waitFor(async () => (await scheduleOn(a, 'nightly')) === null, 'the delete on a', 20_000)
    await raw.publish('taskpulse:schedules:changed', before!)
    await raw.publish('taskpulse:schedules:changed', '{"kind":"schedule","id":"x"') // malformed: ignored
    expect((await a.api('/api/schedules/nightly', { method: 'DELETE' })).status).toBe(404)

    // b down while a schedule is made on a: b has it after its restart.
    await b.stop('SIGTERM')
    expect((await putSchedule(a, 'while-b-down', { cron: '*/10 * * * *' })).status).toBe(201)
    const b2 = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: bDir }))
    await waitFor(async () => (await scheduleOn(b2, 'while-b-down')) !== null, 'the catch-up on b', 20_000)
    expect(await scheduleOn(b2, 'nightly')).toBeNull()
    expect((await b2.api('/api/schedules')).status).toBe(200)
  })

  it('linked runs keep a seconds-cron green; a skipped occurrence is one missed run on both backends', async () => {
    const { a, b } = await twoBackends()
    const clients = [
      cleanup.client(await connectClient(a.ws, a.token)),
      cleanup.client(await connectClient(b.ws, b.token)),
    ]
    const cron = '*/3 * * * * *'
    const grace = 2
    // Occurrences from a few seconds ahead: o1, o2 and o4 get runs, o3 is skipped, o5 too (it
    // shows the checker got past o4). The runs are sent before the schedule exists, with their own
    // start times, so no step of this test races the clock.
    const occurrences = new Cron(cron, { paused: true }).nextRuns(5, new Date(Date.now() + 4_000))
    const [o1, o2, o3, o4, o5] = occurrences as [Date, Date, Date, Date, Date]
    for (const [i, o] of [o1, o2, o4].entries()) {
      const via = i % 2 === 0 ? a : b
      const at = (ms: number) => new Date(o.getTime() + ms).toISOString()
      expect(
        (await putTask(via, `run-${i}`, { status: 'running', schedule_id: 'tick', updated_at: at(500) }))
          .status,
      ).toBe(201)
      expect(
        (await putTask(via, `run-${i}`, { status: 'completed', schedule_id: 'tick', updated_at: at(1500) }))
          .status,
      ).toBe(200)
    }
    const created = await putSchedule(a, 'tick', {
      cron,
      grace_seconds: grace,
      title: 'Tick job',
      assignee: 'cron@host',
      project_id: 'ops',
    })
    expect(created.status).toBe(201)

    const missedId = (o: Date) => `missed:tick:${o.toISOString()}`
    const missedOn = async (x: Backend): Promise<Task[]> =>
      (await allTasks(x, 'status=failed')).filter((t) => t.task_id.startsWith('missed:tick:'))
    // o5 judged on both means every earlier occurrence was judged on both.
    for (const x of [a, b])
      await waitFor(
        async () => (await missedOn(x)).some((t) => t.task_id === missedId(o5)),
        'o5 missed',
        45_000,
      )

    for (const x of [a, b]) {
      const ids = (await missedOn(x)).map((t) => t.task_id)
      // Occurrences before o1 (between the PUT and o1) may be missed too; o1, o2 and o4 never.
      for (const kept of [o1, o2, o4]) expect(ids).not.toContain(missedId(kept))
      expect(ids).toContain(missedId(o3))
      const events = await allEventsOf(x, missedId(o3))
      expect(events).toHaveLength(1)
      const task = (await (await x.api(`/api/tasks/${encodeURIComponent(missedId(o3))}`)).json()) as Task
      expect(task).toMatchObject({
        status: 'failed',
        assignee: 'cron@host',
        project_id: 'ops',
        schedule_id: 'tick',
        scheduled_at: o3.toISOString(),
        title: 'Tick job — missed run',
      })
      expect(task.error).toMatch(/^no run started by \d\d:\d\d:\d\d \(UTC; the run due /)
    }
    // One notification's worth: each backend's socket carried the missed run once.
    for (const c of clients) {
      await waitFor(() => c.updates().some((u) => u.task.task_id === missedId(o3)), 'the update on a socket')
      expect(c.updates().filter((u) => u.task.task_id === missedId(o3))).toHaveLength(1)
    }
    // The linked runs are what kept o1, o2, o4 green: they are the schedule's runs.
    const detail = (await (await a.api('/api/schedules/tick')).json()) as { recent_runs: Task[] }
    expect(detail.recent_runs.map((r) => r.task_id)).toEqual(
      expect.arrayContaining(['run-0', 'run-1', 'run-2']),
    )
    expect((await a.api('/api/schedules/tick', { method: 'DELETE' })).status).toBe(200)
  })
})
