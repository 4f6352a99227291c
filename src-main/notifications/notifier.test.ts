import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { defaultNotificationPrefs, type NotificationPrefs } from '../../src-shared/ipc'
import { createNotifier, formatSilence, pauseUntil, type NoteSpec, type NotifierState } from './notifier'
import { makeTask, makeUpdate, manualClock } from '../../test/fakes/main/fixtures'

const EPOCH = 'epoch-a'

function setup(opts: { prefs?: Partial<NotificationPrefs>; focused?: boolean; state?: NotifierState } = {}) {
  const clock = manualClock()
  const shown: NoteSpec[] = []
  let prefs: NotificationPrefs = { ...defaultNotificationPrefs(), ...opts.prefs }
  let focused = opts.focused ?? false
  const states: NotifierState[] = []
  const notifier = createNotifier({
    show: (n) => shown.push(n),
    now: clock.now,
    setTimer: clock.setTimer,
    prefs: () => prefs,
    isFocused: () => focused,
    state: opts.state ?? null,
    onStateChange: () => states.push(notifier.state()),
  })
  return {
    clock,
    shown,
    notifier,
    states,
    setPrefs: (p: Partial<NotificationPrefs>) => (prefs = { ...prefs, ...p }),
    setFocused: (f: boolean) => (focused = f),
  }
}

describe('notifier', () => {
  describe('#handle transitions', () => {
    it('notifies when a task enters failed, naming it and its error', () => {
      const { notifier, shown } = setup()
      const r = notifier.handle(
        makeUpdate({
          task_id: 't1',
          title: 'Nightly build',
          status: 'failed',
          error: 'exit 2\nstack…',
          assignee: 'bot',
          project_id: 'p9',
        }),
        EPOCH,
      )
      expect(r).toBe('shown')
      expect(shown).toEqual([
        expect.objectContaining({
          kind: 'task',
          taskId: 't1',
          transition: 'failed',
          title: 'Nightly build failed',
        }),
      ])
      expect(shown[0]?.body).toContain('agent bot')
      expect(shown[0]?.body).toContain('project p9')
      expect(shown[0]?.body).toContain('exit 2')
      expect(shown[0]?.body).not.toContain('stack')
    })

    it('names a task without a title by its id', () => {
      const { notifier, shown } = setup()
      notifier.handle(makeUpdate({ task_id: 'job-42', status: 'completed' }), EPOCH)
      expect(shown[0]?.title).toBe('job-42 completed')
    })

    it('words the transitions like CCMenu: failed, still failing, fixed, completed', () => {
      const { notifier, shown, clock } = setup()
      const seq: [string, 'failed' | 'completed'][] = [
        ['a', 'failed'],
        ['a', 'failed'],
        ['a', 'completed'],
        ['a', 'completed'],
      ]
      for (const [id, status] of seq) {
        notifier.handle(makeUpdate({ task_id: id, status, previous_status: 'running' }), EPOCH)
        clock.advance(10_000)
      }
      expect(shown.map((n) => n.kind === 'task' && n.transition)).toEqual([
        'failed',
        'still failing',
        'fixed',
        'completed',
      ])
    })

    it('ignores updates that do not enter failed or completed', () => {
      const { notifier, shown } = setup()
      expect(
        notifier.handle(makeUpdate({ task_id: 'a', status: 'running', previous_status: 'pending' }), EPOCH),
      ).toBe('ignored')
      expect(
        notifier.handle(makeUpdate({ task_id: 'a', status: 'pending', previous_status: null }), EPOCH),
      ).toBe('ignored')
      // failed → failed (say, the error text changed) is not a new failure
      expect(
        notifier.handle(makeUpdate({ task_id: 'b', status: 'failed', previous_status: 'failed' }), EPOCH),
      ).toBe('ignored')
      expect(shown).toEqual([])
    })

    it('treats a new task that arrives already failed as entering failed', () => {
      const { notifier, shown } = setup()
      expect(
        notifier.handle(makeUpdate({ task_id: 'n', status: 'failed', previous_status: null }), EPOCH),
      ).toBe('shown')
      expect(shown).toHaveLength(1)
    })
  })

  describe('#handle duplicates and replays', () => {
    it('never notifies twice for the same event_id', () => {
      const { notifier, shown } = setup()
      const u = makeUpdate({ task_id: 'a', status: 'failed' })
      expect(notifier.handle(u, EPOCH)).toBe('shown')
      expect(notifier.handle({ ...u }, EPOCH)).toBe('duplicate')
      expect(notifier.handle({ ...u, seq: u.seq + 100 }, 'other-epoch')).toBe('duplicate')
      expect(shown).toHaveLength(1)
    })

    it('drops replayed events at or below the cursor after a reconnect', () => {
      const { notifier, shown, clock } = setup()
      const first = makeUpdate({ task_id: 'a', status: 'failed', seq: 10, event_id: 'e10' })
      notifier.handle(first, EPOCH)
      notifier.setCursor(EPOCH, 12)
      // A different event id but a seq the client already passed: a replay from the server.
      expect(
        notifier.handle(makeUpdate({ task_id: 'b', status: 'failed', seq: 11, event_id: 'x' }), EPOCH),
      ).toBe('duplicate')
      clock.advance(10_000)
      expect(
        notifier.handle(makeUpdate({ task_id: 'b', status: 'failed', seq: 13, event_id: 'y' }), EPOCH),
      ).toBe('shown')
      expect(shown.map((n) => (n.kind === 'task' ? n.taskId : ''))).toEqual(['a', 'b'])
    })

    it('does not re-notify after a restart with the persisted state', () => {
      const first = setup()
      const u = makeUpdate({ task_id: 'a', status: 'failed', seq: 5 })
      first.notifier.handle(u, EPOCH)
      const persisted = JSON.parse(JSON.stringify(first.states.at(-1))) as NotifierState
      const second = setup({ state: persisted })
      expect(second.notifier.cursor()).toEqual({ epoch: EPOCH, seq: 5 })
      expect(second.notifier.handle(u, EPOCH)).toBe('duplicate')
      // … and remembers the outcome: the next failure is "still failing"
      second.notifier.handle(makeUpdate({ task_id: 'a', status: 'failed', seq: 9 }), EPOCH)
      expect(second.shown[0]).toMatchObject({ transition: 'still failing' })
    })

    it('a snapshot notifies nothing but sets the cursor and the outcomes', () => {
      const { notifier, shown } = setup()
      notifier.noteSnapshot(
        [makeTask({ task_id: 'a', status: 'failed' }), makeTask({ task_id: 'b', status: 'running' })],
        EPOCH,
        40,
      )
      expect(shown).toEqual([])
      expect(notifier.cursor()).toEqual({ epoch: EPOCH, seq: 40 })
      notifier.handle(makeUpdate({ task_id: 'a', status: 'completed', seq: 41 }), EPOCH)
      expect(shown[0]).toMatchObject({ transition: 'fixed' })
    })

    it('bounds what it remembers', () => {
      const clock = manualClock()
      const states: NotifierState[] = []
      const n = createNotifier({
        show: () => {},
        now: clock.now,
        setTimer: clock.setTimer,
        prefs: defaultNotificationPrefs,
        isFocused: () => false,
        maxSeen: 10,
        maxOutcomes: 5,
        onStateChange: () => states.push(n.state()),
      })
      for (let i = 0; i < 50; i++) n.handle(makeUpdate({ task_id: `t${i}`, status: 'failed' }), EPOCH)
      expect(n.state().seen).toHaveLength(10)
      expect(Object.keys(n.state().lastOutcome)).toHaveLength(5)
      expect(n.state().lastOutcome['t49']).toBe('failed')
    })
  })

  describe('#handle filters', () => {
    it('failures only silences completions', () => {
      const { notifier, shown } = setup({ prefs: { failuresOnly: true } })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'completed' }), EPOCH)).toBe('filtered')
      expect(notifier.handle(makeUpdate({ task_id: 'b', status: 'failed' }), EPOCH)).toBe('shown')
      expect(shown).toHaveLength(1)
    })

    it('per status switches', () => {
      const { notifier } = setup({ prefs: { onFailed: false } })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'failed' }), EPOCH)).toBe('filtered')
      expect(notifier.handle(makeUpdate({ task_id: 'b', status: 'completed' }), EPOCH)).toBe('shown')
    })

    it('per project and per agent', () => {
      const { notifier } = setup({
        prefs: { projects: { mode: 'only', names: ['web'] }, agents: { mode: 'except', names: ['noisy'] } },
      })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'failed', project_id: 'api' }), EPOCH)).toBe(
        'filtered',
      )
      expect(notifier.handle(makeUpdate({ task_id: 'b', status: 'failed', project_id: null }), EPOCH)).toBe(
        'filtered',
      )
      expect(
        notifier.handle(
          makeUpdate({ task_id: 'c', status: 'failed', project_id: 'web', assignee: 'noisy' }),
          EPOCH,
        ),
      ).toBe('filtered')
      expect(
        notifier.handle(
          makeUpdate({ task_id: 'd', status: 'failed', project_id: 'web', assignee: 'calm' }),
          EPOCH,
        ),
      ).toBe('shown')
    })

    it('the master switch turns everything off', () => {
      const { notifier } = setup({ prefs: { enabled: false } })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'failed' }), EPOCH)).toBe('disabled')
    })

    it('a filtered event still counts for later wording and dedupe', () => {
      const { notifier, shown, setPrefs } = setup({ prefs: { onFailed: false } })
      const u = makeUpdate({ task_id: 'a', status: 'failed' })
      notifier.handle(u, EPOCH)
      setPrefs({ onFailed: true })
      expect(notifier.handle(u, EPOCH)).toBe('duplicate')
      notifier.handle(makeUpdate({ task_id: 'a', status: 'completed' }), EPOCH)
      expect(shown[0]).toMatchObject({ transition: 'fixed' })
    })
  })

  describe('#handle do-not-disturb and focus', () => {
    it('pause for 1 h silences until it ends, and nothing is replayed afterwards', () => {
      const { notifier, shown, clock, setPrefs } = setup()
      setPrefs({ pausedUntil: pauseUntil('1h', clock.now()) })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'failed' }), EPOCH)).toBe('paused')
      clock.advance(59 * 60 * 1000)
      expect(notifier.handle(makeUpdate({ task_id: 'b', status: 'failed' }), EPOCH)).toBe('paused')
      clock.advance(60 * 1000)
      expect(notifier.handle(makeUpdate({ task_id: 'c', status: 'failed' }), EPOCH)).toBe('shown')
      expect(shown.map((n) => (n.kind === 'task' ? n.taskId : ''))).toEqual(['c'])
    })

    it('"until tomorrow" ends at the next local midnight', () => {
      const now = new Date(2026, 4, 10, 15, 30).getTime()
      expect(pauseUntil('tomorrow', now)).toBe(new Date(2026, 4, 11, 0, 0).getTime())
      expect(pauseUntil('off', now)).toBeNull()
    })

    it('only when unfocused: quiet while the window has focus', () => {
      const { notifier, setFocused } = setup({ prefs: { onlyWhenUnfocused: true }, focused: true })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'failed' }), EPOCH)).toBe('focused')
      setFocused(false)
      expect(notifier.handle(makeUpdate({ task_id: 'b', status: 'failed' }), EPOCH)).toBe('shown')
    })

    it('focus does not matter when the rule is off', () => {
      const { notifier } = setup({ focused: true })
      expect(notifier.handle(makeUpdate({ task_id: 'a', status: 'failed' }), EPOCH)).toBe('shown')
    })
  })

  describe('#handle bursts', () => {
    it('shows 2 individually, then sums up the rest when the 5 s window closes', () => {
      const { notifier, shown, clock } = setup()
      const results: string[] = []
      for (let i = 0; i < 12; i++) {
        results.push(
          notifier.handle(makeUpdate({ task_id: `t${i}`, status: i < 9 ? 'failed' : 'completed' }), EPOCH),
        )
        clock.advance(100)
      }
      expect(results.filter((r) => r === 'shown')).toHaveLength(2)
      expect(shown).toHaveLength(2)
      expect(notifier.pendingCount()).toBe(10)
      clock.advance(3_799) // t = 4 999 ms after the first
      expect(shown).toHaveLength(2)
      clock.advance(1)
      expect(shown).toHaveLength(3)
      expect(shown[2]).toEqual({
        kind: 'summary',
        counts: { failed: 7, completed: 3, waiting: 0, stale: 0 },
        title: '10 more task updates',
        body: '7 failed, 3 completed',
      })
    })

    it('a single overflow event is shown as itself, not as a summary', () => {
      const { notifier, shown, clock } = setup()
      for (const id of ['a', 'b', 'c']) notifier.handle(makeUpdate({ task_id: id, status: 'failed' }), EPOCH)
      clock.advance(5_000)
      expect(shown.map((n) => n.kind)).toEqual(['task', 'task', 'task'])
      expect(shown[2]).toMatchObject({ taskId: 'c' })
    })

    it('the window slides: a third event after the first left the window is shown', () => {
      const { notifier, shown, clock } = setup()
      notifier.handle(makeUpdate({ task_id: 'a', status: 'failed' }), EPOCH)
      clock.advance(3_000)
      notifier.handle(makeUpdate({ task_id: 'b', status: 'failed' }), EPOCH)
      clock.advance(2_001)
      expect(notifier.handle(makeUpdate({ task_id: 'c', status: 'failed' }), EPOCH)).toBe('shown')
      expect(shown).toHaveLength(3)
    })

    it('dispose cancels a pending summary', () => {
      const { notifier, shown, clock } = setup()
      for (const id of ['a', 'b', 'c', 'd'])
        notifier.handle(makeUpdate({ task_id: id, status: 'failed' }), EPOCH)
      notifier.dispose()
      clock.advance(60_000)
      expect(shown).toHaveLength(2)
      expect(clock.pending()).toBe(0)
    })

    it('property: any 5 s holds at most 2 individual notifications plus the summary, and every event is told once', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              gap: fc.integer({ min: 0, max: 4_000 }),
              status: fc.constantFrom<'failed' | 'completed'>('failed', 'completed'),
            }),
            {
              maxLength: 60,
            },
          ),
          (events) => {
            const clock = manualClock()
            const log: { at: number; note: NoteSpec }[] = []
            const n = createNotifier({
              show: (note) => log.push({ at: clock.now(), note }),
              now: clock.now,
              setTimer: clock.setTimer,
              prefs: defaultNotificationPrefs,
              isFocused: () => false,
            })
            events.forEach((e, i) => {
              clock.advance(e.gap)
              n.handle(makeUpdate({ task_id: `t${i}`, status: e.status }), EPOCH)
            })
            clock.advance(10_000)
            const told = log.reduce(
              (sum, l) => sum + (l.note.kind === 'task' ? 1 : l.note.counts.failed + l.note.counts.completed),
              0,
            )
            expect(told).toBe(events.length)
            // Per 5 s window: at most 2 individual notifications plus the one summing up the rest.
            for (const a of log) {
              expect(log.filter((b) => b.at > a.at - 5_000 && b.at <= a.at).length).toBeLessThanOrEqual(3)
            }
          },
        ),
      )
    })
  })
})

describe('attention notifications', () => {
  // manualClock starts at 2026-01-01T12:00:00Z.
  const STALE_SINCE = '2026-01-01T11:50:00.000Z'
  const LAST_UPDATE = '2026-01-01T11:37:00.000Z' // 23 min before the clock's now

  it('a task entering waiting notifies "<agent> needs your input: <reason>"; a click target is the task', () => {
    const { notifier, shown } = setup()
    const r = notifier.handle(
      makeUpdate({
        task_id: 'sess-1',
        title: 'Refactor the parser',
        assignee: 'claude-code@repo-x',
        project_id: 'repo-x',
        status: 'waiting',
        previous_status: 'running',
        output: 'Bash: npm test\nPermission requested: run `rm -rf dist`?\n',
      }),
      EPOCH,
    )
    expect(r).toBe('shown')
    expect(shown[0]).toMatchObject({
      kind: 'task',
      taskId: 'sess-1',
      status: 'waiting',
      title: 'claude-code@repo-x needs your input: Permission requested: run `rm -rf dist`?',
    })
    expect(shown[0]?.body).toBe('Refactor the parser · project repo-x')
    // Staying in waiting (another update while waiting) does not notify again.
    expect(
      notifier.handle(
        makeUpdate({ task_id: 'sess-1', status: 'waiting', previous_status: 'waiting', output: 'still?' }),
        EPOCH,
      ),
    ).toBe('ignored')
  })

  it('waiting has its own rule switch and obeys do-not-disturb; failures-only does not silence it', () => {
    const { notifier, shown, setPrefs, clock } = setup({ prefs: { onWaiting: false, failuresOnly: true } })
    const waiting = (id: string) =>
      notifier.handle(makeUpdate({ task_id: id, status: 'waiting', previous_status: 'running' }), EPOCH)
    expect(waiting('a')).toBe('filtered')
    setPrefs({ onWaiting: true })
    expect(waiting('b')).toBe('shown')
    setPrefs({ pausedUntil: clock.now() + 60_000 })
    expect(waiting('c')).toBe('paused')
    expect(shown.map((n) => (n.kind === 'task' ? n.taskId : n.kind))).toEqual(['b'])
  })

  it('a newly stale task notifies once per stale spell, saying how long it has been silent', () => {
    const { notifier, shown } = setup()
    const stale = (extra: Partial<Parameters<typeof makeUpdate>[0]> = {}) =>
      notifier.handle(
        makeUpdate({
          task_id: 'etl',
          title: 'Nightly ETL',
          assignee: 'nightly-etl',
          status: 'running',
          previous_status: 'running',
          updated_at: LAST_UPDATE,
          stale_since: STALE_SINCE,
          ...extra,
        }),
        EPOCH,
      )
    expect(stale()).toBe('shown')
    expect(shown[0]).toMatchObject({
      status: 'stale',
      title: 'nightly-etl: Nightly ETL — no update for 23 min',
    })
    // Another frame of the same spell (an ack, say) does not notify again.
    expect(stale({ acknowledged_at: '2026-01-01T11:55:00.000Z' })).toBe('ignored')
    // It recovers, then goes stale again: a new spell, a new notification.
    expect(stale({ stale_since: null, updated_at: '2026-01-01T11:58:00.000Z' })).toBe('ignored')
    expect(stale({ stale_since: '2026-01-01T11:59:00.000Z' })).toBe('shown')
    expect(shown).toHaveLength(2)
  })

  it('stale has its own rule switch; a restart with the persisted state does not notify the same spell', () => {
    const first = setup({ prefs: { onStale: false } })
    const update = makeUpdate({
      task_id: 's',
      status: 'running',
      stale_since: STALE_SINCE,
      updated_at: LAST_UPDATE,
    })
    expect(first.notifier.handle(update, EPOCH)).toBe('filtered')
    const again = setup({ state: first.notifier.state() })
    expect(
      again.notifier.handle(
        makeUpdate({ task_id: 's', status: 'running', stale_since: STALE_SINCE, updated_at: LAST_UPDATE }),
        'another-epoch',
      ),
    ).toBe('ignored')
  })

  it('a snapshot with stale tasks notifies nothing, and their spell counts as known', () => {
    const { notifier, shown } = setup()
    notifier.noteSnapshot(
      [makeTask({ task_id: 's', status: 'running', stale_since: STALE_SINCE })],
      EPOCH,
      10,
    )
    notifier.handle(makeUpdate({ task_id: 's', status: 'running', stale_since: STALE_SINCE, seq: 11 }), EPOCH)
    expect(shown).toHaveLength(0)
  })

  it('stale and waiting notes take part in the burst summary', () => {
    const { notifier, shown, clock } = setup()
    for (let i = 0; i < 2; i++) notifier.handle(makeUpdate({ task_id: `f${i}`, status: 'failed' }), EPOCH)
    notifier.handle(makeUpdate({ task_id: 'w', status: 'waiting' }), EPOCH)
    notifier.handle(makeUpdate({ task_id: 's', status: 'running', stale_since: STALE_SINCE }), EPOCH)
    clock.advance(5_000)
    expect(shown[2]).toMatchObject({
      kind: 'summary',
      counts: { failed: 0, completed: 0, waiting: 1, stale: 1 },
      body: '1 waiting for input, 1 stale',
    })
  })

  it('formats silences for people', () => {
    expect(formatSilence(45_000)).toBe('45 s')
    expect(formatSilence(23 * 60_000)).toBe('23 min')
    expect(formatSilence(125 * 60_000)).toBe('2 h 5 min')
    expect(formatSilence(120 * 60_000)).toBe('2 h')
    expect(formatSilence(28 * 3600_000)).toBe('1 d 4 h')
  })
})
