import { describe, expect, it } from 'vitest'
import { render } from '@testing-library/react'
import { eventsInRange, EVENT_TEXT } from './calendar-events'
import { createTaskStore } from '../../stores/task-store'
import { makeTask } from '../../test-utils/fake-socket'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { StatusBadge } from '../../components/StatusBadge'

describe('calendar events', () => {
  it('collects the tasks placed in the visible range, with status and icon', () => {
    const store = createTaskStore()
    store.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          makeTask({
            task_id: 'in',
            title: 'Deploy',
            status: 'failed',
            scheduled_at: new Date(2026, 10, 10, 9).toISOString(),
          }),
          makeTask({ task_id: 'out', scheduled_at: new Date(2026, 11, 10, 9).toISOString() }),
          makeTask({
            task_id: 'run',
            status: 'completed',
            started_at: new Date(2026, 10, 12, 8).toISOString(),
            finished_at: new Date(2026, 10, 12, 9).toISOString(),
          }),
        ],
      },
    ])
    const s = store.getState()
    const ev = eventsInRange(
      s.days,
      s.tasks,
      new Date(2026, 10, 1).getTime(),
      new Date(2026, 10, 30, 23, 59).getTime(),
      0,
    )
    expect(ev.map((e) => e.id).sort()).toEqual(['in', 'run'])
    const deploy = ev.find((e) => e.id === 'in')!
    expect(deploy).toMatchObject({ title: '✕ Deploy', status: 'failed', basis: 'scheduled' })
    expect(ev.find((e) => e.id === 'run')!.basis).toBe('run')
  })
})

describe('status colours', () => {
  it('uses the reference colours', () => {
    expect(STATUS_STYLES.pending.color).toBe('#3B82F6')
    expect(STATUS_STYLES.running.color).toBe('#F59E0B')
    expect(STATUS_STYLES.completed.color).toBe('#10B981')
    expect(STATUS_STYLES.failed.color).toBe('#EF4444')
    expect(Object.keys(EVENT_TEXT).sort()).toEqual(['completed', 'failed', 'pending', 'running'])
  })
  it('never shows status by colour alone: the badge has a glyph and a word', () => {
    const { container } = render(<StatusBadge status="failed" />)
    const badge = container.querySelector('[data-status="failed"]')!
    expect(badge.textContent).toBe('✕Failed')
    expect(badge.getAttribute('aria-label')).toBe('Status: Failed')
    expect(badge.className).toContain('badge-failed')
  })
})
