// The write path: last-writer-wins apply, seqs, the outbox, the stream cursor, history retention.
// Results are read back through the query part over the same connection.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { TASK_KEYS, type TaskEvent, type TaskFieldValues, type TaskStatus } from '../../src-shared/protocol'
import { openTaskDatabase, type TaskDatabase } from './task-database'
import { createTaskQueries } from './task-queries'
import { createTaskWrites } from './task-writes'

const dirs: string[] = []
const databases: TaskDatabase[] = []
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-writes-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}
/** The write path and the reads over one database: a new file, or in memory for property runs. */
function parts(opts: { outbox?: boolean; eventRetention?: number; file?: string; inMemory?: boolean } = {}) {
  const file = opts.inMemory ? ':memory:' : (opts.file ?? tempFile())
  const database = openTaskDatabase({ file, checkpointInWorker: false })
  databases.push(database)
  return {
    database,
    writes: createTaskWrites(database.db, {
      outbox: opts.outbox ?? false,
      eventRetention: opts.eventRetention,
    }),
    reads: createTaskQueries(database.db),
  }
}
afterEach(() => {
  for (const d of databases.splice(0)) d.close()
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

describe('task writes', () => {
  describe('#apply', () => {
    it('creates a task from its first event and reports it changed with a broadcast frame', () => {
      const { writes, reads } = parts()
      const [out] = writes.apply([ev('a', { status: 'running', title: 'build' }, t(1))])
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
      expect(reads.getTask('a')).toMatchObject({
        status: 'running',
        started_at: t(1),
        finished_at: null,
        created_at: t(1),
      })
    })

    it('ignores a duplicate event_id and does not store it twice', () => {
      const { writes, reads } = parts()
      const e = ev('a', { status: 'running' }, t(1))
      writes.apply([e])
      const [again] = writes.apply([e])
      expect(again?.kind).toBe('duplicate')
      expect(reads.listEvents('a').events).toHaveLength(1)
    })

    it('keeps an older event in history without broadcasting it', () => {
      const { writes, reads } = parts()
      writes.apply([ev('a', { status: 'running' }, t(1))])
      writes.apply([ev('a', { status: 'failed', output: 'new' }, t(5))])
      const [old] = writes.apply([ev('a', { output: 'old' }, t(3))])
      expect(old?.kind).toBe('unchanged')
      expect(reads.getTask('a')).toMatchObject({ status: 'failed', output: 'new' })
      const events = reads.listEvents('a').events
      expect(events.map((e) => e.changed)).toEqual([true, true, false])
      expect(writes.messagesAfter(0, 10)).toHaveLength(2)
    })

    it('merges fields per last-writer-wins: an older event still sets a field no newer event set', () => {
      const { writes, reads } = parts()
      writes.apply([ev('a', { status: 'completed' }, t(5))])
      writes.apply([ev('a', { status: 'running', assignee: 'agent-7' }, t(2))])
      expect(reads.getTask('a')).toMatchObject({ status: 'completed', assignee: 'agent-7' })
    })

    it('breaks a tie on updated_at by event_id', () => {
      const { writes, reads } = parts()
      writes.apply([ev('a', { status: 'failed' }, t(1), 'b')])
      writes.apply([ev('a', { status: 'completed' }, t(1), 'a')])
      expect(reads.getTask('a')?.status).toBe('failed')
    })

    it('derives started_at and finished_at from the statuses and their times', () => {
      const { writes, reads } = parts()
      writes.apply([
        ev('a', { status: 'pending' }, t(0)),
        ev('a', { status: 'running' }, t(3)),
        ev('a', { status: 'failed' }, t(9)),
      ])
      expect(reads.getTask('a')).toMatchObject({ started_at: t(3), finished_at: t(9) })
      writes.apply([ev('a', { status: 'running' }, t(12))])
      expect(reads.getTask('a')).toMatchObject({ status: 'running', started_at: t(12), finished_at: null })
    })

    it("keeps a run's start through repeated running and waiting; a retry after a failure starts anew", () => {
      const events = [
        ev('r', { status: 'running' }, t(10)),
        ev('r', { status: 'running' }, t(20)), // a producer repeating running as a heartbeat
        ev('r', { status: 'waiting' }, t(30)),
        ev('r', { status: 'running' }, t(40)),
        ev('r', { status: 'completed' }, t(50)),
      ]
      // Every arrival order gives the same start: the first running of the run.
      for (const order of [
        events,
        [...events].reverse(),
        [events[3]!, events[0]!, events[4]!, events[2]!, events[1]!],
      ]) {
        const { writes, reads } = parts()
        writes.apply(order.slice(0, 1))
        writes.apply(order.slice(1))
        expect(reads.getTask('r')).toMatchObject({
          status: 'completed',
          started_at: t(10),
          finished_at: t(50),
        })
      }
      const { writes, reads } = parts()
      writes.apply(events.slice(0, 2))
      expect(reads.getTask('r')).toMatchObject({ status: 'running', started_at: t(10) })
      writes.apply([ev('r', { status: 'failed' }, t(60)), ev('r', { status: 'running' }, t(70))])
      expect(reads.getTask('r')).toMatchObject({ status: 'running', started_at: t(70), finished_at: null })
    })

    it('clears a field set to null', () => {
      const { writes, reads } = parts()
      writes.apply([ev('a', { status: 'failed', error: 'boom' }, t(1))])
      writes.apply([ev('a', { status: 'running', error: null }, t(2))])
      expect(reads.getTask('a')?.error).toBeNull()
    })

    it('writes local events to the outbox only when the outbox is enabled', () => {
      const withOutbox = parts({ outbox: true }).writes
      withOutbox.apply([
        ev('a', { status: 'running' }, t(1), 'x1', 'rest'),
        ev('b', { status: 'running' }, t(1), 'x2', 'redis'),
      ])
      expect(
        withOutbox.pendingOutbox(10).map((o) => (JSON.parse(o.wire) as { event_id: string }).event_id),
      ).toEqual(['x1'])
      withOutbox.ackOutbox(withOutbox.pendingOutbox(10).map((o) => o.seq))
      expect(withOutbox.outboxCount()).toBe(0)
      const without = parts({ outbox: false }).writes
      without.apply([ev('a', { status: 'running' }, t(1), 'x1', 'rest')])
      expect(without.outboxCount()).toBe(0)
    })

    it('rolls back a failing batch whole, including its seqs', () => {
      const { writes, reads } = parts()
      writes.apply([ev('a', { status: 'running' }, t(1))])
      const before = writes.currentSeq()
      const bad = {
        ...ev('b', { status: 'running' }, t(2)),
        fields: { status: 'running', title: Symbol('x') },
      } as unknown as TaskEvent
      expect(() => writes.apply([ev('c', { status: 'running' }, t(2)), bad])).toThrow()
      expect(writes.currentSeq()).toBe(before)
      expect(reads.getTask('c')).toBeNull()
    })

    it('stores the stream cursor in the same transaction', () => {
      const { writes } = parts()
      expect(writes.streamCursor()).toBe('0')
      writes.apply([ev('a', { status: 'running' }, t(1))], { streamCursor: '1700000000000-3' })
      expect(writes.streamCursor()).toBe('1700000000000-3')
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
            // In memory: the same SQL and logic, without a file and WAL per run (120 of those made
            // the property test take 5 s on a busy machine).
            const a = parts({ inMemory: true })
            const b = parts({ inMemory: true })
            for (const e of events) a.writes.apply([e])
            const withDups = [...shuffled, ...dupIdx.map((i) => events[i]!)]
            b.writes.apply(withDups.slice(0, 7))
            for (const e of withDups.slice(7)) b.writes.apply([e])
            expect(b.reads.allTasks()).toEqual(a.reads.allTasks())
            a.database.close()
            b.database.close()
          },
        ),
        { numRuns: 60 },
      )
    }, 60_000) // 120 databases opened and migrated: a ceiling for a busy machine, not a speed check
  })

  describe('history retention', () => {
    it('prunes the oldest events and refuses replay from before them', () => {
      const { writes } = parts({ eventRetention: 1000 })
      const batch = Array.from({ length: 1500 }, (_, i) =>
        ev(
          'a',
          { output: String(i) },
          t(0).replace('00.000Z', `00.${String(i % 1000).padStart(3, '0')}Z`),
          `p${String(i).padStart(5, '0')}`,
        ),
      )
      writes.apply(batch)
      expect(writes.canReplayFrom(10)).toBe(true)
      writes.pruneHistory()
      expect(writes.canReplayFrom(10)).toBe(false)
      expect(writes.canReplayFrom(writes.currentSeq() - 10)).toBe(true)
      expect(writes.canReplayFrom(writes.currentSeq() + 1)).toBe(false)
    })
  })

  it('keeps its epoch and seq across reopen', () => {
    const file = tempFile()
    const first = parts({ file })
    first.writes.apply([ev('a', { status: 'running' }, t(1)), ev('a', { status: 'failed' }, t(2))])
    const { epoch } = first.writes
    const seq = first.writes.currentSeq()
    first.database.close()
    const again = parts({ file })
    expect(again.writes.epoch).toBe(epoch)
    expect(again.writes.currentSeq()).toBe(seq)
    expect(again.database.integrityCheck()).toBe('ok')
  })
})
