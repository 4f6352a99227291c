// The desktop supervisor against the real backend entry (out/backend/child.js, built by
// `npm run build`) as a real child process, with main's real WebSocket client and a real Redis.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import WebSocket from 'ws'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { BackendState, Connection } from '../../src-shared/ipc'
import type { Task, TaskStatusUpdateMessage } from '../../src-shared/protocol'
import { createBackendClient, type BackendClient } from '../../src-main/backend/backend-client'
import {
  createBackendSupervisor,
  nodeFork,
  type BackendSupervisor,
  type EmbeddedConfig,
} from '../../src-main/backend/backend-supervisor'
import type { Cursor } from '../../src-main/notifications/notifier'
import { REPO_ROOT, rawText, removeDir, tempDir, waitFor } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { centis, downgradeToSchema7, storeEvent } from '../helpers/store-fixtures'
import { MIGRATIONS } from '../../src-backend/store/migrations'
import { openTaskStore } from '../../src-backend/store/task-store'

const ENTRY = join(REPO_ROOT, 'out', 'backend', 'child.js')
const quiet = { info() {}, warn() {}, error() {} }

beforeAll(() => {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`)
})

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function supervisor(opts: Partial<Parameters<typeof createBackendSupervisor>[0]> = {}): BackendSupervisor {
  const sup = createBackendSupervisor({
    fork: nodeFork(),
    entry: ENTRY,
    log: quiet,
    backoff: { initialMs: 100, maxMs: 1_000 },
    // A start on a loaded machine may take well over the app's 20 s; killed at that, a test's
    // exact list of states would get a restart it is not about.
    readyTimeoutMs: 60_000,
    ...opts,
  })
  cleanups.push(() => sup.stop())
  return sup
}

function embedded(dataDir: string, redisUrl: string | null = null): EmbeddedConfig {
  return { dataDir, token: 'desktop-test-token-1234', redisUrl, allowedOrigins: ['app://taskpulse'] }
}

/** Main's ws client with an in-memory cursor, recording what it gets. */
function recordingClient(): {
  client: BackendClient
  updates: TaskStatusUpdateMessage[]
  snapshots: Task[][]
  cursor: () => Cursor | null
} {
  let cursor: Cursor | null = null
  const updates: TaskStatusUpdateMessage[] = []
  const snapshots: Task[][] = []
  const client = createBackendClient(
    {
      cursor: () => cursor,
      onUpdate: (u, epoch) => {
        updates.push(u)
        cursor = { epoch, seq: u.seq }
      },
      onSnapshot: (tasks, epoch, seq) => {
        snapshots.push(tasks)
        cursor = { epoch, seq }
      },
      onSynced: (epoch, seq) => {
        if (!cursor || cursor.epoch !== epoch || cursor.seq < seq) cursor = { epoch, seq }
      },
      onLink: () => {},
    },
    { log: quiet, reconnect: { initialMs: 50, maxMs: 300 } },
  )
  cleanups.push(() => client.close())
  return { client, updates, snapshots, cursor: () => cursor }
}

async function health(c: Connection): Promise<{ redis: string; epoch: string }> {
  const res = await fetch(`${c.url}/api/health`)
  return (await res.json()) as { redis: string; epoch: string }
}

describe('desktop backend supervisor (real child)', () => {
  let redis: RedisServer | null = null
  afterEach(async () => {
    await redis?.close()
    redis = null
  })

  it('restarts the backend after SIGKILL and the client resumes with nothing lost', async () => {
    redis = await startRedis()
    const dir = tempDir('taskpulse-desktop-')
    cleanups.push(() => removeDir(dir))
    const sup = supervisor()
    const states: BackendState['status'][] = []
    sup.onState((s) => states.push(s.status))
    const conn = await sup.start(embedded(dir, redis.url))
    const { client, updates, snapshots } = recordingClient()
    client.setConnection(conn)
    await waitFor(() => snapshots.length === 1, 'first snapshot')

    const producer = new Redis(redis.url)
    cleanups.push(() => void producer.disconnect())
    const xadd = (task_id: string, status: string) =>
      producer.xadd(
        'task_status_stream',
        '*',
        'data',
        JSON.stringify({ task_id, status, event_id: `${task_id}-${status}` }),
      )

    await xadd('t1', 'running')
    await xadd('t1', 'failed')
    await waitFor(() => updates.length === 2, 'two live updates')

    const firstPid = sup.pid()
    expect(firstPid).toBeDefined()
    process.kill(firstPid as number, 'SIGKILL')
    await waitFor(() => sup.state().status === 'restarting', 'supervisor notices the death')
    // Written while the backend is dead: only the stream has them.
    await xadd('t2', 'completed')
    await xadd('t3', 'failed')

    const after = await waitFor(
      () => (sup.state().status === 'running' ? sup.state() : null),
      'backend running again',
      60_000,
    )
    expect(sup.pid()).not.toBe(firstPid)
    expect(after.status === 'running' && after.connection.url).toBe(conn.url) // same port: the window's origin stays valid
    await waitFor(() => updates.length >= 4, 'updates after the restart', 20_000)
    await xadd('t4', 'completed')
    await waitFor(() => updates.length >= 5, 'live after resume')

    expect(updates.map((u) => u.event_id)).toEqual([
      't1-running',
      't1-failed',
      't2-completed',
      't3-failed',
      't4-completed',
    ])
    expect(snapshots).toHaveLength(1) // resumed, not re-snapshotted
    expect(states).toEqual(['starting', 'running', 'restarting', 'running'])
  })

  it('an older data dir: the child says it is upgrading before it migrates, then runs on the upgraded data', async () => {
    const dir = tempDir('taskpulse-desktop-')
    cleanups.push(() => removeDir(dir))
    // A data dir an older TaskPulse left: schema 7, 2,000 tasks with multi-line logs.
    const file = join(dir, 'taskpulse.sqlite')
    const old = openTaskStore({ file, outbox: false, checkpointInWorker: false })
    old.apply(
      Array.from({ length: 2000 }, (_, i) =>
        storeEvent(
          `old-${i}`,
          {
            status: i % 9 === 0 ? 'failed' : 'completed',
            title: `nightly job ${i}`,
            output: `step 1 ok\nstep 2 ok\n${i % 9 === 0 ? 'FATAL: disk quota exceeded' : 'done'}\n`,
          },
          centis(i),
        ),
      ),
    )
    old.close()
    downgradeToSchema7(file)

    const sup = supervisor()
    const states: BackendState[] = []
    sup.onState((s) => states.push(s))
    const conn = await sup.start(embedded(dir))
    expect(states).toEqual([
      { status: 'starting' },
      { status: 'starting', upgrading: { from: 7, to: MIGRATIONS.length, tasks: 2000 } },
      { status: 'starting' }, // upgraded: the ordinary ready timeout again
      { status: 'running', connection: conn },
    ])
    // Upgraded and searchable through the new index.
    const res = await fetch(`${conn.url}/api/search?q=quota`, {
      headers: { authorization: `Bearer ${conn.token}` },
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { results: unknown[] }
    expect(body.results).toHaveLength(Math.ceil(2000 / 9))
  })

  it('gives up on a crash loop with an error state, and recovers with a good config', async () => {
    const dir = tempDir('taskpulse-desktop-')
    cleanups.push(() => removeDir(dir))
    const sup = supervisor({
      crashLimit: { count: 3, windowMs: 60_000 },
      backoff: { initialMs: 50, maxMs: 200 },
    })
    // The child refuses this URL at start (invalid_config) and exits non-zero, every time.
    const bad = { ...embedded(dir), redisUrl: 'http://not-redis:1' }
    await expect(sup.start(bad)).rejects.toThrow(/stopped 3 times/)
    const state = sup.state()
    expect(state.status).toBe('failed')
    expect(state.status === 'failed' && state.error).toMatch(/invalid_config/)
    const conn = await sup.restart(embedded(dir))
    expect((await health(conn)).redis).toBe('disabled')
  })

  it('restarts with the new config when backend settings change', async () => {
    redis = await startRedis()
    const dir = tempDir('taskpulse-desktop-')
    cleanups.push(() => removeDir(dir))
    const sup = supervisor()
    const first = await sup.start(embedded(dir))
    const before = await health(first)
    expect(before.redis).toBe('disabled')
    const pid = sup.pid()
    const second = await sup.restart(embedded(dir, redis.url))
    expect(sup.pid()).not.toBe(pid)
    await waitFor(async () => (await health(second)).redis === 'connected', 'backend connected to Redis')
    expect((await health(second)).epoch).toBe(before.epoch) // same database
  })

  it('the backend it starts lets the window origin (app://taskpulse) in, and no other', async () => {
    const dir = tempDir('taskpulse-desktop-')
    cleanups.push(() => removeDir(dir))
    const sup = supervisor()
    const conn = await sup.start(embedded(dir))
    const preflight = await fetch(`${conn.url}/api/tasks`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'app://taskpulse',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    })
    expect(preflight.ok).toBe(true)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('app://taskpulse')
    const list = await fetch(`${conn.url}/api/tasks`, {
      headers: { Origin: 'app://taskpulse', Authorization: `Bearer ${conn.token}` },
    })
    expect(list.status).toBe(200)
    const foreign = await fetch(`${conn.url}/api/tasks`, {
      headers: { Origin: 'https://evil.example.com', Authorization: `Bearer ${conn.token}` },
    })
    expect(foreign.status).toBe(403)
    // The socket too: the window's origin is accepted.
    const ws = new WebSocket(`${conn.wsUrl}?token=${encodeURIComponent(conn.token)}`, {
      headers: { Origin: 'app://taskpulse' },
    })
    const hello = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(rawText(d)))
      ws.once('error', reject)
    })
    ws.close()
    expect(JSON.parse(hello)).toMatchObject({ type: 'hello' })
  })

  it('stops the child cleanly', async () => {
    const dir = tempDir('taskpulse-desktop-')
    cleanups.push(() => removeDir(dir))
    const sup = supervisor()
    const conn = await sup.start(embedded(dir))
    const pid = sup.pid() as number
    await sup.stop()
    expect(sup.state()).toEqual({ status: 'stopped' })
    expect(() => process.kill(pid, 0)).toThrow()
    await expect(fetch(`${conn.url}/api/health`)).rejects.toThrow()
  })
})
