import { describe, expect, it } from 'vitest'
import { localDayKey, MIN_BLOCK_MS, placeTask } from './placement'
import { makeTask } from '../../../test/fakes/renderer/fake-socket'

const ms = (s: string) => Date.parse(s)

describe('calendar placement', () => {
  it('uses scheduled_at to due_at when the task is scheduled', () => {
    const t = makeTask({
      task_id: 't',
      scheduled_at: '2026-11-02T09:00:00.000Z',
      due_at: '2026-11-02T11:00:00.000Z',
      started_at: '2026-11-05T00:00:00.000Z',
    })
    expect(placeTask(t, 0)).toEqual({
      startMs: ms('2026-11-02T09:00:00Z'),
      endMs: ms('2026-11-02T11:00:00Z'),
      basis: 'scheduled',
    })
  })
  it('gives a scheduled task without a later due time a 30 minute block', () => {
    const t = makeTask({
      task_id: 't',
      scheduled_at: '2026-11-02T09:00:00.000Z',
      due_at: '2026-11-01T00:00:00.000Z',
    })
    expect(placeTask(t, 0)).toMatchObject({ endMs: ms('2026-11-02T09:30:00Z'), basis: 'scheduled' })
  })
  it('uses due_at alone when there is no schedule', () => {
    const t = makeTask({ task_id: 't', due_at: '2026-11-03T10:00:00.000Z' })
    expect(placeTask(t, 0)).toMatchObject({ startMs: ms('2026-11-03T10:00:00Z'), basis: 'due' })
  })
  it('uses the run window when unscheduled', () => {
    const t = makeTask({
      task_id: 't',
      status: 'completed',
      started_at: '2026-11-04T08:00:00.000Z',
      finished_at: '2026-11-04T10:00:00.000Z',
    })
    expect(placeTask(t, 0)).toEqual({
      startMs: ms('2026-11-04T08:00:00Z'),
      endMs: ms('2026-11-04T10:00:00Z'),
      basis: 'run',
    })
  })
  it('a running task runs until now, and a short run gets a minimum block', () => {
    const t = makeTask({ task_id: 't', status: 'running', started_at: '2026-11-04T08:00:00.000Z' })
    const now = ms('2026-11-04T09:00:00Z')
    expect(placeTask(t, now).endMs).toBe(now)
    expect(placeTask(t, ms('2026-11-04T08:00:01Z')).endMs).toBe(ms('2026-11-04T08:00:00Z') + MIN_BLOCK_MS)
  })
  it('falls back to the creation time', () => {
    const t = makeTask({
      task_id: 't',
      created_at: '2026-11-06T08:00:00.000Z',
      updated_at: '2026-11-07T08:00:00.000Z',
    })
    expect(placeTask(t, 0)).toMatchObject({ startMs: ms('2026-11-06T08:00:00Z'), basis: 'created' })
  })
  it('keys a time by its local day', () => {
    expect(localDayKey(new Date(2026, 0, 5, 23, 59).getTime())).toBe('2026-01-05')
    expect(localDayKey(new Date(2026, 10, 2, 0, 0).getTime())).toBe('2026-11-02')
  })
})
