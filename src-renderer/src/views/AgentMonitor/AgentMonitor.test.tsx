import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { AgentMonitor } from './AgentMonitor'
import type * as AgentRowModule from './AgentRow'
import type * as TaskRowModule from './TaskRow'
import { fakeLayout, makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import { makeTask, updateMsg } from '../../../../test/fakes/renderer/fake-socket'
import { createUiStore } from '../../stores/ui-store'
import type { Task } from '../../../../src-shared/protocol'

// Each row rendered with a React <Profiler> inside its memo boundary (test/fakes/renderer/profiled.ts),
// which reports every commit that re-rendered it: the rows themselves carry no probe. Counting is
// on only while `probe.state.renders` is set.
const probe = vi.hoisted(() => {
  const state = { renders: null as Map<string, number> | null }
  return {
    state,
    onRender: (id: string) => void state.renders?.set(id, (state.renders.get(id) ?? 0) + 1),
  }
})
vi.mock('./TaskRow', async (importOriginal) => {
  const { profiled } = await import('../../../../test/fakes/renderer/profiled')
  const { TaskRow } = await importOriginal<typeof TaskRowModule>()
  return { TaskRow: profiled<{ id: string }>(TaskRow, (p) => `task:${p.id}`, probe.onRender) }
})
vi.mock('./AgentRow', async (importOriginal) => {
  const { profiled } = await import('../../../../test/fakes/renderer/profiled')
  const { AgentRow } = await importOriginal<typeof AgentRowModule>()
  return {
    AgentRow: profiled<{ agentKey: string }>(AgentRow, (p) => `agent:${p.agentKey}`, probe.onRender),
  }
})

describe('agent monitor', () => {
  let restoreLayout: () => void
  beforeEach(() => {
    restoreLayout = fakeLayout()
  })
  afterEach(() => {
    cleanup()
    restoreLayout()
    probe.state.renders = null
  })

  function setup(n = 6) {
    const parts = makeParts()
    const tasks = Array.from({ length: n }, (_, i) =>
      makeTask({
        task_id: `t${i}`,
        title: `Task ${i}`,
        assignee: `agent-${i}`,
        status: 'running',
        updated_at: new Date(Date.now() - i * 1000).toISOString(),
      }),
    )
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    render(withParts(parts, <AgentMonitor />))
    return { parts, tasks }
  }

  it('shows a compact row per agent (the default) and a row per task', () => {
    setup()
    expect(document.querySelectorAll('[data-agent]')).toHaveLength(6)
    expect(document.querySelectorAll('.task-row[data-task-id]')).toHaveLength(6)
    const row = document.querySelector('[data-agent="agent-3"]')!
    expect(row.className).toContain('aline')
    // status as glyph and word, the task, running-for, last-update age
    expect(row.textContent).toContain('◐')
    expect(row.textContent).toContain('Running')
    expect(row.textContent).toContain('Task 3')
    expect(row.textContent).toContain('running for')
    expect(row.textContent).toMatch(/updated \d+s ago/)
    expect(row.textContent).toContain('no finished runs')
  })

  it('cards stay available through a toggle that persists', () => {
    const stored = new Map<string, string>()
    const prefs = {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
    }
    const parts = makeParts({ ui: createUiStore({}, prefs) })
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [makeTask({ task_id: 'c1', assignee: 'cat', status: 'running' })],
      },
    ])
    render(withParts(parts, <AgentMonitor />))
    fireEvent.click(screen.getByRole('radio', { name: /Cards/ }))
    expect(screen.getByRole('heading', { name: 'cat' })).toBeTruthy()
    expect(stored.get('taskpulse.agentLayout')).toBe('cards')
    // A new window reads it back.
    expect(createUiStore({}, prefs).getState().agentLayout).toBe('cards')
    expect(createUiStore({}, null).getState().agentLayout).toBe('rows')
  })

  it('a change to one task re-renders only the rows that show it', () => {
    const { parts, tasks } = setup()
    probe.state.renders = new Map()
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(
            {
              ...tasks[3]!,
              status: 'failed',
              error: 'boom',
              updated_at: new Date(Date.now() - 3000).toISOString(),
            },
            2,
          ),
        },
      ])
    })
    const renders = Object.fromEntries(probe.state.renders)
    expect(renders).toEqual({ 'task:t3': 1, 'agent:agent-3': 1 })
    const row = document.querySelector('[data-agent="agent-3"]')!
    expect(row.className).toContain('aline-failed')
    expect(row.getAttribute('data-unacked')).toBe('1')
    expect(row.textContent).toContain('1 failed')
    expect(row.textContent).toContain('last 1 runs: 0 completed, 1 failed')
    expect(document.querySelector('[data-task-id="t3"]')!.getAttribute('data-status')).toBe('failed')
    // An acknowledgement (same updated_at, so the task keeps its place) re-renders the same two.
    probe.state.renders = new Map()
    const failed = parts.tasks.getState().tasks.get('t3')!
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg({ ...failed, acknowledged_at: new Date().toISOString(), last_event_id: 'ack' }, 3),
        },
      ])
    })
    expect(Object.fromEntries(probe.state.renders)).toEqual({ 'task:t3': 1, 'agent:agent-3': 1 })
    expect(row.getAttribute('data-unacked')).toBeNull()
  })

  it('filters by status and search; shows unassigned tasks', async () => {
    const { parts } = setup(3)
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(
            makeTask({ task_id: 'loose', title: 'Orphan job', assignee: null, status: 'pending' }),
            2,
          ),
        },
      ])
    })
    expect(document.querySelector('[data-agent="Unassigned"]')).toBeTruthy()
    fireEvent.click(screen.getByRole('radio', { name: /Pending/ }))
    expect([...document.querySelectorAll('[data-agent]')].map((e) => e.getAttribute('data-agent'))).toEqual([
      'Unassigned',
    ])
    act(() => {
      parts.ui.getState().setStatusFilter('all')
      parts.ui.getState().setSearch('agent-1')
    })
    // The search store answers after its debounce (here: matched locally, the fake has no route).
    await vi.waitFor(() =>
      expect([...document.querySelectorAll('[data-agent]')].map((e) => e.getAttribute('data-agent'))).toEqual(
        ['agent-1'],
      ),
    )
    expect([...document.querySelectorAll('.task-row')].map((e) => e.getAttribute('data-task-id'))).toEqual([
      't1',
    ])
  })

  it('search: rows filtered to the matches of the search store (output and error too), titles highlighted', async () => {
    const parts = makeParts()
    parts.api.search = async (q) => ({
      query: q,
      results: [{ task_id: 'oom', field: 'error', snippet: 'java.lang.OutOfMemoryError' }],
      truncated: false,
    })
    const tasks = [
      makeTask({
        task_id: 'oom',
        assignee: 'loader',
        title: 'Load orders',
        status: 'failed',
        error: 'java.lang.OutOfMemoryError',
      }),
      makeTask({ task_id: 'ok', assignee: 'other', title: 'Load invoices', status: 'completed' }),
    ]
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    render(withParts(parts, <AgentMonitor />))
    act(() => parts.ui.getState().setSearch('OutOfMemory'))
    await vi.waitFor(() =>
      expect([...document.querySelectorAll('.task-row')].map((e) => e.getAttribute('data-task-id'))).toEqual([
        'oom',
      ]),
    )
    expect([...document.querySelectorAll('[data-agent]')].map((e) => e.getAttribute('data-agent'))).toEqual([
      'loader',
    ])
    act(() => parts.ui.getState().setSearch('load'))
    parts.api.search = async (q) => ({
      query: q,
      results: tasks.map((t) => ({ task_id: t.task_id, field: 'title' as const, snippet: t.title! })),
      truncated: false,
    })
    act(() => parts.ui.getState().setSearch('Load'))
    await vi.waitFor(() => expect(document.querySelectorAll('.task-row')).toHaveLength(2))
    await vi.waitFor(() =>
      expect(document.querySelector('.task-row[data-task-id="ok"] mark')?.textContent).toBe('Load'),
    )
    expect(document.querySelector('[data-agent="loader"] .aline-title mark')?.textContent).toBe('Load')
  })

  it('shows how to send a first task when there is none, with the real URL', () => {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 0, tasks: [] }])
    render(withParts(parts, <AgentMonitor />))
    expect(screen.getByRole('heading', { name: 'No tasks yet' })).toBeTruthy()
    expect(document.body.textContent).toContain('curl -X PUT http://127.0.0.1:8080/api/tasks/first-task')
    expect(document.body.textContent).toContain('taskpulse emit --server http://127.0.0.1:8080')
    expect(document.body.textContent).toContain('redis-cli')
    expect(document.body.textContent).not.toContain("'tok'")
  })

  it('opens task detail from a row', () => {
    const { parts } = setup(2)
    fireEvent.click(document.querySelector('[data-task-id="t1"]')!)
    expect(parts.ui.getState().selectedTaskId).toBe('t1')
  })

  it('stale: marked on the task row and on its agent row, with glyph and words', () => {
    const { parts, tasks } = setup(3)
    const since = new Date(Math.floor(parts.clock.getState().now / 1000) * 1000 - 23 * 60_000).toISOString()
    act(() => {
      parts.tasks
        .getState()
        .applyBatch([
          { kind: 'update', msg: updateMsg({ ...tasks[1]!, stale_since: since, last_event_id: 'st' }, 2) },
        ])
    })
    const row = document.querySelector('.task-row[data-task-id="t1"]')!
    expect(row.getAttribute('data-stale')).toBe('true')
    expect(row.querySelector('[data-mark="stale"]')!.textContent).toBe('◷ stale 23m')
    const agent = document.querySelector('[data-agent="agent-1"]')!
    expect(agent.getAttribute('data-stale')).toBe('true')
    expect(agent.className).toContain('aline-stale')
    expect(agent.querySelector('[data-mark="stale"]')!.textContent).toBe('◷ stale 23m')
    // running-for and time since the last update on every running task row
    expect(row.textContent).toMatch(/running \d+s · updated \d+s ago/)
    // the stale agent sorts before the merely running ones
    expect(document.querySelector('[data-agent]')!.getAttribute('data-agent')).toBe('agent-1')
  })

  it('a on a task row or an agent row acknowledges through the backend; the mark stays until the update comes back', async () => {
    const acked: string[][] = []
    const parts = makeParts()
    parts.api.ack = async (ids) => void acked.push([...ids])
    const failed = (id: string, who: string): Task =>
      makeTask({ task_id: id, assignee: who, status: 'failed', finished_at: new Date().toISOString() })
    const tasks = [failed('f1', 'bob'), failed('f2', 'bob'), failed('f3', 'eve')]
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    render(withParts(parts, <AgentMonitor />))
    const row = document.querySelector<HTMLElement>('.task-row[data-task-id="f3"]')!
    expect(row.getAttribute('data-unacked')).toBe('true')
    fireEvent.keyDown(row, { key: 'a' })
    expect(acked).toEqual([['f3']])
    // No optimistic change: still marked until the backend's update frame.
    expect(row.getAttribute('data-unacked')).toBe('true')
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(
            {
              ...tasks[2]!,
              acknowledged_at: new Date(Date.now() + 1000).toISOString(),
              last_event_id: 'ack',
            },
            2,
          ),
        },
      ])
    })
    expect(document.querySelector('.task-row[data-task-id="f3"]')!.getAttribute('data-unacked')).toBeNull()
    expect(document.querySelector('[data-agent="eve"]')!.getAttribute('data-unacked')).toBeNull()
    // On an agent row: all of its unacknowledged failures, in one call.
    fireEvent.keyDown(document.querySelector('[data-agent="bob"]')!, { key: 'a' })
    expect(acked[1]!.slice().sort()).toEqual(['f1', 'f2'])
    // With a modifier it is not the ack key (Ctrl+A selects).
    fireEvent.keyDown(document.querySelector('.task-row[data-task-id="f1"]')!, { key: 'a', ctrlKey: true })
    expect(acked).toHaveLength(2)
  })

  it('a refused acknowledgement is said, and the mark stays', async () => {
    const parts = makeParts()
    parts.api.ack = async () => {
      throw new Error('404 not found')
    }
    const t = makeTask({
      task_id: 'f',
      assignee: 'x',
      status: 'failed',
      finished_at: new Date().toISOString(),
    })
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [t] }])
    render(withParts(parts, <AgentMonitor />))
    fireEvent.keyDown(document.querySelector('.task-row[data-task-id="f"]')!, { key: 'a' })
    expect((await screen.findByRole('alert')).textContent).toContain(
      'Could not acknowledge the failure: 404 not found',
    )
    expect(document.querySelector('.task-row[data-task-id="f"]')!.getAttribute('data-unacked')).toBe('true')
  })

  it('waiting shows violet ? Waiting wherever a status shows', () => {
    const parts = makeParts()
    const t = makeTask({ task_id: 'w', assignee: 'asker', status: 'waiting', title: 'Which DB?' })
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [t] }])
    render(withParts(parts, <AgentMonitor />))
    const agent = document.querySelector('[data-agent="asker"]')!
    expect(agent.textContent).toContain('?')
    expect(agent.textContent).toContain('Waiting')
    expect(agent.className).toContain('aline-waiting')
    // The agent row's status column says Waiting; its mark is the short form that fits its column.
    expect(agent.querySelector('[data-mark="waiting"]')!.textContent).toMatch(/^\? wait \d/)
    const row = document.querySelector('.task-row[data-task-id="w"]')!
    expect(row.querySelector('.badge-waiting')!.getAttribute('aria-label')).toBe('Status: Waiting')
    expect(row.querySelector('[data-mark="waiting"]')).toBeTruthy()
    expect(screen.getByRole('radio', { name: '? Waiting' })).toBeTruthy()
  })

  it('columns drop out by priority with the measured width of the list', () => {
    restoreLayout()
    restoreLayout = fakeLayout(900, 600)
    setup(2)
    const list = screen.getByTestId('agent-list')
    expect(list.getAttribute('data-columns')).toBe('status,name,title,attention,running,age')
    expect(document.querySelector('[data-agent="agent-0"] .strip')).toBeNull()
    expect(document.querySelector('[data-agent="agent-0"] .aline-rate')).toBeNull()
    // the status word is still there for screen readers
    expect(document.querySelector('[data-agent="agent-0"] .sr-only')!.textContent).toBe('Running')
  })

  describe('task list scroll position', () => {
    const newer = (i: number) =>
      makeTask({
        task_id: `new${i}`,
        title: `New ${i}`,
        assignee: 'agent-0',
        status: 'running',
        updated_at: new Date(Date.now() + 60_000 + i).toISOString(),
      })
    function scrollTo(el: HTMLElement, top: number) {
      el.scrollTop = top
      fireEvent.scroll(el)
    }
    const firstShown = (el: HTMLElement) => Math.floor(el.scrollTop / 40)

    it('stays on the rows the user is reading when new rows land above them', () => {
      const { parts } = setup(100)
      const list = screen.getByTestId('task-list')
      scrollTo(list, 2000)
      const order = () => parts.tasks.getState().order
      const reading = order()[firstShown(list)]
      expect(reading).toBe('t50')
      act(() => {
        parts.tasks
          .getState()
          .applyBatch([1, 2, 3].map((i) => ({ kind: 'update', msg: updateMsg(newer(i), 10 + i) })))
      })
      expect(list.scrollTop).toBe(2000 + 3 * 40)
      expect(order()[firstShown(list)]).toBe('t50')
      // An update that moves a row from below the screen to the top shifts the rows on screen too.
      act(() => {
        parts.tasks.getState().applyBatch([
          {
            kind: 'update',
            msg: updateMsg(
              {
                ...parts.tasks.getState().tasks.get('t90')!,
                updated_at: new Date(Date.now() + 120_000).toISOString(),
              },
              20,
            ),
          },
        ])
      })
      expect(list.scrollTop).toBe(2000 + 4 * 40)
      expect(order()[firstShown(list)]).toBe('t50')
      // The row being read is itself updated and moves to the top: the next one holds still.
      const next = order()[firstShown(list) + 1]
      act(() => {
        parts.tasks.getState().applyBatch([
          {
            kind: 'update',
            msg: updateMsg(
              {
                ...parts.tasks.getState().tasks.get('t50')!,
                status: 'failed',
                updated_at: new Date(Date.now() + 180_000).toISOString(),
              },
              21,
            ),
          },
        ])
      })
      expect(order()[firstShown(list) + 1]).toBe(next)
    })

    it('follows the newest rows when at the top', () => {
      const { parts } = setup(100)
      const list = screen.getByTestId('task-list')
      scrollTo(list, 0)
      act(() => {
        parts.tasks
          .getState()
          .applyBatch([1, 2].map((i) => ({ kind: 'update', msg: updateMsg(newer(i), 10 + i) })))
      })
      expect(list.scrollTop).toBe(0)
      expect(
        document.querySelector('[data-testid="task-list"] [data-task-id]')!.getAttribute('data-task-id'),
      ).toBe('new2')
    })

    it('reads no layout in a live update while at the top (no forced layout per batch)', () => {
      const { parts } = setup(100)
      const list = screen.getByTestId('task-list')
      scrollTo(list, 0)
      // Count reads of the list's scroll position and height from here on (each one forces a
      // synchronous layout in a browser when the DOM just changed).
      let reads = 0
      const proto = Object.getPrototypeOf(list) as object
      const watch = (prop: 'scrollTop' | 'clientHeight') => {
        let d: PropertyDescriptor | undefined
        for (let o: object | null = proto; o && !d; o = Object.getPrototypeOf(o) as object | null)
          d = Object.getOwnPropertyDescriptor(o, prop)
        Object.defineProperty(list, prop, {
          configurable: true,
          get() {
            reads++
            return d!.get!.call(list) as number
          },
          set(v: number) {
            d!.set?.call(list, v)
          },
        })
      }
      watch('scrollTop')
      watch('clientHeight')
      act(() => {
        parts.tasks
          .getState()
          .applyBatch([1, 2, 3].map((i) => ({ kind: 'update', msg: updateMsg(newer(i), 10 + i) })))
      })
      expect(
        document.querySelector('[data-testid="task-list"] [data-task-id]')!.getAttribute('data-task-id'),
      ).toBe('new3')
      expect(reads).toBe(0)
    })

    it('does not hold a position across a filter change', () => {
      const { parts } = setup(100)
      const list = screen.getByTestId('task-list')
      scrollTo(list, 2000)
      act(() => {
        parts.ui.getState().setSearch('Task 9')
      })
      expect(list.scrollTop).toBe(2000)
    })
  })
})
