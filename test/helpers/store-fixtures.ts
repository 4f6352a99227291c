// Fixtures shared by the store's tests (task-queries, migrations, the desktop upgrade): a
// deterministic mix of events, the check that the trigger-kept aggregates equal a recount of the
// tasks, and a database taken back to an older schema.
import Database from 'better-sqlite3'
import { expect } from 'vitest'
import type { Task, TaskEvent, TaskFieldValues, TaskStatus } from '../../src-shared/protocol'
import type { TaskQueries } from '../../src-backend/store/task-queries'
import { MIGRATIONS } from '../../src-backend/store/migrations'

let n = 0
/** An event from Redis at `at`, with a fresh event_id that sorts in creation order. */
export function storeEvent(task_id: string, fields: Partial<TaskFieldValues>, at: string): TaskEvent {
  const event_id = `e${String(++n).padStart(6, '0')}`
  return {
    task_id,
    fields,
    updated_at: at,
    event_id,
    source: 'redis',
    received_at: '2026-01-01T00:00:00.000Z',
  }
}
/** Hundredths of a second from 2026-01-01: many distinct times inside one minute. */
export const centis = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i * 10)).toISOString()

const STATUSES: TaskStatus[] = ['pending', 'running', 'completed', 'failed']

/** A deterministic mix: creates, status changes, moves between agents/projects, cleared fields, stale events. */
export function randomEvents(count: number, seed: number): TaskEvent[] {
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
    events.push(storeEvent(`task-${rand(40)}`, fields, centis(rand(10) === 0 ? rand(i + 1) : i)))
  }
  return events
}

function recount(tasks: Task[]) {
  const agents = new Map<string, Record<TaskStatus, number>>()
  const projects = new Map<string, Record<TaskStatus, number>>()
  const zero = () => ({ pending: 0, running: 0, waiting: 0, completed: 0, failed: 0 })
  for (const x of tasks) {
    if (x.assignee !== null) {
      const c = agents.get(x.assignee) ?? zero()
      c[x.status]++
      agents.set(x.assignee, c)
    }
    if (x.project_id !== null) {
      const c = projects.get(x.project_id) ?? zero()
      c[x.status]++
      projects.set(x.project_id, c)
    }
  }
  return { agents, projects }
}

export function expectAggregatesMatchRecount(reads: TaskQueries): void {
  const tasks = reads.allTasks()
  const { agents, projects } = recount(tasks)
  expect(new Map(reads.agents().map((a) => [a.assignee, a.counts]))).toEqual(agents)
  expect(new Map(reads.projects().map((p) => [p.project_id, p.counts]))).toEqual(projects)
  for (const a of reads.agents()) {
    const newest = tasks.find((x) => x.assignee === a.assignee)! // allTasks is newest first
    expect(a.latest_task.task_id).toBe(newest.task_id)
  }
  for (const p of reads.projects()) {
    const mine = tasks.filter((x) => x.project_id === p.project_id)
    expect(p.total).toBe(mine.length)
    expect(p.last_updated_at).toBe(mine[0]!.updated_at)
    expect(p.latest_failures.map((x) => x.task_id)).toEqual(
      mine
        .filter((x) => x.status === 'failed')
        .slice(0, 5)
        .map((x) => x.task_id),
    )
  }
}

/**
 * Undoes migrations 8 and 5: the full-text index (every test that goes back to a schema before 5
 * starts here; migration 8 replaced 5's table and triggers, so dropping 8's objects drops both).
 */
export const DROP_FTS = `
  DROP TRIGGER tasks_fts_dirty_on_insert; DROP TRIGGER tasks_fts_dirty_on_update;
  DROP TRIGGER tasks_fts_dirty_on_delete; DROP TABLE tasks_fts_dirty; DROP TABLE tasks_fts;`
/** Migration 5's index and triggers, as a database at schema 5–7 has them (the step itself). */
export const MIGRATION_5_INDEX = MIGRATIONS[4] ?? ''

/** Turns a current database into one at schema 7 (before migration 8), as an older TaskPulse left it. */
export function downgradeToSchema7(file: string): void {
  const db = new Database(file)
  try {
    db.exec(DROP_FTS)
    db.exec(MIGRATION_5_INDEX)
    db.exec("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
  } finally {
    db.close()
  }
}
