// The status bar's last-event readout: a live event's age once one arrived; before that the
// newest loaded task's update, never "none" over a loaded list.
import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, render } from '@testing-library/react'
import { makeParts, withParts } from '../../../test/fakes/renderer/parts'
import { makeTask } from '../../../test/fakes/renderer/fake-socket'
import { StatusBar } from './StatusBar'

afterEach(cleanup)

const MIN = 60_000
const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
const last = () => document.querySelector<HTMLElement>('.statusbar [data-last]')!

describe('StatusBar', () => {
  it('says when the newest loaded task was updated until a live event arrives, then that event', () => {
    const parts = makeParts()
    render(withParts(parts, <StatusBar />))
    // Nothing loaded, nothing received.
    expect(last().dataset.last).toBe('none')
    expect(last().textContent).toBe('Last event: none since connecting')
    act(() =>
      parts.tasks.getState().applyBatch([
        {
          kind: 'snapshot',
          seq: 1,
          tasks: [
            makeTask({ task_id: 'old', updated_at: ago(60 * MIN) }),
            makeTask({ task_id: 'new', updated_at: ago(3.5 * MIN) }),
          ],
        },
      ]),
    )
    expect(last().dataset.last).toBe('task')
    // the newest (3.5 min ago), not the older one (an hour ago)
    expect(last().textContent).toMatch(/^Last update: 3m ago$/)
    expect(last().textContent).not.toContain('none')
    expect(last().getAttribute('title')).toContain('No live event since this window connected')
    // A live event: its own age wins.
    act(() =>
      parts.status.getState().setPipeline({
        lastEventAt: Date.now() - 5000,
        eventsPerSecond: 0.2,
        deliveryLatencyMs: 4,
        rttMs: 1,
      }),
    )
    expect(last().dataset.last).toBe('event')
    expect(last().textContent).toMatch(/^Last event: \d+s ago$/)
  })
})
