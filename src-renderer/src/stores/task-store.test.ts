import { describe, expect, it } from 'vitest'
import { createTaskStore, NONE } from './task-store'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'
import { countsBetween } from './time-buckets'
import { isExcerpt } from '../../../src-shared/protocol'

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0)
const iso = (offsetS: number) => new Date(T0 + offsetS * 1000).toISOString()

describe('task store', () => {
  it('loads a snapshot into tasks, order, agents, projects and days', () => {
    const store = createTaskStore()
    store.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 10,
        tasks: [
          makeTask({
            task_id: 'a',
            assignee: 'alice',
            project_id: 'p1',
            status: 'running',
            updated_at: iso(1),
          }),
          makeTask({
            task_id: 'b',
            assignee: 'alice',
            project_id: 'p1',
            status: 'failed',
            updated_at: iso(3),
          }),
          makeTask({
            task_id: 'c',
            assignee: null,
            project_id: null,
            status: 'completed',
            updated_at: iso(2),
          }),
        ],
      },
    ])
    const s = store.getState()
    expect(s.synced).toBe(true)
    expect(s.seq).toBe(10)
    expect([...s.order]).toEqual(['b', 'c', 'a'])
    expect(s.agentKeys).toEqual([NONE, 'alice'])
    expect(s.agents.get('alice')).toMatchObject({ latestId: 'b', currentId: 'a', total: 2 })
    expect(s.agents.get(NONE)).toMatchObject({ latestId: 'c', currentId: 'c', total: 1 })
    expect(s.projects.get('p1')).toMatchObject({
      total: 2,
      counts: { pending: 0, running: 1, completed: 0, failed: 1 },
    })
    expect([...s.projects.get('p1')!.failedIds]).toEqual(['b'])
    expect(s.projectKeys).toEqual([NONE, 'p1'])
  })

  it('applies a batch in one set and moves the updated task to the top of the order', () => {
    const store = createTaskStore()
    const a = makeTask({ task_id: 'a', assignee: 'alice', updated_at: iso(1) })
    const b = makeTask({ task_id: 'b', assignee: 'bob', updated_at: iso(2) })
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [a, b] }])
    let notifications = 0
    store.subscribe(() => notifications++)
    store.getState().applyBatch([
      {
        kind: 'update',
        msg: updateMsg({ ...a, status: 'running', updated_at: iso(5), started_at: iso(5) }, 2, 'pending'),
      },
      {
        kind: 'update',
        msg: updateMsg({ ...a, status: 'failed', updated_at: iso(6), error: 'boom' }, 3, 'running'),
      },
    ])
    expect(notifications).toBe(1)
    const s = store.getState()
    expect([...s.order]).toEqual(['a', 'b'])
    expect(s.tasks.get('a')).toMatchObject({ status: 'failed', error: 'boom' })
    expect(s.seq).toBe(3)
    expect(s.projects.get(NONE)!.counts).toEqual({
      pending: 1,
      running: 0,
      waiting: 0,
      completed: 0,
      failed: 1,
    })
  })

  it('ignores updates at or below the applied seq (duplicates after a replay)', () => {
    const store = createTaskStore()
    const a = makeTask({ task_id: 'a', updated_at: iso(1) })
    store.getState().applyBatch([{ kind: 'snapshot', seq: 5, tasks: [a] }])
    const before = store.getState()
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg({ ...a, status: 'failed', updated_at: iso(9) }, 5) }])
    expect(store.getState().tasks.get('a')!.status).toBe('pending')
    expect(store.getState().version).toBe(before.version)
  })

  it('replaces the entry objects of what changed only', () => {
    const store = createTaskStore()
    const a = makeTask({ task_id: 'a', assignee: 'alice', project_id: 'p', updated_at: iso(1) })
    const b = makeTask({ task_id: 'b', assignee: 'bob', project_id: 'q', updated_at: iso(2) })
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [a, b] }])
    // Capture what selectors would have returned: the maps themselves are mutated in place.
    const s1 = store.getState()
    const [bob, q, alice, keys] = [
      s1.agents.get('bob'),
      s1.projects.get('q'),
      s1.agents.get('alice'),
      s1.agentKeys,
    ]
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg({ ...a, status: 'running', updated_at: iso(3) }, 2) }])
    const s2 = store.getState()
    expect(s2.tasks.get('b')).toBe(b)
    expect(s2.agents.get('bob')).toBe(bob)
    expect(s2.projects.get('q')).toBe(q)
    expect(s2.agents.get('alice')).not.toBe(alice)
    expect(s2.agentKeys).toBe(keys)
  })

  it('moves a task between agents and finds the old agent a new latest task', () => {
    const store = createTaskStore()
    const a1 = makeTask({ task_id: 'a1', assignee: 'alice', updated_at: iso(1) })
    const a2 = makeTask({ task_id: 'a2', assignee: 'alice', updated_at: iso(2) })
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [a1, a2] }])
    expect(store.getState().agents.get('alice')!.latestId).toBe('a2')
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg({ ...a2, assignee: 'bob', updated_at: iso(3) }, 2) }])
    const s = store.getState()
    expect(s.agents.get('alice')).toMatchObject({ latestId: 'a1', total: 1 })
    expect(s.agents.get('bob')).toMatchObject({ latestId: 'a2', total: 1 })
    expect(s.agentKeys).toEqual(['alice', 'bob'])
    // Last task leaves alice: alice disappears.
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg({ ...a1, assignee: 'bob', updated_at: iso(4) }, 3) }])
    expect(store.getState().agentKeys).toEqual(['bob'])
    expect(store.getState().agents.get('bob')).toMatchObject({ latestId: 'a1', total: 2 })
  })

  it('current task is the newest running one, else the latest', () => {
    const store = createTaskStore()
    const r = makeTask({ task_id: 'r', assignee: 'x', status: 'running', updated_at: iso(1) })
    const c = makeTask({ task_id: 'c', assignee: 'x', status: 'completed', updated_at: iso(2) })
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [r, c] }])
    expect(store.getState().agents.get('x')).toMatchObject({ currentId: 'r', latestId: 'c' })
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg({ ...r, status: 'completed', updated_at: iso(3) }, 2) }])
    expect(store.getState().agents.get('x')).toMatchObject({ currentId: 'r', latestId: 'r' })
  })

  it('counts by status in time buckets of the last update', () => {
    const store = createTaskStore()
    const a = makeTask({ task_id: 'a', assignee: 'x', status: 'running', updated_at: iso(0) })
    const old = makeTask({ task_id: 'old', assignee: 'x', status: 'failed', updated_at: iso(-3 * 24 * 3600) })
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [a, old] }])
    const day = () => countsBetween(store.getState().agents.get('x')!.buckets, T0 - 24 * 3600e3, T0 + 3600e3)
    expect(day()).toEqual({ pending: 0, running: 1, waiting: 0, completed: 0, failed: 0 })
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg({ ...a, status: 'failed', updated_at: iso(60) }, 2) }])
    expect(day()).toEqual({ pending: 0, running: 0, waiting: 0, completed: 0, failed: 1 })
  })

  it('a snapshot replaces everything, including tasks that are gone', () => {
    const store = createTaskStore()
    store
      .getState()
      .applyBatch([{ kind: 'snapshot', seq: 9, tasks: [makeTask({ task_id: 'gone', assignee: 'g' })] }])
    store
      .getState()
      .applyBatch([{ kind: 'snapshot', seq: 3, tasks: [makeTask({ task_id: 'new', assignee: 'n' })] }])
    const s = store.getState()
    expect([...s.tasks.keys()]).toEqual(['new'])
    expect(s.agentKeys).toEqual(['n'])
    expect(s.seq).toBe(3)
  })

  it('stays consistent with a from-scratch rebuild after many random updates', () => {
    const store = createTaskStore()
    store.getState().applyBatch([{ kind: 'snapshot', seq: 0, tasks: [] }])
    const statuses = ['pending', 'running', 'completed', 'failed'] as const
    let seed = 42
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const latest = new Map<string, ReturnType<typeof makeTask>>()
    let seq = 0
    for (let batch = 0; batch < 50; batch++) {
      const items = []
      for (let i = 0; i < 20; i++) {
        const id = `t${rnd(60)}`
        const t = makeTask({
          task_id: id,
          status: statuses[rnd(4)]!,
          assignee: rnd(5) === 0 ? null : `agent${rnd(4)}`,
          project_id: `p${rnd(3)}`,
          updated_at: iso(rnd(100000)),
        })
        latest.set(id, t)
        items.push({ kind: 'update' as const, msg: updateMsg(t, ++seq) })
      }
      store.getState().applyBatch(items)
    }
    const fresh = createTaskStore()
    fresh.getState().applyBatch([{ kind: 'snapshot', seq, tasks: [...latest.values()] }])
    const a = store.getState()
    const b = fresh.getState()
    expect([...a.order]).toEqual([...b.order])
    expect(a.agentKeys).toEqual(b.agentKeys)
    for (const k of a.agentKeys) {
      const x = a.agents.get(k)!
      const y = b.agents.get(k)!
      expect([x.latestId, x.currentId, x.total]).toEqual([y.latestId, y.currentId, y.total])
      expect(countsBetween(x.buckets, 0, T0 + 1e9)).toEqual(countsBetween(y.buckets, 0, T0 + 1e9))
    }
    for (const k of a.projectKeys) expect(a.projects.get(k)!.counts).toEqual(b.projects.get(k)!.counts)
  })

  it('a snapshot in pages ends as the same state as in one message; rows show from the first page', () => {
    const statuses = ['pending', 'running', 'completed', 'failed'] as const
    const all = Array.from({ length: 40 }, (_, i) =>
      makeTask({
        task_id: `t${i}`,
        status: statuses[i % 4]!,
        assignee: i % 5 === 0 ? null : `agent${i % 3}`,
        project_id: `p${i % 4}`,
        updated_at: iso(1000 - i * 7 + (i % 3)), // roughly newest first, as pages come
      }),
    )
    // pages newest first (the server's order), one task repeated on a later page
    const sorted = [...all].sort((x, y) => (x.updated_at < y.updated_at ? 1 : -1))
    const pages = [sorted.slice(0, 15), [...sorted.slice(15, 30), sorted[3]!], sorted.slice(30)]
    const paged = createTaskStore()
    paged.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [makeTask({ task_id: 'stale' })] }])
    paged.getState().applyBatch([{ kind: 'snapshot', seq: 50, tasks: pages[0]!, first: true, more: true }])
    expect(paged.getState().order).toHaveLength(15) // replaced: 'stale' is gone, rows are there
    expect(paged.getState().tasks.has('stale')).toBe(false)
    paged.getState().applyBatch([
      { kind: 'snapshot', seq: 50, tasks: pages[1]!, first: false, more: true },
      { kind: 'snapshot', seq: 50, tasks: pages[2]!, first: false, more: false },
    ])
    const whole = createTaskStore()
    whole.getState().applyBatch([{ kind: 'snapshot', seq: 50, tasks: all }])
    const a = paged.getState()
    const b = whole.getState()
    expect(a.seq).toBe(50)
    expect([...a.order]).toEqual([...b.order])
    expect(a.agentKeys).toEqual(b.agentKeys)
    for (const k of a.agentKeys) {
      const x = a.agents.get(k)!
      const y = b.agents.get(k)!
      expect([x.latestId, x.currentId, x.total]).toEqual([y.latestId, y.currentId, y.total])
    }
    expect(a.projectKeys).toEqual(b.projectKeys)
    for (const k of a.projectKeys) expect(a.projects.get(k)!.counts).toEqual(b.projects.get(k)!.counts)
  })

  it('is synced only once the last page of a first snapshot landed', () => {
    const store = createTaskStore()
    store
      .getState()
      .applyBatch([
        { kind: 'snapshot', seq: 5, tasks: [makeTask({ task_id: 'a' })], first: true, more: true },
      ])
    expect(store.getState().synced).toBe(false)
    expect(store.getState().tasks.size).toBe(1)
    store.getState().applyBatch([{ kind: 'snapshot', seq: 5, tasks: [], first: false, more: false }])
    expect(store.getState().synced).toBe(true)
  })

  it('keeps excerpt marks of snapshot tasks until an update brings the full task', () => {
    const store = createTaskStore()
    const t = {
      ...makeTask({ task_id: 'x', output: 'tail' }),
      output_bytes: 9000,
      error_bytes: 0,
      excerpt: true,
    }
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [t] }])
    expect(isExcerpt(store.getState().tasks.get('x')!)).toBe(true)
    store
      .getState()
      .applyBatch([{ kind: 'update', msg: updateMsg(makeTask({ task_id: 'x', output: 'full' }), 2) }])
    expect(isExcerpt(store.getState().tasks.get('x')!)).toBe(false)
    expect(store.getState().tasks.get('x')!.output).toBe('full')
  })
})
