import { describe, expect, it } from 'vitest'
import { MAX_TEXT_FIELD_BYTES, normalizeTimestamp } from '../src-shared/protocol'
import { capText, parseInbound, uuidv7 } from './ingest'

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
  it.each([
    ['not json', 'invalid_json'],
    ['[]', 'invalid_message'],
    ['{"task_id":"a"}', 'invalid_message'],
    ['{"task_id":"a","status":"exploded"}', 'invalid_message'],
    ['{"task_id":"../etc/passwd","status":"running"}', 'invalid_message'],
    ['{"task_id":"a","status":"running","updated_at":"soon"}', 'invalid_message'],
    ['{"task_id":"a","status":"running","assignee":"x\\u0000y"}', 'invalid_message'],
  ])('drops %s with reason %s', (payload, reason) => {
    const r = parseInbound({ source: 'redis', payload }, now)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toBe(reason)
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
