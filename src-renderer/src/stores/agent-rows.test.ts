import { describe, expect, it } from 'vitest'
import {
  agentSummary,
  compactColumns,
  nameWidthPx,
  NAME_MAX_PX,
  NAME_MIN_PX,
  failureRate,
  formatDuration,
  formatShortDuration,
  formatRate,
  outcomeText,
  runningForMs,
  selectAgentRows,
  selectTaskRows,
  stepTask,
  summarizeAgent,
  OUTCOME_RUNS,
  type AgentFilter,
} from './agent-rows'
import type { Task } from '../../../src-shared/protocol'
import { createTaskStore } from './task-store'
import { makeTask } from '../../../test/fakes/renderer/fake-socket'

function storeWith() {
  const store = createTaskStore()
  store.getState().applyBatch([
    {
      kind: 'snapshot',
      seq: 1,
      tasks: [
        makeTask({
          task_id: 'a1',
          assignee: 'alpha',
          status: 'completed',
          project_id: 'web',
          updated_at: '2026-11-23T10:00:00.000Z',
        }),
        makeTask({
          task_id: 'b1',
          assignee: 'beta',
          status: 'failed',
          project_id: 'data',
          title: 'Nightly ETL',
          updated_at: '2026-11-23T09:00:00.000Z',
        }),
        makeTask({
          task_id: 'g1',
          assignee: 'gamma',
          status: 'running',
          project_id: 'web',
          updated_at: '2026-11-23T08:00:00.000Z',
        }),
        makeTask({
          task_id: 'u1',
          assignee: null,
          status: 'pending',
          updated_at: '2026-11-23T11:00:00.000Z',
        }),
      ],
    },
  ])
  return store.getState()
}

const all: AgentFilter = { status: 'all', project: 'all', search: '' }

describe('agent rows', () => {
  it('sorts by attention: an unacknowledged failure first, then running, then the rest by name', () => {
    const s = storeWith()
    expect(selectAgentRows(s.agentKeys, s.agents, s.tasks, all, 'attention')).toEqual([
      'beta',
      'gamma',
      'alpha',
      '',
    ])
    expect(selectAgentRows(s.agentKeys, s.agents, s.tasks, all, 'recent')).toEqual([
      '',
      'alpha',
      'beta',
      'gamma',
    ])
    expect(selectAgentRows(s.agentKeys, s.agents, s.tasks, all, 'name')).toEqual([
      'alpha',
      'beta',
      'gamma',
      '',
    ])
  })
  it('filters by status, project and search (name or current task); unassigned is searchable', () => {
    const s = storeWith()
    const rows = (f: Partial<typeof all>) =>
      selectAgentRows(s.agentKeys, s.agents, s.tasks, { ...all, ...f }, 'name')
    expect(rows({ status: 'failed' })).toEqual(['beta'])
    expect(rows({ project: 'web' })).toEqual(['alpha', 'gamma'])
    expect(rows({ search: 'etl' })).toEqual(['beta'])
    expect(rows({ search: 'GAM' })).toEqual(['gamma'])
    expect(rows({ search: 'unassig' })).toEqual([''])
  })
  it('task rows: the store order itself when unfiltered, filtered otherwise', () => {
    const s = storeWith()
    expect(selectTaskRows(s.order, s.tasks, all)).toBe(s.order)
    expect(selectTaskRows(s.order, s.tasks, { ...all, project: 'web' })).toEqual(['a1', 'g1'])
    expect(selectTaskRows(s.order, s.tasks, { ...all, project: '' })).toEqual(['u1'])
  })
})

const NOW = Date.parse('2026-11-23T12:00:00.000Z')
const ago = (min: number) => new Date(NOW - min * 60_000).toISOString()

/** A store of one task list (applied as a snapshot) and a helper to read the attention order. */
function fleet(tasks: Task[]) {
  const store = createTaskStore()
  store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
  const order = () => {
    const s = store.getState()
    return selectAgentRows(s.agentKeys, s.agents, s.tasks, all, 'attention')
  }
  return { store, order }
}

describe('agent row model', () => {
  it('outcome strip: the last 20 finished runs by finish time, oldest first, with a text equivalent', () => {
    const tasks: Task[] = []
    for (let i = 0; i < 30; i++)
      tasks.push(
        makeTask({
          task_id: `r${i}`,
          assignee: 'a',
          status: i % 5 === 0 ? 'failed' : 'completed',
          // finish order differs from id order: finished_at decides
          finished_at: ago(100 - i),
          updated_at: ago(200 - i),
        }),
      )
    tasks.push(makeTask({ task_id: 'run', assignee: 'a', status: 'running', updated_at: ago(1) }))
    const s = summarizeAgent(
      tasks.map((t) => t.task_id),
      new Map(tasks.map((t) => [t.task_id, t])),
    )
    expect(s.outcomes).toHaveLength(OUTCOME_RUNS)
    // runs 10..29, oldest first: failed at 10, 15, 20, 25
    expect(s.outcomes.map((o, i) => (o === 'failed' ? i : -1)).filter((i) => i >= 0)).toEqual([0, 5, 10, 15])
    expect(outcomeText(s.outcomes)).toBe('last 20 runs: 16 completed, 4 failed')
    expect(outcomeText([])).toBe('no finished runs')
    expect(s.longestRunning?.task_id).toBe('run')
  })

  it('summary: unacknowledged failures newest first; an ack before a later failure does not cover it', () => {
    const t = (id: string, over: Partial<Task>) => makeTask({ task_id: id, assignee: 'a', ...over })
    const tasks = [
      t('f-old', { status: 'failed', finished_at: ago(50) }),
      t('f-new', { status: 'failed', finished_at: ago(5) }),
      t('f-acked', { status: 'failed', finished_at: ago(40), acknowledged_at: ago(30) }),
      t('f-again', { status: 'failed', finished_at: ago(10), acknowledged_at: ago(20) }),
    ]
    const s = summarizeAgent(
      tasks.map((x) => x.task_id),
      new Map(tasks.map((x) => [x.task_id, x])),
    )
    expect(s.unacked).toEqual(['f-new', 'f-again', 'f-old'])
  })

  it('is cached on the agent entry: recomputed only when the store replaced that entry', () => {
    const { store } = fleet([
      makeTask({ task_id: 'a1', assignee: 'a', status: 'running' }),
      makeTask({ task_id: 'b1', assignee: 'b', status: 'running' }),
    ])
    const s0 = store.getState()
    const a0 = agentSummary(s0.agents.get('a')!, s0.tasks)
    const b0 = agentSummary(s0.agents.get('b')!, s0.tasks)
    store.getState().applyBatch([
      {
        kind: 'update',
        msg: {
          type: 'task_status_update',
          seq: 2,
          event_id: 'e2',
          previous_status: 'running',
          task: { ...s0.tasks.get('a1')!, stale_since: ago(1), last_event_id: 'e2' },
        },
      },
    ])
    const s1 = store.getState()
    expect(agentSummary(s1.agents.get('b')!, s1.tasks)).toBe(b0)
    const a1 = agentSummary(s1.agents.get('a')!, s1.tasks)
    expect(a1).not.toBe(a0)
    expect(a1.stale?.task_id).toBe('a1')
  })

  it('sorts "needs attention": unacknowledged failure, waiting, stale, longest running, the rest', () => {
    const { order } = fleet([
      makeTask({ task_id: 'done', assignee: 'z-done', status: 'completed', finished_at: ago(1) }),
      makeTask({ task_id: 'run-short', assignee: 'y-run-short', status: 'running', started_at: ago(5) }),
      makeTask({ task_id: 'run-long', assignee: 'x-run-long', status: 'running', started_at: ago(300) }),
      makeTask({
        task_id: 'stale-new',
        assignee: 'w-stale-new',
        status: 'running',
        started_at: ago(30),
        stale_since: ago(2),
      }),
      makeTask({
        task_id: 'stale-old',
        assignee: 'v-stale-old',
        status: 'running',
        started_at: ago(20),
        stale_since: ago(25),
      }),
      makeTask({ task_id: 'wait', assignee: 'u-wait', status: 'waiting', updated_at: ago(3) }),
      makeTask({
        task_id: 'acked',
        assignee: 't-acked',
        status: 'failed',
        finished_at: ago(4),
        acknowledged_at: ago(1),
      }),
      makeTask({ task_id: 'fail-old', assignee: 's-fail-old', status: 'failed', finished_at: ago(60) }),
      makeTask({ task_id: 'fail-new', assignee: 'r-fail-new', status: 'failed', finished_at: ago(2) }),
    ])
    expect(order()).toEqual([
      'r-fail-new', // unacknowledged failures, the most recent first
      's-fail-old',
      'u-wait', // waiting for input
      'v-stale-old', // stale, the longest stale first
      'w-stale-new',
      'x-run-long', // running, the longest first
      'y-run-short',
      't-acked', // the rest (an acknowledged failure is no longer news), by name
      'z-done',
    ])
  })

  it('an acknowledgement (an update from the backend) moves the agent out of the failure group', () => {
    const { store, order } = fleet([
      makeTask({ task_id: 'f', assignee: 'b', status: 'failed', finished_at: ago(2) }),
      makeTask({ task_id: 'r', assignee: 'a', status: 'running', started_at: ago(9) }),
    ])
    expect(order()).toEqual(['b', 'a'])
    const f = store.getState().tasks.get('f')!
    store.getState().applyBatch([
      {
        kind: 'update',
        msg: {
          type: 'task_status_update',
          seq: 2,
          event_id: 'e9',
          previous_status: 'failed',
          task: { ...f, acknowledged_at: ago(0), last_event_id: 'e9' },
        },
      },
    ])
    expect(order()).toEqual(['a', 'b'])
  })

  it('failure rate over finished runs, running-for, durations', () => {
    expect(failureRate({ completed: 17, failed: 3 })).toBeCloseTo(0.15)
    expect(failureRate({ completed: 0, failed: 0 })).toBeNull()
    expect(formatRate(0.15)).toBe('15%')
    expect(formatRate(null)).toBe('—')
    const run = makeTask({ task_id: 'x', status: 'running', started_at: ago(125) })
    expect(runningForMs(run, NOW)).toBe(125 * 60_000)
    expect(runningForMs({ ...run, status: 'completed' }, NOW)).toBeNull()
    expect(formatDuration(45_000)).toBe('45s')
    expect(formatDuration(12 * 60_000)).toBe('12m')
    expect(formatDuration(125 * 60_000)).toBe('2h 05m')
    expect(formatDuration(76 * 3600_000)).toBe('3d 4h')
    expect(formatShortDuration(47 * 3600_000 + 59 * 60_000)).toBe('47h')
    expect(formatShortDuration(49 * 3600_000)).toBe('2d')
    expect(formatShortDuration(5 * 60_000 + 30_000)).toBe('5m')
  })

  const DROP_ORDER = [['statusLabel'], ['strip'], ['rate'], ['running'], ['age']]
  /**
   * The columns that drop out, in turn, as the row narrows from `from` px to 300 px. Checks on the
   * way that the grid has exactly one track per column shown (nothing overlaps).
   */
  function droppedWhileNarrowing(
    from: number,
    step: number,
    columnsAt: (w: number) => ReturnType<typeof compactColumns>,
  ): string[][] {
    const seen: string[][] = []
    for (let w = from; w >= 300; w -= step) {
      const c = columnsAt(w)
      if (seen.at(-1)?.join() !== c.columns.join()) seen.push(c.columns)
      expect(c.template.split(/ (?![^(]*\))/)).toHaveLength(c.columns.length)
    }
    return seen.slice(1).map((cols, i) => seen[i]!.filter((c) => !cols.includes(c)))
  }

  it('compact columns drop out by priority; the title never goes below its readable width', () => {
    const wide = compactColumns(1200)
    expect(wide.columns).toEqual([
      'status',
      'statusLabel',
      'name',
      'title',
      'attention',
      'running',
      'age',
      'strip',
      'rate',
    ])
    // Narrower: the status word goes first, then the strip, the rate, running-for, the age.
    expect(droppedWhileNarrowing(1200, 10, (w) => compactColumns(w))).toEqual(DROP_ORDER)
    // The base set always keeps the title at its readable minimum (150 px).
    expect(compactColumns(300).columns).toEqual(['status', 'name', 'title', 'attention'])
    expect(compactColumns(300).template).toContain('minmax(150px, 1fr)')
    // A 1024 px window's agents pane (≈ 496 px inside) keeps the last-update age.
    expect(compactColumns(496).columns).toContain('age')
  })

  it('gives the agent name the room its longest name wants before the optional columns after the age', () => {
    const want = nameWidthPx('claude-code@webshop'.length)
    expect(want).toBeGreaterThanOrEqual(140)
    expect(nameWidthPx(400)).toBe(NAME_MAX_PX)
    expect(nameWidthPx(1)).toBe(NAME_MIN_PX)
    // A 1440×900 window's agents pane (847 px row): the name track reaches its wanted width and
    // the redundant status word (the glyph says it) is what gives way.
    const at1440 = compactColumns(847, 34, want)
    expect(at1440.template).toContain(`minmax(${NAME_MIN_PX}px, ${want}px)`)
    expect(at1440.columns).toEqual([
      'status',
      'name',
      'title',
      'attention',
      'running',
      'age',
      'strip',
      'rate',
    ])
    // The room the columns shown need, name at its wanted width and title at its minimum, fits.
    const px: Record<string, number> = {
      status: 22,
      name: want,
      title: 150,
      attention: 80,
      running: 80,
      age: 76,
      strip: 100,
      rate: 44,
    }
    const need = at1440.columns.reduce((n, c) => n + px[c]!, 0) + 8 * (at1440.columns.length - 1) + 34
    expect(need).toBeLessThanOrEqual(847)
    // Narrow (a 1024 px window): the age keeps priority over the name's extra room; title ≥ 150.
    const at1024 = compactColumns(496, 34, want)
    expect(at1024.columns).toEqual(['status', 'name', 'title', 'attention', 'age'])
    expect(at1024.template).toContain('minmax(150px, 1fr)')
    // Dropping order is unchanged by a wide name: statusLabel, strip, rate, running, then age.
    expect(droppedWhileNarrowing(1400, 2, (w) => compactColumns(w, 34, want))).toEqual(DROP_ORDER)
  })

  it('j/k steps through the list order, from the top when the task is not in it, stopping at the ends', () => {
    const ids = ['a', 'b', 'c']
    expect(stepTask(ids, 'b', 1)).toBe('c')
    expect(stepTask(ids, 'b', -1)).toBe('a')
    expect(stepTask(ids, 'c', 1)).toBeNull()
    expect(stepTask(ids, 'a', -1)).toBeNull()
    expect(stepTask(ids, 'gone', 1)).toBe('a')
    expect(stepTask([], 'a', 1)).toBeNull()
  })
})
