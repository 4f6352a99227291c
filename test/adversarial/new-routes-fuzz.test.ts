// The routes added for search, attention, hooks, schedules and feeds, attacked as a hostile page, a
// buggy producer or an unlucky operator would (issues 10 and 11): fast-check input over real sockets
// against the real built server with a real Redis. Every answer is a 2xx or a clear 4xx with the
// JSON error body, never a 5xx; the process lives and logs no error; the seeded tasks are intact
// after (the same fields, through the API), and the SQLite file passes integrity_check with as many
// rows as the API lists. Runs are seeded (FUZZ_SEED) and scaled (FUZZ_RUNS_SCALE) as in fuzz.test.ts.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Health, Task } from '../../src-shared/protocol'
import { startBackend, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { allTasks, cleanupStack, rawRedis, sqliteIntegrity } from '../integration/resilience-helpers'
import { recordFigure } from './probes'
import { exchange, rawHealth, statusOf } from './raw-socket'
import { fuzzParams } from './fuzz-params'

const params = fuzzParams
const HASH = 'taskpulse:schedules'
const CHANNEL = 'taskpulse:schedules:changed'

const cleanup = cleanupStack()
let redis: RedisServer
let backend: Backend
let feedKey = ''
/** The seeded tasks as first read, to compare after the fuzz (acks may set acknowledged_at). */
let seeded: Task[] = []
/** Slowest answer per route family, for the record (not asserted: machine speed is no verdict). */
const slowest: Record<string, number> = {}
const answered: Record<string, Record<number, number>> = {}

beforeAll(async () => {
  redis = await startRedis()
  cleanup.add(() => redis.close())
  backend = cleanup.backend(await startBackend({ redisUrl: redis.url }))
  await waitFor(
    async () => ((await (await backend.api('/api/health')).json()) as Health).redis === 'connected',
    'redis connected',
    30_000,
  )
  const statuses = ['running', 'failed', 'waiting', 'completed', 'pending'] as const
  for (let i = 0; i < 20; i++) {
    const res = await backend.api(`/api/tasks/seed-${i}`, {
      method: 'PUT',
      body: JSON.stringify({
        status: statuses[i % statuses.length],
        title: `seed ${i} nightly-etl café`,
        assignee: `agent-${i % 4}`,
        project_id: `proj-${i % 3}`,
        output: `line one\njava.lang.OutOfMemoryError: heap ${i}\n"quoted" NEAR(a b) col:x ^caret *star`,
        error: i % 5 === 1 ? 'exit 3' : null,
      }),
    })
    expect(res.status).toBe(201)
  }
  for (const id of ['nightly', 'hourly']) {
    const res = await backend.api(`/api/schedules/${id}`, {
      method: 'PUT',
      body: JSON.stringify({ cron: id === 'nightly' ? '0 2 * * *' : '0 * * * *', assignee: 'agent-0' }),
    })
    expect(res.status).toBe(201)
  }
  feedKey = (
    (await (await backend.api('/api/feed-key/rotate', { method: 'POST' })).json()) as { key: string }
  ).key
  seeded = await allTasks(backend)
  expect(seeded).toHaveLength(20)
})
afterAll(() => cleanup.run())

let stderrChecked = 0
/** Alive, /api/health 200 over a fresh raw connection, and no error logged since the last check. */
async function assertAlive(after: string): Promise<void> {
  const log = backend.stderr()
  const fresh = log.slice(stderrChecked)
  stderrChecked = log.length
  const errorLine = fresh.split('\n').find((l) => /"level":(50|60)/.test(l))
  if (errorLine) throw new Error(`server logged an error after ${after}:\n${errorLine.slice(0, 2000)}`)
  if (backend.proc.exitCode !== null || backend.proc.signalCode !== null)
    throw new Error(`server exited after ${after}\n${backend.stderr().slice(-3000)}`)
  expect(await rawHealth(backend.port), `/api/health after ${after}`).toBe(200)
}

/** A 2xx, or a 4xx whose body is `{"error":{"code","message"}}`; never a 5xx. Returns the body text. */
async function expectClean(family: string, res: Response, what: string, t0: number): Promise<string> {
  const text = await res.text()
  const ms = performance.now() - t0
  slowest[family] = Math.max(slowest[family] ?? 0, Math.round(ms))
  const counts = (answered[family] ??= {})
  counts[res.status] = (counts[res.status] ?? 0) + 1
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500)
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    expect(typeof body.error?.code, `${what}: error code`).toBe('string')
    expect(typeof body.error?.message, `${what}: error message`).toBe('string')
  }
  return text
}

async function call(
  family: string,
  path: string,
  init: RequestInit & { auth?: boolean } = {},
): Promise<string> {
  const t0 = performance.now()
  const res = init.auth === false ? await fetch(backend.url + path, init) : await backend.api(path, init)
  return expectClean(family, res, `${init.method ?? 'GET'} ${path.slice(0, 200)}`, t0)
}

// ---- generators ---------------------------------------------------------------------------------

/** FTS5 syntax and other pieces a hostile search box might hold. */
const ftsPiece = fc.constantFrom(
  '"',
  '""',
  '*',
  '^',
  ':',
  'col:',
  'title:',
  '{title output}:',
  '(',
  ')',
  '((((',
  '))',
  'NEAR(',
  'NEAR/2',
  ',',
  'AND',
  'OR',
  'NOT',
  '+',
  '-',
  '\0',
  '\u0001',
  '\t',
  '\n',
  '\u00a0',
  '\u2028',
  '🚀',
  'é',
  'e\u0301',
  '\ud800',
  '%',
  '%00',
  '\\',
  "'",
  ';',
  '--',
  'DROP TABLE tasks',
  'java',
  'OutOfMem',
  'nightly-etl',
  'seed',
  'caf',
  'a',
  'x'.repeat(300),
)
const searchText = fc.oneof(
  fc.array(ftsPiece, { minLength: 1, maxLength: 30 }).map((a) => a.join('')),
  fc.array(ftsPiece, { minLength: 1, maxLength: 30 }).map((a) => a.join(' ')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
  // 10 KB queries (over the 1,000-character cap: 400) and 10,000 OR'd terms (likewise).
  fc.constant('x'.repeat(10_000)),
  fc.constant(Array.from({ length: 10_000 }, (_, i) => `w${i}`).join(' OR ')),
  // Just under the cap: 500 one-letter words, and 16 repeats of a word every seeded task has.
  fc.constant('a '.repeat(499) + 'a'),
  fc.constant('seed '.repeat(199)),
)
const limitParam = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -5, max: 10_000 }).map(String),
  fc.constantFrom('1e3', '0x10', '', 'NaN', 'Infinity', '1.5', '5000', '5001', ' 7', '[]'),
)

const idChars = fc.string({ unit: 'binary', minLength: 0, maxLength: 300 })
const jsonBody = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '',
    '{}',
    'null',
    '[]',
    '{"task_ids":[]}',
    '{"acknowledged_at":"2026-01-01T00:00:00Z"}',
    '{"__proto__":{"cron":"* * * * *"},"constructor":{"prototype":{"x":1}}}',
  ),
)
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  undefined,
)

const cronPiece = fc.constantFrom(
  '*',
  '*/5',
  '*/0',
  '0',
  '59',
  '60',
  '61',
  '-1',
  '1-5',
  '5-1',
  '1,2,3',
  'L',
  'W',
  '5L',
  '15W',
  '5#3',
  '5#6',
  '?',
  'JAN',
  'MON-FRI',
  'SUN',
  '7',
  '2999',
  '1970',
  '@yearly',
  '@hourly',
  '@reboot',
  '@every',
  '',
  '9'.repeat(30),
  '1/1',
  '*/1000000',
)
const cronText = fc.oneof(
  fc.array(cronPiece, { minLength: 1, maxLength: 8 }).map((a) => a.join(' ')),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('* * * * * *', '0 0 30 2 *', '0 0 0 29 2 * 2400', '* * * * * * 2999', '0 0 * * 5#5'),
)
const timezone = fc.oneof(
  fc.constantFrom(
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Pacific/Kiritimati',
    'Etc/GMT-14',
    'Etc/GMT+12',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Mars/Olympus',
    '',
    'utc',
    '../../etc/passwd',
    '+05:30',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
)
const anyNumber = fc.oneof(
  fc.integer({ min: -10, max: 700_000 }),
  fc.constantFrom(0, 1, 604_800, 604_801, 2_592_000, 2_592_001, 1e300, -1e300, 0.5, 2 ** 53, 2 ** 53 + 2),
  fc.constantFrom('300', null, true, [], {}),
)
const scheduleBody = fc.record(
  {
    cron: fc.oneof(cronText, fc.jsonValue()),
    timezone: fc.oneof(timezone, fc.jsonValue()),
    grace_seconds: anyNumber,
    max_runtime_seconds: anyNumber,
    title: fc.oneof(fc.string({ maxLength: 2000 }), fc.jsonValue()),
    assignee: fc.oneof(fc.string({ maxLength: 400 }), fc.constant(null)),
    project_id: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null)),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
)

// ---- regressions first: each is a bug this file found ------------------------------------------

describe('regressions found by attacking the new routes', () => {
  it('a NUL in a search word is a separator, not a 500 (SQLite ended the FTS5 string at it)', async () => {
    for (const q of ['hel\0lo', 'java\0', '\0\0', 'seed\0nightly'])
      for (const path of ['/api/search', '/api/tasks']) {
        const text = await call('search', `${path}?q=${encodeURIComponent(q)}`)
        expect(JSON.parse(text)).toBeTypeOf('object')
      }
    const hits = JSON.parse(await call('search', `/api/search?q=${encodeURIComponent('seed\0java')}`)) as {
      results: unknown[]
    }
    expect(hits.results).toHaveLength(20)
    await assertAlive('NUL in q')
  })

  it('schedule records on Redis with impossible or far-future times do not poison the schedule', async () => {
    const producer = cleanupRedis()
    const spec = {
      cron: '0 3 * * *',
      timezone: 'UTC',
      grace_seconds: 300,
      title: 'planted',
      assignee: 'agent-x',
      project_id: null,
      max_runtime_seconds: null,
      created_at: '2026-01-01T00:00:00.000Z',
    }
    const record = (id: string, updated_at: string, created_at = spec.created_at) =>
      JSON.stringify({
        kind: 'schedule',
        id,
        updated_at,
        rev: 'zzzz',
        deleted: false,
        spec: { ...spec, created_at },
      })
    // A NaN time (the regex alone let it through), a time past year 9999's end that no later write
    // can beat, and garbage in place of a time: each used to block every PUT/DELETE of its id.
    const planted = {
      nan: record('poison-nan', '9999-99-99T99:99:99.999Z', '9999-99-99T99:99:99.999Z'),
      future: record('poison-future', '9999-12-31T23:59:59.999Z'),
      garbage: JSON.stringify({
        kind: 'schedule',
        id: 'poison-garbage',
        updated_at: 'zzzz',
        rev: 'z',
        deleted: false,
      }),
    }
    for (const [name, text] of Object.entries(planted)) {
      await producer.hset(HASH, `schedule:poison-${name}`, text)
      await producer.publish(CHANNEL, text)
    }
    // A valid record from a sane clock is merged: the sync is alive and reading this hash.
    await producer.publish(CHANNEL, record('planted-ok', new Date().toISOString()))
    await waitFor(
      async () => (await backend.api('/api/schedules/planted-ok')).status === 200,
      'planted-ok merged',
    )
    for (const id of ['poison-nan', 'poison-future', 'poison-garbage']) {
      // Not merged: GET is a clean 404, and a PUT creates the schedule as asked.
      expect((await backend.api(`/api/schedules/${id}`)).status, id).toBe(404)
      const put = await backend.api(`/api/schedules/${id}`, {
        method: 'PUT',
        body: JSON.stringify({ cron: '5 5 * * *' }),
      })
      expect(put.status, `PUT ${id}: ${await put.clone().text()}`).toBe(201)
      expect(((await put.json()) as { cron: string }).cron).toBe('5 5 * * *')
      // The write replaced the planted record on Redis too, so every peer sees it.
      await waitFor(async () => {
        const stored = await producer.hget(HASH, `schedule:${id}`)
        return (
          stored !== null && (JSON.parse(stored) as { spec?: { cron?: string } }).spec?.cron === '5 5 * * *'
        )
      }, `${id} replaced on Redis`)
      const del = await backend.api(`/api/schedules/${id}`, { method: 'DELETE' })
      expect(del.status).toBe(200)
      expect((await backend.api(`/api/schedules/${id}`)).status).toBe(404)
    }
    expect((await backend.api('/api/schedules/planted-ok', { method: 'DELETE' })).status).toBe(200)
    // Ignored records are logged at warn (once per arrival), never at error.
    expect(backend.stderr()).toContain('dated more than a day ahead')
    await assertAlive('poisoned schedule records')
  })

  it('a feed request without the key is 401 whatever its filters (it was 400 for a bad filter)', async () => {
    for (const feed of ['/feeds/tasks.ics', '/feeds/cctray.xml'])
      for (const q of ['status=bogus', 'by=x', 'agent=', 'key=a&key=b', `key=${'k'.repeat(300)}`]) {
        const res = await fetch(`${backend.url}${feed}?${q}`)
        expect(res.status, `${feed}?${q}`).toBe(401)
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
      }
    // With the key, a bad filter is the clear 400 it always was.
    expect((await fetch(`${backend.url}/feeds/tasks.ics?key=${feedKey}&status=bogus`)).status).toBe(400)
  })
})

let producerClient: ReturnType<typeof rawRedis> | undefined
function cleanupRedis(): ReturnType<typeof rawRedis> {
  if (!producerClient) {
    producerClient = rawRedis(redis.url)
    const c = producerClient
    cleanup.add(() => c.disconnect())
  }
  return producerClient
}

// ---- credentials and the guard on every new route ------------------------------------------------

describe('credentials and the Host/Origin guard on the new routes', () => {
  const apiRoutes: [string, string][] = [
    ['GET', '/api/search?q=seed'],
    ['POST', '/api/tasks/seed-1/ack'],
    ['POST', '/api/tasks/ack'],
    ['GET', '/api/attention'],
    ['POST', '/api/hooks/claude-code'],
    ['GET', '/api/schedules'],
    ['GET', '/api/schedules/nightly'],
    ['PUT', '/api/schedules/nightly'],
    ['DELETE', '/api/schedules/nightly'],
    ['GET', '/api/schedules/occurrences?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'],
    ['POST', '/api/feed-key/rotate'],
  ]
  const bodyFor = (method: string, path: string): string | undefined =>
    method === 'GET' || method === 'DELETE'
      ? undefined
      : path.endsWith('/ack') && !path.includes('seed')
        ? '{"task_ids":["seed-1"]}'
        : path.includes('schedules')
          ? '{"cron":"0 4 * * *"}'
          : path.includes('hooks')
            ? '{"session_id":"auth","hook_event_name":"Stop","cwd":"/tmp"}'
            : undefined

  it('API routes: no token, a wrong token, the feed key as bearer, and ?token= are all 401', async () => {
    for (const [method, path] of apiRoutes) {
      const body = bodyFor(method, path)
      const headers = { 'content-type': 'application/json' }
      const attempts: [string, RequestInit, string][] = [
        ['no token', { method, body, headers }, path],
        [
          'wrong token',
          { method, body, headers: { ...headers, authorization: 'Bearer nope-nope-nope' } },
          path,
        ],
        ['feed key', { method, body, headers: { ...headers, authorization: `Bearer ${feedKey}` } }, path],
        [
          'feed key in ?key=',
          { method, body, headers },
          `${path}${path.includes('?') ? '&' : '?'}key=${feedKey}`,
        ],
        [
          'token in ?token=',
          { method, body, headers },
          `${path}${path.includes('?') ? '&' : '?'}token=${backend.token}`,
        ],
      ]
      for (const [what, init, p] of attempts) {
        const res = await fetch(backend.url + p, init)
        const text = await res.text()
        expect(res.status, `${method} ${p} with ${what}: ${text}`).toBe(401)
        expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('unauthorized')
      }
    }
    // Nothing was changed by any of them.
    expect(((await (await backend.api('/api/tasks/seed-1')).json()) as Task).acknowledged_at).toBeNull()
    expect(((await (await backend.api('/api/schedules/nightly')).json()) as { cron: string }).cron).toBe(
      '0 2 * * *',
    )
  })

  it('feeds: no key, a wrong key, the API token (as key or bearer) and a rotated key are all 401', async () => {
    const oldKey = feedKey
    feedKey = (
      (await (await backend.api('/api/feed-key/rotate', { method: 'POST' })).json()) as { key: string }
    ).key
    for (const feed of ['/feeds/tasks.ics', '/feeds/cctray.xml']) {
      const attempts: [string, string, RequestInit][] = [
        ['no key', feed, {}],
        ['wrong key', `${feed}?key=tpf_wrong`, {}],
        ['API token as key', `${feed}?key=${backend.token}`, {}],
        ['API token as bearer', feed, { headers: { authorization: `Bearer ${backend.token}` } }],
        ['API token as ?token=', `${feed}?token=${backend.token}`, {}],
        ['rotated key', `${feed}?key=${oldKey}`, {}],
      ]
      for (const [what, p, init] of attempts) {
        const res = await fetch(backend.url + p, init)
        expect(res.status, `${p} with ${what}`).toBe(401)
      }
      expect((await fetch(`${backend.url}${feed}?key=${feedKey}`)).status).toBe(200)
    }
  })

  it('a foreign Host or Origin is 403 on every new route, with good credentials', async () => {
    const all: [string, string][] = [
      ...apiRoutes,
      ['GET', `/feeds/tasks.ics?key=${feedKey}`],
      ['GET', `/feeds/cctray.xml?key=${feedKey}`],
    ]
    for (const [method, path] of all) {
      const body = bodyFor(method, path)
      for (const [header, value, code] of [
        ['Host', 'evil.example:80', 'forbidden_host'],
        ['Origin', 'http://evil.example', 'forbidden_origin'],
      ] as const) {
        // fetch will not send a foreign Host: raw bytes.
        const hostLine =
          header === 'Host' ? `Host: ${value}` : `Host: 127.0.0.1:${backend.port}\r\nOrigin: ${value}`
        const request =
          `${method} ${path} HTTP/1.1\r\n${hostLine}\r\nAuthorization: Bearer ${backend.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body ?? '')}\r\nConnection: close\r\n\r\n${body ?? ''}`
        const reply = await exchange(backend.port, [Buffer.from(request)])
        expect(statusOf(reply.data), `${method} ${path} with ${header}: ${value}`).toBe(403)
        expect(reply.data.toString()).toContain(code)
      }
    }
    expect(((await (await backend.api('/api/schedules/nightly')).json()) as { cron: string }).cron).toBe(
      '0 2 * * *',
    )
  })
})

// ---- the fuzz ------------------------------------------------------------------------------------

describe('fuzz over real sockets', () => {
  it('GET /api/search and /api/tasks?q=: FTS5 syntax, binary, 10 KB and 10,000-term queries', async () => {
    await fc.assert(
      fc.asyncProperty(searchText, limitParam, fc.boolean(), async (q, limit, listing) => {
        const params = new URLSearchParams({ q })
        if (limit !== undefined) params.set('limit', limit)
        const path = `${listing ? '/api/tasks' : '/api/search'}?${params.toString()}`
        if (path.length > 15_000) {
          // Past Node's 16 KiB header limit (10,000 OR'd terms): 431 with the JSON error body and a
          // closed connection. fetch reports that close as a reset, so this one goes over raw TCP.
          const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${backend.port}\r\nAuthorization: Bearer ${backend.token}\r\n\r\n`
          const reply = await exchange(backend.port, [Buffer.from(request)])
          expect(statusOf(reply.data), `a ${path.length}-byte request target`).toBe(431)
          expect(reply.data.toString()).toContain('"headers_too_large"')
          return
        }
        const text = await call('search', path)
        const body = JSON.parse(text) as { results?: unknown[]; tasks?: unknown[] }
        if (!('error' in body)) expect(Array.isArray(listing ? body.tasks : body.results)).toBe(true)
      }),
      params(300),
    )
    // Raw percent-encoded bytes (invalid UTF-8 too), which URLSearchParams would never produce.
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 120 }), async (bytes) => {
        const q = [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
        await call('search', `/api/search?q=${q}`)
      }),
      params(100),
    )
    await assertAlive('search fuzz')
  })

  it('ack routes: any path id, any body, any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(idChars, fc.constantFrom('seed-1', 'seed-2', 'missing', 'ack', '..', '%2e%2e')),
        fc.option(jsonBody),
        contentType,
        async (id, body, type) => {
          const headers: Record<string, string> = {}
          if (type) headers['content-type'] = type
          await call('ack', `/api/tasks/${encodeURIComponent(id)}/ack`, {
            method: 'POST',
            headers,
            ...(body !== null ? { body } : {}),
          })
        },
      ),
      params(150),
    )
    const taskIds = fc.oneof(
      fc.array(fc.oneof(fc.constantFrom('seed-0', 'seed-3', 'nope'), idChars, fc.jsonValue()), {
        maxLength: 30,
      }),
      fc.constant(Array.from({ length: 1001 }, (_, i) => `seed-${i}`)),
      fc.constant(Array.from({ length: 1000 }, () => 'seed-4')),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          taskIds.map((ids) => JSON.stringify({ task_ids: ids })),
          fc.record({ task_ids: taskIds, extra: fc.jsonValue() }).map((v) => JSON.stringify(v)),
          jsonBody,
        ),
        contentType,
        async (body, type) => {
          const headers: Record<string, string> = {}
          if (type) headers['content-type'] = type
          await call('ack', '/api/tasks/ack', { method: 'POST', headers, body })
        },
      ),
      params(150),
    )
    await call('attention', '/api/attention')
    await assertAlive('ack fuzz')
  })

  it('POST /api/hooks/claude-code: hostile bodies and agent/project headers', async () => {
    const headerText = fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .record(
              {
                session_id: fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue()),
                hook_event_name: fc.oneof(
                  fc.constantFrom(
                    'SessionStart',
                    'UserPromptSubmit',
                    'PreToolUse',
                    'PostToolUse',
                    'Stop',
                    'StopFailure',
                    'Notification',
                    'SubagentStart',
                    'SubagentStop',
                    'SessionEnd',
                  ),
                  fc.jsonValue(),
                ),
                cwd: fc.oneof(fc.string(), fc.constantFrom('/', '../../..', '')),
                prompt: fc.oneof(fc.string({ maxLength: 3000 }), fc.jsonValue()),
                tool_name: fc.jsonValue(),
                tool_input: fc.jsonValue(),
                agent_id: fc.jsonValue(),
                error: fc.jsonValue(),
              },
              { requiredKeys: [] },
            )
            .map((v) => JSON.stringify(v)),
          // Deep nesting (JSON.parse and the mapping must not recurse into a stack overflow).
          fc
            .integer({ min: 1000, max: 50_000 })
            .map(
              (d) =>
                `{"session_id":"deep","hook_event_name":"PreToolUse","cwd":"/tmp","tool_name":"Bash","tool_input":${'['.repeat(d)}${']'.repeat(d)}}`,
            ),
          jsonBody,
        ),
        headerText,
        headerText,
        async (body, agent, project) => {
          await call('hooks', '/api/hooks/claude-code', {
            method: 'POST',
            headers: { 'x-taskpulse-agent': agent, 'x-taskpulse-project': project },
            body,
          })
        },
      ),
      params(200),
    )
    await assertAlive('hooks fuzz')
  })

  it('schedules: PUT/GET/DELETE with hostile ids, crons, time zones and numbers', async () => {
    const id = fc.oneof(
      fc.constantFrom('fz-a', 'fz-b', 'occurrences', '.', '..', 'a'.repeat(64), 'a'.repeat(65), ''),
      idChars,
    )
    await fc.assert(
      fc.asyncProperty(
        id,
        fc.oneof(
          scheduleBody.map((v) => JSON.stringify(v)),
          jsonBody,
        ),
        fc.constantFrom('PUT', 'PUT', 'PUT', 'GET', 'DELETE'),
        async (sid, body, method) => {
          const path = `/api/schedules/${encodeURIComponent(sid)}`
          await call('schedules', path, method === 'PUT' ? { method, body } : { method })
        },
      ),
      params(300),
    )
    const when = fc.oneof(
      fc
        .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.constantFrom(
        '2026-01-01T00:00:00Z',
        '9999-12-31T23:59:59Z',
        '0000-01-01T00:00:00Z',
        'now',
        '',
        '1e13',
      ),
    )
    await fc.assert(
      fc.asyncProperty(when, when, limitParam, async (from, to, limit) => {
        const params = new URLSearchParams({ from, to })
        if (limit !== undefined) params.set('limit', limit)
        await call('schedules', `/api/schedules/occurrences?${params.toString()}`)
      }),
      params(100),
    )
    // Remove what valid inputs created (a seconds-cron with 1 s grace raises a missed run a second).
    const all = JSON.parse(await call('schedules', '/api/schedules')) as {
      schedules: { schedule_id: string }[]
    }
    for (const s of all.schedules)
      if (s.schedule_id !== 'nightly' && s.schedule_id !== 'hourly')
        await call('schedules', `/api/schedules/${s.schedule_id}`, { method: 'DELETE' })
    // The seeded schedules were never targeted with a valid body: unchanged.
    const nightly = JSON.parse(await call('schedules', '/api/schedules/nightly')) as { cron: string }
    expect(nightly.cron).toBe('0 2 * * *')
    await assertAlive('schedules fuzz')
  })

  it('feeds: hostile query strings, with the key, a wrong key and none', async () => {
    const value = fc.oneof(
      fc.constantFrom(
        '',
        'agent-0',
        'proj-1',
        'running',
        'scheduled',
        'project',
        'agent',
        '%00',
        '%ff',
        'x'.repeat(300),
      ),
      fc.string({ maxLength: 60 }).map(encodeURIComponent),
    )
    const pair = fc.tuple(
      fc.constantFrom('project', 'agent', 'status', 'by', 'key', 'token', 'x', 'key[]'),
      value,
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/feeds/tasks.ics', '/feeds/cctray.xml'),
        fc.constantFrom('good', 'wrong', 'none'),
        fc.array(pair, { maxLength: 5 }),
        async (feed, key, pairs) => {
          const parts = pairs.map(([k, v]) => `${k}=${v}`)
          if (key === 'good') parts.unshift(`key=${feedKey}`)
          if (key === 'wrong') parts.unshift('key=tpf_wrong')
          const t0 = performance.now()
          const res = await fetch(`${backend.url}${feed}?${parts.join('&')}`)
          const text = await expectClean('feeds', res, `${feed}?${parts.join('&')}`, t0)
          if (key !== 'good') expect(res.status).toBe(401)
          if (res.status === 200) expect(text.length).toBeGreaterThan(0)
        },
      ),
      params(200),
    )
    await assertAlive('feeds fuzz')
  })

  it('the schedules hash and channel on Redis: garbage from a buggy producer is ignored', async () => {
    const producer = cleanupRedis()
    const record = fc.record(
      {
        kind: fc.oneof(fc.constantFrom('schedule', 'setting'), fc.jsonValue()),
        id: fc.oneof(
          fc.constantFrom('nightly', 'hourly', 'feed_key', 'fz-redis'),
          fc.string({ maxLength: 80 }),
        ),
        updated_at: fc.oneof(
          fc.constantFrom(
            '9999-12-31T23:59:59.999Z',
            '9999-99-99T99:99:99.999Z',
            'zzzz',
            '',
            '2026-01-01T00:00:00.000Z',
          ),
          fc.jsonValue(),
        ),
        rev: fc.oneof(fc.constantFrom('zzzz', 'a', ''), fc.jsonValue()),
        deleted: fc.oneof(fc.boolean(), fc.jsonValue()),
        spec: fc.oneof(scheduleBody, fc.jsonValue()),
        value: fc.oneof(fc.constantFrom('0'.repeat(64), 'not-hex'), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    const text = fc.oneof(
      record.map((r) => JSON.stringify(r)),
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc.constantFrom('', '{', 'null', '[]', '"x"', '{"kind":"schedule"}', 'x'.repeat(100_000)),
    )
    // Fields of the hash the backend does not own are read (HSCAN) and must be survived too.
    const field = fc.oneof(
      fc.constantFrom('schedule:nightly', 'schedule:hourly', 'setting:feed_key'),
      fc.string({ maxLength: 40 }),
    )
    let sent = 0
    await fc.assert(
      fc.asyncProperty(field, text, fc.boolean(), async (f, t, viaHash) => {
        // Never overwrite the seeded records in the hash: a valid record there would legitimately
        // replace them; this checks that garbage does not.
        if (viaHash && !/^(schedule:(nightly|hourly)|setting:feed_key)$/.test(f))
          await producer.hset(HASH, f, t)
        else await producer.publish(CHANNEL, t)
        sent++
      }),
      params(300),
    )
    // A full resync reads the whole hash (HSCAN), garbage included: every backend does so when its
    // subscriber (re)connects. Make that happen now, with one valid record that only the hash holds.
    const resync = JSON.stringify({
      kind: 'schedule',
      id: 'fz-resync',
      updated_at: new Date().toISOString(),
      rev: 'r1',
      deleted: false,
      spec: {
        cron: '0 1 * * *',
        timezone: 'UTC',
        grace_seconds: 60,
        title: null,
        assignee: null,
        project_id: null,
        max_runtime_seconds: null,
        created_at: new Date().toISOString(),
      },
    })
    await producer.hset(HASH, 'schedule:fz-resync', resync)
    await producer.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await waitFor(
      async () => (await backend.api('/api/schedules/fz-resync')).status === 200,
      'hash re-read',
      30_000,
    )
    const nightly = JSON.parse(await call('schedules', '/api/schedules/nightly')) as {
      cron: string
      assignee: string
    }
    expect(nightly).toMatchObject({ cron: '0 2 * * *', assignee: 'agent-0' })
    expect((await fetch(`${backend.url}/feeds/cctray.xml?key=${feedKey}`)).status).toBe(200)
    recordFigure('new-routes-fuzz', { redis_schedule_messages: sent })
    await assertAlive('schedules hash garbage')
  })

  it('after everything: the seeded tasks are intact and the SQLite file is sound', async () => {
    const after = new Map((await allTasks(backend)).map((t) => [t.task_id, t]))
    for (const before of seeded) {
      const now = after.get(before.task_id)
      expect(now, before.task_id).toBeDefined()
      // Acks and the stale monitor may set these; nothing else may change.
      const strip = (t: Task) => ({ ...t, acknowledged_at: null, stale_since: null })
      expect(strip(now!)).toEqual(strip(before))
    }
    const listed = after.size
    recordFigure('new-routes-fuzz', { slowest_ms: slowest, statuses: answered, tasks_after: listed })
    console.log(JSON.stringify({ slowest_ms: slowest, statuses: answered, tasks_after: listed }))
    expect(await backend.stop()).toBe(0)
    const db = sqliteIntegrity(backend.dataDir)
    expect(db.integrity).toBe('ok')
    expect(db.tasks).toBe(listed)
  })
})
