// Producers writing straight into Redis (PUBLISH and XADD), the CLI, and our own events reaching
// Redis, with a real redis-server and the real backend process.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Health, Task } from '../../src-shared/protocol'
import {
  connectClient,
  removeDir,
  REPO_ROOT,
  startBackend,
  waitFor,
  type Backend,
} from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'

let redis: RedisServer
let backend: Backend
let producer: Redis

beforeAll(async () => {
  redis = await startRedis()
  backend = await startBackend({ redisUrl: redis.url })
  producer = new Redis(redis.url)
  await waitFor(
    async () => ((await (await fetch(`${backend.url}/api/health`)).json()) as Health).redis === 'connected',
    'redis connected',
  )
})
afterAll(async () => {
  producer?.disconnect()
  await backend?.stop()
  if (backend) removeDir(backend.dataDir)
  await redis?.close()
})

const health = async () => (await (await fetch(`${backend.url}/api/health`)).json()) as Health

// Asynchronous on purpose: a spawnSync blocked this process for over 5 s on a busy machine, the
// server then closed the test's idle keep-alive connection, and the next fetch failed.
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'taskpulse.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000, // a ceiling for a hung CLI; a loaded machine may take well over 20 s
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

describe('redis producers', () => {
  it('broadcasts an external PUBLISH in the reference format to every client', async () => {
    const clients = await Promise.all([1, 2].map(() => connectClient(backend.ws, backend.token)))
    await producer.publish(
      'task_status_update',
      JSON.stringify({
        task_id: 123,
        status: 'failed',
        updated_at: '2025-11-08T12:00:00.123456',
        error: 'OOM',
        assignee: 'agent-x',
        project_id: 456,
      }),
    )
    for (const c of clients) {
      await waitFor(() => c.updates().find((u) => u.task.task_id === '123'), 'publish reaches client')
      expect(c.updates().find((u) => u.task.task_id === '123')?.task).toMatchObject({
        status: 'failed',
        error: 'OOM',
        project_id: '456',
        updated_at: '2025-11-08T12:00:00.123Z',
      })
      c.close()
    }
  })

  it('stores and broadcasts an XADD made while running', async () => {
    const c = await connectClient(backend.ws, backend.token)
    await producer.xadd(
      'task_status_stream',
      '*',
      'data',
      JSON.stringify({ task_id: 'from-stream', status: 'completed' }),
    )
    await waitFor(
      () => c.updates().find((u) => u.task.task_id === 'from-stream'),
      'stream entry reaches client',
    )
    c.close()
  })

  it('counts and drops malformed messages, logs once, and keeps the subscriber alive', async () => {
    const droppedBefore = (await health()).dropped_messages
    for (const bad of [
      '{oops',
      '{"status":"running"}',
      '{"task_id":"x","status":"nope"}',
      'x'.repeat(1024 * 1024 + 1),
    ]) {
      await producer.publish('task_status_update', bad)
    }
    await producer.xadd('task_status_stream', '*', 'nodata', '1')
    const c = await connectClient(backend.ws, backend.token)
    await producer.publish(
      'task_status_update',
      JSON.stringify({ task_id: 'still-alive', status: 'running' }),
    )
    await waitFor(
      () => c.updates().find((u) => u.task.task_id === 'still-alive'),
      'valid message after bad ones',
    )
    await waitFor(async () => (await health()).dropped_messages === droppedBefore + 5, 'five drops counted')
    expect(backend.proc.exitCode).toBeNull()
    c.close()
  })

  it('relays REST updates to the channel and the stream, with their event_id', async () => {
    const sub = new Redis(redis.url)
    const seen: string[] = []
    await sub.subscribe('task_status_update')
    sub.on('message', (_ch, msg) => seen.push(msg))
    try {
      const res = await backend.api('/api/tasks/relayed', {
        method: 'PUT',
        body: JSON.stringify({ status: 'running', event_id: 'relay-1' }),
      })
      expect(res.status).toBe(201)
      await waitFor(
        () => seen.some((m) => (JSON.parse(m) as { event_id?: string }).event_id === 'relay-1'),
        'published',
      )
      const entries = await producer.xrange('task_status_stream', '-', '+')
      expect(
        entries.some(
          ([, fields]) =>
            fields[1] && (JSON.parse(fields[1]) as { event_id?: string }).event_id === 'relay-1',
        ),
      ).toBe(true)
      // the outbox row is deleted once Redis has confirmed both commands
      await waitFor(async () => (await health()).outbox_pending === 0, 'outbox drained')
    } finally {
      sub.disconnect()
    }
  })
})

describe('taskpulse emit', () => {
  it('sends through REST and through Redis', async () => {
    const viaRest = await cli([
      'emit',
      '--task',
      'cli-1',
      '--status',
      'running',
      '--title',
      'From CLI',
      '--server',
      backend.url,
      '--token',
      backend.token,
    ])
    expect(viaRest.status, viaRest.stderr).toBe(0)
    expect(JSON.parse(viaRest.stdout)).toMatchObject({
      task_id: 'cli-1',
      status: 'running',
      title: 'From CLI',
    })
    const events = (await (await backend.api('/api/tasks/cli-1/events')).json()) as {
      events: { source: string }[]
    }
    expect(events.events[0]?.source).toBe('cli')

    const viaRedis = await cli([
      'emit',
      '--task',
      'cli-2',
      '--status',
      'failed',
      '--error',
      'bad',
      '--redis-url',
      redis.url,
    ])
    expect(viaRedis.status, viaRedis.stderr).toBe(0)
    await waitFor(async () => (await backend.api('/api/tasks/cli-2')).status === 200, 'cli-2 stored')
    expect(((await (await backend.api('/api/tasks/cli-2')).json()) as Task).status).toBe('failed')
  })

  it('exits non-zero with a clear message on bad flags or an unreachable server', async () => {
    const noStatus = await cli(['emit', '--task', 'x', '--server', backend.url, '--token', backend.token])
    expect(noStatus.status).toBe(2)
    expect(noStatus.stderr).toMatch(/--status/)
    const badStatus = await cli([
      'emit',
      '--task',
      'x',
      '--status',
      'done',
      '--server',
      backend.url,
      '--token',
      backend.token,
    ])
    expect(badStatus.stderr).toMatch(/pending, running, completed, failed/)
    const wrongToken = await cli([
      'emit',
      '--task',
      'x',
      '--status',
      'running',
      '--server',
      backend.url,
      '--token',
      'nope-nope',
    ])
    expect(wrongToken.status).toBe(1)
    expect(wrongToken.stderr).toMatch(/401/)
    const unreachable = await cli([
      'emit',
      '--task',
      'x',
      '--status',
      'running',
      '--server',
      'http://127.0.0.1:9',
      '--token',
      't',
    ])
    expect(unreachable.status).toBe(1)
    expect(unreachable.stderr).toMatch(/cannot reach/)
    const badServeFlag = await cli(['serve', '--port', 'eighty'])
    expect(badServeFlag.status).toBe(2)
    expect(badServeFlag.stderr).toMatch(/--port/)
  })
})
