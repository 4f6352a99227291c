// The missed-run checker against a real (in-memory) task store and an injected clock: linked runs
// keep a schedule green, a skipped occurrence becomes exactly one failed task with a deterministic
// id and a message in the schedule's zone, DST nights are judged by their real occurrences, and
// an overrunning run is flagged once.
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskFieldValues } from '../../src-shared/task-model'
import { toTaskEvent } from '../ingest'
import { openTaskStore, type TaskStore } from '../store/task-store'
import { createScheduleService, type ScheduleService } from './schedule-service'

const log = pino({ level: 'silent' })
const opened: { store: TaskStore; service: ScheduleService }[] = []
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.service.stop()
    o.store.close()
  }
})

function setup(startAt: string) {
  const store = openTaskStore({ file: ':memory:', outbox: false, checkpointInWorker: false })
  let clock = Date.parse(startAt)
  const submitted: string[] = []
  const service = createScheduleService({
    db: store.db,
    log,
    now: () => clock,
    settleMs: 0,
    submit: (u) => {
      submitted.push(u.event_id)
      return Promise.resolve(
        store.apply([toTaskEvent({ ...u, source: 'rest', received_at: new Date(clock) })]),
      )
    },
  })
  opened.push({ store, service })
  const run = (taskId: string, fields: Partial<TaskFieldValues>, at: string) =>
    store.apply([
      toTaskEvent({
        task_id: taskId,
        fields,
        updated_at: new Date(at).toISOString(),
        source: 'rest',
        received_at: new Date(at),
      }),
    ])
  return {
    store,
    service,
    submitted,
    run,
    at: (iso: string) => {
      clock = Date.parse(iso)
    },
    missed: () => store.allTasks().filter((t) => t.task_id.startsWith('missed:')),
  }
}

describe('missed runs', () => {
  it('a linked run keeps the schedule green; a skipped occurrence fails once, with the deadline in the zone', async () => {
    const t = setup('2026-06-01T10:00:00Z')
    t.service.put('backup', {
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      grace_seconds: 900,
      title: 'Nightly backup',
      assignee: 'cron@db1',
      project_id: 'ops',
    })
    // Night 1 (02:00 CEST = 00:00Z): a run starts at 02:03.
    t.run('b1', { status: 'running', schedule_id: 'backup' }, '2026-06-02T00:03:00Z')
    t.run('b1', { status: 'completed' }, '2026-06-02T00:09:00Z')
    t.at('2026-06-02T06:00:00Z')
    await t.service.checker.check()
    expect(t.missed()).toEqual([])
    expect(t.service.detail(t.service.get('backup')!).state).toBe('ok')

    // Night 2: nothing. Checked twice (and again later): one failure.
    t.at('2026-06-03T00:15:01Z')
    await t.service.checker.check()
    await t.service.checker.check()
    t.at('2026-06-03T08:00:00Z')
    await t.service.checker.check()
    const missed = t.missed()
    expect(missed).toHaveLength(1)
    expect(missed[0]).toMatchObject({
      task_id: 'missed:backup:2026-06-03T00:00:00.000Z',
      last_event_id: 'missed:backup:2026-06-03T00:00:00.000Z',
      status: 'failed',
      title: 'Nightly backup — missed run',
      assignee: 'cron@db1',
      project_id: 'ops',
      schedule_id: 'backup',
      scheduled_at: '2026-06-03T00:00:00.000Z',
      updated_at: '2026-06-03T00:15:00.000Z',
    })
    expect(missed[0]!.error).toMatch(
      /^no run started by 02:15 \(Europe\/Berlin; the run due 2026-06-03 02:00/,
    )
    expect(t.service.detail(t.service.get('backup')!).state).toBe('missed')
  })

  it('a run that starts too late, or belongs to another schedule, does not count', async () => {
    const t = setup('2026-06-01T10:00:00Z')
    t.service.put('hourly', { cron: '0 * * * *', grace_seconds: 60 })
    t.run('late', { status: 'running', schedule_id: 'hourly' }, '2026-06-01T11:02:00Z')
    t.run('other', { status: 'running', schedule_id: 'something-else' }, '2026-06-01T11:00:10Z')
    t.run('pending-only', { status: 'pending', schedule_id: 'hourly' }, '2026-06-01T11:00:10Z')
    t.at('2026-06-01T11:30:00Z')
    await t.service.checker.check()
    expect(t.missed().map((m) => m.task_id)).toEqual(['missed:hourly:2026-06-01T11:00:00.000Z'])
  })

  it('an early start within the slack counts (half the gap, at most a minute)', async () => {
    const t = setup('2026-06-01T10:00:00Z')
    t.service.put('hourly', { cron: '0 * * * *', grace_seconds: 60 })
    t.run('early', { status: 'completed', schedule_id: 'hourly' }, '2026-06-01T10:59:30Z')
    t.at('2026-06-01T11:30:00Z')
    await t.service.checker.check()
    expect(t.missed()).toEqual([])
  })

  it('Berlin spring-forward: the 02:30 run is due at 03:00 CEST and judged there', async () => {
    const t = setup('2026-03-28T12:00:00Z')
    t.service.put('night', { cron: '30 2 * * *', timezone: 'Europe/Berlin', grace_seconds: 600 })
    t.at('2026-03-29T06:00:00Z')
    await t.service.checker.check()
    const [m] = t.missed()
    expect(m?.task_id).toBe('missed:night:2026-03-29T01:00:00.000Z')
    expect(m?.error).toMatch(/^no run started by 03:10 \(Europe\/Berlin/)
  })

  it('Berlin fall-back: an interval job has two 02:30s and each is judged; a run covers only its own', async () => {
    const t = setup('2026-10-24T23:50:00Z')
    t.service.put('half', { cron: '*/30 2 * * *', timezone: 'Europe/Berlin', grace_seconds: 120 })
    t.run('first-0230', { status: 'completed', schedule_id: 'half' }, '2026-10-25T00:30:20Z')
    t.at('2026-10-25T03:00:00Z')
    await t.service.checker.check()
    expect(
      t
        .missed()
        .map((m) => [m.task_id, m.error?.slice(0, 28)])
        .sort(),
    ).toEqual([
      ['missed:half:2026-10-25T00:00:00.000Z', 'no run started by 02:02 (Eur'], // 02:00 CEST
      ['missed:half:2026-10-25T01:00:00.000Z', 'no run started by 02:02 (Eur'], // 02:00 CET
      ['missed:half:2026-10-25T01:30:00.000Z', 'no run started by 02:32 (Eur'], // the second 02:30
    ])
  })

  it('New York: a schedule made after an occurrence is not blamed for it', async () => {
    const t = setup('2026-03-08T13:30:00Z')
    t.service.put('ny', { cron: '0 9 * * *', timezone: 'America/New_York', grace_seconds: 60 })
    t.at('2026-03-09T14:00:00Z')
    await t.service.checker.check()
    expect(t.missed().map((m) => m.task_id)).toEqual(['missed:ny:2026-03-09T13:00:00.000Z'])
  })

  it('a deleted schedule raises nothing more', async () => {
    const t = setup('2026-06-01T10:00:00Z')
    t.service.put('gone', { cron: '0 * * * *', grace_seconds: 60 })
    expect(t.service.remove('gone')).toBe(true)
    expect(t.service.remove('gone')).toBe(false)
    t.at('2026-06-01T15:00:00Z')
    await t.service.checker.check()
    expect(t.missed()).toEqual([])
  })

  it('a run past max_runtime_seconds is flagged overrunning, once', async () => {
    const t = setup('2026-06-01T10:00:00Z')
    t.service.put('job', { cron: '0 * * * *', grace_seconds: 60, max_runtime_seconds: 600 })
    t.run('r1', { status: 'running', schedule_id: 'job' }, '2026-06-01T11:00:05Z')
    t.at('2026-06-01T11:05:00Z')
    await t.service.checker.check()
    expect(t.store.getTask('r1')?.error).toBeNull()
    t.at('2026-06-01T11:10:06Z')
    await t.service.checker.check()
    await t.service.checker.check()
    const task = t.store.getTask('r1')!
    expect(task.status).toBe('running')
    expect(task.error).toMatch(
      /^overrunning: started 11:00:05 \(UTC\) and still running after max_runtime_seconds 600/,
    )
    expect(t.submitted.filter((e) => e.startsWith('overrun:'))).toHaveLength(2) // sent twice, applied once
    expect(t.store.listEvents('r1').events.filter((e) => e.event_id.startsWith('overrun:'))).toHaveLength(1)
  })
})

describe('occurrences and the feed key', () => {
  it('lists occurrences of every schedule in time order with their deadlines, capped', () => {
    const t = setup('2026-06-01T10:00:00Z')
    t.service.put('a', { cron: '0 */6 * * *', grace_seconds: 60 })
    t.service.put('b', { cron: '30 12 * * *', timezone: 'Europe/Berlin', grace_seconds: 120 })
    const { occurrences, truncated } = t.service.occurrences(
      new Date('2026-06-01T00:00:00Z'),
      new Date('2026-06-02T00:00:00Z'),
      100,
    )
    expect(truncated).toBe(false)
    expect(occurrences.map((o) => `${o.schedule_id}@${o.at.slice(11, 16)}`)).toEqual([
      'a@00:00',
      'a@06:00',
      'b@10:30',
      'a@12:00',
      'a@18:00',
    ])
    expect(occurrences[2]!.deadline).toBe('2026-06-01T10:32:00.000Z')
    expect(t.service.occurrences(new Date(0), new Date('2026-06-02T00:00:00Z'), 3).truncated).toBe(true)
  })

  it('a rotated key replaces the old one; nothing matches before the first rotation', () => {
    const t = setup('2026-06-01T10:00:00Z')
    expect(t.service.feedKeyMatches('anything')).toBe(false)
    const k1 = t.service.rotateFeedKey()
    expect(t.service.feedKeyMatches(k1)).toBe(true)
    const k2 = t.service.rotateFeedKey()
    expect(k2).not.toBe(k1)
    expect(t.service.feedKeyMatches(k1)).toBe(false)
    expect(t.service.feedKeyMatches(k2)).toBe(true)
    expect(t.service.feedKeyMatches('')).toBe(false)
  })
})

describe('occurrences under a CPU budget', () => {
  it('a call past its budget answers the prefix found so far, in order, with truncated: true', () => {
    const { service } = setup('2026-06-01T00:00:00.000Z')
    service.put('every-minute', { cron: '* * * * *', timezone: 'Europe/Berlin' })
    service.put('hourly', { cron: '0 * * * *', timezone: 'Asia/Kathmandu' })
    const from = new Date('2026-06-01T00:00:00.000Z')
    const to = new Date('2026-06-02T00:00:00.000Z')
    const full = service.occurrences(from, to, 5000, 60_000)
    expect(full.truncated).toBe(false)
    expect(full.occurrences).toHaveLength(24 * 60 + 24)
    // A budget already spent: one occurrence (progress), the first of the full answer.
    const cut = service.occurrences(from, to, 5000, 0)
    expect(cut.truncated).toBe(true)
    expect(cut.occurrences).toEqual(full.occurrences.slice(0, cut.occurrences.length))
    expect(cut.occurrences.length).toBeGreaterThanOrEqual(1)
  })
})
