// The attention rules of the store's write path and the attention reads, on a real (in-memory)
// SQLite store: an ack is last-writer-wins and moves no stamp; the stale mark holds only on the
// update it judged and clears on the next one; any arrival order gives the same task.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskEvent, TaskFieldValues } from '../../src-shared/protocol'
import { openTaskStore, type TaskStore } from '../store/task-store'
import { ATTENTION_SQL } from './attention-queries'
import { staleEventFor } from './stale-monitor'
import { createThresholdResolver } from './stale-threshold'

const stores: TaskStore[] = []
const fresh = (outbox = false): TaskStore => {
  const s = openTaskStore({ file: ':memory:', outbox })
  stores.push(s)
  return s
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
})

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()
let n = 0
const ev = (
  task_id: string,
  fields: Partial<TaskFieldValues>,
  at: number,
  event_id = `e${++n}`,
  source: TaskEvent['source'] = 'redis',
): TaskEvent => ({ task_id, fields, updated_at: t(at), event_id, source, received_at: t(at) })
const ack = (task_id: string, at: number, event_id?: string) =>
  ev(task_id, { acknowledged_at: t(at) }, at, event_id)
const mark = (store: TaskStore, taskId: string, thresholdS: number, nowS: number): TaskEvent => {
  const task = store.getTask(taskId)!
  const e = staleEventFor({ ...task, stale_after_seconds: null }, thresholdS, new Date(t(nowS)))
  if (!e) throw new Error('not due')
  return e
}

describe('acknowledge in the write path', () => {
  it('sets acknowledged_at by last-writer-wins and moves neither updated_at, last_event_id nor created_at', () => {
    const s = fresh()
    s.apply([ev('a', { status: 'failed', error: 'OOM' }, 10, 'p1')])
    const [out] = s.apply([ack('a', 20, 'ack1')])
    expect(out?.kind).toBe('changed')
    expect(s.getTask('a')).toMatchObject({
      acknowledged_at: t(20),
      updated_at: t(10),
      created_at: t(10),
      last_event_id: 'p1',
    })
    // An older ack arriving late loses; a newer one wins; null un-acknowledges.
    s.apply([ack('a', 15)])
    expect(s.getTask('a')?.acknowledged_at).toBe(t(20))
    s.apply([ev('a', { acknowledged_at: null }, 25)])
    expect(s.getTask('a')).toMatchObject({ acknowledged_at: null, updated_at: t(10) })
  })

  it('goes to the outbox like any local update, with its own time and id', () => {
    const s = fresh(true)
    s.apply([ev('a', { status: 'failed' }, 10, 'p1', 'rest')])
    s.apply([ev('a', { acknowledged_at: t(30) }, 30, 'ack-9', 'rest')])
    const wires = s.pendingOutbox(10).map((e) => JSON.parse(e.wire) as Record<string, unknown>)
    expect(wires[1]).toEqual({ task_id: 'a', acknowledged_at: t(30), updated_at: t(30), event_id: 'ack-9' })
  })

  it('converges whatever the arrival order of producer updates and acks', () => {
    const events = [
      ev('x', { status: 'running', title: 'job' }, 10, 'p1'),
      ev('x', { status: 'failed', error: 'boom' }, 20, 'p2'),
      ack('x', 25, 'a1'),
      ack('x', 40, 'a2'),
      ev('x', { output: 'late log' }, 30, 'p3'),
    ]
    const reference = fresh()
    reference.apply(events)
    const expected = reference.getTask('x')
    expect(expected).toMatchObject({
      updated_at: t(30),
      created_at: t(10),
      last_event_id: 'p3',
      acknowledged_at: t(40),
    })
    fc.assert(
      fc.property(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        (order) => {
          const s = fresh()
          for (const e of order) s.apply([e])
          expect(s.getTask('x')).toEqual(expected)
          s.close()
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('stale mark in the write path', () => {
  it('sets stale_since without moving updated_at, and the next update clears it', () => {
    const s = fresh()
    s.apply([ev('r', { status: 'running' }, 0, 'p1')])
    const m = mark(s, 'r', 60, 100)
    expect(m.event_id).toBe('stale:r:p1')
    const [out] = s.apply([m])
    expect(out?.kind).toBe('changed')
    expect(s.getTask('r')).toMatchObject({ stale_since: t(60), updated_at: t(0), last_event_id: 'p1' })
    // The same mark again (another check, a replay) is a duplicate.
    expect(s.apply([m])[0]?.kind).toBe('duplicate')
    // An ack does not make it look alive.
    s.apply([ack('r', 110)])
    expect(s.getTask('r')?.stale_since).toBe(t(60))
    // An older update arriving late is no sign of life either.
    s.apply([ev('r', { output: 'old line' }, -5)])
    expect(s.getTask('r')?.stale_since).toBe(t(60))
    // A newer one is.
    s.apply([ev('r', { output: 'step 2' }, 120, 'p2')])
    expect(s.getTask('r')).toMatchObject({ stale_since: null, updated_at: t(120) })
  })

  it('does not apply to an update that is no longer the latest, nor to a task that left running', () => {
    const s = fresh()
    s.apply([ev('r', { status: 'running' }, 0, 'p1')])
    const stale = mark(s, 'r', 60, 100)
    s.apply([ev('r', { output: 'alive' }, 90, 'p2')])
    expect(s.apply([stale])[0]?.kind).toBe('unchanged')
    expect(s.getTask('r')?.stale_since).toBeNull()

    s.apply([ev('w', { status: 'running' }, 0, 'w1'), ev('w', { output: 'log' }, 50, 'w2')])
    const staleW = mark(s, 'w', 60, 200)
    // A late status event newer than the status but older than the latest update: the task leaves
    // running while its latest update stays the one the mark judged.
    s.apply([ev('w', { status: 'waiting' }, 20, 'w3')])
    expect(s.getTask('w')).toMatchObject({ status: 'waiting', last_event_id: 'w2' })
    s.apply([staleW])
    expect(s.getTask('w')?.stale_since).toBeNull()
  })

  it('leaving running clears it', () => {
    const s = fresh()
    s.apply([ev('r', { status: 'running' }, 0, 'p1')])
    s.apply([mark(s, 'r', 60, 100)])
    s.apply([ev('r', { status: 'completed' }, 200)])
    expect(s.getTask('r')).toMatchObject({ status: 'completed', stale_since: null })
  })
})

describe('attention reads', () => {
  it('finds the candidates from the running set, and summarises what needs attention', () => {
    const s = fresh()
    s.apply([
      ev('old', { status: 'running', assignee: 'a' }, 0, 'o1'),
      ev('own', { status: 'running', stale_after_seconds: 5 }, 95, 'n1'),
      ev('fresh', { status: 'running' }, 99),
      ev('done', { status: 'completed' }, 0),
      ev('f1', { status: 'failed', error: 'java.lang.OutOfMemoryError\n\tat X' }, 50),
      ev('f2', { status: 'failed' }, 60),
      ev('wait', { status: 'waiting', output: 'Bash: npm test\nAllow edit of src/x.ts?' }, 70),
    ])
    s.apply([ack('f2', 65)])
    const cutoff = t(100 - 60)
    expect(
      s.attention
        .staleCandidates(cutoff)
        .map((c) => c.task_id)
        .sort(),
    ).toEqual(['old', 'own'])
    s.apply([mark(s, 'old', 60, 100)])
    expect(s.attention.staleCandidates(cutoff).map((c) => c.task_id)).toEqual(['own'])

    const thresholds = createThresholdResolver({ historyOfAgent: () => [], defaultSeconds: 60, now: () => 0 })
    const summary = s.attention.summary(thresholds)
    expect(summary.stale).toEqual([
      expect.objectContaining({
        task_id: 'old',
        stale_since: t(60),
        threshold: { seconds: 60, source: 'default' },
      }),
    ])
    expect(summary.failures.map((f) => [f.task_id, f.reason])).toEqual([['f1', 'java.lang.OutOfMemoryError']])
    expect(summary.failures_total).toBe(1)
    expect(summary.waiting).toEqual([
      expect.objectContaining({ task_id: 'wait', reason: 'Allow edit of src/x.ts?' }),
    ])
    expect(summary.thresholds).toEqual({
      old: { seconds: 60, source: 'default' },
      own: { seconds: 5, source: 'task' },
      fresh: { seconds: 60, source: 'default' },
    })
  })

  it("reads an agent's history without acks and the monitor's marks", () => {
    const s = fresh()
    const events: TaskEvent[] = []
    for (let task = 0; task < 3; task++) {
      events.push(ev(`t${task}`, { status: 'running', assignee: 'bot' }, task * 1000))
      for (let i = 1; i <= 10; i++) events.push(ev(`t${task}`, { output: `step ${i}` }, task * 1000 + i * 30))
    }
    events.push(ev('other', { status: 'running', assignee: 'someone-else' }, 0))
    s.apply(events)
    s.apply([ack('t2', 2500)])
    s.apply([mark(s, 't2', 60, 3000)])
    const history = s.attention.historyOfAgent('bot')
    expect(history).toHaveLength(33)
    expect(new Set(history.map((h) => h.task_id))).toEqual(new Set(['t0', 't1', 't2']))
    const resolver = createThresholdResolver({
      historyOfAgent: (a) => s.attention.historyOfAgent(a),
      defaultSeconds: 900,
      now: () => 0,
    })
    // 30 gaps of 30 s: p95 30 s × 3 = 90 s.
    expect(resolver.thresholdFor({ assignee: 'bot', stale_after_seconds: null })).toEqual({
      seconds: 90,
      source: 'agent',
    })
    expect(resolver.thresholdFor({ assignee: 'someone-else', stale_after_seconds: null }).source).toBe(
      'default',
    )
  })
})

describe('attention reads at scale', () => {
  it('each starts from an index: the running/failed/waiting sets, one agent, one task (never a scan)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-attention-'))
    try {
      openTaskStore({ file: join(dir, 'db.sqlite'), outbox: false, checkpointInWorker: false }).close()
      const db = new Database(join(dir, 'db.sqlite'), { readonly: true })
      const plan = (sql: string) =>
        (
          db
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all(...Array<string>((sql.match(/\?/g) ?? []).length).fill('x')) as {
            detail: string
          }[]
        ).map((r) => r.detail)
      const expected: Record<keyof typeof ATTENTION_SQL, string> = {
        candidates: 'tasks_by_status',
        stale: 'tasks_by_status',
        failures: 'tasks_by_status',
        failuresCounted: 'tasks_by_status',
        waiting: 'tasks_by_status',
        running: 'tasks_by_status',
        tasksOfAgent: 'tasks_by_assignee',
        eventsOfTask: 'task_events_by_task',
      }
      for (const [name, sql] of Object.entries(ATTENTION_SQL)) {
        const steps = plan(sql)
        expect(steps.join(' | '), name).toContain(expected[name as keyof typeof ATTENTION_SQL])
        expect(
          steps.some((d) => /^SCAN tasks\b|^SCAN task_events\b/.test(d)),
          `${name}: ${steps.join(' | ')}`,
        ).toBe(false)
      }
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
