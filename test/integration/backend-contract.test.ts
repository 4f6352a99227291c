// The public REST + WebSocket contract, against the real built backend in its own process with a
// real SQLite file (embedded mode: no Redis).
import { connect } from 'node:net'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import {
  connectClient,
  removeDir,
  snapshotPages,
  startBackend,
  waitFor,
  type Backend,
} from '../helpers/backend-process'

let backend: Backend

beforeAll(async () => {
  backend = await startBackend()
})
afterAll(async () => {
  await backend?.stop()
  if (backend) removeDir(backend.dataDir)
})

const put = (id: string, body: unknown) =>
  backend.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })

/** Raw HTTP request, for headers fetch will not let us set (Host). */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(lines.join('\r\n') + '\r\n\r\n'))
    let data = ''
    sock.on('data', (d) => (data += d.toString()))
    sock.on('end', () => resolve(data))
    sock.on('error', reject)
    setTimeout(() => sock.end(), 2000).unref()
  })
}

describe('REST', () => {
  it('creates on PUT (201), updates (200), and every WS client gets the change with a seq', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connectClient(backend.ws, backend.token)))
    try {
      const created = await put('job-1', {
        status: 'running',
        title: 'Build',
        assignee: 'agent-a',
        project_id: 42,
      })
      expect(created.status).toBe(201)
      const task = (await created.json()) as Task
      expect(task).toMatchObject({
        task_id: 'job-1',
        status: 'running',
        project_id: '42',
        started_at: expect.any(String) as unknown,
      })
      const updated = await put('job-1', { status: 'failed', error: 'exit 1' })
      expect(updated.status).toBe(200)
      for (const c of clients) {
        await waitFor(() => c.updates().filter((u) => u.task.task_id === 'job-1').length === 2, 'two updates')
        const [first, second] = c.updates().filter((u) => u.task.task_id === 'job-1')
        expect(first).toMatchObject({ previous_status: null, task: { status: 'running', title: 'Build' } })
        expect(second).toMatchObject({
          previous_status: 'running',
          task: { status: 'failed', error: 'exit 1', finished_at: expect.any(String) as unknown },
        })
        expect(second!.seq).toBeGreaterThan(first!.seq)
      }
    } finally {
      for (const c of clients) c.close()
    }
  })

  it('POST creates with a generated id, and refuses an existing id', async () => {
    const res = await backend.api('/api/tasks', {
      method: 'POST',
      body: JSON.stringify({ title: 'made by POST' }),
    })
    expect(res.status).toBe(201)
    const task = (await res.json()) as Task
    expect(task).toMatchObject({ status: 'pending', title: 'made by POST' })
    const again = await backend.api('/api/tasks', {
      method: 'POST',
      body: JSON.stringify({ task_id: task.task_id }),
    })
    expect(again.status).toBe(409)
  })

  it('answers a retried event_id idempotently', async () => {
    const body = { status: 'completed', event_id: 'retry-me-1' }
    expect((await put('idem', body)).status).toBe(201)
    const second = await put('idem', body)
    expect(second.status).toBe(200)
    const events = (await (await backend.api('/api/tasks/idem/events')).json()) as { events: unknown[] }
    expect(events.events).toHaveLength(1)
  })

  it('lists, filters, pages and searches', async () => {
    for (let i = 0; i < 7; i++)
      await put(`page-${i}`, { status: i % 2 ? 'failed' : 'pending', assignee: 'pager', title: `Page ${i}` })
    const first = (await (await backend.api('/api/tasks?assignee=pager&limit=3')).json()) as {
      tasks: Task[]
      next_cursor: string
    }
    expect(first.tasks).toHaveLength(3)
    const second = (await (
      await backend.api(`/api/tasks?assignee=pager&limit=3&cursor=${first.next_cursor}`)
    ).json()) as { tasks: Task[] }
    expect(second.tasks.map((t) => t.task_id)).not.toContain(first.tasks[0]!.task_id)
    const failed = (await (await backend.api('/api/tasks?assignee=pager&status=failed')).json()) as {
      tasks: Task[]
    }
    expect(failed.tasks).toHaveLength(3)
    const q = (await (await backend.api('/api/tasks?q=Page%205')).json()) as { tasks: Task[] }
    expect(q.tasks.map((t) => t.task_id)).toEqual(['page-5'])
    const agents = (await (await backend.api('/api/agents')).json()) as { agents: { assignee: string }[] }
    expect(agents.agents.map((a) => a.assignee)).toContain('pager')
    const cal = await backend.api('/api/calendar?from=2000-01-01&to=2100-01-01')
    expect(((await cal.json()) as { tasks: Task[] }).tasks.length).toBeGreaterThan(0)
    expect((await backend.api('/api/calendar')).status).toBe(400)
    expect((await backend.api('/api/tasks/nope-never')).status).toBe(404)
  })

  it('rejects bad input with a clear error and leaves stored data unchanged', async () => {
    await put('guarded', { status: 'running', title: 'keep me' })
    const before = await (await backend.api('/api/tasks?limit=1000')).text()
    const cases: [RequestInit & { path?: string }, number, string][] = [
      [{ method: 'PUT', body: '{"status":' }, 400, 'invalid_json'],
      [{ method: 'PUT', body: '{"status":"exploded"}' }, 400, 'invalid_request'],
      [{ method: 'PUT', body: '{"status":"running","title":42}' }, 400, 'invalid_request'],
      [{ method: 'PUT', body: '{"stauts":"running"}' }, 400, 'invalid_request'],
      [{ method: 'PUT', body: '[1,2]' }, 400, 'invalid_request'],
      [{ method: 'PUT', body: '{"status":"running","updated_at":"tomorrow"}' }, 400, 'invalid_request'],
      [
        { method: 'PUT', body: JSON.stringify({ status: 'running', output: 'x'.repeat(1024 * 1024 + 10) }) },
        413,
        'payload_too_large',
      ],
      [
        { method: 'PUT', body: 'status=running', headers: { 'content-type': 'text/plain' } },
        415,
        'unsupported_media_type',
      ],
      [
        { method: 'PUT', body: '{"status":"running"}', path: '/api/tasks/..%2F..%2Fetc' },
        400,
        'invalid_request',
      ],
      [
        { method: 'PUT', body: '{"status":"running"}', path: `/api/tasks/${'x'.repeat(129)}` },
        400,
        'invalid_request',
      ],
      [{ method: 'PUT', body: '{"status":"running"}', path: '/api/tasks/a%20b' }, 400, 'invalid_request'],
      [{ method: 'GET', path: '/api/tasks?status=weird' }, 400, 'invalid_request'],
      [{ method: 'GET', path: '/api/tasks?cursor=bm9wZQ' }, 400, 'invalid_cursor'],
    ]
    for (const [init, status, code] of cases) {
      const { path = '/api/tasks/guarded', ...rest } = init
      const res = await backend.api(path, rest)
      const body = (await res.json()) as { error: { code: string; message: string } }
      expect(res.status, `${rest.method} ${path} ${JSON.stringify(rest.body ?? null).slice(0, 40)}`).toBe(
        status,
      )
      expect(body.error.code).toBe(code)
      expect(body.error.message).toBeTruthy()
      expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/) // no stack trace
    }
    expect(await (await backend.api('/api/tasks?limit=1000')).text()).toBe(before)
    expect((await fetch(`${backend.url}/api/health`)).status).toBe(200)
  })

  it('answers an empty PUT with 400, and an event_id reused for another task with 409', async () => {
    const empty = await fetch(`${backend.url}/api/tasks/empty-body`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${backend.token}` },
    })
    expect(empty.status).toBe(400)
    expect((await put('owner-a', { status: 'running', event_id: 'shared-id-1' })).status).toBe(201)
    const reused = await put('owner-b', { status: 'failed', event_id: 'shared-id-1' })
    expect(reused.status).toBe(409)
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('event_id_conflict')
    expect((await backend.api('/api/tasks/owner-b')).status).toBe(404)
  })

  it('sends a snapshot of many large tasks as pages of excerpts; the full text is over REST', async () => {
    for (let i = 0; i < 40; i++)
      await put(`big-${i}`, { status: 'completed', output: `${i}:`.padEnd(60_000, 'z') + `|end-${i}` })
    const c = await connectClient(backend.ws, backend.token, { subscribe: false })
    c.send({ type: 'resume', epoch: 'elsewhere', seq: 0 })
    const pages = await snapshotPages(c)
    expect(new Set(pages.map((p) => p.seq)).size).toBe(1)
    const big = pages.flatMap((p) => p.tasks).filter((t) => t.task_id.startsWith('big-'))
    expect(big).toHaveLength(40)
    for (const t of big) {
      const n = t.task_id.slice(4)
      expect(t.excerpt).toBe(true)
      expect(t.output_bytes).toBe(60_000 + `|end-${n}`.length)
      expect(Buffer.byteLength(t.output!)).toBe(2048)
      expect(t.output!.endsWith(`|end-${n}`)).toBe(true)
    }
    const full = (await (await backend.api('/api/tasks/big-7')).json()) as Task
    expect(full.output).toBe('7:'.padEnd(60_000, 'z') + '|end-7')
    expect(full.output!.endsWith(big.find((t) => t.task_id === 'big-7')!.output!)).toBe(true)
    c.close()
  })

  it('stores over-long output cut and marked', async () => {
    const res = await put('long-output', { status: 'completed', output: 'y'.repeat(200_000) })
    const task = (await res.json()) as Task
    expect(Buffer.byteLength(task.output!)).toBeLessThanOrEqual(64 * 1024)
    expect(task.output).toMatch(/truncated by TaskPulse/)
  })
})

describe('auth and guard', () => {
  it('answers 401 without or with a wrong token, on REST and on the WS upgrade', async () => {
    expect((await fetch(`${backend.url}/api/tasks`)).status).toBe(401)
    expect(
      (await fetch(`${backend.url}/api/tasks`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401)
    expect((await fetch(`${backend.url}/metrics`)).status).toBe(401)
    await expect(connectClient(backend.ws, 'wrong-token')).rejects.toThrow(/401/)
    const noToken = new WebSocket(backend.ws)
    const status = await new Promise<number>((r) =>
      noToken.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0)),
    )
    expect(status).toBe(401)
  })

  it('accepts the bearer scheme in any case', async () => {
    expect(
      (await fetch(`${backend.url}/api/tasks`, { headers: { authorization: `bearer ${backend.token}` } }))
        .status,
    ).toBe(200)
  })

  it('serves its own address when bound to another loopback address', async () => {
    const other = await startBackend({ extraArgs: ['--host', '127.0.0.2'] })
    try {
      expect(other.url).toMatch(/^http:\/\/127\.0\.0\.2:/)
      expect((await fetch(`${other.url}/api/health`)).status).toBe(200)
    } finally {
      await other.stop()
      removeDir(other.dataDir)
    }
  })

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    const foreignHost = await rawRequest(backend.port, [
      'GET /api/health HTTP/1.1',
      'Host: attacker.example:80',
      'Connection: close',
    ])
    expect(foreignHost).toMatch(/^HTTP\/1.1 403/)
    const wsForeignHost = await rawRequest(backend.port, [
      `GET /ws?token=${backend.token} HTTP/1.1`,
      'Host: attacker.example',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
    ])
    expect(wsForeignHost).toMatch(/^HTTP\/1.1 403/)
    const foreignOrigin = await fetch(`${backend.url}/api/tasks`, {
      headers: { authorization: `Bearer ${backend.token}`, origin: 'https://evil.example' },
    })
    expect(foreignOrigin.status).toBe(403)
    const ownOrigin = await fetch(`${backend.url}/api/tasks`, {
      headers: { authorization: `Bearer ${backend.token}`, origin: backend.url },
    })
    expect(ownOrigin.status).toBe(200)
  })
})

describe('websocket', () => {
  it('replays exactly the missed changes in order after resume', async () => {
    const first = await connectClient(backend.ws, backend.token)
    const { epoch } = await first.hello
    await put('resume-task', { status: 'pending' })
    await waitFor(() => first.updates().some((u) => u.task.task_id === 'resume-task'), 'first update')
    const lastSeen = first.updates().at(-1)!.seq
    first.close()
    await first.closed

    for (let i = 0; i < 500; i++) {
      const res = await put(`missed-${i % 50}`, { status: i % 2 ? 'running' : 'pending', output: `n=${i}` })
      expect(res.ok).toBe(true)
    }
    const again = await connectClient(backend.ws, backend.token, { subscribe: false })
    again.send({ type: 'resume', epoch, seq: lastSeen })
    await waitFor(() => again.messages.some((m) => m.type === 'resumed'), 'resumed', 15_000)
    const replayed = again.updates()
    expect(replayed).toHaveLength(500)
    expect(replayed.map((u) => u.task.output)).toEqual(Array.from({ length: 500 }, (_, i) => `n=${i}`))
    const seqs = replayed.map((u) => u.seq)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    // live after the replay, no duplicate
    await put('after-resume', { status: 'completed' })
    await waitFor(() => again.updates().some((u) => u.task.task_id === 'after-resume'), 'live after resume')
    expect(new Set(again.updates().map((u) => u.seq)).size).toBe(again.updates().length)
    again.close()
  })

  it('answers a resume with a foreign epoch by a snapshot, then live', async () => {
    const c = await connectClient(backend.ws, backend.token, { subscribe: false })
    c.send({ type: 'resume', epoch: 'some-other-database', seq: 3 })
    const pages = await snapshotPages(c)
    const listed = (await (await backend.api('/api/tasks?limit=1000')).json()) as { tasks: Task[] }
    // newest first, every task once, as the listing has them
    expect(pages.flatMap((p) => p.tasks.map((t) => t.task_id))).toEqual(listed.tasks.map((t) => t.task_id))
    expect(pages.at(-1)!.more).toBe(false)
    expect(c.messages.some((m) => m.type === 'resumed')).toBe(false)
    await put('after-snapshot', { status: 'running' })
    await waitFor(() => c.updates().some((u) => u.task.task_id === 'after-snapshot'), 'live after snapshot')
    c.close()
  })

  it('answers garbage frames with errors, then closes on repeated abuse; ping gets pong', async () => {
    const c = await connectClient(backend.ws, backend.token)
    c.send({ type: 'ping', t: 7 })
    await waitFor(() => c.messages.some((m) => m.type === 'pong' && m.t === 7), 'pong')
    c.send('not json at all')
    c.send({ type: 'launch_missiles' })
    c.ws.send(Buffer.from([1, 2, 3]))
    await waitFor(() => c.messages.filter((m) => m.type === 'error').length === 3, 'three errors')
    for (let i = 0; i < 30; i++) c.send('{"garbage"')
    expect((await c.closed).code).toBe(1008)
    const big = await connectClient(backend.ws, backend.token)
    big.send('x'.repeat(200 * 1024))
    expect((await big.closed).code).toBe(1009)
    expect((await fetch(`${backend.url}/api/health`)).status).toBe(200)
  })
})
