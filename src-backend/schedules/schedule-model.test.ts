// Cron, time zones and DST as the schedules see them (croner underneath): occurrences in real time
// across spring-forward and fall-back, and the validation that turns bad input into a message.
import { describe, expect, it } from 'vitest'
import {
  cronProblem,
  replicatedRecordSchema,
  isNewer,
  localClock,
  occurrencesBetween,
  scheduleInputSchema,
  timezoneProblem,
} from './schedule-model'

const iso = (dates: Date[]) => dates.map((d) => d.toISOString())
const between = (cron: string, timezone: string, from: string, to: string) =>
  iso(occurrencesBetween({ cron, timezone }, new Date(from), new Date(to), 100))

describe('occurrences across DST', () => {
  it('Europe/Berlin spring-forward: 02:30 does not exist that night, the daily run comes right after the gap (03:00 CEST)', () => {
    expect(between('30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z', '2026-03-30T12:00:00Z')).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ])
  })

  it('Europe/Berlin fall-back: a fixed-time 02:30 runs once, an interval job runs in both 02:30s', () => {
    expect(between('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, the first pass only
      '2026-10-26T01:30:00.000Z',
    ])
    expect(between('*/30 * * * *', 'Europe/Berlin', '2026-10-25T00:10:00Z', '2026-10-25T01:40:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T01:30:00.000Z', // 02:30 CET
    ])
  })

  it('America/New_York keeps 09:00 local across its spring-forward (14:00Z → 13:00Z)', () => {
    expect(between('0 9 * * *', 'America/New_York', '2026-03-06T12:00:00Z', '2026-03-09T23:00:00Z')).toEqual([
      '2026-03-06T14:00:00.000Z',
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ])
  })

  it('six fields are seconds-first; the bounds are (from, to]', () => {
    expect(between('*/5 * * * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:00:15Z')).toEqual([
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:15.000Z',
    ])
  })

  it('a cap bounds a dense cron', () => {
    expect(
      occurrencesBetween({ cron: '* * * * * *', timezone: 'UTC' }, new Date(0), new Date(1e12), 7),
    ).toHaveLength(7)
  })

  it('local clock time is the schedule zone’s, seconds only when they matter', () => {
    expect(localClock(new Date('2026-03-29T00:15:00Z'), 'Europe/Berlin')).toBe('01:15')
    expect(localClock(new Date('2026-03-29T01:15:00Z'), 'Europe/Berlin')).toBe('03:15')
    expect(localClock(new Date('2026-07-01T06:15:07Z'), 'America/New_York')).toBe('02:15:07')
  })
})

describe('validation', () => {
  it('names what is wrong with a cron or a zone', () => {
    expect(cronProblem('61 * * * *', 'UTC')).toMatch(/minute/)
    expect(cronProblem('* * *', 'UTC')).toMatch(/5 fields/)
    // croner takes an ISO date as a one-off; a schedule does not.
    expect(cronProblem('2026-01-01T00:00:00', 'UTC')).toMatch(/fields/)
    expect(cronProblem('*/5 * * * * *', 'UTC')).toBeNull()
    expect(cronProblem('@hourly', 'UTC')).toBeNull()
    expect(timezoneProblem('Nope/Zone')).toMatch(/unknown time zone 'Nope\/Zone'/)
    expect(timezoneProblem('Europe/Berlin')).toBeNull()
  })

  it('the PUT body: defaults, strictness and bounds', () => {
    expect(scheduleInputSchema.parse({ cron: '0 * * * *' })).toMatchObject({
      timezone: 'UTC',
      grace_seconds: 300,
    })
    const bad = (body: unknown) => scheduleInputSchema.safeParse(body).success
    expect(bad({ cron: '0 * * * *', extra: 1 })).toBe(false)
    expect(bad({ cron: '0 * * * *', timezone: 'Mars/Olympus' })).toBe(false)
    expect(bad({ cron: 'x'.repeat(300) })).toBe(false)
    expect(bad({ cron: '0 * * * *', title: 'x'.repeat(2000) })).toBe(false)
    expect(bad({ cron: '0 * * * *', grace_seconds: 0 })).toBe(false)
    expect(bad({ cron: '0 * * * *', assignee: 'a\u0000b' })).toBe(false)
  })

  it('versions order by updated_at, then rev', () => {
    const a = { updated_at: '2026-01-01T00:00:00.000Z', rev: 'b' }
    expect(isNewer(a, { updated_at: '2026-01-01T00:00:00.000Z', rev: 'a' })).toBe(true)
    expect(isNewer(a, a)).toBe(false)
    expect(isNewer(a, { updated_at: '2026-01-01T00:00:00.001Z', rev: 'a' })).toBe(false)
  })

  it('a replicated record from Redis is checked like a PUT (a hostile peer cannot plant a broken cron)', () => {
    const record = (spec: Record<string, unknown>) => ({
      kind: 'schedule',
      id: 'x',
      updated_at: '2026-01-01T00:00:00.000Z',
      rev: 'abc',
      deleted: false,
      spec: {
        cron: '0 * * * *',
        timezone: 'UTC',
        grace_seconds: 60,
        title: null,
        assignee: null,
        project_id: null,
        max_runtime_seconds: null,
        created_at: '2026-01-01T00:00:00.000Z',
        ...spec,
      },
    })
    expect(replicatedRecordSchema.safeParse(record({})).success).toBe(true)
    expect(replicatedRecordSchema.safeParse(record({ cron: '99 * * * *' })).success).toBe(false)
    expect(replicatedRecordSchema.safeParse(record({ timezone: 'Nope/Nope' })).success).toBe(false)
    expect(replicatedRecordSchema.safeParse({ ...record({}), id: '../etc' }).success).toBe(false)
  })

  it('the times of a replicated record must be real instants, not just their shape', () => {
    const record = {
      kind: 'schedule',
      id: 'x',
      updated_at: '2026-01-01T00:00:00.000Z',
      rev: 'abc',
      deleted: true,
      spec: null,
    }
    expect(replicatedRecordSchema.safeParse(record).success).toBe(true)
    // Its NaN once made every PUT and DELETE of the schedule a 500 (test/adversarial/new-routes-fuzz).
    for (const updated_at of [
      '9999-99-99T99:99:99.999Z',
      '2026-02-30T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
    ])
      expect(replicatedRecordSchema.safeParse({ ...record, updated_at }).success, updated_at).toBe(false)
  })
})
