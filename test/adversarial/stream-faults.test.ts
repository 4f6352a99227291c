// Stream faults against the real built server and a real redis-server: a poisoned entry among valid
// ones in one XREAD batch, then, each while the backend is stopped, DEL of the stream, FLUSHALL,
// XTRIM MAXLEN 0 and a replaced Redis on the same port. Every valid entry written afterwards must be
// stored, the bad entry counted alone, and each loss warned about exactly once (read from the
// server's own stderr log lines), also across a restart.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { STREAM, cleanupStack, health, rawRedis, waitForHealth } from '../integration/resilience-helpers'
import { recordFigure } from './probes'

const cleanup = cleanupStack()
let redis: RedisServer
let dataDir: string
let backend: Backend | null = null
let producer: Redis

beforeAll(async () => {
  redis = await startRedis()
  cleanup.add(() => redis.close())
  dataDir = cleanup.dir(tempDir())
  producer = rawRedis(redis.url)
  cleanup.add(() => producer.disconnect())
})
afterAll(async () => {
  await backend?.stop('SIGKILL')
  await cleanup.run()
})

let seq = 0
/** A valid update; `timed` ones carry updated_at (needed after a far-future entry id). */
function update(taskId: string, timed = true): string {
  seq++
  return JSON.stringify({
    task_id: taskId,
    status: 'running',
    output: `entry ${seq}`,
    ...(timed && { updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() }),
  })
}

async function start(): Promise<Backend> {
  // A test that failed half-way may have left its backend running on the shared data dir.
  await backend?.stop('SIGKILL')
  backend = await startBackend({ redisUrl: redis.url, dataDir })
  await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
  return backend
}

async function stop(): Promise<void> {
  expect(await backend!.stop('SIGTERM')).toBe(0)
  backend = null
}

async function stored(b: Backend, taskId: string): Promise<boolean> {
  return (await b.api(`/api/tasks/${encodeURIComponent(taskId)}`)).status === 200
}

async function waitStored(b: Backend, ids: readonly string[]): Promise<void> {
  for (const id of ids) await waitFor(() => stored(b, id), `task ${id} stored`, 20_000)
}

/** The stream-loss warnings (`kind` set by the bus's cursor check) in a backend's stderr. */
function lossWarnings(b: Backend): { kind: string; msg: string }[] {
  const out: { kind: string; msg: string }[] = []
  for (const line of b.stderr().split('\n')) {
    if (!line.trim()) continue
    const entry = JSON.parse(line) as { kind?: string; msg?: string; stream?: string }
    if (entry.stream && entry.kind) out.push({ kind: entry.kind, msg: entry.msg ?? '' })
  }
  return out
}

async function metricsText(b: Backend): Promise<string> {
  return (await b.api('/metrics')).text()
}

/** A fresh, empty redis-server on `port` (a replaced Redis: no data, new history). */
async function replacementRedis(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-redis-replaced-'))
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const url = `redis://127.0.0.1:${port}`
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`replacement redis-server exited (${child.exitCode})`)
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {})
      try {
        await probe.connect()
        return (await probe.ping()) === 'PONG'
      } catch {
        return false
      } finally {
        probe.disconnect()
      }
    },
    'replacement redis-server up',
    10_000,
  )
  return {
    url,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

describe('stream faults', () => {
  it('bad entries are dropped and counted alone; far-future ids get the time of receipt; neighbours are stored; the cursor goes on', async () => {
    await start()
    await stop()
    // Written while stopped, so the backend reads them in one XREAD batch at start.
    await producer.xadd(STREAM, '*', 'data', update('p-valid-1', false))
    await producer.xadd(STREAM, '*', 'data', update('p-valid-2'))
    // Explicit ids far in the future, no updated_at: the year 5138 (within Date's range) and a
    // time beyond Date's range; neither is a time an update can have, so they are stamped with
    // the time of receipt (used as updated_at they would win every later update forever).
    const poison = JSON.stringify({ task_id: 'p-poison', status: 'failed' })
    await producer.xadd(STREAM, '99999999999999-0', 'data', poison)
    await producer.xadd(STREAM, '*', 'data', '{not json')
    await producer.xadd(STREAM, '*', 'nodata', '1')
    await producer.xadd(STREAM, '99999999999999999-0', 'data', JSON.stringify({ task_id: 'p-poison-2' }))
    // After the far-future id, Redis numbers new entries after it; they carry their own time.
    await producer.xadd(
      STREAM,
      '*',
      'data',
      JSON.stringify({ type: 'task_status_update', data: JSON.parse(update('p-valid-3')) as unknown }),
    )
    await producer.xadd(STREAM, '*', 'data', update('p-valid-4'))
    // And a producer that never sends updated_at, numbered by Redis after the far-future id.
    await producer.xadd(
      STREAM,
      '*',
      'data',
      JSON.stringify({ task_id: 'p-valid-no-time', status: 'running' }),
    )

    const b = await start()
    await waitStored(b, ['p-valid-1', 'p-valid-2', 'p-valid-3', 'p-valid-4', 'p-valid-no-time'])
    await waitStored(b, ['p-poison', 'p-poison-2'])
    await waitFor(async () => (await health(b)).dropped_messages === 2, 'two drops counted')
    const metrics = await metricsText(b)
    expect(metrics).not.toContain('reason="invalid_stream_id"')
    for (const reason of ['invalid_json', 'no_data_field']) {
      expect(metrics).toContain(`taskpulse_dropped_messages_total{reason="${reason}"} 1`)
    }
    // The cursor is not stuck: an entry written now is read.
    await producer.xadd(STREAM, '*', 'data', update('p-valid-5'))
    await waitStored(b, ['p-valid-5'])
    expect((await health(b)).dropped_messages).toBe(2)
    recordFigure('stream-faults', { fault: 'poisoned entries in one batch', stored: 8, dropped: 2 })
    await stop()
  })

  it('DEL of the stream while stopped: warned once, entries written afterwards are stored', async () => {
    await producer.del(STREAM)
    const b = await start()
    await waitFor(() => lossWarnings(b).length > 0, 'a loss warning')
    await producer.xadd(STREAM, '*', 'data', update('del-after', false))
    await waitStored(b, ['del-after'])
    expect(lossWarnings(b).map((w) => w.kind)).toEqual(['missing'])
    expect((await health(b)).dropped_messages).toBe(0)
    recordFigure('stream-faults', { fault: 'DEL', stored: 1, dropped: 0, warnings: lossWarnings(b) })
    await stop()
  })

  it('FLUSHALL while stopped, new entries before the restart: warned once as recreated, all stored', async () => {
    await producer.flushall()
    await producer.xadd(STREAM, '*', 'data', update('flush-1', false))
    await producer.xadd(STREAM, '*', 'data', update('flush-2'))
    const b = await start()
    await waitStored(b, ['flush-1', 'flush-2'])
    await producer.xadd(STREAM, '*', 'data', update('flush-3', false))
    await waitStored(b, ['flush-3'])
    expect(lossWarnings(b).map((w) => w.kind)).toEqual(['recreated'])
    recordFigure('stream-faults', { fault: 'FLUSHALL', stored: 3, dropped: 0, warnings: lossWarnings(b) })
    await stop()
  })

  it('XTRIM MAXLEN 0 over unread entries while stopped: warned once (not again after a restart), later entries stored', async () => {
    await producer.xadd(STREAM, '*', 'data', update('trim-unread-1'))
    await producer.xadd(STREAM, '*', 'data', update('trim-unread-2'))
    await producer.xtrim(STREAM, 'MAXLEN', 0)
    const b = await start()
    await waitFor(() => lossWarnings(b).length > 0, 'a loss warning')
    const warnings = lossWarnings(b)
    expect(warnings.map((w) => w.kind)).toEqual(['trimmed'])
    expect(b.stderr()).toContain('"lostAtMost"')
    await stop()

    // The new position was stored: the same loss is not reported again.
    const again = await start()
    await producer.xadd(STREAM, '*', 'data', update('trim-after'))
    await waitStored(again, ['trim-after'])
    expect(lossWarnings(again)).toEqual([])
    expect(await stored(again, 'trim-unread-1')).toBe(false) // trimmed before anyone read it: lost, and said so
    recordFigure('stream-faults', { fault: 'XTRIM MAXLEN 0', stored: 1, lost_and_warned: 2, warnings })
    await stop()
  })

  it('a replaced Redis on the same port, with ids below the cursor: warned once as reset, every entry stored', async () => {
    await redis.stop()
    const fresh = await replacementRedis(redis.port)
    cleanup.add(() => fresh.close())
    const client = rawRedis(fresh.url)
    cleanup.add(() => client.disconnect())
    // A Redis whose clock is behind (or restored from an old backup): its ids sort below the cursor.
    await client.xadd(STREAM, '1-1', 'data', update('replaced-1'))
    const b = await start()
    await waitStored(b, ['replaced-1'])
    await client.xadd(STREAM, '*', 'data', update('replaced-2', false))
    await waitStored(b, ['replaced-2'])
    expect(lossWarnings(b).map((w) => w.kind)).toEqual(['reset'])
    expect((await health(b)).dropped_messages).toBe(0)
    recordFigure('stream-faults', {
      fault: 'replaced Redis',
      stored: 2,
      dropped: 0,
      warnings: lossWarnings(b),
    })
    await stop()
  })
})
