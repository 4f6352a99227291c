// The REST contract where it was found broken (issue 8): empty bodies, declared charsets, racing
// creates, the UI served from memory with ETags, and the agent/project aggregates, which are kept
// incrementally and must always equal a recount of the tasks (also after a restart).
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AgentSummary, ProjectSummary, Task, TaskStatus } from '../../src-shared/protocol'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'

let backend: Backend

beforeAll(async () => {
  backend = await startBackend()
})
afterAll(async () => {
  await backend?.stop()
  if (backend) removeDir(backend.dataDir)
})

async function taskCount(): Promise<number> {
  return (await allTasks()).length
}

async function allTasks(): Promise<Task[]> {
  const tasks: Task[] = []
  let cursor: string | null = null
  do {
    const res = await backend.api(`/api/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
    const page = (await res.json()) as { tasks: Task[]; next_cursor: string | null }
    tasks.push(...page.tasks)
    cursor = page.next_cursor
  } while (cursor)
  return tasks
}

const post = (body: string | undefined, contentType?: string) =>
  backend.api('/api/tasks', {
    method: 'POST',
    ...(body === undefined ? {} : { body }),
    headers: contentType ? { 'content-type': contentType } : {},
  })

describe('REST bodies', () => {
  it('refuses an empty body and an empty object with 400, creating nothing', async () => {
    const before = await taskCount()
    for (const [body, type] of [
      [undefined, 'application/json'],
      [undefined, undefined],
      ['', 'application/json'],
      ['{}', 'application/json'],
    ] as const) {
      const res = await post(body, type)
      expect(res.status, `POST body ${JSON.stringify(body)} type ${type}`).toBe(400)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request')
    }
    const put = await backend.api('/api/tasks/empty-put', { method: 'PUT', body: '{}' })
    expect(put.status).toBe(400)
    expect(await taskCount()).toBe(before)
    expect((await backend.api('/api/tasks/empty-put')).status).toBe(404)
  })

  it('refuses a declared charset other than UTF-8 with 415 and accepts UTF-8 spelled any way', async () => {
    for (const type of [
      'application/json; charset=latin1',
      'application/json; charset=ISO-8859-1',
      'application/json; charset=utf-16',
      'application/json; charset=""',
      'application/json; charset=utf8', // not the registered name; body-parser refuses it too
    ]) {
      const res = await post(JSON.stringify({ task_id: 'cs-bad', title: 'x' }), type)
      expect(res.status, type).toBe(415)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type')
    }
    expect((await backend.api('/api/tasks/cs-bad')).status).toBe(404)
    let i = 0
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset="UTF-8"',
    ]) {
      const res = await post(JSON.stringify({ task_id: `cs-ok-${i++}`, title: 'é' }), type)
      expect(res.status, type).toBe(201)
      expect(((await res.json()) as Task).title).toBe('é')
    }
  })

  it('gives exactly one 201 to concurrent POSTs of one new id; the others get 409', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`
      const body = JSON.stringify({ task_id: id, title: 'one of many' })
      const request =
        `POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1:${backend.port}\r\nAuthorization: Bearer ${backend.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
      // Connections first, then every request in one burst: they reach the server in one
      // event-loop turn, where ingest batches their commits together.
      const sockets = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const s = connect(backend.port, '127.0.0.1', () => resolve(s))
              s.once('error', reject)
            }),
        ),
      )
      const answers = sockets.map(
        (s) =>
          new Promise<number>((resolve, reject) => {
            let data = ''
            s.on('data', (d: Buffer) => (data += d.toString()))
            s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)))
            s.on('error', reject)
          }),
      )
      for (const s of sockets) s.write(request)
      const statuses = await Promise.all(answers)
      expect(
        statuses.filter((s) => s === 201),
        `round ${round}: ${statuses.join(',')}`,
      ).toHaveLength(1)
      expect(statuses.filter((s) => s === 409)).toHaveLength(sockets.length - 1)
    }
  })
})

describe('UI from memory', () => {
  it('serves / and its assets with an ETag, the CSP, and 304 on If-None-Match', async () => {
    const first = await fetch(`${backend.url}/`)
    expect(first.status).toBe(200)
    const html = await first.text()
    expect(first.headers.get('content-type')).toMatch(/^text\/html/)
    expect(first.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(first.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(first.headers.get('cache-control')).toBe('no-cache')
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]+"$/)

    const again = await fetch(`${backend.url}/`, { headers: { 'if-none-match': etag! } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect(again.headers.get('etag')).toBe(etag)
    const weak = await fetch(`${backend.url}/index.html`, { headers: { 'if-none-match': `"x", W/${etag}` } })
    expect(weak.status).toBe(304)
    const stale = await fetch(`${backend.url}/`, { headers: { 'if-none-match': '"stale"' } })
    expect(stale.status).toBe(200)
    expect(await stale.text()).toBe(html)

    const asset = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(asset, 'index.html references a script asset').toBeTruthy()
    const js = await fetch(backend.url + asset!)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect(Number(js.headers.get('content-length'))).toBe((await js.arrayBuffer()).byteLength)
    const js304 = await fetch(backend.url + asset!, { headers: { 'if-none-match': js.headers.get('etag')! } })
    expect(js304.status).toBe(304)

    const head = await fetch(`${backend.url}/`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('etag')).toBe(etag)
    expect((await fetch(`${backend.url}/no-such-file.js`)).status).toBe(404)
    expect((await fetch(`${backend.url}/assets/..%2Findex.html`)).status).toBe(404)
  })
})

describe('agent and project aggregates', () => {
  const STATUSES: TaskStatus[] = ['pending', 'running', 'completed', 'failed']

  /** The aggregates recounted from the task list, the way a client would. */
  function recount(tasks: Task[]) {
    const agents = new Map<string, { counts: Record<TaskStatus, number>; latest: Task }>()
    const projects = new Map<
      string,
      { counts: Record<TaskStatus, number>; total: number; last: string; failures: Task[] }
    >()
    const zero = () => ({ pending: 0, running: 0, waiting: 0, completed: 0, failed: 0 })
    // tasks come newest first (updated_at desc, task_id desc)
    for (const t of tasks) {
      if (t.assignee !== null) {
        const a = agents.get(t.assignee) ?? { counts: zero(), latest: t }
        a.counts[t.status]++
        agents.set(t.assignee, a)
      }
      if (t.project_id !== null) {
        const p = projects.get(t.project_id) ?? { counts: zero(), total: 0, last: t.updated_at, failures: [] }
        p.counts[t.status]++
        p.total++
        if (t.status === 'failed' && p.failures.length < 5) p.failures.push(t)
        projects.set(t.project_id, p)
      }
    }
    return { agents, projects }
  }

  async function expectAggregatesMatch(): Promise<void> {
    const tasks = await allTasks()
    const { agents, projects } = recount(tasks)
    const servedAgents = ((await (await backend.api('/api/agents')).json()) as { agents: AgentSummary[] })
      .agents
    expect(new Set(servedAgents.map((a) => a.assignee))).toEqual(new Set(agents.keys()))
    for (const a of servedAgents) {
      expect(a.counts, a.assignee).toEqual(agents.get(a.assignee)!.counts)
      expect(a.latest_task.task_id, a.assignee).toBe(agents.get(a.assignee)!.latest.task_id)
    }
    const servedProjects = (
      (await (await backend.api('/api/projects')).json()) as { projects: ProjectSummary[] }
    ).projects
    expect(new Set(servedProjects.map((p) => p.project_id))).toEqual(new Set(projects.keys()))
    for (const p of servedProjects) {
      const want = projects.get(p.project_id)!
      expect(p.counts, p.project_id).toEqual(want.counts)
      expect(p.total).toBe(want.total)
      expect(p.last_updated_at).toBe(want.last)
      expect(p.latest_failures.map((t) => t.task_id)).toEqual(want.failures.map((t) => t.task_id))
    }
  }

  it('equal a recount from /api/tasks after creates, moves, status changes and cleared fields, and after a restart', async () => {
    // Deterministic pseudo-random mix of writes over a few agents, projects and tasks.
    let seed = 7
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return Math.floor(seed / 65536) % n // the low bits of an LCG cycle quickly
    }
    const base = Date.parse('2026-06-01T00:00:00Z')
    for (let i = 0; i < 300; i++) {
      const id = `agg-${rand(60)}`
      const body: Record<string, unknown> = {
        updated_at: new Date(base + i * 1000).toISOString(),
      }
      const pick = rand(6)
      if (pick <= 2) body.status = STATUSES[rand(4)]
      if (pick === 1 || pick === 3) body.assignee = rand(8) === 0 ? null : `agg-agent-${rand(5)}`
      if (pick === 2 || pick === 4) body.project_id = rand(8) === 0 ? null : `agg-project-${rand(4)}`
      if (pick === 5) body.title = `title ${i}`
      const res = await backend.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })
      expect(res.status).toBeLessThan(300)
    }
    // An older event that loses to newer ones must not move the counts either.
    const stale = await backend.api('/api/tasks/agg-1', {
      method: 'PUT',
      body: JSON.stringify({
        status: 'failed',
        assignee: 'agg-agent-stale',
        updated_at: '2020-01-01T00:00:00.000Z',
      }),
    })
    expect(stale.status).toBeLessThan(300)
    await expectAggregatesMatch()

    const dataDir = backend.dataDir
    const token = backend.token
    await backend.stop()
    backend = await startBackend({ dataDir, token })
    await expectAggregatesMatch()
  })
})
