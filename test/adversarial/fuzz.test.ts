// The fuzzer: fast-check generates hostile input for every entry of the real built server — HTTP
// request lines, header sets, JSON bodies, WebSocket upgrades, WebSocket frame sequences, Redis
// PUBLISH messages, stream entries and stream ids — and sends it over raw TCP (node:net: fetch
// would refuse or normalise most of it) and a real redis-server.
//
// After every run: the process is alive and GET /api/health answers 200. Around every batch (one
// fc.assert per entry): GET /api/tasks before and after; a task may be new or changed only if an
// input that the protocol's own schema calls valid targeted it, and every such valid input is
// applied. Runs are seeded (FUZZ_SEED, printed with any failure by fast-check) so a failure replays
// exactly; FUZZ_RUNS_SCALE multiplies the run counts for a longer hunt.
import { Redis } from 'ioredis'
import fc from 'fast-check'
import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  redisUpdateSchema,
  unwrapRedisEnvelope,
  restCreateSchema,
  restUpdateSchema,
  TASK_STATUSES,
  type Health,
  type Task,
} from '../../src-shared/protocol'
import { removeDir, startBackend, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { recordFigure, rssBytes } from './probes'
import { TASK_KEYS as MODEL_TASK_KEYS } from '../../src-shared/task-model'
import {
  closeCodeOf,
  decodeFrames,
  encodeFrame,
  exchange,
  rawHealth,
  statusOf,
  wsHandshake,
  type FrameSpec,
} from './raw-socket'
import { FUZZ_RUNS_SCALE, FUZZ_SEED, fuzzParams } from './fuzz-params'

const params = fuzzParams
const CHANNEL = 'task_status_update'
const STREAM = 'task_status_stream'
const SEED_IDS = ['seed-1', 'seed-2', 'seed-3'] as const

let redis: RedisServer
let backend: Backend
let producer: Redis
let rssStart = 0
/** Runs and inputs sent per entry, for the report and docs/security.md. */
const tally: Record<string, { runs: number; inputs: number; notes?: Record<string, number> }> = {}
const count = (entry: string, inputs: number) => {
  const t = (tally[entry] ??= { runs: 0, inputs: 0 })
  t.runs++
  t.inputs += inputs
}
const note = (entry: string, key: string) => {
  const t = (tally[entry] ??= { runs: 0, inputs: 0 })
  t.notes ??= {}
  t.notes[key] = (t.notes[key] ?? 0) + 1
}
let freshCounter = 0
const freshId = (prefix: string) => `fz-${prefix}-${++freshCounter}`

beforeAll(async () => {
  redis = await startRedis()
  // FUZZ_SERVER_NODE_OPTIONS (e.g. --max-old-space-size=64) runs the server on a small heap, which
  // turns a slow leak into a crash the fuzzer reports.
  const nodeOptions = process.env.FUZZ_SERVER_NODE_OPTIONS
  backend = await startBackend({
    redisUrl: redis.url,
    ...(nodeOptions ? { env: { NODE_OPTIONS: nodeOptions } } : {}),
  })
  producer = new Redis(redis.url)
  await waitFor(
    async () => ((await (await backend.api('/api/health')).json()) as Health).redis === 'connected',
    'redis connected',
    30_000,
  )
  for (const id of SEED_IDS) {
    const res = await backend.api(`/api/tasks/${id}`, {
      method: 'PUT',
      body: JSON.stringify({ status: 'running', title: `seed ${id}`, output: 'seeded' }),
    })
    expect(res.status).toBe(201)
  }
  rssStart = rssBytes(backend.proc.pid!)
})

afterAll(async () => {
  producer?.disconnect()
  await backend?.stop()
  if (backend) removeDir(backend.dataDir)
  await redis?.close()
})

// ---- checks shared by every entry ---------------------------------------------------------------

let stderrChecked = 0

/**
 * The process is running, answers /api/health with 200 (over a fresh raw connection), and logged
 * no error since the last check: every guard logs a caught throw at error level, so an error line
 * is a handler that was not total even when the guard saved the process.
 */
async function assertAlive(after: string): Promise<void> {
  const { proc } = backend
  const log = backend.stderr()
  const fresh = log.slice(stderrChecked)
  stderrChecked = log.length
  const errorLine = fresh.split('\n').find((l) => /"level":(50|60)/.test(l))
  if (errorLine) throw new Error(`server logged an error after ${after}:\n${errorLine.slice(0, 2000)}`)
  if (proc.exitCode !== null || proc.signalCode !== null) {
    throw new Error(
      `server exited (${proc.exitCode ?? proc.signalCode}) after ${after}\n${backend.stderr().slice(-3000)}`,
    )
  }
  process.kill(proc.pid!, 0) // throws ESRCH when the pid is gone
  const status = await rawHealth(backend.port)
  if (status !== 200) throw new Error(`/api/health answered ${status} after ${after}`)
}

type Snapshot = Map<string, string>

/** JSON with sorted keys: the same task from two routes compares equal whatever the key order. */
// Without stale_since: the backend's stale monitor marks running tasks on its own while the fuzz
// runs (the inputs' times are often long past); that is the backend's write, not an input's.
const canonical = (task: Task): string =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(task)
        .filter(([k]) => k !== 'stale_since')
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
  )

async function snapshot(): Promise<Snapshot> {
  const out: Snapshot = new Map()
  let cursor: string | null = null
  do {
    const res = await backend.api(`/api/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
    expect(res.status).toBe(200)
    const page = (await res.json()) as { tasks: Task[]; next_cursor: string | null }
    for (const t of page.tasks) out.set(t.task_id, canonical(t))
    cursor = page.next_cursor
  } while (cursor)
  return out
}

/** Stored data is unchanged except for tasks that an accepted (valid) input targeted. */
function assertOnlyAcceptedChanged(before: Snapshot, after: Snapshot, accepted: ReadonlySet<string>): void {
  for (const [id, task] of before) {
    expect(after.has(id), `task ${id} disappeared`).toBe(true)
    if (!accepted.has(id)) expect(after.get(id), `task ${id} changed`).toBe(task)
  }
  for (const id of after.keys()) {
    if (!before.has(id)) expect(accepted.has(id), `task ${id} appeared without a valid input`).toBe(true)
  }
}

const STACK_TRACE = /\n\s+at \S.*:\d+:\d+\)?|node:internal|src-backend\/|out\/backend\//

/** An HTTP reply may refuse, never fail: no 5xx, no stack trace, and /api errors are JSON. */
function assertCleanHttpReply(data: Buffer, what: string): number | null {
  const status = statusOf(data)
  const text = data.toString('latin1')
  expect(STACK_TRACE.test(text), `stack trace in reply to ${what}: ${text.slice(0, 500)}`).toBe(false)
  if (status !== null) expect(status, `${what} → ${text.slice(0, 300)}`).toBeLessThan(500)
  return status
}

/** Percent-encodes every byte outside [A-Za-z0-9_-] (never throws, unlike encodeURIComponent). */
const pct = (s: string) =>
  [...Buffer.from(s)]
    .map((b) =>
      /[\w-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('')

const printable = (b: Buffer) => JSON.stringify(b.subarray(0, 300).toString('latin1'))

// ---- generators shared by several entries --------------------------------------------------------

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a))
const hugeText = fc.integer({ min: 70_000, max: 1_200_000 }).map((n) => 'x'.repeat(n))
const statusArb = fc.constantFrom(...TASK_STATUSES)
const nameArb = fc.stringMatching(/^[a-z][a-z0-9 _.-]{0,30}$/)
const isoArb = fc
  .date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString())

/** Fields of a valid update (every key optional except what the caller adds). */
const validFieldsArb = fc.record(
  {
    status: statusArb,
    title: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
    description: fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: null }),
    assignee: fc.option(nameArb, { nil: null }),
    project_id: fc.option(nameArb, { nil: null }),
    output: fc.option(
      fc.oneof(
        { weight: 9, arbitrary: fc.string({ maxLength: 500 }) },
        { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 200_000 }).map((n) => 'o'.repeat(n)) },
      ),
      { nil: null },
    ),
    error: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
    scheduled_at: fc.option(isoArb, { nil: null }),
    due_at: fc.option(isoArb, { nil: null }),
    updated_at: isoArb,
  },
  { requiredKeys: [] },
)

const FIELD_NAMES = [
  'task_id',
  'status',
  'title',
  'description',
  'assignee',
  'project_id',
  'output',
  'error',
  'scheduled_at',
  'due_at',
  'updated_at',
  'event_id',
]
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'versions',
  'seq',
  'taskId',
  'state',
  'data',
  'type',
]
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  statusArb,
  fc.constantFrom('', ' ', '\u0000', 'running ', 'RUNNING', -1, 1e308, 2 ** 53, true, null, [], {}),
  fc.string({ unit: 'binary', maxLength: 40 }),
)
/** Objects shaped like updates with wrong types, unknown and prototype-polluting keys. */
const updateLikeArb = fc.dictionary(fc.constantFrom(...FIELD_NAMES, ...HOSTILE_KEYS), anyValue, {
  maxKeys: 6,
})

const PROTO_BODIES = [
  '{"__proto__":{"status":"failed"}}',
  '{"status":"running","__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"__proto__":null}',
  '{"title":"x","constructor":"y"}',
  '{"status":"running","prototype":{"status":"failed"}}',
  '{"task_id":"__proto__","status":"running"}',
  '{"task_id":"constructor","status":"running"}',
  '{"task_id":"hasOwnProperty","status":"failed"}',
]

/** A JSON body (text) of any kind; `fresh` slots get a fresh task id at send time. */
const jsonBodyArb = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: updateLikeArb.map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: validFieldsArb.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_BODIES) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 150_000 }), fc.constantFrom('[', '{"a":'))
      .map(([d, open]) => open.repeat(d) + '1' + (open === '[' ? ']' : '}').repeat(d)),
  },
  { weight: 1, arbitrary: hugeText.map((t) => JSON.stringify({ title: t })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      '"x"',
      '[]',
      '{',
      '{"status":"running"',
      '\ufeff{}',
      '{"status":"running"}garbage',
    ),
  },
  { weight: 1, arbitrary: bytes(64).map((b) => b.toString('latin1')) },
)

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

// ---- regressions: each input the fuzzer (or the issue) found, replayed on its own ---------------

describe('regressions found by fuzzing', () => {
  it('a WebSocket to ws://127.0.0.1:PORT// is refused and the server lives (issue 8)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${backend.port}//`)
    const outcome = await new Promise<string>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`))
      ws.once('error', (err) => resolve(`error ${err.message}`))
      ws.once('open', () => resolve('open'))
    })
    ws.terminate()
    expect(outcome).toMatch(/^http 4\d\d$/)
    await assertAlive('ws://127.0.0.1:PORT//')
  })

  it.each(['//', '//[', 'http://[', '//ws?token=x', '/%', '*', 'http://127.0.0.1/ws'])(
    'an upgrade with request-target %s gets a 4xx, not a crash',
    async (target) => {
      const reply = await exchange(
        backend.port,
        [
          Buffer.from(
            `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${backend.port}\r\nUpgrade: websocket\r\n` +
              'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          ),
        ],
        { halfClose: true },
      )
      const status = assertCleanHttpReply(reply.data, target)
      expect(status).toBeGreaterThanOrEqual(400)
      await assertAlive(`upgrade to ${target}`)
    },
  )

  it('an empty body with Content-Type: application/json is 400 and creates nothing', async () => {
    const id = freshId('empty-body')
    const reply = await exchange(backend.port, [
      Buffer.from(
        `PUT /api/tasks/${id} HTTP/1.1\r\nHost: 127.0.0.1:${backend.port}\r\n` +
          `Authorization: Bearer ${backend.token}\r\nContent-Type: application/json\r\n` +
          'Content-Length: 0\r\nConnection: close\r\n\r\n',
      ),
    ])
    expect(statusOf(reply.data)).toBe(400)
    expect(reply.data.toString()).toContain('"code":"invalid_request"')
    expect((await backend.api(`/api/tasks/${id}`)).status).toBe(404)
  })
})

// ---- the fuzzer, one entry per test -------------------------------------------------------------

describe('fuzzer', () => {
  // Wall time and server RSS after each entry, for the figures.
  const perEntry: { entry: string; ms: number; rssMB: number }[] = []
  let entryStart = 0
  beforeEach(() => {
    entryStart = performance.now()
  })
  afterEach((ctx) => {
    perEntry.push({
      entry: ctx.task.name.split(':')[0]!,
      ms: Math.round(performance.now() - entryStart),
      rssMB: +(rssBytes(backend.proc.pid!) / 2 ** 20).toFixed(1),
    })
  })

  it('HTTP request lines: methods, odd request-targets, versions, control and non-ASCII bytes', async () => {
    const port = backend.port
    const method = fc.oneof(
      fc.constantFrom(
        'GET',
        'POST',
        'PUT',
        'DELETE',
        'PATCH',
        'HEAD',
        'OPTIONS',
        'TRACE',
        'CONNECT',
        'PRI',
        'get',
        'M-SEARCH',
      ),
      fc.stringMatching(/^[A-Z]{1,12}$/),
      fc.string({ unit: 'binary', maxLength: 12 }),
    )
    const queryPath = fc.constantFrom(
      '/api/tasks',
      '/api/calendar',
      '/api/tasks/seed-1/events',
      '/api/agents',
      '/ws',
    )
    const target = fc.oneof(
      fc.constantFrom(
        '//',
        '/%',
        '/%%',
        '/%E0%A4%A',
        '/api/tasks/%E0%A4%A',
        '/api/tasks/%',
        '*',
        '/',
        '/api/health',
        '/api/tasks',
        '/api/tasks?limit=%ZZ',
        '/api/tasks?status=running&status=failed',
        '/api/tasks?__proto__=x&constructor=y',
        '/api/tasks?cursor=%FF',
        '/api/tasks?cursor=W10',
        '/api/calendar?from=x&to=y',
        '/api/calendar?from=2026-01-01&to=2025-01-01',
        '/api/tasks/seed-1/events?cursor=garbage',
        '/api/tasks/seed-1/events?limit=-1',
        'http://127.0.0.1/api/tasks',
        'http://[',
        'https://evil.example/api/health',
        '//[',
        '/ws',
        '//ws',
        '/api/tasks/..%2f..%2fetc',
        '/..%2f..%2fetc/passwd',
        '/../../etc/passwd',
        '/api//tasks',
        '/api/tasks/seed-1',
        '/metrics',
        '/index.html',
        '/assets/%00',
        '/api/agents?x=%',
        '/api/projects?',
      ),
      fc.string({ unit: 'binary', maxLength: 64 }).map((s) => '/' + s),
      fc.string({ unit: 'binary-ascii', maxLength: 64 }).map((s) => '/api/tasks/' + s),
      // Query strings: raw bytes, and well-formed ones with odd keys and values that reach zod.
      fc.tuple(queryPath, fc.string({ unit: 'binary-ascii', maxLength: 80 })).map(([p, q]) => `${p}?${q}`),
      fc
        .tuple(
          queryPath,
          fc.array(
            fc.tuple(
              fc.constantFrom(
                'status',
                'assignee',
                'project_id',
                'from',
                'to',
                'q',
                'cursor',
                'limit',
                'token',
                '__proto__',
                'constructor',
                'status[]',
                'limit[0]',
                '',
              ),
              fc.oneof(
                fc.string({ unit: 'binary', maxLength: 30 }),
                fc.constantFrom(
                  'running',
                  '-1',
                  '0',
                  '1001',
                  '1e3',
                  'NaN',
                  '2026-13-45',
                  '9999-12-31T23:59:59Z',
                  '',
                ),
              ),
            ),
            { maxLength: 5 },
          ),
        )
        .map(([p, kv]) => `${p}?${kv.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`),
      fc.integer({ min: 1000, max: 40_000 }).map((n) => '/api/tasks/' + 'a'.repeat(n)),
      fc
        .array(
          fc.constantFrom(
            '%',
            '%0',
            '%00',
            '%ff',
            '%E0%A4',
            '?',
            '#',
            '&',
            '=',
            '..',
            '/',
            ';',
            '\u0000',
            '\r',
            ' ',
            '\t',
            '\u00ff',
            '\u{1F600}',
          ),
          { maxLength: 10 },
        )
        .map((a) => '/api/tasks' + a.join('')),
    )
    const version = fc.constantFrom(
      'HTTP/1.1',
      'HTTP/1.0',
      'HTTP/2.0',
      'HTTP/9.9',
      'HTTP/1.1 x',
      'HTTP/1',
      'http/1.1',
      '',
      'HTTP/1.1\u0000',
    )
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(method, target, version, fc.boolean(), async (m, t, v, withAuth) => {
        const request = Buffer.from(
          `${m} ${t}${v ? ' ' + v : ''}\r\nHost: 127.0.0.1:${port}\r\n` +
            (withAuth ? `Authorization: Bearer ${backend.token}\r\n` : '') +
            '\r\n',
        )
        const reply = await exchange(port, [request], { halfClose: true })
        count('request lines', 1)
        const status = assertCleanHttpReply(reply.data, printable(request))
        note('request lines', String(status ?? (reply.closed ? 'closed' : 'no answer')))
        await assertAlive(printable(request))
      }),
      params(600),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), new Set())
  })

  it('HTTP header sets: Host, Origin, Authorization, Content-Length/Transfer-Encoding, Content-Type', async () => {
    const port = backend.port
    const good = `127.0.0.1:${port}`
    const token = backend.token
    type Header = [string, string]
    const one = (name: string, values: string[]) =>
      fc.oneof(
        fc.constant<Header[]>([]),
        fc.constantFrom(...values).map((v): Header[] => [[name, v]]),
      )
    const host = fc.oneof(
      one('Host', [
        good,
        `localhost:${port}`,
        `[::1]:${port}`,
        `LOCALHOST:${port}`,
        '127.0.0.1',
        '127.0.0.1:1',
        '',
        ' ',
        '[',
        '[::1',
        `:${port}`,
        'ünïcode',
        'evil.example',
        `${good}\u0000`,
        'h'.repeat(20_000),
      ]),
      fc.constant<Header[]>([
        ['Host', good],
        ['Host', 'evil.example'],
      ]),
      fc.constant<Header[]>([
        ['Host', 'evil.example'],
        ['Host', good],
      ]),
    )
    const origin = fc.oneof(
      one('Origin', [
        `http://${good}`,
        `https://${good}`,
        'null',
        'http://evil.example',
        'file://',
        'http://[',
        'chrome-extension://abc',
        `http://${good}/path`,
        'o'.repeat(10_000),
        `HTTP://${good.toUpperCase()}`,
      ]),
      fc.constant<Header[]>([
        ['Origin', `http://${good}`],
        ['Origin', 'http://evil.example'],
      ]),
      fc.string({ maxLength: 40 }).map((s): Header[] => [['Origin', s]]),
    )
    const auth = fc.oneof(
      one('Authorization', [
        `Bearer ${token}`,
        `bearer ${token}`,
        `BEARER   ${token}  `,
        'Bearer wrong',
        'Basic dXNlcjpwYXNz',
        'Bearer',
        'Bearer ',
        '',
        `Token ${token}`,
        `Bearer\t${token}`,
        'Negotiate abc',
        'Bearer ' + 'x'.repeat(30_000),
        `Bearer ${token}x`,
      ]),
      fc.constant<Header[]>([
        ['Authorization', 'Bearer wrong'],
        ['Authorization', `Bearer ${token}`],
      ]),
    )
    const length = fc.oneof(
      one('Content-Length', [
        '0',
        '5',
        '-1',
        '99999999999999999999',
        'abc',
        ' 18',
        '1e3',
        '0x10',
        '18',
        '2000000',
      ]),
      fc.constant<Header[]>([
        ['Content-Length', '18'],
        ['Content-Length', '19'],
      ]),
    )
    const te = one('Transfer-Encoding', [
      'chunked',
      'gzip',
      'chunked, gzip',
      'gzip, chunked',
      'identity',
      'CHUNKED',
      'xchunked',
      'chunked\u0000',
    ])
    const ct = one('Content-Type', [
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=ebcdic',
      'application/json; charset=',
      'application/json; charset="',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      ';;;',
      'application/json; charset=utf-8; charset=latin1',
      '*/*',
      'application/json' + ';x=y'.repeat(1000),
      'application/merge-patch+json',
      'APPLICATION/JSON',
    ])
    const extra = fc.array(
      fc.oneof(
        fc.tuple(
          fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
          fc.string({ unit: 'binary', maxLength: 40 }),
        ),
        fc.constantFrom<Header>(
          ['Expect', '100-continue'],
          ['Expect', 'bogus'],
          ['Connection', 'upgrade'],
          ['Upgrade', 'h2c'],
          ['Content-Encoding', 'gzip'],
          ['Content-Encoding', 'br'],
          ['Content-Encoding', 'x'],
          ['X-Taskpulse-Source', 'cli'],
          ['Cookie', 'a=b'],
          ['Connection', 'close'],
          ['Trailer', 'x'],
        ),
      ),
      { maxLength: 5 },
    )
    const padding = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }))
    // Every body here is invalid for every route: data must not change, whatever the headers.
    const body = fc.constantFrom(
      '',
      '{"status":"bogus"}',
      '12\r\n{"status":"bogus"}\r\n0\r\n\r\n',
      'ffffffffffffffff\r\n{}\r\n0\r\n\r\n',
      '{"status":',
      '\u001f\u008b\u0008garbage',
      'status=running',
    )
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS', 'HEAD')
    const path = fc.constantFrom(
      '/api/health',
      '/api/tasks',
      '/api/tasks/seed-1',
      '/api/tasks/seed-1/events',
      '/',
      '/ws',
      '/metrics',
      '/api/agents',
    )
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(
        fc.record({ method, path, host, origin, auth, length, te, ct, extra, padding, body }),
        async (r) => {
          const headers: Header[] = [
            ...r.host,
            ...r.origin,
            ...r.auth,
            ...r.length,
            ...r.te,
            ...r.ct,
            ...r.extra,
          ]
          for (let i = 0; i < r.padding; i++) headers.push([`X-Pad-${i}`, 'v'])
          const head =
            `${r.method} ${r.path} HTTP/1.1\r\n` + headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n'
          const request = Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(r.body, 'latin1')])
          const reply = await exchange(port, [request], { halfClose: true })
          count('header sets', 1)
          const status = assertCleanHttpReply(reply.data, printable(request))
          note('header sets', String(status ?? (reply.closed ? 'closed' : 'no answer')))
          // No token anywhere in the request: nothing behind the token may answer 2xx (a CORS
          // preflight from an allowed origin excepted: 204, no body, and browsers send no token).
          const preflight = r.method === 'OPTIONS' && status === 204
          if (status !== null && status < 300 && !preflight && !request.includes(token)) {
            expect(['/api/health', '/', '/ws'], `${r.path} answered ${status} without the token`).toContain(
              r.path,
            )
          }
          await assertAlive(printable(request))
        },
      ),
      params(600),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), new Set())
  })

  it('JSON bodies: random values, deep nesting, huge strings, wrong types, prototype keys, valid updates', async () => {
    const port = backend.port
    const before = await snapshot()
    const accepted = new Map<string, string>()
    const target = fc.constantFrom('put-fresh', 'put-fresh', 'put-seed', 'post')
    await fc.assert(
      fc.asyncProperty(target, jsonBodyArb, async (where, text) => {
        const id = where === 'put-fresh' ? freshId('body') : where === 'put-seed' ? 'seed-2' : null
        const path = id ? `/api/tasks/${id}` : '/api/tasks'
        const bodyBuf = Buffer.from(text, 'utf8')
        const head =
          `${id ? 'PUT' : 'POST'} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `Authorization: Bearer ${backend.token}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${bodyBuf.length}\r\nConnection: close\r\n\r\n`
        const reply = await exchange(port, [Buffer.from(head), bodyBuf], { timeoutMs: 30_000 })
        count('JSON bodies', 1)
        const what = `${path} ${JSON.stringify(text.slice(0, 200))} (${bodyBuf.length} bytes)`
        const status = assertCleanHttpReply(reply.data, what)
        note('JSON bodies', String(status ?? 'closed'))
        if (status === null) {
          // Only a body over the limit may see the connection close before its 413 is read (the
          // server answers early and the unread rest of the body turns the close into a reset).
          expect(bodyBuf.length, `no answer to ${what}`).toBeGreaterThan(1024 * 1024)
          await assertAlive(what)
          return
        }
        // A UTF-8 byte order mark may be ignored by a JSON parser (RFC 8259 §8.1); body-parser does.
        const parsed = tryJson(text.replace(/^\ufeff/, ''))
        const schema = id ? restUpdateSchema : restCreateSchema
        const valid = bodyBuf.length <= 1024 * 1024 && parsed.ok && schema.safeParse(parsed.value).success
        if (status < 300) {
          expect(valid, `accepted an invalid body: ${what}`).toBe(true)
          const task = JSON.parse(reply.data.subarray(reply.data.indexOf('\r\n\r\n') + 4).toString()) as Task
          expect(Object.keys(task).sort(), 'a task has exactly its fields').toEqual(TASK_KEYS)
          accepted.set(task.task_id, canonical(task))
        } else if (valid) {
          // Valid and refused: only a conflict (an explicit task_id or event_id already used: 409),
          // or a body that sets nothing (the REST contract may call an empty update a 400).
          const sets = Object.keys(parsed.ok ? (parsed.value as object) : {}).some(
            (k) => !['task_id', 'updated_at', 'event_id'].includes(k),
          )
          if (status !== 409) expect(sets, `a valid update was refused with ${status}: ${what}`).toBe(false)
        }
        await assertAlive(what)
      }),
      params(300),
    )
    const after = await snapshot()
    assertOnlyAcceptedChanged(before, after, new Set(accepted.keys()))
    for (const [id, task] of accepted)
      expect(after.get(id), `accepted ${id} not stored as answered`).toBe(task)
    // No prototype pollution: a new task still has exactly its own fields and the default status.
    const probe = await backend.api(`/api/tasks/${freshId('proto')}`, {
      method: 'PUT',
      body: '{"title":"probe"}',
    })
    const task = (await probe.json()) as Task
    expect(Object.keys(task).sort()).toEqual(TASK_KEYS)
    expect(task.status).toBe('pending')
  })

  it('WebSocket upgrades: paths, keys, versions, methods, tokens, Host and Origin', async () => {
    const port = backend.port
    const good = `127.0.0.1:${port}`
    const token = backend.token
    const path = fc.oneof(
      fc.constantFrom(
        '/ws',
        '//',
        '//ws',
        '/ws/',
        '/%',
        '*',
        'http://[',
        '/ws#x',
        `http://${good}/ws`,
        '/WS',
        '/ws/../ws',
        '/%77s',
        '/ws;x',
        '//[',
        '/ws?token=%',
        '/ws?token=%E0%A4%A',
      ),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => '/' + s),
    )
    const tokenPart = fc.constantFrom(
      'good-query',
      'bad-query',
      'none',
      'header',
      'both-bad-header',
      'empty-query',
      'twice',
    )
    const key = fc.constantFrom(
      'dGhlIHNhbXBsZSBub25jZQ==',
      '',
      'short',
      'dGhlIHNhbXBsZSBub25jZQ',
      '!!!!!!!!!!!!!!!!!!!!!!==',
      'k'.repeat(5000),
      null,
      'dup',
    )
    const version = fc.constantFrom('13', '8', '99', '', 'x', '13, 8', null)
    const upgrade = fc.constantFrom('websocket', 'WebSocket', 'h2c', 'websocket, h2c', '', 'x'.repeat(100))
    const connection = fc.constantFrom('Upgrade', 'keep-alive, Upgrade', 'upgrade', 'close', null)
    const method = fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'OPTIONS')
    const hostH = fc.constantFrom(good, `localhost:${port}`, 'evil.example', '', null)
    const originH = fc.constantFrom(null, `http://${good}`, 'http://evil.example', 'null', 'http://[')
    const goodOr = <T>(value: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
      fc.oneof({ weight: 4, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: other })
    const head = fc.oneof(
      fc.constant(Buffer.alloc(0)),
      bytes(32),
      fc.constant(encodeFrame({ opcode: 1, payload: Buffer.from('{"type":"subscribe"}') })),
    )
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(
        // Each part is mostly the good value, so a fair share of runs upgrade (101) or miss by one
        // part, which is where a guard that lets the wrong request through would show.
        fc.record({
          path: goodOr('/ws', path),
          tokenPart: goodOr('good-query', tokenPart),
          key: goodOr('dGhlIHNhbXBsZSBub25jZQ==', key),
          version: goodOr('13', version),
          upgrade: goodOr('websocket', upgrade),
          connection: goodOr('Upgrade', connection),
          method: goodOr('GET', method),
          hostH: goodOr(good, hostH),
          originH: goodOr(null, originH),
          head,
        }),
        async (r) => {
          let target = r.path
          const sep = target.includes('?') ? '&' : '?'
          if (r.tokenPart === 'good-query') target += `${sep}token=${encodeURIComponent(token)}`
          if (r.tokenPart === 'bad-query') target += `${sep}token=nope`
          if (r.tokenPart === 'empty-query') target += `${sep}token=`
          if (r.tokenPart === 'twice') target += `${sep}token=nope&token=${encodeURIComponent(token)}`
          const lines = [`${r.method} ${target} HTTP/1.1`]
          if (r.hostH !== null) lines.push(`Host: ${r.hostH}`)
          if (r.originH !== null) lines.push(`Origin: ${r.originH}`)
          lines.push(`Upgrade: ${r.upgrade}`)
          if (r.connection !== null) lines.push(`Connection: ${r.connection}`)
          if (r.key === 'dup')
            lines.push(
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
              'Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==',
            )
          else if (r.key !== null) lines.push(`Sec-WebSocket-Key: ${r.key}`)
          if (r.version !== null) lines.push(`Sec-WebSocket-Version: ${r.version}`)
          if (r.tokenPart === 'header') lines.push(`Authorization: Bearer ${token}`)
          if (r.tokenPart === 'both-bad-header') lines.push('Authorization: Bearer nope')
          const request = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), r.head])
          // Half-closed after the request: a request Node does not treat as an upgrade goes to
          // express, and Node drops one whose answer is not ready when the FIN arrives (the static
          // UI answers asynchronously) — those count as 'closed', which is allowed.
          const reply = await exchange(port, [request], {
            halfClose: true,
            until: (d) => statusOf(d) === 101,
          })
          count('upgrades', 1)
          const status = assertCleanHttpReply(reply.data, printable(request))
          note('upgrades', String(status ?? (reply.closed ? 'closed' : 'no answer')))
          if (status === 101) {
            // Only a request with the token, an allowed Host and an allowed Origin may upgrade.
            expect(request.includes(token), `upgraded without the token: ${printable(request)}`).toBe(true)
            expect([good, `localhost:${port}`]).toContain(r.hostH)
            expect([null, `http://${good}`]).toContain(r.originH)
          }
          await assertAlive(printable(request))
        },
      ),
      params(600),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), new Set())
  })

  it('WebSocket frames after a good handshake: opcodes, fragmentation, masking, lengths, UTF-8, close codes', async () => {
    const port = backend.port
    const { epoch } = (await (await backend.api('/api/health')).json()) as Health
    const closeCodes = [
      0, 999, 1000, 1001, 1002, 1004, 1005, 1006, 1011, 1015, 1016, 2999, 3000, 4999, 5000, 65535,
    ]
    const controlJson = fc.oneof(
      fc.constant({ type: 'subscribe' }),
      fc.record({
        type: fc.constant('resume'),
        // The real epoch too, so odd seqs reach the replay path and not only the snapshot.
        epoch: fc.oneof(fc.constant(epoch), fc.string({ maxLength: 140 }), fc.constant(''), fc.integer()),
        seq: fc.oneof(
          fc.integer({ min: -5, max: 1e6 }),
          fc.double(),
          fc.constant(2 ** 53),
          fc.constant(Number.MAX_VALUE),
          fc.string(),
        ),
      }),
      fc.record(
        { type: fc.constant('ping'), t: fc.oneof(fc.double(), fc.string(), fc.constant(null)) },
        { requiredKeys: ['type'] },
      ),
      fc.record({
        type: fc.constantFrom('subscribe', 'resume', 'ping', 'pong', 'hello', '__proto__', 'constructor', ''),
      }),
      updateLikeArb,
    )
    const payload = fc.oneof(
      { weight: 5, arbitrary: controlJson.map((v) => Buffer.from(JSON.stringify(v))) },
      { weight: 2, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
      { weight: 2, arbitrary: bytes(64) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          Buffer.from([0xff, 0xfe]),
          Buffer.from([0xc3, 0x28]),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from([0xf4, 0x90, 0x80, 0x80]),
          Buffer.alloc(0),
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...closeCodes),
            fc.oneof(fc.constant(Buffer.alloc(0)), bytes(20), fc.constant(Buffer.from([0xff]))),
          )
          .map(([code, reason]) => {
            const b = Buffer.alloc(2)
            b.writeUInt16BE(code)
            return Buffer.concat([b, reason])
          }),
      },
      { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }).map((n) => Buffer.alloc(n, 0x20)) },
    )
    const frame: fc.Arbitrary<FrameSpec> = fc
      .record({
        opcode: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(0x1, 0x1, 0x2, 0x0, 0x8, 0x9, 0xa) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
        ),
        fin: fc.oneof(
          { weight: 4, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        rsv: fc.oneof(
          { weight: 6, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) },
        ),
        mask: fc.oneof(
          { weight: 6, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        payload,
        lengthForm: fc.constantFrom('auto', 'auto', 'auto', '16', '64'),
      })
      .chain((f) =>
        fc.oneof(
          { weight: 8, arbitrary: fc.constant(f) },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom(0, 1, f.payload.length + 1, 200, 70_000, 2 ** 32, 2 ** 53 - 1, 2 ** 63)
              .map((n) => ({ ...f, declaredLength: n })),
          },
        ),
      )
    // Mostly short random sequences; sometimes a run of well-formed but invalid messages, enough
    // to pass the hub's tolerance (20) and reach its 1008 close.
    const sequence = fc.oneof(
      { weight: 9, arbitrary: fc.array(frame, { minLength: 1, maxLength: 8 }) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.oneof(
              updateLikeArb.map((v) => Buffer.from(JSON.stringify(v))),
              bytes(20).map((b) => Buffer.from(b.toString('hex'))),
            ),
            fc.integer({ min: 20, max: 30 }),
          )
          .map(([payload, n]) => Array.from({ length: n }, (): FrameSpec => ({ opcode: 0x1, payload }))),
      },
    )
    const seen = new Set<number | null>()
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(sequence, async (frames) => {
        const conn = await wsHandshake(port, backend.token)
        for (const f of frames) conn.socket.write(encodeFrame(f))
        count('ws frames', frames.length)
        conn.socket.end() // a FIN ends the session whatever state the frames left the parser in
        const closed = await conn.closed(15_000)
        expect(closed, 'server did not close after the client ended').toBe(true)
        const got = decodeFrames(conn.received())
        const code = closeCodeOf(got)
        seen.add(code)
        note('ws frames', `close ${code ?? 'none'}`)
        const what = JSON.stringify(
          frames.map((f) => ({ ...f, payload: f.payload.subarray(0, 40).toString('hex') })),
        )
        // The server closes for its own reasons (1002 protocol, 1007 UTF-8, 1008 policy, 1009 size)
        // or echoes a close the client sent; a 1011 of its own would be a handler that threw, which
        // assertAlive also catches in the error log.
        const echoable = frames
          .filter((f) => f.opcode === 0x8 && f.payload.length >= 2)
          .map((f) => f.payload.readUInt16BE(0))
        if (code !== null)
          expect([1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, ...echoable], what).toContain(code)
        for (const f of got.filter((x) => x.opcode === 0x1)) {
          expect(
            () => JSON.parse(f.payload.toString()) as unknown,
            'server sent a non-JSON text frame',
          ).not.toThrow()
        }
        await assertAlive(what)
      }),
      params(300),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), new Set())
  })

  /** A payload as a producer might PUBLISH or XADD it; `fresh` marks where a fresh task id goes. */
  type RedisPayload = {
    /** The protocol's schema decides for all but `absent` (the payload is not under `data`). */
    kind: 'valid' | 'envelope' | 'other' | 'absent'
    make: (id: string) => string
  }
  const redisPayloadArb: fc.Arbitrary<RedisPayload> = fc.oneof(
    {
      weight: 4,
      arbitrary: validFieldsArb
        .filter((f) => f.status !== undefined)
        .map((f): RedisPayload => ({ kind: 'valid', make: (id) => JSON.stringify({ task_id: id, ...f }) })),
    },
    {
      weight: 1,
      arbitrary: validFieldsArb
        .filter((f) => f.status !== undefined)
        .map((f): RedisPayload => ({
          kind: 'envelope',
          make: (id) => JSON.stringify({ type: 'task_status_update', data: { task_id: id, ...f } }),
        })),
    },
    {
      weight: 3,
      arbitrary: updateLikeArb.map((o): RedisPayload => ({
        kind: 'other',
        make: (id) => JSON.stringify({ task_id: id, ...o }),
      })),
    },
    {
      weight: 2,
      arbitrary: updateLikeArb.map((o): RedisPayload => ({
        kind: 'other',
        make: () => JSON.stringify({ ...o, task_id: 'seed-3', status: 'bogus' }),
      })),
    },
    {
      weight: 2,
      arbitrary: fc
        .jsonValue()
        .map((v): RedisPayload => ({ kind: 'other', make: () => JSON.stringify(v) ?? 'undefined' })),
    },
    {
      weight: 2,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 60 })
        .map((s): RedisPayload => ({ kind: 'other', make: () => s })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...PROTO_BODIES)
        .map((b): RedisPayload => ({ kind: 'other', make: () => b })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '',
          '{',
          'null',
          '[]',
          '"x"',
          '{"taskId":"a","state":"running"}',
          '{"task_id":"a b","status":"running"}',
        )
        .map((s): RedisPayload => ({ kind: 'other', make: () => s })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_048_577, max: 1_300_000 }).map((n): RedisPayload => ({
        kind: 'other',
        make: (id) => JSON.stringify({ task_id: id, status: 'running', title: 'x'.repeat(n) }),
      })),
    },
  )

  /** Whether the backend must apply this payload (the protocol's own schema, the size bound). */
  const mustApply = (payload: string) => {
    if (Buffer.byteLength(payload) > 1024 * 1024) return false
    const parsed = tryJson(payload)
    return parsed.ok && redisUpdateSchema.safeParse(unwrapRedisEnvelope(parsed.value)).success
  }

  /** Sends through `send`, then a sentinel through the same path; checks what was applied. */
  async function redisBatchCheck(
    entry: string,
    payloads: readonly RedisPayload[],
    send: (payloads: string[]) => Promise<void>,
    accepted: Set<string>,
  ): Promise<void> {
    const expected = new Map<string, { status: string | undefined; text: string }>()
    const wire: string[] = []
    for (const p of payloads) {
      const id = freshId(entry.replace(/\W/g, ''))
      const text = p.make(id)
      wire.push(text)
      if (p.kind !== 'absent' && mustApply(text)) {
        const v = redisUpdateSchema.parse(unwrapRedisEnvelope(JSON.parse(text)))
        accepted.add(v.task_id)
        // Its final status is known only for a task no other input touches (LWW decides the rest),
        // and an explicit event_id may repeat one used before (then it is a duplicate, not applied).
        if (v.task_id === id && v.event_id === undefined) expected.set(v.task_id, { status: v.status, text })
      }
    }
    const sentinel = freshId('sentinel')
    accepted.add(sentinel)
    // With its own updated_at, so it counts whatever id the stream gives it.
    const stamp = new Date().toISOString()
    await send([...wire, JSON.stringify({ task_id: sentinel, status: 'completed', updated_at: stamp })])
    count(entry, wire.length)
    // The channel and the stream are each read in order: once the sentinel is stored, so is all before it.
    await waitFor(
      async () => (await backend.api(`/api/tasks/${sentinel}`)).status === 200,
      `sentinel ${sentinel} via ${entry}`,
      30_000,
    )
    for (const [id, { status, text }] of expected) {
      const res = await backend.api(`/api/tasks/${id}`)
      expect(res.status, `valid ${entry} update was not applied: ${text.slice(0, 500)}`).toBe(200)
      // A status-less update leaves a new task `pending`.
      expect(((await res.json()) as Task).status).toBe(status ?? 'pending')
    }
    await assertAlive(`${entry} batch`)
  }

  it('Redis PUBLISH on task_status_update: random JSON, envelopes, huge, non-JSON, wrong fields', async () => {
    const before = await snapshot()
    const accepted = new Set<string>()
    await fc.assert(
      fc.asyncProperty(fc.array(redisPayloadArb, { minLength: 1, maxLength: 8 }), async (payloads) => {
        await redisBatchCheck(
          'redis publish',
          payloads,
          async (wire) => {
            for (const w of wire) await producer.publish(CHANNEL, w)
          },
          accepted,
        )
      }),
      params(100),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), accepted)
  })

  it('Redis XADD on task_status_stream: random payloads, wrong and missing field names', async () => {
    const before = await snapshot()
    const accepted = new Set<string>()
    const fieldName = fc.constantFrom('data', 'data', 'data', 'Data', 'payload', 'message', '')
    const extraFields = fc.array(
      fc.tuple(fc.constantFrom('data', 'x', 'type', 'task_id'), fc.string({ maxLength: 20 })),
      { maxLength: 2 },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(redisPayloadArb, fieldName, extraFields), { minLength: 1, maxLength: 8 }),
        async (entries) => {
          // The payload counts only under `data` (the first one); elsewhere it is an entry without data.
          const payloads = entries.map(([p, name]): RedisPayload =>
            name === 'data' ? p : { kind: 'absent', make: p.make },
          )
          await redisBatchCheck(
            'redis xadd',
            payloads,
            async (wire) => {
              for (let i = 0; i < wire.length; i++) {
                const [, name, extras] = entries[i] ?? [null, 'data', []]
                await producer.xadd(STREAM, '*', name, wire[i]!, ...extras.flat())
              }
            },
            accepted,
          )
        },
      ),
      params(100),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), accepted)
  })

  it('Redis stream ids: explicit ids near and beyond the Date range and 2^53, odd sequences, mixed with valid entries', async () => {
    const before = await snapshot()
    const accepted = new Set<string>()
    // Explicit ids must grow; each step jumps forward by one of these (never past 2^64, where
    // Redis would refuse every later XADD, the backend's own included).
    const step = fc.constantFrom<bigint | 'seq'>(
      'seq',
      1n,
      1000n,
      10n ** 12n,
      8_640_000_000_000_000n,
      2n ** 53n,
      2n ** 62n,
    )
    const seqPart = fc.constantFrom(0n, 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 62n)
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(redisPayloadArb, step, seqPart), { minLength: 1, maxLength: 6 }),
        async (entries) => {
          const info = (await producer.xinfo('STREAM', STREAM)) as unknown[]
          const lastId = String(info[info.indexOf('last-generated-id') + 1])
          let [ms, sq] = lastId.split('-').map((x) => BigInt(x)) as [bigint, bigint]
          const ids: string[] = []
          for (const [, s, q] of entries) {
            if (s === 'seq' || ms + s >= 2n ** 63n) sq += 1n
            else {
              ms += s
              sq = q
            }
            ids.push(`${ms}-${sq}`)
          }
          await redisBatchCheck(
            'stream ids',
            entries.map(([p]) => p),
            async (wire) => {
              for (let i = 0; i < wire.length; i++) {
                // The sentinel (last) goes with an auto id, after the explicit ones.
                await producer.xadd(STREAM, ids[i] ?? '*', 'data', wire[i]!)
              }
            },
            // Every valid entry applies whatever its id: an id that is no plausible time gives
            // way to the time of receipt.
            accepted,
          )
        },
      ),
      params(60),
    )
    assertOnlyAcceptedChanged(before, await snapshot(), accepted)
  })

  it('the server is alive after the whole fuzz; its memory figures are recorded', async () => {
    await assertAlive('the whole fuzz')
    const health = (await (await backend.api('/api/health')).json()) as Health
    const rssEnd = rssBytes(backend.proc.pid!)
    const row = {
      seed: FUZZ_SEED,
      scale: FUZZ_RUNS_SCALE,
      rssStartMB: +(rssStart / 2 ** 20).toFixed(1),
      rssEndMB: +(rssEnd / 2 ** 20).toFixed(1),
      dropped: health.dropped_messages,
      tally,
      perEntry,
    }
    recordFigure('fuzz', row)
    console.log('fuzz figures', JSON.stringify(row, null, 2))
    // Not a leak test (the floods are); this only catches a runaway.
    expect(rssEnd - rssStart).toBeLessThan(300 * 2 ** 20)
  })
})

// Last: an id this far ahead moves every later auto id of the stream past Date's range too, which
// would leave the stream-id entry above nothing in range to explore.
describe('regressions found by fuzzing, on the stream', () => {
  it('a stream entry with an id past Date range and no updated_at is applied with its neighbours, and the stream stays usable after it', async () => {
    const [before, poisoned, after, later] = [freshId('nb'), freshId('far'), freshId('nb'), freshId('later')]
    // Past Date's range (8.64e15 ms), and above whatever the fuzzer left at the top of the stream.
    const info = (await producer.xinfo('STREAM', STREAM)) as unknown[]
    const topMs = BigInt(String(info[info.indexOf('last-generated-id') + 1]).split('-')[0]!)
    const farId = `${topMs + 1n > 9_000_000_000_000_000n ? topMs + 1n : 9_000_000_000_000_000n}-0`
    // One XREAD batch: the three entries are written in one transaction before the reader wakes.
    const stamp = new Date().toISOString()
    const results = await producer
      .multi()
      .xadd(STREAM, '*', 'data', JSON.stringify({ task_id: before, status: 'running', updated_at: stamp }))
      .xadd(STREAM, farId, 'data', JSON.stringify({ task_id: poisoned, status: 'failed' }))
      .xadd(STREAM, '*', 'data', JSON.stringify({ task_id: after, status: 'completed' }))
      .exec()
    expect(results?.map(([err]) => err)).toEqual([null, null, null])
    // Redis now numbers every `*` entry above the far id: a producer that sends no updated_at must
    // still be heard (an earlier rule dropped all of them, for good).
    await producer.xadd(STREAM, '*', 'data', JSON.stringify({ task_id: later, status: 'failed' }))
    for (const [id, status] of [
      [before, 'running'],
      [poisoned, 'failed'],
      [after, 'completed'],
      [later, 'failed'],
    ] as const) {
      await waitFor(async () => (await backend.api(`/api/tasks/${id}`)).status === 200, id, 30_000)
      const task = (await (await backend.api(`/api/tasks/${id}`)).json()) as Task
      expect(task.status).toBe(status)
      // Stamped with a real time (receipt), not the year 285,000.
      expect(Date.parse(task.updated_at)).toBeLessThan(Date.now() + 60_000)
    }
    await assertAlive('a stream id past Date range')
  })
})

// Every field of the one task model (a list of its own here fell behind when fields were added).
const TASK_KEYS = [...MODEL_TASK_KEYS].sort()
