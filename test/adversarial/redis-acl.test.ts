// Hostile Redis credentials: an ACL user without permissions (NOPERM on every command) and a wrong
// password (WRONGPASS). The bus must reconnect within its capped backoff, not in a tight loop, keep
// its log bounded and structured (ioredis's own console warnings included), and recover once the
// operator fixes the ACL. Connections are counted on the Redis side (INFO total_connections_received),
// so the figure does not depend on what the backend chooses to log.
import { afterEach, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import { startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import {
  CHANNEL,
  STREAM,
  cleanupStack,
  rawRedis,
  sleep,
  waitForHealth,
} from '../integration/resilience-helpers'
import { recordFigure } from './probes'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

// The bus's backoff (src-backend/bus/redis-bus.ts defaults): base 100 ms doubling to 5 s, each
// delay between half and all of its step.
const RETRY_BASE_MS = 100
const RETRY_MAX_MS = 5_000
// publisher, subscriber, stream reader; and the schedules' own two (commands, subscriber:
// src-backend/schedules/schedule-sync.ts), which back off the same way.
const CONNECTIONS_PER_BACKEND = 5

/**
 * The most connections one socket can open in `ms` when every attempt fails: the first, then one
 * per shortest possible backoff delay. A slower machine only makes fewer.
 */
function maxAttemptsWithin(ms: number): number {
  let attempts = 1
  let elapsed = 0
  for (let k = 1; ; k++) {
    elapsed += Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (k - 1)) / 2
    if (elapsed > ms) return attempts
    attempts++
  }
}

async function connectionsReceived(admin: Redis): Promise<number> {
  const m = /total_connections_received:(\d+)/.exec(await admin.info('stats'))
  if (!m) throw new Error('INFO stats has no total_connections_received')
  return Number(m[1])
}

function stderrLines(b: Backend): string[] {
  return b
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '')
}

/** Every stderr line is a pino JSON object (no raw console text from ioredis). */
function expectStructured(lines: readonly string[]): void {
  for (const line of lines) {
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      throw new Error(`unstructured stderr line: ${line.slice(0, 300)}`)
    }
    expect(parsed).toHaveProperty('level')
  }
}

/**
 * Watches a misconfigured backend until `ms` after `startedAt` (taken before the backend was
 * spawned, so every connection it made counts); returns the connections Redis received and the
 * whole window.
 */
async function observe(admin: Redis, b: Backend, before: number, startedAt: number, ms: number) {
  await sleep(Math.max(0, startedAt + ms - Date.now()))
  const connections = (await connectionsReceived(admin)) - before
  const elapsedMs = Date.now() - startedAt
  expect(b.proc.exitCode, 'the backend must keep running').toBeNull()
  return { connections, elapsedMs }
}

describe('Redis permission and auth errors', () => {
  it('an ACL user without permissions: reconnects within the backoff, bounded structured logs, recovery when granted', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const admin = rawRedis(redis.url)
    cleanup.add(() => admin.disconnect())
    await admin.call('ACL', 'SETUSER', 'tp', 'on', '>pw', '-@all')

    const before = await connectionsReceived(admin)
    const startedAt = Date.now()
    const b = cleanup.backend(
      await startBackend({
        redisUrl: `redis://tp:pw@127.0.0.1:${redis.port}`,
        dataDir: cleanup.dir(tempDir()),
      }),
    )
    const { connections, elapsedMs } = await observe(admin, b, before, startedAt, 12_000)
    const bound = CONNECTIONS_PER_BACKEND * maxAttemptsWithin(elapsedMs)
    const lines = stderrLines(b)
    recordFigure('redis-faults', {
      case: 'NOPERM (ACL user -@all)',
      window_ms: elapsedMs,
      connections,
      connections_per_minute: Math.round((connections * 60_000) / elapsedMs),
      backoff_bound: bound,
      log_lines: lines.length,
      before_fix: '127 connections and 129 stderr lines in 10 s (~760/min)',
    })
    expect(connections, `connections in ${elapsedMs} ms (backoff allows ${bound})`).toBeLessThanOrEqual(bound)
    // A handful of distinct errors (ready check, SUBSCRIBE, XINFO, XREAD; the schedules' EVAL and
    // SUBSCRIBE), each once per 30 s.
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(17)
    expectStructured(lines)
    expect(b.stderr()).toContain('NOPERM')
    expect(b.stderr()).not.toContain(':pw@')

    // The operator grants the permissions: the bus connects on its next attempt and updates flow.
    // (exactly the permissions docs/operations.md lists for the ACL user)
    await admin.call(
      'ACL',
      'SETUSER',
      'tp',
      ...['+@read', '+@write', '+@pubsub', '+@connection', '+info', '+client'],
      ...['~task_status_stream', '&task_status_update'],
    )
    await waitForHealth(b, (h) => h.redis === 'connected', 'connected after ACL granted', 30_000)
    await admin.publish(CHANNEL, JSON.stringify({ task_id: 'after-grant', status: 'running' }))
    await waitFor(
      async () => (await b.api('/api/tasks/after-grant')).status === 200,
      'update applied',
      20_000,
    )
    const put = await b.api('/api/tasks/relayed-after-grant', { method: 'PUT', body: '{"title":"t"}' })
    expect(put.status).toBe(201)
    await waitForHealth(b, (h) => h.outbox_pending === 0, 'the outbox relayed through the granted ACL')
    const entries = await admin.xrange(STREAM, '-', '+')
    expect(entries.some(([, f]) => f.join(' ').includes('relayed-after-grant'))).toBe(true)
  })

  it('a wrong password: reconnects within the backoff with bounded logs, recovers when the password becomes valid', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const admin = rawRedis(redis.url)
    cleanup.add(() => admin.disconnect())
    await admin.call('ACL', 'SETUSER', 'tp', 'on', '>pw', '+@all', '~*', '&*')

    const before = await connectionsReceived(admin)
    const startedAt = Date.now()
    const b = cleanup.backend(
      await startBackend({
        redisUrl: `redis://tp:wrong-secret@127.0.0.1:${redis.port}`,
        dataDir: cleanup.dir(tempDir()),
      }),
    )
    const { connections, elapsedMs } = await observe(admin, b, before, startedAt, 8_000)
    const bound = CONNECTIONS_PER_BACKEND * maxAttemptsWithin(elapsedMs)
    const lines = stderrLines(b)
    recordFigure('redis-faults', {
      case: 'WRONGPASS',
      window_ms: elapsedMs,
      connections,
      connections_per_minute: Math.round((connections * 60_000) / elapsedMs),
      backoff_bound: bound,
      log_lines: lines.length,
    })
    expect(connections, `connections in ${elapsedMs} ms (backoff allows ${bound})`).toBeLessThanOrEqual(bound)
    // One line per failing connection and kind per 30 s: the bus's three and the schedules' two.
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(12)
    expectStructured(lines)
    expect(b.stderr()).toMatch(/WRONGPASS|invalid username-password/)
    expect(b.stderr()).not.toContain('wrong-secret')

    await admin.call('ACL', 'SETUSER', 'tp', '>wrong-secret')
    await waitForHealth(b, (h) => h.redis === 'connected', 'connected once the password is valid', 30_000)
  })

  it('no password for a server that requires one (NOAUTH): the same backoff, recovers when the server stops requiring it', async () => {
    const redis = await startRedis({ extraArgs: ['--requirepass', 'pw'], password: 'pw' })
    cleanup.add(() => redis.close())
    const admin = rawRedis(`redis://:pw@127.0.0.1:${redis.port}`)
    cleanup.add(() => admin.disconnect())

    const before = await connectionsReceived(admin)
    const startedAt = Date.now()
    const b = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir: cleanup.dir(tempDir()) }))
    const { connections, elapsedMs } = await observe(admin, b, before, startedAt, 6_000)
    const bound = CONNECTIONS_PER_BACKEND * maxAttemptsWithin(elapsedMs)
    const lines = stderrLines(b)
    recordFigure('redis-faults', {
      case: 'NOAUTH',
      window_ms: elapsedMs,
      connections,
      connections_per_minute: Math.round((connections * 60_000) / elapsedMs),
      backoff_bound: bound,
      log_lines: lines.length,
    })
    expect(connections, `connections in ${elapsedMs} ms (backoff allows ${bound})`).toBeLessThanOrEqual(bound)
    // One line per failing connection and kind per 30 s: the bus's three and the schedules' two.
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(12)
    expectStructured(lines)
    expect(b.stderr()).toContain('NOAUTH')

    await admin.config('SET', 'requirepass', '')
    await waitForHealth(b, (h) => h.redis === 'connected', 'connected once no password is required', 30_000)
  })
})
