// Agent and project aggregates are kept by triggers (migration 2) instead of grouping every task
// per request: they must always equal a recount of the tasks, on a new database, after any mix of
// writes, and on a database written before migration 2 existed. The substring search walks in
// slices and must give the same pages as one query would.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Task, TaskEvent, TaskFieldValues, TaskStatus } from '../../src-shared/protocol'
import { openTaskStore, type TaskStore } from './task-store'

const dirs: string[] = []
const stores: TaskStore[] = []
function storeAt(file: string): TaskStore {
  const store = openTaskStore({ file, outbox: false, checkpointInWorker: false })
  stores.push(store)
  return store
}
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-agg-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const STATUSES: TaskStatus[] = ['pending', 'running', 'completed', 'failed']
let n = 0
const ev = (task_id: string, fields: Partial<TaskFieldValues>, second: number): TaskEvent => ({
  task_id,
  fields,
  updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, second * 10)).toISOString(),
  event_id: `e${String(++n).padStart(6, '0')}`,
  source: 'redis',
  received_at: '2026-01-01T00:00:00.000Z',
})

/** A deterministic mix: creates, status changes, moves between agents/projects, cleared fields, stale events. */
function randomEvents(count: number, seed: number): TaskEvent[] {
  let s = seed
  const rand = (k: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return Math.floor(s / 65536) % k // the low bits of an LCG cycle quickly
  }
  const events: TaskEvent[] = []
  for (let i = 0; i < count; i++) {
    const fields: Partial<TaskFieldValues> = {}
    const pick = rand(6)
    if (pick <= 2) fields.status = STATUSES[rand(4)]!
    if (pick === 1 || pick === 3) fields.assignee = rand(6) === 0 ? null : `agent-${rand(5)}`
    if (pick === 2 || pick === 4) fields.project_id = rand(6) === 0 ? null : `project-${rand(4)}`
    if (pick === 5) fields.title = `title ${i}`
    // one in ten is older than what it competes with (last-writer-wins ignores it)
    events.push(ev(`task-${rand(40)}`, fields, rand(10) === 0 ? rand(i + 1) : i))
  }
  return events
}

function recount(tasks: Task[]) {
  const agents = new Map<string, Record<TaskStatus, number>>()
  const projects = new Map<string, Record<TaskStatus, number>>()
  const zero = () => ({ pending: 0, running: 0, waiting: 0, completed: 0, failed: 0 })
  for (const t of tasks) {
    if (t.assignee !== null) {
      const c = agents.get(t.assignee) ?? zero()
      c[t.status]++
      agents.set(t.assignee, c)
    }
    if (t.project_id !== null) {
      const c = projects.get(t.project_id) ?? zero()
      c[t.status]++
      projects.set(t.project_id, c)
    }
  }
  return { agents, projects }
}

function expectMatchesRecount(store: TaskStore): void {
  const tasks = store.allTasks()
  const { agents, projects } = recount(tasks)
  expect(new Map(store.agents().map((a) => [a.assignee, a.counts]))).toEqual(agents)
  expect(new Map(store.projects().map((p) => [p.project_id, p.counts]))).toEqual(projects)
  for (const a of store.agents()) {
    const newest = tasks.find((t) => t.assignee === a.assignee)! // allTasks is newest first
    expect(a.latest_task.task_id).toBe(newest.task_id)
  }
  for (const p of store.projects()) {
    const mine = tasks.filter((t) => t.project_id === p.project_id)
    expect(p.total).toBe(mine.length)
    expect(p.last_updated_at).toBe(mine[0]!.updated_at)
    expect(p.latest_failures.map((t) => t.task_id)).toEqual(
      mine
        .filter((t) => t.status === 'failed')
        .slice(0, 5)
        .map((t) => t.task_id),
    )
  }
}

describe('aggregates', () => {
  it('equal a recount after any mix of writes, batch by batch', () => {
    const store = storeAt(tempFile())
    const events = randomEvents(600, 11)
    for (let i = 0; i < events.length; i += 37) {
      store.apply(events.slice(i, i + 37))
      expectMatchesRecount(store)
    }
    expect(store.agents().length).toBeGreaterThan(0)
    expect(store.projects().length).toBeGreaterThan(0)
  })

  it('are built by the migration for a database written before they existed', () => {
    const file = tempFile()
    const before = storeAt(file)
    before.apply(randomEvents(400, 5))
    before.close()
    // Back to schema 1: no counts table, no triggers, the old indexes.
    const db = new Database(file)
    db.exec(`
      DROP TRIGGER task_counts_on_insert; DROP TRIGGER task_counts_on_update; DROP TRIGGER task_counts_on_delete;
      DROP TABLE task_counts; DROP INDEX tasks_failed_by_project; DROP INDEX tasks_by_calendar;
      DROP TABLE schedules; DROP TABLE schedule_settings; DROP INDEX tasks_by_schedule_start;
      DROP INDEX tasks_finished_by_assignee; DROP INDEX tasks_finished_by_project;
      ALTER TABLE tasks DROP COLUMN schedule_id;
      ALTER TABLE tasks DROP COLUMN stale_after_seconds; ALTER TABLE tasks DROP COLUMN stale_since;
      ALTER TABLE tasks DROP COLUMN acknowledged_at;
      UPDATE meta SET value = '1' WHERE key = 'schema_version';`)
    db.close()
    const after = storeAt(file)
    expectMatchesRecount(after)
    after.apply(randomEvents(200, 9))
    expectMatchesRecount(after)
  })
})

describe('substring search in slices', () => {
  it('gives the same pages as one query, whatever the slice boundaries', async () => {
    const store = storeAt(tempFile())
    const events: TaskEvent[] = []
    for (let i = 0; i < 2500; i++) {
      events.push(
        ev(`t-${i}`, { title: i % 7 === 0 ? `needle ${i}` : `hay ${i}`, assignee: `a-${i % 3}` }, i % 900),
      )
    }
    store.apply(events)
    let turns = 0
    const yieldTurn = () => {
      turns++
      return Promise.resolve()
    }
    for (const query of [{ q: 'needle' }, { q: 'needle', assignee: 'a-1' }, { q: 'no such' }, { q: '%' }]) {
      const sliced: string[] = []
      let cursor: string | undefined
      do {
        const page = await store.listTasksYielding({ ...query, limit: 50, cursor }, yieldTurn)
        sliced.push(...page.tasks.map((t) => t.task_id))
        cursor = page.next_cursor ?? undefined
      } while (cursor)
      // The reference: every task, filtered here, newest first (ties by task_id, descending).
      const want = store
        .allTasks()
        .filter(
          (t) =>
            (t.title ?? '').includes(query.q) && (!('assignee' in query) || t.assignee === query.assignee),
        )
        .map((t) => t.task_id)
      expect(sliced, JSON.stringify(query)).toEqual(want)
    }
    expect(turns).toBeGreaterThan(0) // the no-match walk took more than one slice
  })
})

describe('calendar pages', () => {
  it('walk every task placed in the window, in start order, whatever the page size', () => {
    const store = storeAt(tempFile())
    const events: TaskEvent[] = []
    const at = (h: number) => new Date(Date.UTC(2026, 2, 1, h)).toISOString()
    for (let i = 0; i < 300; i++) {
      const fields: Partial<TaskFieldValues> = { title: `c${i}` }
      if (i % 3 === 0) fields.scheduled_at = at(i % 72)
      if (i % 5 === 0) fields.due_at = at((i % 72) + 5)
      if (i % 4 === 1) fields.status = i % 8 === 1 ? 'completed' : 'running'
      events.push(ev(`cal-${i}`, fields, i))
    }
    store.apply(events)
    const from = at(10)
    const to = at(40)
    const start = (t: Task) => t.scheduled_at ?? t.due_at ?? t.started_at ?? t.created_at
    const end = (t: Task) => t.due_at ?? t.scheduled_at ?? t.finished_at ?? t.updated_at
    const want = store
      .allTasks()
      .filter((t) => start(t) < to && end(t) >= from)
      .sort((a, b) => (start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : a.task_id < b.task_id ? -1 : 1))
      .map((t) => t.task_id)
    expect(want.length).toBeGreaterThan(20)
    for (const size of [1, 7, 50, 5000]) {
      const got: string[] = []
      let cursor: string | undefined
      do {
        const page = store.calendarPage(from, to, size, cursor)
        got.push(...page.tasks.map((t) => t.task_id))
        cursor = page.next_cursor ?? undefined
      } while (cursor)
      expect(got, `page size ${size}`).toEqual(want)
    }
  })
})
