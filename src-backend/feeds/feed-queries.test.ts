// The feeds and the missed-run check must cost the rows they return, not the size of the tasks
// table: every query they run is answered from an index (SQLite's plan says SEARCH … USING INDEX,
// never a plain SCAN of tasks), checked on a real database with planner statistics.
import { afterEach, describe, expect, it } from 'vitest'
import { toTaskEvent } from '../ingest'
import { openTaskStore, type TaskStore } from '../store/task-store'
import { createFeedQueries } from './feed-queries'

const stores: TaskStore[] = []
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
})

function seeded(): TaskStore {
  const store = openTaskStore({ file: ':memory:', outbox: false, checkpointInWorker: false })
  stores.push(store)
  const events = []
  for (let i = 0; i < 2000; i++) {
    events.push(
      toTaskEvent({
        task_id: `t${i}`,
        fields: {
          status: (['running', 'completed', 'failed'] as const)[i % 3],
          assignee: `agent-${i % 20}`,
          project_id: `p${i % 7}`,
          schedule_id: i % 2 ? `s${i % 5}` : null,
        },
        updated_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        source: 'rest',
        received_at: new Date(),
      }),
    )
  }
  store.apply(events)
  store.db.exec('ANALYZE')
  return store
}

function plan(store: TaskStore, sql: string, args: unknown[]): string {
  const rows = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]
  return rows.map((r) => r.detail).join(' | ')
}

describe('feed and schedule queries use indexes', () => {
  it('no query scans the tasks table', () => {
    const store = seeded()
    const since = '2026-01-01T10:00:00.000Z'
    const queries: [string, unknown[]][] = [
      [
        `SELECT task_id FROM tasks WHERE updated_at >= ? ORDER BY updated_at DESC, task_id DESC LIMIT 5000`,
        [since],
      ],
      [
        `SELECT task_id FROM tasks WHERE updated_at >= ? AND assignee = ? ORDER BY updated_at DESC, task_id DESC LIMIT 5000`,
        [since, 'agent-1'],
      ],
      [
        `SELECT task_id FROM tasks WHERE updated_at >= ? AND project_id = ? ORDER BY updated_at DESC, task_id DESC LIMIT 5000`,
        [since, 'p1'],
      ],
      [
        `SELECT task_id FROM tasks WHERE updated_at >= ? AND status = ? ORDER BY updated_at DESC, task_id DESC LIMIT 5000`,
        [since, 'failed'],
      ],
      [
        `SELECT task_id FROM tasks WHERE assignee = ? AND status IN ('completed', 'failed') ORDER BY finished_at DESC LIMIT 1`,
        ['agent-1'],
      ],
      [
        `SELECT task_id FROM tasks WHERE project_id = ? AND status IN ('completed', 'failed') ORDER BY finished_at DESC LIMIT 1`,
        ['p1'],
      ],
      [
        `SELECT task_id FROM tasks WHERE schedule_id = ? AND coalesce(started_at, created_at) >= ? AND coalesce(started_at, created_at) <= ?
           AND status <> 'pending' AND task_id NOT LIKE 'missed:%' LIMIT 1`,
        ['s1', since, '2026-01-02T00:00:00.000Z'],
      ],
    ]
    for (const [sql, args] of queries) {
      const p = plan(store, sql, args)
      expect(p, sql).toMatch(/USING (COVERING )?INDEX/)
      expect(p, sql).not.toMatch(/SCAN tasks(?! USING)/)
    }
  })

  it('answers what the feeds ask', () => {
    const store = seeded()
    const q = createFeedQueries(store.db)
    const recent = q.recent({ since: '2026-01-02T00:00:00.000Z', agent: 'agent-3', status: 'completed' }, 100)
    expect(recent.length).toBeGreaterThan(0)
    expect(recent.every((t) => t.assignee === 'agent-3' && t.status === 'completed')).toBe(true)
    expect(recent.map((t) => t.updated_at)).toEqual([...recent.map((t) => t.updated_at)].sort().reverse())
    expect(q.recent({ since: '2026-01-01T00:00:00.000Z' }, 7)).toHaveLength(7)
    const last = q.lastFinished('agent', 'agent-1')!
    expect(['completed', 'failed']).toContain(last.status)
    expect(q.lastFinished('project', 'nope')).toBeNull()
  })
})
