// The per-agent sets the task store keeps as tasks change (running, waiting, unacknowledged,
// finished newest first) must give exactly the summary a pass over all of the agent's tasks gives:
// random snapshots, snapshot pages and updates (tasks moving between agents, statuses, finish
// times with ties, acknowledgements, staleness), checked after every applied batch.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Task, TaskStatus } from '../../../src-shared/protocol'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'
import { createTaskStore, finishedBefore, type Incoming, type TaskStoreState } from './task-store'
import { summarizeAgent, summarizeAgentEntry } from './agent-rows'

const STATUSES: TaskStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed']
// Few distinct times, so ties (same finish, same update, same start) are common.
const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 12, minute)).toISOString()

const taskArb: fc.Arbitrary<Task> = fc
  .record({
    id: fc.integer({ min: 0, max: 24 }),
    agent: fc.constantFrom('a', 'b', 'c', null),
    status: fc.constantFrom(...STATUSES),
    updated: fc.integer({ min: 0, max: 6 }),
    finished: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
    started: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
    acked: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
    stale: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  })
  .map((r) =>
    makeTask({
      task_id: `t${r.id}`,
      assignee: r.agent,
      status: r.status,
      updated_at: at(r.updated),
      finished_at: r.finished === null ? null : at(r.finished),
      started_at: r.started === null ? null : at(r.started),
      acknowledged_at: r.acked === null ? null : at(r.acked),
      stale_since: r.stale === null ? null : at(r.stale),
    }),
  )

type Step =
  { kind: 'snapshot'; tasks: Task[] } | { kind: 'page'; tasks: Task[] } | { kind: 'updates'; tasks: Task[] }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.array(taskArb, { maxLength: 20 }).map((tasks) => ({ kind: 'snapshot' as const, tasks })),
  },
  {
    weight: 1,
    arbitrary: fc.array(taskArb, { maxLength: 10 }).map((tasks) => ({ kind: 'page' as const, tasks })),
  },
  {
    weight: 4,
    arbitrary: fc
      .array(taskArb, { minLength: 1, maxLength: 6 })
      .map((tasks) => ({ kind: 'updates' as const, tasks })),
  },
)

function checkAgainstScratch(s: TaskStoreState): void {
  const byAgent = new Map<string, string[]>()
  for (const t of s.tasks.values()) {
    const k = t.assignee ?? ''
    byAgent.set(k, [...(byAgent.get(k) ?? []), t.task_id])
  }
  expect([...s.agents.keys()].sort()).toEqual([...byAgent.keys()].sort())
  for (const [key, ids] of byAgent) {
    const entry = s.agents.get(key)!
    expect([...entry.ids].sort()).toEqual([...ids].sort())
    const finished = ids
      .map((id) => s.tasks.get(id)!)
      .filter((t) => t.status === 'completed' || t.status === 'failed')
      .sort((x, y) => (finishedBefore(x, y) ? -1 : 1))
      .map((t) => t.task_id)
    expect(entry.finished).toEqual(finished)
    expect(summarizeAgentEntry(entry, s.tasks)).toEqual(summarizeAgent(ids, s.tasks))
  }
}

describe('agent summary kept incrementally by the task store', () => {
  it('equals a recomputation from all of the agent’s tasks after every batch', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
        const store = createTaskStore()
        let seq = 0
        for (const step of steps) {
          let batch: Incoming[]
          if (step.kind === 'snapshot')
            batch = [{ kind: 'snapshot', seq: ++seq, tasks: step.tasks, more: true }]
          else if (step.kind === 'page')
            batch = [{ kind: 'snapshot', seq: ++seq, tasks: step.tasks, first: false, more: true }]
          else batch = step.tasks.map((t) => ({ kind: 'update', msg: updateMsg(t, ++seq) }))
          store.getState().applyBatch(batch)
          checkAgainstScratch(store.getState())
        }
      }),
      { numRuns: 300 },
    )
    // A few seconds of work on a quiet machine; the ceiling is for a busy one (no timing asserted).
  }, 120_000)

  it('a summary costs the agent’s open and recent tasks, not all of them', () => {
    // 2,000 finished runs of one agent: the entry's summary reads at most 20 of them.
    const store = createTaskStore()
    const tasks = Array.from({ length: 2000 }, (_, i) =>
      makeTask({
        task_id: `f${i}`,
        assignee: 'a',
        status: i % 7 === 0 ? 'failed' : 'completed',
        acknowledged_at: at(59),
        finished_at: new Date(Date.UTC(2026, 10, 23, 12, 0, 0, i)).toISOString(),
      }),
    )
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    const s = store.getState()
    const entry = s.agents.get('a')!
    let reads = 0
    const counting = new Map(s.tasks)
    const spy = { get: (id: string) => (reads++, counting.get(id)) } as unknown as ReadonlyMap<string, Task>
    const summary = summarizeAgentEntry(entry, spy)
    expect(reads).toBe(20)
    expect(summary).toEqual(summarizeAgent(entry.ids, s.tasks))
  })
})
