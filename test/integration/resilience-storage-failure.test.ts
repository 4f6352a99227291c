// A transient storage failure: another process holds the SQLite write lock for longer than the
// backend's busy timeout (a backup tool, a sqlite3 shell left in a transaction). The backend must
// refuse REST updates with a clear 503 (never a 500, never a crash), serve again once the lock is
// gone, and lose nothing that is durable elsewhere: a stream entry it failed to store must be
// applied once storage works again, without a restart.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { connectClient, startBackend, tempDir, waitFor } from '../helpers/backend-process'
import { startRedis } from '../helpers/redis-server'
import {
  allEventsOf,
  cleanupStack,
  getJson,
  health,
  putTask,
  updateIds,
  waitForHealth,
  xadd,
} from './resilience-helpers'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

/** Takes the database's write lock from another connection (as another process would) until release(). */
function lockDatabase(dataDir: string): { release(): void } {
  const locker = new Database(join(dataDir, 'taskpulse.sqlite'))
  locker.pragma('busy_timeout = 1000')
  locker.exec('BEGIN IMMEDIATE')
  let held = true
  const release = () => {
    if (!held) return
    held = false
    locker.exec('COMMIT')
    locker.close()
  }
  cleanup.add(release)
  return { release }
}

describe('storage locked by another process', () => {
  it('answers REST with 503 storage_failed meanwhile, stores nothing of it, and serves again after', async () => {
    const dataDir = cleanup.dir(tempDir())
    const backend = cleanup.backend(await startBackend({ dataDir }))
    const client = cleanup.client(await connectClient(backend.ws, backend.token))
    expect(
      (await putTask(backend, 'locked-task', { status: 'running', event_id: 'before-lock' })).status,
    ).toBe(201)

    const lock = lockDatabase(dataDir)
    const refused = await putTask(backend, 'locked-task', { status: 'failed', event_id: 'rest-during-lock' })
    expect(refused.status).toBe(503)
    expect(refused.body).toMatchObject({ error: { code: 'storage_failed' } })
    lock.release()

    expect(
      (await putTask(backend, 'locked-task', { status: 'completed', event_id: 'after-lock' })).status,
    ).toBe(200)
    expect((await allEventsOf(backend, 'locked-task')).map((e) => e.event_id)).toEqual([
      'before-lock',
      'after-lock',
    ])
    await waitFor(() => updateIds(client).includes('after-lock'), 'the update after the lock on the client')
    expect(updateIds(client)).toEqual(['before-lock', 'after-lock'])
    expect((await health(backend)).status).toBe('ok')
    // The refused event id was not burnt: a retry of the same update is accepted.
    expect(
      (await putTask(backend, 'locked-task', { status: 'failed', event_id: 'rest-during-lock' })).status,
    ).toBe(200)
  })

  it('applies a stream entry that arrived while the database was locked, once the lock is gone (no restart)', async () => {
    const redis = await startRedis()
    cleanup.add(() => redis.close())
    const dataDir = cleanup.dir(tempDir())
    const backend = cleanup.backend(await startBackend({ redisUrl: redis.url, dataDir }))
    await waitForHealth(backend, (h) => h.redis === 'connected', 'redis connected')
    const client = cleanup.client(await connectClient(backend.ws, backend.token))

    const lock = lockDatabase(dataDir)
    await xadd(redis.url, {
      task_id: 'locked-stream',
      status: 'completed',
      event_id: 'stream-during-lock',
      updated_at: '2026-02-02T00:00:00Z',
    })
    await waitFor(
      () => backend.stderr().includes('could not store a batch'),
      'the backend hit the lock',
      20_000,
    )
    lock.release()

    // The entry is durable in Redis: one failed commit must not make the backend skip it.
    await waitFor(
      async () => (await backend.api('/api/tasks/locked-stream')).status === 200,
      'the stream entry that arrived during the lock to be applied after it',
      15_000,
    )
    expect(await getJson<Task>(backend, '/api/tasks/locked-stream')).toMatchObject({
      status: 'completed',
      last_event_id: 'stream-during-lock',
    })
    await waitFor(() => updateIds(client).includes('stream-during-lock'), 'and broadcast')
  })
})
