// The read queries: listings and their cursors, the sliced substring search, calendar pages,
// snapshot pages and the trigger-kept agent and project aggregates. Tasks are written through the
// real write path over the same connection.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Task, TaskEvent, TaskFieldValues } from '../../src-shared/protocol'
import {
  centis,
  expectAggregatesMatchRecount,
  randomEvents,
  storeEvent,
} from '../../test/helpers/store-fixtures'
import { openTaskDatabase, type TaskDatabase } from './task-database'
import { createTaskQueries } from './task-queries'
import { createTaskWrites } from './task-writes'

const dirs: string[] = []
const databases: TaskDatabase[] = []
/** The reads and the write path over one new database file (in memory where the test says so). */
function parts(opts: { inMemory?: boolean } = {}) {
  let file = ':memory:'
  if (!opts.inMemory) {
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-queries-'))
    dirs.push(dir)
    file = join(dir, 'db.sqlite')
  }
  const database = openTaskDatabase({ file, checkpointInWorker: false })
  databases.push(database)
  return { writes: createTaskWrites(database.db, { outbox: false }), reads: createTaskQueries(database.db) }
}
afterEach(() => {
  for (const d of databases.splice(0)) d.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const ev = storeEvent
const cs = centis
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

describe('#listTasks', () => {
  it('filters and pages with a cursor, newest first', () => {
    const { writes, reads } = parts()
    for (let i = 0; i < 25; i++) {
      writes.apply([
        ev(
          `t${String(i).padStart(2, '0')}`,
          { status: i % 2 ? 'failed' : 'running', assignee: i % 3 ? 'a' : 'b', title: `job ${i}` },
          t(i),
        ),
      ])
    }
    const first = reads.listTasks({ limit: 10 })
    expect(first.tasks.map((x) => x.task_id).slice(0, 2)).toEqual(['t24', 't23'])
    const second = reads.listTasks({ limit: 10, cursor: first.next_cursor! })
    const third = reads.listTasks({ limit: 10, cursor: second.next_cursor! })
    expect(third.next_cursor).toBeNull()
    expect([...first.tasks, ...second.tasks, ...third.tasks]).toHaveLength(25)
    expect(reads.listTasks({ status: 'failed' }).tasks.every((x) => x.status === 'failed')).toBe(true)
    expect(reads.listTasks({ assignee: 'b', status: 'running' }).tasks.map((x) => x.task_id)).toEqual([
      't24',
      't18',
      't12',
      't06',
      't00',
    ])
    // A one- or two-character last token is a whole token (fts-query.ts): "1" is job 1, not 10–19.
    expect(reads.listTasks({ q: 'job 1' }).tasks.map((x) => x.task_id)).toEqual(['t01'])
    expect(reads.listTasks({ q: 'jo' }).tasks).toHaveLength(0)
    expect(reads.listTasks({ q: 'job' }).tasks).toHaveLength(25)
    expect(reads.listTasks({ q: '%' }).tasks).toHaveLength(0)
    expect(() => reads.listTasks({ cursor: 'garbage' })).toThrow(/cursor/)
  })
})

describe('text search in listings (q)', () => {
  it('pages the FTS matches like any listing: newest first, filters and cursors apply', () => {
    const { writes, reads } = parts()
    const events: TaskEvent[] = []
    for (let i = 0; i < 2500; i++) {
      events.push(
        ev(
          `t-${i}`,
          {
            title: i % 7 === 0 ? `needle ${i}` : `hay ${i}`,
            assignee: `a-${i % 3}`,
            project_id: `p-${i % 5}`,
            status: (['running', 'failed', 'completed', 'pending'] as const)[i % 4],
          },
          cs(i % 900),
        ),
      )
    }
    writes.apply(events)
    // With a filter the planner picks that filter's index (or the failed-by-project one): each
    // combination is paged against the reference.
    const queries: { q: string; assignee?: string; project_id?: string; status?: Task['status'] }[] = [
      { q: 'needle' },
      { q: 'needle', assignee: 'a-1' },
      { q: 'needle', project_id: 'p-2' },
      { q: 'needle', status: 'failed' },
      { q: 'needle', status: 'completed', project_id: 'p-3' },
      { q: 'needle', status: 'running', assignee: 'a-0', project_id: 'p-4' },
      { q: 'needle', assignee: '' },
      { q: 'no such', status: 'failed' },
      { q: '%' },
    ]
    for (const query of queries) {
      const paged: string[] = []
      let cursor: string | undefined
      do {
        const page = reads.listTasks({ ...query, limit: 50, cursor })
        paged.push(...page.tasks.map((x) => x.task_id))
        cursor = page.next_cursor ?? undefined
      } while (cursor)
      // The reference: every task, filtered here, newest first (ties by task_id, descending).
      const want = reads
        .allTasks()
        .filter(
          (x) =>
            /\w/.test(query.q) &&
            (x.title ?? '').includes(query.q) &&
            (!query.assignee || x.assignee === query.assignee) &&
            (!query.project_id || x.project_id === query.project_id) &&
            (!query.status || x.status === query.status),
        )
        .map((x) => x.task_id)
      expect(paged, JSON.stringify(query)).toEqual(want)
    }
    expect(reads.listTasks({ q: 'needle' }).tasks.length).toBe(100)
    expect(reads.listTasks({ q: 'needle', status: 'failed' }).tasks.length).toBeGreaterThan(50)
  }, 60_000) // a ceiling for a busy machine (2,500 writes, 30 pages), not a speed assertion

  it('finds words in output, error and description, by prefix, not only in titles and ids', () => {
    const { writes, reads } = parts()
    writes.apply([
      ev(
        'jvm',
        { status: 'failed', error: 'Exception in thread "main" java.lang.OutOfMemoryError: heap' },
        t(1),
      ),
      ev('log', { status: 'running', output: 'step 1\nstep 2: compiling kernel\n' }, t(2)),
      ev('doc', { description: 'Rebuild the search index' }, t(3)),
    ])
    const ids = (q: string) => reads.listTasks({ q }).tasks.map((x) => x.task_id)
    expect(ids('OutOfMemory')).toEqual(['jvm'])
    expect(ids('compil kern')).toEqual(['log'])
    expect(ids('search index')).toEqual(['doc'])
    expect(ids('"; DROP TABLE tasks; --')).toEqual([])
    expect(() => reads.listTasks({ q: '%', cursor: 'garbage' })).toThrow(/cursor/)
  })
})

describe('#calendar', () => {
  it('places tasks by schedule, else by run window', () => {
    const { writes, reads } = parts()
    writes.apply([
      ev(
        'sched',
        { status: 'pending', scheduled_at: '2026-03-10T09:00:00.000Z', due_at: '2026-03-10T10:00:00.000Z' },
        t(1),
      ),
    ])
    writes.apply([ev('ran', { status: 'running' }, t(1)), ev('ran', { status: 'completed' }, t(30))])
    expect(
      reads.calendar('2026-03-10T00:00:00.000Z', '2026-03-11T00:00:00.000Z').map((x) => x.task_id),
    ).toEqual(['sched'])
    expect(
      reads.calendar('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z').map((x) => x.task_id),
    ).toEqual(['ran'])
  })

  it('pages walk every task placed in the window, in start order, whatever the page size', () => {
    const { writes, reads } = parts()
    const events: TaskEvent[] = []
    const at = (h: number) => new Date(Date.UTC(2026, 2, 1, h)).toISOString()
    for (let i = 0; i < 300; i++) {
      const fields: Partial<TaskFieldValues> = { title: `c${i}` }
      if (i % 3 === 0) fields.scheduled_at = at(i % 72)
      if (i % 5 === 0) fields.due_at = at((i % 72) + 5)
      if (i % 4 === 1) fields.status = i % 8 === 1 ? 'completed' : 'running'
      events.push(ev(`cal-${i}`, fields, cs(i)))
    }
    writes.apply(events)
    const from = at(10)
    const to = at(40)
    const start = (x: Task) => x.scheduled_at ?? x.due_at ?? x.started_at ?? x.created_at
    const end = (x: Task) => x.due_at ?? x.scheduled_at ?? x.finished_at ?? x.updated_at
    const want = reads
      .allTasks()
      .filter((x) => start(x) < to && end(x) >= from)
      .sort((a, b) => (start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : a.task_id < b.task_id ? -1 : 1))
      .map((x) => x.task_id)
    expect(want.length).toBeGreaterThan(20)
    for (const size of [1, 7, 50, 5000]) {
      const got: string[] = []
      let cursor: string | undefined
      do {
        const page = reads.calendarPage(from, to, size, cursor)
        got.push(...page.tasks.map((x) => x.task_id))
        cursor = page.next_cursor ?? undefined
      } while (cursor)
      expect(got, `page size ${size}`).toEqual(want)
    }
  })
})

describe('snapshot pages', () => {
  it('pages every task once in the listing order (ties on updated_at across pages too), texts cut to a tail', () => {
    const { writes, reads } = parts({ inMemory: true })
    // 25 tasks, five per timestamp: page boundaries fall inside groups of equal updated_at.
    writes.apply(
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
      const page = reads.snapshotPage(after, 4, 10)
      if (page.length === 0) break
      for (const row of page) {
        seen.push(row.task_id)
        expect(row.output).toBe('é'.repeat(10)) // the last 10 characters
        expect(row.output_bytes).toBe(Buffer.byteLength(`${row.task_id.slice(1).replace(/^0/, '')}-`) + 200)
        expect(row.error_bytes).toBe(0)
      }
      after = page.at(-1)!
    }
    expect(seen).toEqual(reads.listTasks({ limit: 100 }).tasks.map((x) => x.task_id))
  })
})

// Agent and project aggregates are kept by triggers (migration 2) instead of grouping every task
// per request: they must always equal a recount of the tasks after any mix of writes.
// (That the migration builds them for an older database: migrations.test.ts.)
describe('agents and projects', () => {
  it('summarises counts and latest task per agent and per project', () => {
    const { writes, reads } = parts()
    writes.apply([
      ev('a', { status: 'failed', assignee: 'x', project_id: 'p' }, t(1)),
      ev('b', { status: 'running', assignee: 'x', project_id: 'p' }, t(2)),
      ev('c', { status: 'completed', assignee: 'y' }, t(3)),
    ])
    const agents = reads.agents()
    expect(agents.find((a) => a.assignee === 'x')).toMatchObject({
      counts: { failed: 1, running: 1 },
      latest_task: { task_id: 'b' },
    })
    const [p] = reads.projects()
    expect(p).toMatchObject({ project_id: 'p', total: 2, counts: { failed: 1, running: 1 } })
    expect(p?.latest_failures.map((f) => f.task_id)).toEqual(['a'])
  })

  it('equal a recount after any mix of writes, batch by batch', () => {
    const { writes, reads } = parts()
    const events = randomEvents(600, 11)
    for (let i = 0; i < events.length; i += 37) {
      writes.apply(events.slice(i, i + 37))
      expectAggregatesMatchRecount(reads)
    }
    expect(reads.agents().length).toBeGreaterThan(0)
    expect(reads.projects().length).toBeGreaterThan(0)
  })
})
