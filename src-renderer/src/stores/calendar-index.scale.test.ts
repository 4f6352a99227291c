// The calendar index at 100,000 tasks (40 agents, eight weeks): built once, then an update costs
// the task it changes. Asserts what holds at any speed (one agent's revision moves, the week's
// query finds what was placed); the times are measured and written to
// test-output/calendar-scale.json for docs/benchmarks.md, never asserted.
import { describe, expect, it } from 'vitest'
import { createTaskStore } from './task-store'
import { calendarIndexFor } from './calendar-index'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'
import type { Task } from '../../../src-shared/protocol'
import { writeFigures } from '../../../test/fakes/renderer/figures'

const N = 100_000
const AGENTS = 40
const H = 3600_000
const SPAN = 56 * 24 * H

describe('calendar index at 100,000 tasks', () => {
  it('builds once, then follows an update through one agent; a week is a query, not a rebuild', () => {
    const now = Date.UTC(2026, 11, 1, 12)
    const tasks: Task[] = []
    for (let i = 0; i < N; i++) {
      const start = now - SPAN + Math.floor((i / N) * SPAN)
      tasks.push(
        makeTask({
          task_id: `t${i}`,
          assignee: `agent-${i % AGENTS}`,
          project_id: `p${i % 8}`,
          status: i % 10 === 0 ? 'failed' : 'completed',
          started_at: new Date(start).toISOString(),
          finished_at: new Date(start + 20 * 60_000).toISOString(),
          updated_at: new Date(start + 20 * 60_000).toISOString(),
        }),
      )
    }
    const store = createTaskStore()
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    let t0 = performance.now()
    const index = calendarIndexFor(store)
    const buildMs = performance.now() - t0

    const weekFrom = now - 7 * 24 * H
    t0 = performance.now()
    const week = index.agentTasksIn('agent-7', weekFrom, now, now)
    const weekRowMs = performance.now() - t0
    // One in 40 of the week's 12,500 tasks is agent-7's.
    expect(week.length).toBeGreaterThan(250)
    expect(week.length).toBeLessThan(375)

    const revs = Array.from({ length: AGENTS }, (_, a) => index.agentRev(`agent-${a}`))
    const t = store.getState().tasks.get('t99999')!
    const updates = 500
    t0 = performance.now()
    for (let i = 0; i < updates; i++) {
      const next = { ...t, status: i % 2 ? 'completed' : 'failed', output: `line ${i}` } as Task
      store.getState().applyBatch([{ kind: 'update', msg: updateMsg(next, 2 + i) }])
    }
    const perUpdateMs = (performance.now() - t0) / updates
    // Only t99999's agent (99999 % 40 = 39) moved on.
    const moved = revs.map((r, a) => index.agentRev(`agent-${a}`) - r)
    expect(moved.filter((d) => d > 0)).toEqual([updates])
    expect(moved[39]).toBe(updates)

    writeFigures('calendar-scale', { tasks: N, buildMs, weekRowMs, weekRowTasks: week.length, perUpdateMs })
  }, 120_000)
})
