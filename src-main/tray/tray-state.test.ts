import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TASK_STATUSES } from '../../src-shared/protocol'
import { createTrayState, OPEN_MAX, type MenuItemSpec } from './tray-state'
import { makeTask, makeUpdate } from '../../test/fakes/main/fixtures'

const NOW = Date.UTC(2026, 0, 1, 12)
const connection = {
  url: 'http://127.0.0.1:1',
  wsUrl: 'ws://127.0.0.1:1/ws',
  token: 't',
  mode: 'embedded' as const,
}

function connected() {
  const tray = createTrayState()
  tray.setBackend({ status: 'running', connection }, 'embedded')
  tray.setLink('connected')
  return tray
}
const item = (menu: MenuItemSpec[], id: string) => menu.find((m) => m.id === id)

describe('tray state', () => {
  it('is disconnected until the socket is connected', () => {
    const tray = createTrayState()
    expect(tray.model(NOW).overall).toBe('disconnected')
    expect(tray.model(NOW).tooltip).toContain('starting')
    tray.setBackend({ status: 'running', connection }, 'embedded')
    tray.setLink('connected')
    expect(tray.model(NOW).overall).toBe('idle')
    tray.setLink('disconnected')
    expect(tray.model(NOW).overall).toBe('disconnected')
  })

  it('shows running while a task runs, failure while a failure is unacknowledged', () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 'a', status: 'running', previous_status: 'pending' }))
    expect(tray.model(NOW).overall).toBe('running')
    tray.applyUpdate(makeUpdate({ task_id: 'b', status: 'failed', previous_status: 'running' }))
    const m = tray.model(NOW)
    expect(m.overall).toBe('failure')
    expect(m.badgeCount).toBe(1)
    expect(m.tooltip).toBe('TaskPulse — 1 running, 1 failed, 1 new')
  })

  it("the backend's ack clears the failure state and the badge, not the counts", () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 'b', status: 'failed', finished_at: '2026-01-01T10:00:00.000Z' }))
    expect(item(tray.model(NOW).menu, 'ack')).toMatchObject({ label: 'Acknowledge all (1)', enabled: true })
    expect(tray.toAcknowledge()).toEqual(['b'])
    const acked = makeUpdate({
      task_id: 'b',
      status: 'failed',
      previous_status: 'failed',
      finished_at: '2026-01-01T10:00:00.000Z',
      acknowledged_at: '2026-01-01T10:05:00.000Z',
    })
    expect(tray.applyUpdate(acked)).toBe(true)
    const m = tray.model(NOW)
    expect(m.overall).toBe('idle')
    expect(m.badgeCount).toBe(0)
    expect(m.tooltip).toContain('1 failed')
    expect(item(m.menu, 'ack')?.enabled).toBe(false)
    expect(tray.toAcknowledge()).toEqual([])
    // A later failure of the same task is news again.
    tray.applyUpdate(
      makeUpdate({
        task_id: 'b',
        status: 'failed',
        previous_status: 'running',
        finished_at: '2026-01-01T11:00:00.000Z',
        acknowledged_at: '2026-01-01T10:05:00.000Z',
      }),
    )
    expect(tray.model(NOW)).toMatchObject({ overall: 'failure', badgeCount: 1 })
  })

  it('counts stale and waiting tasks as attention, lists them, and an ack quiets a stale one', () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 'run', status: 'running' }))
    tray.applyUpdate(
      makeUpdate({
        task_id: 'stuck',
        title: 'Migrate DB',
        status: 'running',
        stale_since: '2026-01-01T10:00:00.000Z',
      }),
    )
    tray.applyUpdate(makeUpdate({ task_id: 'ask', title: 'Refactor', status: 'waiting' }))
    let m = tray.model(NOW)
    expect(m.overall).toBe('running')
    expect(m.badgeCount).toBe(2)
    expect(m.tooltip).toBe('TaskPulse — 2 running, 0 failed, 1 stale, 1 waiting')
    expect(item(m.menu, 'attention:header')?.label).toBe('Needs attention (2)')
    expect(item(m.menu, 'attention:stuck')?.label).toBe('⏸ Migrate DB — stale')
    expect(item(m.menu, 'attention:ask')?.label).toBe('? Refactor — waiting')
    expect(tray.toAcknowledge()).toEqual(['stuck'])
    tray.applyUpdate(
      makeUpdate({
        task_id: 'stuck',
        status: 'running',
        stale_since: '2026-01-01T10:00:00.000Z',
        acknowledged_at: '2026-01-01T10:01:00.000Z',
      }),
    )
    tray.applyUpdate(makeUpdate({ task_id: 'ask', status: 'running', previous_status: 'waiting' }))
    m = tray.model(NOW)
    expect(m.badgeCount).toBe(0)
    expect(item(m.menu, 'attention:header')).toBeUndefined()
  })

  it('a stale task that gets an update is no longer stale', () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 's', status: 'running', stale_since: '2026-01-01T10:00:00.000Z' }))
    expect(tray.model(NOW).badgeCount).toBe(1)
    expect(tray.applyUpdate(makeUpdate({ task_id: 's', status: 'running', stale_since: null }))).toBe(true)
    expect(tray.model(NOW).badgeCount).toBe(0)
  })

  it('a failed task that completes is no longer an unacknowledged failure', () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 'b', status: 'failed' }))
    tray.applyUpdate(makeUpdate({ task_id: 'b', status: 'completed', previous_status: 'failed' }))
    expect(tray.model(NOW)).toMatchObject({ overall: 'idle', badgeCount: 0 })
  })

  it('lists the last 5 events, newest first, one line per task', () => {
    const tray = connected()
    for (let i = 0; i < 7; i++)
      tray.applyUpdate(makeUpdate({ task_id: `t${i}`, title: `Task ${i}`, status: 'completed' }))
    tray.applyUpdate(
      makeUpdate({ task_id: 't5', title: 'Task 5', status: 'failed', previous_status: 'completed' }),
    )
    const ids = tray
      .model(NOW)
      .menu.filter((m) => m.id.startsWith('task:'))
      .map((m) => m.id)
    expect(ids).toEqual(['task:t5', 'task:t6', 'task:t4', 'task:t3', 'task:t2'])
    expect(item(tray.model(NOW).menu, 'task:t5')?.label).toBe('✗ Task 5 — failed')
  })

  it('has open, pause, acknowledge, backend status and quit', () => {
    const ids = connected()
      .model(NOW)
      .menu.map((m) => m.id)
    expect(ids).toEqual(
      expect.arrayContaining(['backend-status', 'open', 'pause', 'ack', 'quit', 'recent:none']),
    )
  })

  it('shows the backend status and a retry action when the supervisor gave up', () => {
    const tray = connected()
    tray.setBackend({ status: 'failed', error: 'crashed 5 times in 60 s' }, 'embedded')
    tray.setLink('disconnected')
    const m = tray.model(NOW)
    expect(item(m.menu, 'backend-status')?.label).toBe(
      'Backend (embedded): stopped — crashed 5 times in 60 s',
    )
    expect(item(m.menu, 'retry')).toBeDefined()
    expect(m.overall).toBe('disconnected')
  })

  it('says the backend is upgrading its data while a migration runs', () => {
    const tray = connected()
    tray.setBackend({ status: 'starting', upgrading: { from: 7, to: 8, tasks: 100_000 } }, 'embedded')
    expect(item(tray.model(NOW).menu, 'backend-status')?.label).toBe(
      'Backend (embedded): upgrading the data (100,000 tasks)…',
    )
  })

  it('reflects do-not-disturb in tooltip and menu', () => {
    const tray = connected()
    expect(tray.setPausedUntil(NOW + 3_600_000)).toBe(true)
    expect(tray.setPausedUntil(NOW + 3_600_000)).toBe(false)
    const m = tray.model(NOW)
    expect(m.tooltip).toContain('notifications paused')
    const pause = item(m.menu, 'pause')
    expect(pause?.label).toMatch(/^Notifications paused until \d\d:\d\d$/)
    expect(pause?.submenu?.find((s) => s.id === 'pause:off')?.enabled).toBe(true)
    expect(tray.model(NOW + 3_600_001).tooltip).not.toContain('paused')
  })

  it("a snapshot replaces the counts and takes the backend's acknowledgements", () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 'a', status: 'failed' }))
    tray.applyUpdate(makeUpdate({ task_id: 'b', status: 'failed' }))
    tray.applyUpdate(makeUpdate({ task_id: 'd', status: 'failed' }))
    tray.applySnapshot([
      makeTask({ task_id: 'a', status: 'completed' }),
      makeTask({ task_id: 'b', status: 'failed' }),
      makeTask({ task_id: 'c', status: 'running' }),
      makeTask({ task_id: 'd', status: 'failed', acknowledged_at: '2026-01-02T00:00:00.000Z' }),
    ])
    expect(tray.model(NOW)).toMatchObject({
      badgeCount: 1,
      tooltip: 'TaskPulse — 1 running, 2 failed, 1 new',
    })
  })

  it('reads the unacknowledged failures of a state file from before backend acks', () => {
    const tray = createTrayState({
      open: { a: { status: 'failed', label: 'A' }, b: { status: 'failed', label: 'B' } },
      unacknowledged: ['a'],
      recent: [],
    })
    expect(tray.toAcknowledge()).toEqual(['a'])
  })

  it('survives a restart through its persisted form', () => {
    const tray = connected()
    tray.applyUpdate(makeUpdate({ task_id: 'a', status: 'failed', title: 'Deploy' }))
    const again = createTrayState(
      JSON.parse(JSON.stringify(tray.persisted())) as ReturnType<typeof tray.persisted>,
    )
    again.setBackend({ status: 'running', connection }, 'embedded')
    again.setLink('connected')
    expect(again.model(NOW)).toMatchObject({ overall: 'failure', badgeCount: 1 })
    expect(item(again.model(NOW).menu, 'task:a')?.label).toBe('✗ Deploy — failed')
  })

  it('setters report whether anything changed', () => {
    const tray = connected()
    expect(tray.setLink('connected')).toBe(false)
    expect(tray.setBackend({ status: 'running', connection }, 'embedded')).toBe(false)
    expect(tray.setBackend({ status: 'running', connection }, 'remote')).toBe(true)
  })

  it('keeps at most OPEN_MAX open tasks and unacknowledged failures: the most recently updated', () => {
    const tray = connected()
    const total = OPEN_MAX + 1_000
    for (let i = 0; i < total; i += 1) tray.applyUpdate(makeUpdate({ task_id: `t${i}`, status: 'failed' }))
    const kept = tray.persisted()
    expect(Object.keys(kept.open)).toHaveLength(OPEN_MAX)
    expect(kept.open.t0).toBeUndefined()
    expect(kept.open[`t${total - 1}`]).toBeDefined()
    expect(kept.unacknowledged).toHaveLength(OPEN_MAX)
    expect(tray.model(NOW).tooltip).toBe(`TaskPulse — 0 running, ${OPEN_MAX} failed, ${OPEN_MAX} new`)
    // An old file above the cap is cut when loaded.
    expect(Object.keys(createTrayState(kept, { openMax: 10 }).persisted().open)).toHaveLength(10)
  })

  it('its counts always equal a recount of the open tasks (incremental counters)', () => {
    const status = fc.constantFrom(...TASK_STATUSES)
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('update' as const),
        id: fc.integer({ min: 0, max: 12 }),
        status,
        prev: status,
      }),
      fc.record({
        kind: fc.constant('snapshot' as const),
        tasks: fc.array(fc.record({ id: fc.integer({ min: 0, max: 12 }), status }), { maxLength: 15 }),
      }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const tray = createTrayState(null, { openMax: 8 })
        tray.setBackend({ status: 'running', connection }, 'embedded')
        tray.setLink('connected')
        for (const s of steps) {
          if (s.kind === 'update')
            tray.applyUpdate(makeUpdate({ task_id: `t${s.id}`, status: s.status, previous_status: s.prev }))
          else {
            const unique = new Map(s.tasks.map((t) => [t.id, t]))
            tray.applySnapshot(
              [...unique.values()].map((t) => makeTask({ task_id: `t${t.id}`, status: t.status })),
            )
          }
          const open = Object.values(tray.persisted().open)
          expect(open.length).toBeLessThanOrEqual(8)
          const n = (st: string) => open.filter((t) => t.status === st).length
          const tooltip = tray.model(NOW).tooltip
          expect(tooltip).toContain(`${n('running')} running, ${n('failed')} failed`)
          if (n('pending') > 0) expect(tooltip).toContain(`${n('pending')} pending`)
          else expect(tooltip).not.toContain('pending')
        }
      }),
      { numRuns: 200 },
    )
  })
})
