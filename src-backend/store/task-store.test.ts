import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { TASK_KEYS, type TaskEvent, type TaskFieldValues, type TaskStatus } from '../../src-shared/protocol'
import { openTaskStore, type TaskStore } from './task-store'

const dirs: string[] = []
const stores: TaskStore[] = []
function freshStore(opts: { outbox?: boolean; eventRetention?: number; inMemory?: boolean } = {}): TaskStore {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-store-'))
  dirs.push(dir)
  const store = openTaskStore({
    // In-memory for property runs: the same SQL and logic, without a file, WAL and checkpoint
    // worker per run (120 of those made the property test take 5 s on a busy machine).
    file: opts.inMemory ? ':memory:' : join(dir, 'db.sqlite'),
    outbox: opts.outbox ?? false,
    eventRetention: opts.eventRetention,
  })
  stores.push(store)
  return store
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

let n = 0
function ev(
  task_id: string,
  fields: Partial<TaskFieldValues>,
  updated_at: string,
  event_id = `e${++n}`,
  source: TaskEvent['source'] = 'redis',
): TaskEvent {
  return { task_id, fields, updated_at, event_id, source, received_at: '2026-01-01T00:00:00.000Z' }
}
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

describe('task store', () => {
  describe('migration 3 (WS protocol 2)', () => {
    it('rewrites stored flat update frames so a replay after the upgrade sends nested ones', () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskpulse-store-'))
      dirs.push(dir)
      const file = join(dir, 'db.sqlite')
      const before = openTaskStore({ file, outbox: false })
      before.apply([ev('m', { status: 'running', title: 'old' }, t(1)), ev('m', { status: 'failed' }, t(2))])
      before.close()
      // Put the database back to schema 2 with frames as protocol 1 stored them (flat).
      const db = new Database(file)
      for (const row of db.prepare('SELECT seq, message FROM task_events').all() as {
        seq: number
        message: string
      }[]) {
        const { task, ...meta } = JSON.parse(row.message) as { task: object }
        db.prepare('UPDATE task_events SET message = ? WHERE seq = ?').run(
          JSON.stringify({ ...meta, ...task }),
          row.seq,
        )
      }
      // ...and without the schedules migration's tables, indexes and column, and migration 4's columns.
      db.exec(`DROP TABLE schedules; DROP TABLE schedule_settings; DROP INDEX tasks_by_schedule_start;
        DROP INDEX tasks_finished_by_assignee; DROP INDEX tasks_finished_by_project;
        ALTER TABLE tasks DROP COLUMN schedule_id;`)
      for (const column of ['stale_after_seconds', 'stale_since', 'acknowledged_at'])
        db.exec(`ALTER TABLE tasks DROP COLUMN ${column}`)
      db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run()
      db.close()

      const after = openTaskStore({ file, outbox: false })
      stores.push(after)
      const frames = after.messagesAfter(0, 10).map((r) => JSON.parse(r.message) as Record<string, unknown>)
      expect(frames).toHaveLength(2)
      expect(frames[1]).toMatchObject({
        type: 'task_status_update',
        seq: 2,
        previous_status: 'running',
        task: { task_id: 'm', status: 'failed', title: 'old' },
      })
      for (const f of frames) {
        expect(Object.keys(f).sort()).toEqual(['event_id', 'previous_status', 'seq', 'task', 'type'])
        expect(Object.keys(f.task as object).sort()).toEqual([...TASK_KEYS].sort())
      }
    })
  })

  describe('#apply', () => {
    it('creates a task from its first event and reports it changed with a broadcast frame', () => {
      const store = freshStore()
      const [out] = store.apply([ev('a', { status: 'running', title: 'build' }, t(1))])
      expect(out?.kind).toBe('changed')
      if (out?.kind !== 'changed') return
      expect(out.created).toBe(true)
      const frame = JSON.parse(out.message) as { task: object }
      expect(frame).toMatchObject({
        type: 'task_status_update',
        seq: out.seq,
        previous_status: null,
        task: { task_id: 'a', status: 'running', title: 'build' },
      })
      // Protocol 2: the task is nested whole, the frame's metadata stays outside it.
      expect(Object.keys(frame).sort()).toEqual(['event_id', 'previous_status', 'seq', 'task', 'type'])
      expect(Object.keys(frame.task)).toEqual(TASK_KEYS)
      expect(store.getTask('a')).toMatchObject({
        status: 'running',
        started_at: t(1),
        finished_at: null,
        created_at: t(1),
      })
    })

    it('ignores a duplicate event_id and does not store it twice', () => {
      const store = freshStore()
      const e = ev('a', { status: 'running' }, t(1))
      store.apply([e])
      const [again] = store.apply([e])
      expect(again?.kind).toBe('duplicate')
      expect(store.listEvents('a').events).toHaveLength(1)
    })

    it('keeps an older event in history without broadcasting it', () => {
      const store = freshStore()
      store.apply([ev('a', { status: 'running' }, t(1))])
      store.apply([ev('a', { status: 'failed', output: 'new' }, t(5))])
      const [old] = store.apply([ev('a', { output: 'old' }, t(3))])
      expect(old?.kind).toBe('unchanged')
      expect(store.getTask('a')).toMatchObject({ status: 'failed', output: 'new' })
      const events = store.listEvents('a').events
      expect(events.map((e) => e.changed)).toEqual([true, true, false])
      expect(store.messagesAfter(0, 10)).toHaveLength(2)
    })

    it('merges fields per last-writer-wins: an older event still sets a field no newer event set', () => {
      const store = freshStore()
      store.apply([ev('a', { status: 'completed' }, t(5))])
      store.apply([ev('a', { status: 'running', assignee: 'agent-7' }, t(2))])
      expect(store.getTask('a')).toMatchObject({ status: 'completed', assignee: 'agent-7' })
    })

    it('breaks a tie on updated_at by event_id', () => {
      const store = freshStore()
      store.apply([ev('a', { status: 'failed' }, t(1), 'b')])
      store.apply([ev('a', { status: 'completed' }, t(1), 'a')])
      expect(store.getTask('a')?.status).toBe('failed')
    })

    it('derives started_at and finished_at from the statuses and their times', () => {
      const store = freshStore()
      store.apply([
        ev('a', { status: 'pending' }, t(0)),
        ev('a', { status: 'running' }, t(3)),
        ev('a', { status: 'failed' }, t(9)),
      ])
      expect(store.getTask('a')).toMatchObject({ started_at: t(3), finished_at: t(9) })
      store.apply([ev('a', { status: 'running' }, t(12))])
      expect(store.getTask('a')).toMatchObject({ status: 'running', started_at: t(12), finished_at: null })
    })

    it('clears a field set to null', () => {
      const store = freshStore()
      store.apply([ev('a', { status: 'failed', error: 'boom' }, t(1))])
      store.apply([ev('a', { status: 'running', error: null }, t(2))])
      expect(store.getTask('a')?.error).toBeNull()
    })

    it('writes local events to the outbox only when the outbox is enabled', () => {
      const withOutbox = freshStore({ outbox: true })
      withOutbox.apply([
        ev('a', { status: 'running' }, t(1), 'x1', 'rest'),
        ev('b', { status: 'running' }, t(1), 'x2', 'redis'),
      ])
      expect(
        withOutbox.pendingOutbox(10).map((o) => (JSON.parse(o.wire) as { event_id: string }).event_id),
      ).toEqual(['x1'])
      withOutbox.ackOutbox(withOutbox.pendingOutbox(10).map((o) => o.seq))
      expect(withOutbox.outboxCount()).toBe(0)
      const without = freshStore({ outbox: false })
      without.apply([ev('a', { status: 'running' }, t(1), 'x1', 'rest')])
      expect(without.outboxCount()).toBe(0)
    })

    it('rolls back a failing batch whole, including its seqs', () => {
      const store = freshStore()
      store.apply([ev('a', { status: 'running' }, t(1))])
      const before = store.currentSeq()
      const bad = {
        ...ev('b', { status: 'running' }, t(2)),
        fields: { status: 'running', title: Symbol('x') },
      } as unknown as TaskEvent
      expect(() => store.apply([ev('c', { status: 'running' }, t(2)), bad])).toThrow()
      expect(store.currentSeq()).toBe(before)
      expect(store.getTask('c')).toBeNull()
    })

    it('stores the stream cursor in the same transaction', () => {
      const store = freshStore()
      expect(store.streamCursor()).toBe('0')
      store.apply([ev('a', { status: 'running' }, t(1))], { streamCursor: '1700000000000-3' })
      expect(store.streamCursor()).toBe('1700000000000-3')
    })
  })

  describe('last-writer-wins', () => {
    const statusArb = fc.constantFrom<TaskStatus>('pending', 'running', 'completed', 'failed')
    const eventArb = fc.record({
      task: fc.constantFrom('t1', 't2', 't3'),
      second: fc.integer({ min: 0, max: 20 }),
      status: fc.option(statusArb, { nil: undefined }),
      output: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
      assignee: fc.option(fc.constantFrom('a1', 'a2'), { nil: undefined }),
    })

    it('gives the same tasks for any arrival order of the same events, duplicates included', () => {
      fc.assert(
        fc.property(
          fc.array(eventArb, { minLength: 1, maxLength: 25 }).chain((specs) => {
            const events = specs.map((s, i) => {
              const fields: Partial<TaskFieldValues> = {}
              if (s.status) fields.status = s.status
              if (s.output !== undefined) fields.output = s.output
              if (s.assignee) fields.assignee = s.assignee
              return ev(s.task, fields, t(s.second), `id-${String(i).padStart(3, '0')}`)
            })
            return fc.tuple(
              fc.constant(events),
              fc.shuffledSubarray(events, { minLength: events.length }),
              fc.array(fc.nat(events.length - 1), { maxLength: 5 }),
            )
          }),
          ([events, shuffled, dupIdx]) => {
            const a = freshStore({ inMemory: true })
            const b = freshStore({ inMemory: true })
            for (const e of events) a.apply([e])
            const withDups = [...shuffled, ...dupIdx.map((i) => events[i]!)]
            b.apply(withDups.slice(0, 7))
            for (const e of withDups.slice(7)) b.apply([e])
            expect(b.allTasks()).toEqual(a.allTasks())
            a.close()
            b.close()
          },
        ),
        { numRuns: 60 },
      )
    })
  })

  describe('#listTasks', () => {
    it('filters and pages with a cursor, newest first', () => {
      const store = freshStore()
      for (let i = 0; i < 25; i++) {
        store.apply([
          ev(
            `t${String(i).padStart(2, '0')}`,
            { status: i % 2 ? 'failed' : 'running', assignee: i % 3 ? 'a' : 'b', title: `job ${i}` },
            t(i),
          ),
        ])
      }
      const first = store.listTasks({ limit: 10 })
      expect(first.tasks.map((x) => x.task_id).slice(0, 2)).toEqual(['t24', 't23'])
      const second = store.listTasks({ limit: 10, cursor: first.next_cursor! })
      const third = store.listTasks({ limit: 10, cursor: second.next_cursor! })
      expect(third.next_cursor).toBeNull()
      expect([...first.tasks, ...second.tasks, ...third.tasks]).toHaveLength(25)
      expect(store.listTasks({ status: 'failed' }).tasks.every((x) => x.status === 'failed')).toBe(true)
      expect(store.listTasks({ assignee: 'b', status: 'running' }).tasks.map((x) => x.task_id)).toEqual([
        't24',
        't18',
        't12',
        't06',
        't00',
      ])
      expect(store.listTasks({ q: 'job 1' }).tasks).toHaveLength(11)
      expect(store.listTasks({ q: '%' }).tasks).toHaveLength(0)
      expect(() => store.listTasks({ cursor: 'garbage' })).toThrow(/cursor/)
    })
  })

  describe('#calendar', () => {
    it('places tasks by schedule, else by run window', () => {
      const store = freshStore()
      store.apply([
        ev(
          'sched',
          { status: 'pending', scheduled_at: '2026-03-10T09:00:00.000Z', due_at: '2026-03-10T10:00:00.000Z' },
          t(1),
        ),
      ])
      store.apply([ev('ran', { status: 'running' }, t(1)), ev('ran', { status: 'completed' }, t(30))])
      expect(
        store.calendar('2026-03-10T00:00:00.000Z', '2026-03-11T00:00:00.000Z').map((x) => x.task_id),
      ).toEqual(['sched'])
      expect(
        store.calendar('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z').map((x) => x.task_id),
      ).toEqual(['ran'])
    })
  })

  describe('agents and projects', () => {
    it('summarises counts and latest task per agent and per project', () => {
      const store = freshStore()
      store.apply([
        ev('a', { status: 'failed', assignee: 'x', project_id: 'p' }, t(1)),
        ev('b', { status: 'running', assignee: 'x', project_id: 'p' }, t(2)),
        ev('c', { status: 'completed', assignee: 'y' }, t(3)),
      ])
      const agents = store.agents()
      expect(agents.find((a) => a.assignee === 'x')).toMatchObject({
        counts: { failed: 1, running: 1 },
        latest_task: { task_id: 'b' },
      })
      const [p] = store.projects()
      expect(p).toMatchObject({ project_id: 'p', total: 2, counts: { failed: 1, running: 1 } })
      expect(p?.latest_failures.map((f) => f.task_id)).toEqual(['a'])
    })
  })

  describe('history retention', () => {
    it('prunes the oldest events and refuses replay from before them', () => {
      const store = freshStore({ eventRetention: 1000 })
      const batch = Array.from({ length: 1500 }, (_, i) =>
        ev(
          'a',
          { output: String(i) },
          t(0).replace('00.000Z', `00.${String(i % 1000).padStart(3, '0')}Z`),
          `p${String(i).padStart(5, '0')}`,
        ),
      )
      store.apply(batch)
      expect(store.canReplayFrom(10)).toBe(true)
      store.pruneHistory()
      expect(store.canReplayFrom(10)).toBe(false)
      expect(store.canReplayFrom(store.currentSeq() - 10)).toBe(true)
      expect(store.canReplayFrom(store.currentSeq() + 1)).toBe(false)
    })
  })

  it('keeps its epoch and seq across reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-store-'))
    dirs.push(dir)
    const file = join(dir, 'db.sqlite')
    const first = openTaskStore({ file, outbox: false })
    first.apply([ev('a', { status: 'running' }, t(1)), ev('a', { status: 'failed' }, t(2))])
    const { epoch } = first
    const seq = first.currentSeq()
    first.close()
    const again = openTaskStore({ file, outbox: false })
    stores.push(again)
    expect(again.epoch).toBe(epoch)
    expect(again.currentSeq()).toBe(seq)
    expect(again.integrityCheck()).toBe('ok')
  })
})

describe('WAL checkpoints', () => {
  it('run in a worker: autocheckpoint is off while it runs and the WAL is folded back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-store-'))
    dirs.push(dir)
    const file = join(dir, 'db.sqlite')
    const store = openTaskStore({ file, outbox: false })
    stores.push(store)
    const Database = (await import('better-sqlite3')).default
    // A read-only connection cannot checkpoint (SQLite answers with an I/O error while frames are
    // pending), so when the probe sees every frame checkpointed, the worker did it.
    const probe = new Database(file, { readonly: true })
    try {
      await expect.poll(() => store.walAutocheckpoint(), { timeout: 5000 }).toBe(0)
      for (let i = 0; i < 300; i++) store.apply([ev('w', { output: 'x'.repeat(2000) }, t(i % 60), `w${i}`)])
      // the worker checkpoints every 500 ms; a checkpoint moves every WAL frame into the database
      await expect
        .poll(
          () => {
            try {
              const [r] = probe.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[]
              return r!.log === r!.checkpointed
            } catch {
              return false
            }
          },
          { timeout: 5000 },
        )
        .toBe(true)
      expect(store.integrityCheck()).toBe('ok')
    } finally {
      probe.close()
    }
  })
})

describe('snapshot pages', () => {
  it('pages every task once in the listing order (ties on updated_at across pages too), texts cut to a tail', () => {
    const store = freshStore({ inMemory: true })
    // 25 tasks, five per timestamp: page boundaries fall inside groups of equal updated_at.
    store.apply(
      Array.from({ length: 25 }, (_, i) =>
        ev(
          `t${String(i).padStart(2, '0')}`,
          { status: 'running', output: `${i}-` + 'é'.repeat(100) },
          t(i % 5),
        ),
      ),
    )
    const seen: string[] = []
    let after: { updated_at: string; task_id: string } | null = null
    for (;;) {
      const page = store.snapshotPage(after, 4, 10)
      if (page.length === 0) break
      for (const row of page) {
        seen.push(row.task_id)
        expect(row.output).toBe('é'.repeat(10)) // the last 10 characters
        expect(row.output_bytes).toBe(Buffer.byteLength(`${row.task_id.slice(1).replace(/^0/, '')}-`) + 200)
        expect(row.error_bytes).toBe(0)
      }
      after = page.at(-1)!
    }
    expect(seen).toEqual(store.listTasks({ limit: 100 }).tasks.map((x) => x.task_id))
  })
})
