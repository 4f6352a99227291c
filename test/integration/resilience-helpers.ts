// Shared pieces of the resilience suites (test/integration/resilience-*.test.ts): a cleanup stack,
// REST shortcuts, a raw Redis client to read the stream as an outsider would, a resume client, and
// SQLite checks on a dead backend's file. Everything waits on conditions with deadlines, never on
// fixed sleeps.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import type { EventList, Health, StoredEvent, Task, TaskList } from '../../src-shared/protocol'
import { connectClient, removeDir, waitFor, type Backend, type TestClient } from '../helpers/backend-process'

export const STREAM = 'task_status_stream'
export const CHANNEL = 'task_status_update'

/** LIFO cleanup: register as you create, run in afterEach; a failing step does not stop the rest. */
export function cleanupStack() {
  const steps: (() => unknown)[] = []
  return {
    add(step: () => unknown): void {
      steps.push(step)
    },
    dir(dir: string): string {
      steps.push(() => removeDir(dir))
      return dir
    },
    backend<T extends Backend>(b: T): T {
      steps.push(() => b.stop('SIGKILL'))
      return b
    },
    client<T extends TestClient>(c: T): T {
      steps.push(() => c.ws.terminate())
      return c
    },
    async run(): Promise<void> {
      const errors: unknown[] = []
      while (steps.length > 0) {
        const step = steps.pop()!
        try {
          await step()
        } catch (err) {
          errors.push(err)
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed')
    },
  }
}

/** A raw ioredis client, as an external producer or observer would use (no retries, no queue surprises). */
export function rawRedis(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false })
  client.on('error', () => {}) // connection errors surface on the commands that need them
  return client
}

export interface StreamEntry {
  id: string
  data: Record<string, unknown> | null
}

/** Every entry of the stream (XRANGE, paged), read from a separate client. */
export async function readStream(url: string, stream = STREAM): Promise<StreamEntry[]> {
  const client = rawRedis(url)
  try {
    const out: StreamEntry[] = []
    let start = '-'
    for (;;) {
      const page = await client.xrange(stream, start, '+', 'COUNT', 1000)
      for (const [id, fields] of page) {
        let data: Record<string, unknown> | null = null
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i] === 'data') data = JSON.parse(fields[i + 1]!) as Record<string, unknown>
        }
        out.push({ id, data })
      }
      if (page.length < 1000) return out
      start = `(${page.at(-1)![0]}`
    }
  } finally {
    client.disconnect()
  }
}

/** event_id → how many stream entries carry it. */
export async function streamEventIdCounts(url: string, stream = STREAM): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const e of await readStream(url, stream)) {
    const id = e.data?.event_id
    if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** event_id → the `data` of its first stream entry (what other backends will apply). */
export async function streamDataById(
  url: string,
  stream = STREAM,
): Promise<Map<string, Record<string, unknown>>> {
  const byId = new Map<string, Record<string, unknown>>()
  for (const e of await readStream(url, stream)) {
    const id = e.data?.event_id
    if (typeof id === 'string' && !byId.has(id)) byId.set(id, e.data!)
  }
  return byId
}

/** XADD … * data <json>, as an external producer does. Returns the entry id. */
export async function xadd(url: string, payload: Record<string, unknown>, stream = STREAM): Promise<string> {
  const client = rawRedis(url)
  try {
    return (await client.xadd(stream, '*', 'data', JSON.stringify(payload)))!
  } finally {
    client.disconnect()
  }
}

export async function health(b: Backend): Promise<Health> {
  const res = await fetch(`${b.url}/api/health`)
  if (!res.ok) throw new Error(`health answered ${res.status}`)
  return (await res.json()) as Health
}

/** Health, or null when the backend does not answer (useful while it is going down). */
export async function tryHealth(b: Backend): Promise<Health | null> {
  try {
    return await health(b)
  } catch {
    return null
  }
}

export interface PutResult {
  status: number
  body: unknown
}

/** PUT /api/tasks/:id; network errors become status 0 (a killed backend). */
export async function putTask(b: Backend, taskId: string, body: Record<string, unknown>): Promise<PutResult> {
  try {
    const res = await b.api(`/api/tasks/${encodeURIComponent(taskId)}`, {
      method: 'PUT',
      body: JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed }
  } catch {
    return { status: 0, body: null }
  }
}

export async function getJson<T>(b: Backend, path: string): Promise<T> {
  const res = await b.api(path)
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

/** Every stored event of a task (all pages). */
export async function allEventsOf(b: Backend, taskId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = []
  let cursor: string | null = null
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page: EventList = await getJson<EventList>(
      b,
      `/api/tasks/${encodeURIComponent(taskId)}/events?limit=1000${q}`,
    )
    out.push(...page.events)
    cursor = page.next_cursor
  } while (cursor)
  return out
}

/** Every task matching the query string (all pages), in the server's order. */
export async function allTasks(b: Backend, query = ''): Promise<Task[]> {
  const out: Task[] = []
  let cursor: string | null = null
  do {
    const sep = query ? '&' : ''
    const c: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page: TaskList = await getJson<TaskList>(b, `/api/tasks?limit=1000${sep}${query}${c}`)
    out.push(...page.tasks)
    cursor = page.next_cursor
  } while (cursor)
  return out
}

/** The ids that occur more than once. */
export function repeated(ids: readonly string[]): string[] {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const id of ids) (seen.has(id) ? twice : seen).add(id)
  return [...twice]
}

export function updateIds(c: TestClient): string[] {
  return c.updates().map((u) => u.event_id)
}

/** A client that sends `resume` and resolves once the server answered it (resumed, or a snapshot's last page). */
export async function resumeClient(
  wsUrl: string,
  token: string,
  epoch: string,
  seq: number,
): Promise<TestClient> {
  const c = await connectClient(wsUrl, token, { subscribe: false })
  c.send({ type: 'resume', epoch, seq })
  await waitFor(
    () => c.messages.some((m) => m.type === 'resumed' || (m.type === 'snapshot' && !m.more)),
    'resume answer',
  )
  return c
}

/** Opens the dead backend's SQLite file and runs PRAGMA integrity_check. */
export function sqliteIntegrity(dataDir: string): { integrity: string; events: number; tasks: number } {
  const file = join(dataDir, 'taskpulse.sqlite')
  if (!existsSync(file)) throw new Error(`no database at ${file}`)
  const db = new Database(file, { fileMustExist: true })
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ')
    const events = (db.prepare('SELECT count(*) AS n FROM task_events').get() as { n: number }).n
    const tasks = (db.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n
    return { integrity, events, tasks }
  } finally {
    db.close()
  }
}

/** Resolves once `b`'s health satisfies `check`, polling. */
export function waitForHealth(
  b: Backend,
  check: (h: Health) => boolean,
  what: string,
  ms = 20_000,
): Promise<Health> {
  return waitFor(
    async () => {
      const h = await tryHealth(b)
      return h && check(h) ? h : null
    },
    what,
    ms,
  )
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

let barrierCount = 0
/**
 * Makes sure a backend has processed everything that was on Redis before this call, on both of its
 * inbound paths: one marker PUBLISHed on the channel and one XADDed on the stream (each path is
 * ordered), then waits until `client` (live on that backend) has seen both markers.
 * Marker tasks are named `barrier-N-*`.
 */
export async function redisBarrier(url: string, clients: readonly TestClient[], ms = 20_000): Promise<void> {
  const n = ++barrierCount
  const now = new Date().toISOString()
  const viaChannel = {
    task_id: `barrier-${n}-channel`,
    status: 'completed',
    event_id: `barrier-${n}-channel-${process.pid}`,
    updated_at: now,
  }
  const viaStream = {
    task_id: `barrier-${n}-stream`,
    status: 'completed',
    event_id: `barrier-${n}-stream-${process.pid}`,
    updated_at: now,
  }
  const client = rawRedis(url)
  try {
    await client.publish(CHANNEL, JSON.stringify(viaChannel))
    await client.xadd(STREAM, '*', 'data', JSON.stringify(viaStream))
  } finally {
    client.disconnect()
  }
  for (const c of clients) {
    await waitFor(
      () => {
        const ids = updateIds(c)
        return ids.includes(viaChannel.event_id) && ids.includes(viaStream.event_id)
      },
      `barrier ${n} markers on a client`,
      ms,
    )
  }
}

export const isBarrier = (eventId: string): boolean => eventId.startsWith('barrier-')
