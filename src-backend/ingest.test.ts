import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_TEXT_FIELD_BYTES, normalizeTimestamp, restUpdateSchema } from '../src-shared/protocol'
import { eventToWire } from './bus/bus'
import {
  KNOWN_EVENT,
  capText,
  contentEventId,
  parseInbound,
  streamIdTime,
  toTaskEvent,
  uuidv7,
} from './ingest'

const now = new Date('2026-05-01T12:00:00.000Z')

describe('normalizeTimestamp', () => {
  it('reads a time without zone as UTC and keeps milliseconds', () => {
    expect(normalizeTimestamp('2025-11-08T12:34:56.123456')).toBe('2025-11-08T12:34:56.123Z')
    expect(normalizeTimestamp('2025-11-08T12:34:56+02:00')).toBe('2025-11-08T10:34:56.000Z')
    expect(normalizeTimestamp('2025-11-08')).toBe('2025-11-08T00:00:00.000Z')
    expect(normalizeTimestamp(0)).toBe('1970-01-01T00:00:00.000Z')
  })
  it('rejects what is not a real time', () => {
    for (const bad of ['yesterday', '2026-02-31T00:00:00Z', '2026-13-01', '', '12:00', 'NaN']) {
      expect(normalizeTimestamp(bad), bad).toBeNull()
    }
    expect(normalizeTimestamp(Number.POSITIVE_INFINITY)).toBeNull()
  })
})

describe('parseInbound', () => {
  it('accepts the reference message and fills identity and time from receipt', () => {
    const r = parseInbound(
      {
        source: 'redis',
        payload: JSON.stringify({ task_id: 123, status: 'failed', error: 'x', project_id: 456 }),
      },
      now,
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.event).toMatchObject({
      task_id: '123',
      updated_at: now.toISOString(),
      source: 'redis',
      fields: { status: 'failed', error: 'x', project_id: '456' },
    })
    expect(r.event.event_id).toMatch(/^[0-9a-f-]{36}$/)
  })
  it('takes identity and time from a stream entry id when the producer gave none', () => {
    const r = parseInbound(
      { source: 'stream', payload: '{"task_id":"a","status":"running"}', streamId: '1700000000123-4' },
      now,
    )
    expect(r.ok && r.event).toMatchObject({
      event_id: '1700000000123-4',
      updated_at: '2023-11-14T22:13:20.123Z',
    })
  })
  it('strips unknown keys instead of dropping the update', () => {
    const r = parseInbound(
      { source: 'redis', payload: '{"task_id":"a","status":"running","worker_pid":42}' },
      now,
    )
    expect(r.ok && r.event.fields).toEqual({ status: 'running' })
  })
  it('accepts an update without status, as REST does (only task_id is required)', () => {
    const r = parseInbound({ source: 'redis', payload: '{"task_id":"a","title":"t","event_id":"e1"}' }, now)
    expect(r.ok && r.event).toMatchObject({ event_id: 'e1', fields: { title: 't' } })
    expect(r.ok && 'status' in r.event.fields).toBe(false)
  })
  it('unwraps the reference envelope {"type":"task_status_update","data":{...}} on both sources', () => {
    const data = { task_id: 't1', status: 'running', updated_at: '2026-01-01T00:00:00Z', event_id: 'env-1' }
    const payload = JSON.stringify({ type: 'task_status_update', data })
    for (const msg of [
      { source: 'redis' as const, payload },
      { source: 'stream' as const, payload, streamId: '1700000000000-0' },
    ]) {
      const r = parseInbound(msg, now)
      expect(r.ok && r.event).toMatchObject({
        task_id: 't1',
        event_id: 'env-1',
        fields: { status: 'running' },
      })
    }
  })
  it('reads a flat update that has its own type or data key as flat', () => {
    const r = parseInbound(
      { source: 'redis', payload: '{"task_id":"a","status":"failed","type":"job","data":{"x":1}}' },
      now,
    )
    expect(r.ok && r.event.fields).toEqual({ status: 'failed' })
  })
  it('gives an update with updated_at but no event_id the same content id on every backend and path', () => {
    const flat = '{"task_id":"a","status":"running","updated_at":"2026-01-01T00:00:00Z"}'
    const wrapped = `{"type":"task_status_update","data":${flat}}`
    const a = parseInbound({ source: 'redis', payload: flat }, now)
    const b = parseInbound({ source: 'stream', payload: wrapped, streamId: '5-0' }, new Date(0))
    expect(a.ok && b.ok && a.event.event_id === b.event.event_id).toBe(true)
    expect(a.ok && a.event.event_id).toBe(
      contentEventId('a', '2026-01-01T00:00:00.000Z', { status: 'running' }),
    )
    const other = parseInbound({ source: 'redis', payload: flat.replace('running', 'failed') }, now)
    expect(other.ok && a.ok && other.event.event_id !== a.event.event_id).toBe(true)
  })
  it('stamps a stream entry without updated_at whose id is no time with the time of receipt, without throwing', () => {
    for (const streamId of ['99999999999999999-0', '18446744073709551615-0', '8640000000000001-0']) {
      expect(streamIdTime(streamId)).toBeNull()
      expect(
        parseInbound({ source: 'stream', payload: '{"task_id":"a","status":"running"}', streamId }, now),
      ).toMatchObject({ ok: true, event: { updated_at: now.toISOString(), event_id: streamId } })
      // With its own updated_at the entry is fine: the id's time is not needed.
      const withTime = parseInbound(
        {
          source: 'stream',
          payload: '{"task_id":"a","status":"running","updated_at":"2026-01-01T00:00:00Z"}',
          streamId,
        },
        now,
      )
      expect(withTime.ok).toBe(true)
    }
    // In Date's range, but the year 5138: not a time an update can have without its own updated_at.
    expect(streamIdTime('99999999999999-0')).toBe('5138-11-16T09:46:39.999Z')
    const future = { source: 'stream' as const, payload: '{"task_id":"a"}', streamId: '99999999999999-0' }
    expect(parseInbound(future, now)).toMatchObject({ ok: true, event: { updated_at: now.toISOString() } })
    // Up to a day ahead of the receiving clock is clock difference: the id's time is used.
    const soonMs = now.getTime() + 60 * 60 * 1000
    expect(parseInbound({ ...future, streamId: `${soonMs}-0` }, now)).toMatchObject({
      ok: true,
      event: { updated_at: new Date(soonMs).toISOString() },
    })
  })
  it.each([
    ['not json', 'invalid_json'],
    ['[]', 'invalid_message'],
    ['{"status":"running"}', 'invalid_message'],
    ['{"type":"task_status_update","data":{"status":"running"}}', 'invalid_message'],
    ['{"type":"task_status_update","data":"x"}', 'invalid_message'],
    ['{"task_id":"a","status":"exploded"}', 'invalid_message'],
    ['{"task_id":"../etc/passwd","status":"running"}', 'invalid_message'],
    ['{"task_id":"a","status":"running","updated_at":"soon"}', 'invalid_message'],
    ['{"task_id":"a","status":"running","assignee":"x\\u0000y"}', 'invalid_message'],
  ])('drops %s with reason %s', (payload, reason) => {
    const r = parseInbound({ source: 'redis', payload }, now)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toBe(reason)
  })
  it('skips a message whose event_id is stored before validating it, flat or in the envelope', () => {
    const known = new Set(['e-stored'])
    const isKnown = (id: string) => known.has(id)
    const flat = JSON.stringify({ task_id: 'a', status: 'running', event_id: 'e-stored' })
    for (const payload of [
      flat,
      JSON.stringify({ type: 'task_status_update', data: JSON.parse(flat) as unknown }),
    ]) {
      expect(parseInbound({ source: 'redis', payload }, now, isKnown)).toEqual({
        ok: false,
        reason: KNOWN_EVENT,
        detail: 'event_id already stored',
      })
    }
    // An unknown id, or no lookup given, goes through validation as before.
    const fresh = JSON.stringify({ task_id: 'a', status: 'running', event_id: 'e-new' })
    expect(parseInbound({ source: 'redis', payload: fresh }, now, isKnown).ok).toBe(true)
    expect(parseInbound({ source: 'redis', payload: flat }, now).ok).toBe(true)
    // A lookup that fails (a locked database) is no reason to drop the message: it is validated
    // and goes to the write path, which keeps inbound events through storage failures.
    const failing = () => {
      throw new Error('database is locked')
    }
    expect(parseInbound({ source: 'stream', streamId: '5-0', payload: fresh }, now, failing)).toMatchObject({
      ok: true,
      event: { event_id: 'e-new' },
    })
    // A non-string event_id is not looked up: the schema answers for it.
    const numeric = JSON.stringify({ task_id: 'a', status: 'running', event_id: 5 })
    expect(parseInbound({ source: 'redis', payload: numeric }, now, () => true).ok).toBe(
      parseInbound({ source: 'redis', payload: numeric }, now).ok,
    )
  })
  it('drops an oversized payload and a stream entry without data', () => {
    const big = JSON.stringify({ task_id: 'a', status: 'running', output: 'x'.repeat(1024 * 1024) })
    expect(parseInbound({ source: 'redis', payload: big }, now)).toMatchObject({
      ok: false,
      reason: 'too_large',
    })
    expect(parseInbound({ source: 'stream', payload: null, streamId: '1-0' }, now)).toMatchObject({
      ok: false,
      reason: 'no_data_field',
    })
  })
})

describe('capText', () => {
  it('cuts long text on a character boundary and marks the cut', () => {
    const text = 'é'.repeat(MAX_TEXT_FIELD_BYTES)
    const cut = capText(text)
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_TEXT_FIELD_BYTES)
    expect(cut).toMatch(/truncated by TaskPulse: \d+ bytes omitted\]$/)
    expect(cut).not.toContain('\uFFFD')
    expect(capText('short')).toBe('short')
  })
})

describe('uuidv7', () => {
  it('is a version-7 UUID that sorts by time', () => {
    const a = uuidv7(1000)
    const b = uuidv7(2000)
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a < b).toBe(true)
  })
})

describe('ingest', () => {
  it('keeps Redis events whose commit failed and applies them, with their stream cursor, on retry', async () => {
    const { createIngest } = await import('./ingest')
    const { pino } = await import('pino')
    const applied: { ids: string[]; cursor: string | undefined }[] = []
    let failNext = 1
    const store = {
      apply(events: { event_id: string }[], opts: { streamCursor?: string }) {
        if (failNext-- > 0) throw new Error('database is locked')
        applied.push({ ids: events.map((e) => e.event_id), cursor: opts.streamCursor })
        return events.map(() => ({ kind: 'unchanged', seq: 1, task: null, created: false }))
      },
    }
    const ingest = createIngest({
      store: store as never,
      log: pino({ level: 'silent' }),
      onChanges: () => {},
    })
    ingest.submitInbound([
      { source: 'stream', streamId: '5-0', payload: '{"task_id":"a","status":"running","event_id":"s1"}' },
    ])
    const rest = ingest.submitLocal({
      event_id: 'r1',
      task_id: 'b',
      updated_at: now.toISOString(),
      received_at: now.toISOString(),
      source: 'rest',
      fields: { status: 'running' },
    })
    await expect(rest).rejects.toMatchObject({ code: 'storage_failed' })
    await expect.poll(() => applied.length, { timeout: 2000 }).toBe(1)
    expect(applied[0]).toEqual({ ids: ['s1'], cursor: '5-0' })
    ingest.stop()
  })
})

describe('ingest drops', () => {
  /** An ingest over a fake store that records each commit's event ids and stream cursor. */
  async function recordingIngest(hasEvent?: (id: string) => boolean) {
    const { createIngest } = await import('./ingest')
    const { pino } = await import('pino')
    const applied: { ids: string[]; cursor: string | undefined }[] = []
    const reasons: string[] = []
    const store = {
      ...(hasEvent && { hasEvent }),
      apply(events: { event_id: string }[], opts: { streamCursor?: string }) {
        applied.push({ ids: events.map((e) => e.event_id), cursor: opts.streamCursor })
        return events.map(() => ({ kind: 'unchanged', seq: 1, task: null, created: false }))
      },
    }
    const ingest = createIngest({
      store: store as never,
      log: pino({ level: 'silent' }),
      onChanges: () => {},
      onDrop: (r) => reasons.push(r),
    })
    return { ingest, applied, reasons }
  }

  it('drops and counts a bad entry alone: its valid neighbours are stored and the cursor moves past it', async () => {
    const { ingest, applied, reasons } = await recordingIngest()
    ingest.submitInbound([
      { source: 'stream', streamId: '1-0', payload: '{"task_id":"a","status":"running","event_id":"v1"}' },
      { source: 'stream', streamId: '99999999999999999-0', payload: '{"task_id":"a","status":"failed"}' },
      { source: 'stream', streamId: '99999999999999999-1', payload: '{oops' },
      { source: 'stream', streamId: '99999999999999999-2', payload: null },
      {
        source: 'stream',
        streamId: '99999999999999999-3',
        payload: '{"task_id":"b","status":"completed","updated_at":"2026-01-01T00:00:00Z","event_id":"v2"}',
      },
    ])
    await expect.poll(() => applied.length).toBe(1)
    expect(applied[0]).toEqual({ ids: ['v1', '99999999999999999-0', 'v2'], cursor: '99999999999999999-3' })
    expect(reasons).toEqual(['invalid_json', 'no_data_field'])
    expect(ingest.droppedCount()).toBe(2)
    ingest.resetStreamCursor('0')
    await expect.poll(() => applied.length).toBe(2)
    expect(applied[1]).toEqual({ ids: [], cursor: '0' })
    ingest.stop()
  })

  it('skips an echo of a stored event without counting a drop; the cursor still moves past it', async () => {
    const { ingest, applied, reasons } = await recordingIngest((id) => id === 'stored')
    const stored = '{"task_id":"a","status":"running","event_id":"stored"}'
    ingest.submitInbound([
      { source: 'stream', streamId: '1-0', payload: '{"task_id":"a","status":"running","event_id":"new"}' },
      { source: 'stream', streamId: '2-0', payload: stored },
      { source: 'redis', payload: stored },
    ])
    await expect.poll(() => applied.length).toBe(1)
    expect(applied[0]).toEqual({ ids: ['new'], cursor: '2-0' })
    expect(reasons).toEqual([])
    expect(ingest.droppedCount()).toBe(0)
    ingest.stop()
  })
})

describe('one schema for every path (properties)', () => {
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }))
  const name = fc.stringMatching(/^ ?[a-z0-9][a-z0-9 -]{0,12} ?$/)
  const time = fc.oneof(
    {
      arbitrary: fc
        .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      weight: 6,
    },
    fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    fc.constantFrom('2026-01-01', '2026-01-01T10:00:00+02:00', '2026-01-01 10:00:00.123456', 'soon', ''),
    fc.integer(),
  )
  const bodyArb = fc.record(
    {
      status: fc.oneof(
        { arbitrary: fc.constantFrom('pending', 'running', 'completed', 'failed'), weight: 9 },
        { arbitrary: text, weight: 1 },
      ),
      title: fc.option(text, { nil: null }),
      description: fc.option(text, { nil: null }),
      assignee: fc.option(fc.oneof({ arbitrary: name, weight: 8 }, text, fc.nat()), { nil: null }),
      project_id: fc.option(fc.oneof({ arbitrary: name, weight: 8 }, text, fc.nat()), { nil: null }),
      output: fc.option(text, { nil: null }),
      error: fc.option(text, { nil: null }),
      scheduled_at: fc.option(time, { nil: null }),
      due_at: fc.option(time, { nil: null }),
      updated_at: time,
      event_id: fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), weight: 9 }, text),
    },
    { requiredKeys: [] },
  )

  it('whatever REST accepts, relayed through the outbox, a peer accepts from Redis with the same content', () => {
    let accepted = 0
    fc.assert(
      fc.property(bodyArb, fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), (body, taskId) => {
        const rest = restUpdateSchema.safeParse(body)
        if (!rest.success) return
        accepted++
        const { updated_at, event_id, ...fields } = rest.data
        const local = toTaskEvent({
          task_id: taskId,
          fields,
          updated_at,
          event_id,
          source: 'rest',
          received_at: now,
        })
        const wire = eventToWire(local)
        for (const payload of [
          wire,
          JSON.stringify({ type: 'task_status_update', data: JSON.parse(wire) as unknown }),
        ]) {
          for (const msg of [
            { source: 'redis' as const, payload },
            { source: 'stream' as const, payload, streamId: '1700000000000-0' },
          ]) {
            const peer = parseInbound(msg, new Date(0))
            expect(peer.ok, payload).toBe(true)
            if (!peer.ok) return
            expect(peer.event.event_id).toBe(local.event_id)
            expect(peer.event.updated_at).toBe(local.updated_at)
            expect(peer.event.fields).toEqual(local.fields)
          }
        }
      }),
      { numRuns: 300 },
    )
    expect(accepted, 'REST bodies the property really checked').toBeGreaterThan(60)
  })

  it('parseInbound never throws, whatever the payload or stream id', () => {
    const payloadArb = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ type: 'task_status_update', data: v })),
      bodyArb.map((b) => JSON.stringify({ task_id: 'x', ...b })),
      fc.constant(null),
    )
    const idArb = fc.oneof(
      fc
        .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
        .map(([m, s]) => `${m}-${s}`),
      fc.string(),
    )
    fc.assert(
      fc.property(payloadArb, idArb, fc.boolean(), (payload, streamId, viaStream) => {
        const msg =
          viaStream || payload === null
            ? { source: 'stream' as const, payload, streamId }
            : { source: 'redis' as const, payload }
        const r = parseInbound(msg, now)
        expect(r.ok || typeof r.reason === 'string').toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
