// Migrations on databases that existed before them: each step must carry the stored data over
// (rebuilt aggregates, rewritten broadcast frames), not only work on a new file.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { TASK_KEYS } from '../../src-shared/protocol'
import {
  DROP_FTS,
  downgradeToSchema7,
  expectAggregatesMatchRecount,
  randomEvents,
  storeEvent,
} from '../../test/helpers/store-fixtures'
import { MIGRATIONS, pendingUpgrade } from './migrations'
import { openTaskStore, type TaskStore } from './task-store'

const dirs: string[] = []
const stores: TaskStore[] = []
function storeAt(file: string): TaskStore {
  const store = openTaskStore({ file, outbox: false, checkpointInWorker: false })
  stores.push(store)
  return store
}
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-migrate-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

// Migration 7's tables and indexes (schedules).
const DROP_MIGRATION_7 = `
  DROP TABLE schedules; DROP TABLE schedule_settings; DROP INDEX tasks_by_schedule_start;
  DROP INDEX tasks_finished_by_assignee; DROP INDEX tasks_finished_by_project;`
// Migration 6's columns and indexes (parent_id, schedule_id).
const DROP_MIGRATION_6 = `
  DROP INDEX tasks_by_parent; DROP INDEX tasks_by_schedule;
  ALTER TABLE tasks DROP COLUMN parent_id; ALTER TABLE tasks DROP COLUMN schedule_id;`

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

describe('migration 2 (aggregates)', () => {
  it('builds the agent and project counts for a database written before they existed', () => {
    const file = tempFile()
    const before = storeAt(file)
    before.apply(randomEvents(400, 5))
    before.close()
    // Back to schema 1: no counts table, no triggers, the old indexes.
    const db = new Database(file)
    db.exec(DROP_MIGRATION_7)
    db.exec(DROP_FTS)
    db.exec(`
      DROP TRIGGER task_counts_on_insert; DROP TRIGGER task_counts_on_update; DROP TRIGGER task_counts_on_delete;
      DROP TABLE task_counts; DROP INDEX tasks_failed_by_project; DROP INDEX tasks_by_calendar;
      ALTER TABLE tasks DROP COLUMN stale_after_seconds; ALTER TABLE tasks DROP COLUMN stale_since;
      ALTER TABLE tasks DROP COLUMN acknowledged_at; DROP INDEX tasks_by_parent; DROP INDEX tasks_by_schedule;
      ALTER TABLE tasks DROP COLUMN parent_id; ALTER TABLE tasks DROP COLUMN schedule_id;
      UPDATE meta SET value = '1' WHERE key = 'schema_version';`)
    db.close()
    const after = storeAt(file)
    expectAggregatesMatchRecount(after)
    after.apply(randomEvents(200, 9))
    expectAggregatesMatchRecount(after)
  })
})

describe('migration 3 (WS protocol 2)', () => {
  it('rewrites stored flat update frames so a replay after the upgrade sends nested ones', () => {
    const file = tempFile()
    const before = storeAt(file)
    before.apply([
      storeEvent('m', { status: 'running', title: 'old' }, t(1)),
      storeEvent('m', { status: 'failed' }, t(2)),
    ])
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
    // ...and without migration 4's and 6's columns, 5's index and 7's tables.
    db.exec(DROP_MIGRATION_7)
    db.exec(DROP_FTS)
    db.exec('DROP INDEX tasks_by_parent; DROP INDEX tasks_by_schedule')
    for (const column of [
      'stale_after_seconds',
      'stale_since',
      'acknowledged_at',
      'parent_id',
      'schedule_id',
    ])
      db.exec(`ALTER TABLE tasks DROP COLUMN ${column}`)
    db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run()
    db.close()

    const after = storeAt(file)
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

describe('migration 5 (full-text index)', () => {
  it('indexes the tasks of a database written before the index existed, then keeps it in step', () => {
    const file = tempFile()
    const before = storeAt(file)
    before.apply([
      storeEvent('old-1', { status: 'failed', error: 'java.lang.OutOfMemoryError: heap' }, t(1)),
      storeEvent('old-2', { title: 'nightly etl', output: 'rows copied: 1200' }, t(2)),
    ])
    before.close()
    // Back to schema 4: no index, no triggers (and no schedules step, which follows 5).
    const db = new Database(file)
    db.exec(DROP_MIGRATION_7)
    db.exec(DROP_FTS)
    db.exec(DROP_MIGRATION_6)
    db.exec("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    db.close()

    const after = storeAt(file)
    expect(after.search('OutOfMemory', 10).results.map((r) => r.task_id)).toEqual(['old-1'])
    expect(after.search('copied', 10).results).toMatchObject([{ task_id: 'old-2', field: 'output' }])
    after.apply([storeEvent('old-2', { output: 'rows moved' }, t(3))])
    expect(after.search('copied', 10).results).toEqual([])
    expect(after.search('moved', 10).results.map((r) => r.task_id)).toEqual(['old-2'])
  })
})

describe('migration 8 (contentless index, synced per transaction, head and tail of long texts)', () => {
  it('replaces the trigger-kept index of a schema 7 database with one of the same tasks', () => {
    const file = tempFile()
    const before = storeAt(file)
    const longLog = `build started\n${'step ok\n'.repeat(5000)}reached the middle\n${'step ok\n'.repeat(5000)}FATAL: kernel panic`
    before.apply([
      storeEvent('old-1', { status: 'failed', error: 'java.lang.OutOfMemoryError: heap' }, t(1)),
      storeEvent('old-2', { title: 'nightly etl', output: longLog }, t(2)),
    ])
    before.close()
    // Back to schema 7: migration 5's external-content index kept by its triggers.
    downgradeToSchema7(file)
    const db = new Database(file)
    expect(db.prepare("SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH 'middle'").all()).toHaveLength(1)
    expect(pendingUpgrade(file)).toEqual({ from: 7, to: MIGRATIONS.length, tasks: 2 })
    db.close()

    const after = storeAt(file)
    // Upgraded: nothing pending; nor for a file that does not exist yet (a new data dir).
    expect(pendingUpgrade(file)).toBeNull()
    expect(pendingUpgrade(`${file}.none`)).toBeNull()
    const ids = (q: string) => after.search(q, 10).results.map((r) => r.task_id)
    expect(ids('OutOfMemory')).toEqual(['old-1'])
    expect(ids('nightly')).toEqual(['old-2'])
    expect(ids('started')).toEqual(['old-2'])
    expect(ids('panic')).toEqual(['old-2'])
    expect(ids('middle')).toEqual([]) // 80 KB into a 160 KB log: outside the indexed head and tail
    after.apply([storeEvent('old-2', { output: 'rows moved' }, t(3))])
    expect(ids('panic')).toEqual([])
    expect(ids('moved')).toEqual(['old-2'])
    const check = new Database(file, { readonly: true })
    const objects = check
      .prepare(
        "SELECT name FROM sqlite_master WHERE name LIKE 'tasks_fts%' AND type IN ('table', 'trigger') ORDER BY name",
      )
      .all()
      .map((r) => (r as { name: string }).name)
    check.close()
    expect(objects).not.toContain('tasks_fts_on_update')
    expect(objects).toContain('tasks_fts_dirty_on_update')
  })
})
