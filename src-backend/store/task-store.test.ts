// The facade: one store over the three parts (database, write path, queries). The parts have
// their own tests (task-database, task-writes, task-queries, migrations); this checks they are
// wired to one connection and that the whole survives a reopen.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskEvent, TaskFieldValues } from '../../src-shared/protocol'
import { openTaskStore, type TaskStore } from './task-store'

const dirs: string[] = []
const stores: TaskStore[] = []
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-store-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

let n = 0
const ev = (task_id: string, fields: Partial<TaskFieldValues>, s: number): TaskEvent => ({
  task_id,
  fields,
  updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(),
  event_id: `e${++n}`,
  source: 'rest',
  received_at: '2026-01-01T00:00:00.000Z',
})

describe('task store', () => {
  it('reads what it wrote through one connection, and keeps epoch, seq, tasks and outbox across reopen', () => {
    const file = tempFile()
    const first = openTaskStore({ file, outbox: true })
    first.apply([ev('a', { status: 'running', title: 'build' }, 1), ev('a', { status: 'failed' }, 2)])
    expect(first.getTask('a')).toMatchObject({ status: 'failed', title: 'build' })
    expect(first.file).toBe(file)
    const { epoch } = first
    const seq = first.currentSeq()
    first.close()
    first.close() // idempotent

    const again = openTaskStore({ file, outbox: true })
    stores.push(again)
    expect(again.epoch).toBe(epoch)
    expect(again.currentSeq()).toBe(seq)
    expect(again.getTask('a')).toMatchObject({ status: 'failed', title: 'build' })
    expect(again.outboxCount()).toBe(2)
    expect(again.listTasks({}).tasks.map((x) => x.task_id)).toEqual(['a'])
    expect(again.integrityCheck()).toBe('ok')
  })
})
