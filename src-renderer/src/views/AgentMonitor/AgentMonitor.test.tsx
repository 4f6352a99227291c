import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { AgentMonitor } from './AgentMonitor'
import type * as AgentRowModule from './AgentRow'
import type * as TaskRowModule from './TaskRow'
import { fakeLayout, makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import { makeTask, updateMsg } from '../../../../test/fakes/renderer/fake-socket'

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

  it('shows a row per agent and a row per task', () => {
    setup()
    expect(document.querySelectorAll('[data-agent]')).toHaveLength(6)
    expect(document.querySelectorAll('[data-task-id]')).toHaveLength(6)
    expect(screen.getByRole('heading', { name: 'agent-3' })).toBeTruthy()
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
    expect(row.className).toContain('agent-failed')
    expect(row.textContent).toContain('Latest task failed')
    expect(row.textContent).toContain('boom')
    expect(document.querySelector('[data-task-id="t3"]')!.getAttribute('data-status')).toBe('failed')
  })

  it('filters by status and search; shows unassigned tasks', () => {
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
    expect(screen.getByRole('heading', { name: 'Unassigned' })).toBeTruthy()
    fireEvent.click(screen.getByRole('radio', { name: /Pending/ }))
    expect([...document.querySelectorAll('[data-agent]')].map((e) => e.getAttribute('data-agent'))).toEqual([
      'Unassigned',
    ])
    act(() => {
      parts.ui.getState().setStatusFilter('all')
      parts.ui.getState().setSearch('agent-1')
    })
    expect([...document.querySelectorAll('[data-agent]')].map((e) => e.getAttribute('data-agent'))).toEqual([
      'agent-1',
    ])
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
