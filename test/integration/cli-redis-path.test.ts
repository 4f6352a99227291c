// The CLI's Redis path (issue 11: `schedule`, `feed-key` and `exec` reach TaskPulse as `emit`
// does, --redis-url / REDIS_URL when no server is given), with real processes: two real built
// backends on one real Redis, and the built `taskpulse` writing only into that Redis. A schedule
// set, changed and removed through Redis reaches both backends; a feed key rotated through Redis
// opens the feeds on both, and the key before it gets 401 on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { cliEnv, runCli } from '../helpers/agent-cli'
import { startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { cleanupStack, waitForHealth } from './resilience-helpers'

const cleanup = cleanupStack()
let redis: RedisServer
let a: Backend
let b: Backend

beforeAll(async () => {
  redis = await startRedis()
  cleanup.add(() => redis.close())
  a = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
  b = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
  for (const x of [a, b]) await waitForHealth(x, (h) => h.redis === 'connected', 'redis connected')
})
afterAll(() => cleanup.run())

/** Only Redis: a server in the environment must not be what the command reaches. */
const redisOnly = () => cliEnv({ REDIS_URL: redis.url })

interface ScheduleOut {
  schedule_id: string
  cron: string
  timezone: string
  grace_seconds: number
  title: string | null
  created_at: string
  updated_at: string
  next_occurrences: string[]
}

async function scheduleOn(x: Backend, id: string): Promise<ScheduleOut | null> {
  const res = await x.api(`/api/schedules/${encodeURIComponent(id)}`)
  if (res.status === 404) return null
  expect(res.status).toBe(200)
  return (await res.json()) as ScheduleOut
}

describe('taskpulse schedule through Redis', () => {
  it('set, change and rm reach both backends; ls lists what Redis holds', async () => {
    const set = await runCli(
      [
        'schedule',
        'set',
        'redis-job',
        '--cron',
        '*/10 * * * *',
        '--tz',
        'Europe/Berlin',
        '--title',
        'via redis',
      ],
      { env: redisOnly() },
    )
    expect(set.code, set.stderr).toBe(0)
    const printed = JSON.parse(set.stdout.toString()) as ScheduleOut
    expect(printed).toMatchObject({ schedule_id: 'redis-job', timezone: 'Europe/Berlin', title: 'via redis' })
    expect(printed.next_occurrences).toHaveLength(5)
    for (const x of [a, b])
      await waitFor(
        async () => (await scheduleOn(x, 'redis-job'))?.title === 'via redis',
        'the schedule',
        20_000,
      )

    // A change keeps the schedule's creation time and replaces the rest, on both.
    const changed = await runCli(
      ['schedule', 'set', 'redis-job', '--cron', '0 3 * * *', '--grace', '60', '--redis-url', redis.url],
      { env: cliEnv() },
    )
    expect(changed.code, changed.stderr).toBe(0)
    for (const x of [a, b])
      await waitFor(
        async () => (await scheduleOn(x, 'redis-job'))?.cron === '0 3 * * *',
        'the change',
        20_000,
      )
    const onB = (await scheduleOn(b, 'redis-job'))!
    expect(onB).toMatchObject({
      grace_seconds: 60,
      timezone: 'UTC',
      title: null,
      created_at: printed.created_at,
    })

    // A schedule written through a backend's REST API is in Redis too: ls shows both.
    expect(
      (
        await a.api('/api/schedules/rest-job', {
          method: 'PUT',
          body: JSON.stringify({ cron: '0 4 * * *' }),
        })
      ).status,
    ).toBe(201)
    await waitFor(
      async () => {
        const ls = await runCli(['schedule', 'ls'], { env: redisOnly() })
        expect(ls.code, ls.stderr).toBe(0)
        const ids = ls.stdout
          .toString()
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as ScheduleOut).schedule_id)
        return ids.join(',') === 'redis-job,rest-job'
      },
      'ls through Redis to list both',
      20_000,
    )

    const rm = await runCli(['schedule', 'rm', 'redis-job'], { env: redisOnly() })
    expect(rm.code, rm.stderr).toBe(0)
    expect(JSON.parse(rm.stdout.toString())).toEqual({ deleted: 'redis-job' })
    for (const x of [a, b])
      await waitFor(async () => (await scheduleOn(x, 'redis-job')) === null, 'the delete', 20_000)
    const again = await runCli(['schedule', 'rm', 'redis-job'], { env: redisOnly() })
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/no schedule redis-job/)
  }, 120_000)

  it('refuses bad input before writing anything, and says when Redis cannot be reached', async () => {
    const bad = await runCli(['schedule', 'set', 'bad-job', '--cron', '99 * * * *'], { env: redisOnly() })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/invalid schedule: cron/)
    const badId = await runCli(['schedule', 'set', 'no spaces', '--cron', '* * * * *'], { env: redisOnly() })
    expect(badId.code).toBe(1)
    expect(badId.stderr).toMatch(/invalid schedule id/)
    expect(await scheduleOn(a, 'bad-job')).toBeNull()

    const down = await runCli(['schedule', 'ls', '--redis-url', 'redis://127.0.0.1:9'], { env: cliEnv() })
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/cannot reach Redis at 127\.0\.0\.1:9: ECONNREFUSED/)
    const none = await runCli(['schedule', 'ls'], { env: cliEnv() })
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no TaskPulse configured/)
  }, 60_000)
})

describe('taskpulse feed-key rotate through Redis', () => {
  it('the new key opens the feeds on both backends; the one before gets 401 on both', async () => {
    const feedStatus = async (x: Backend, key: string) =>
      (await fetch(`${x.url}/feeds/cctray.xml?key=${encodeURIComponent(key)}`)).status
    const rotate = async () => {
      const r = await runCli(['feed-key', 'rotate', '--public-url', a.url], { env: redisOnly() })
      expect(r.code, r.stderr).toBe(0)
      const out = r.stdout.toString()
      const key = /^key: (tpf_\S+)$/m.exec(out)?.[1]
      expect(key).toBeDefined()
      expect(out).toContain(`cctray: ${new URL(`/feeds/cctray.xml?key=${key}`, a.url).href}`)
      return key!
    }
    const first = await rotate()
    for (const x of [a, b]) await waitFor(async () => (await feedStatus(x, first)) === 200, 'the key', 20_000)

    const second = await rotate()
    for (const x of [a, b]) {
      await waitFor(async () => (await feedStatus(x, second)) === 200, 'the new key', 20_000)
      expect(await feedStatus(x, first)).toBe(401)
    }
    // The API token still never opens a feed.
    expect(await feedStatus(b, b.token)).toBe(401)
  }, 60_000)
})

describe('taskpulse exec through Redis', () => {
  it('REDIS_URL alone: the run is reported on both backends, and the exit code is the command’s', async () => {
    const r = await runCli(
      ['exec', '--task', 'redis-exec', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      {
        env: redisOnly(),
      },
    )
    expect(r.code, r.stderr).toBe(3)
    expect(r.stdout.toString()).toBe('out\n')
    for (const x of [a, b])
      await waitFor(
        async () => {
          const res = await x.api('/api/tasks/redis-exec')
          if (res.status !== 200) return false
          const t = (await res.json()) as Task
          return t.status === 'failed' && t.output === 'out\n' && /exit code 3/.test(t.error ?? '')
        },
        'the failed run on each backend',
        20_000,
      )
  }, 60_000)
})
