import { describe, expect, it } from 'vitest'
import { selectAgentRows, selectTaskRows, type AgentFilter } from './agent-rows'
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
  it('sorts by attention: failed latest first, then running, pending, completed', () => {
    const s = storeWith()
    expect(selectAgentRows(s.agentKeys, s.agents, s.tasks, all, 'attention')).toEqual([
      'beta',
      'gamma',
      '',
      'alpha',
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
