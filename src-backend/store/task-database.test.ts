// The one connection: opened and checked once, its WAL checkpointed off the event loop.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openTaskDatabase, type TaskDatabase } from './task-database'
import { createTaskWrites } from './task-writes'

const dirs: string[] = []
const databases: TaskDatabase[] = []
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-db-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}
afterEach(() => {
  for (const d of databases.splice(0)) d.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

describe('WAL checkpoints', () => {
  it('run in a worker: autocheckpoint is off while it runs and the WAL is folded back', async () => {
    const file = tempFile()
    const database = openTaskDatabase({ file })
    databases.push(database)
    const writes = createTaskWrites(database.db, { outbox: false })
    // A read-only connection cannot checkpoint (SQLite answers with an I/O error while frames are
    // pending), so when the probe sees every frame checkpointed, the worker did it.
    const probe = new Database(file, { readonly: true })
    try {
      await expect.poll(() => database.walAutocheckpoint(), { timeout: 5000 }).toBe(0)
      for (let i = 0; i < 300; i++) {
        writes.apply([
          {
            task_id: 'w',
            fields: { output: 'x'.repeat(2000) },
            updated_at: t(i % 60),
            event_id: `w${i}`,
            source: 'redis',
            received_at: t(0),
          },
        ])
      }
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
      expect(database.integrityCheck()).toBe('ok')
    } finally {
      probe.close()
    }
  })

  it('is not started for a database in memory, which has no WAL file', () => {
    const database = openTaskDatabase({ file: ':memory:' })
    databases.push(database)
    expect(database.walAutocheckpoint()).toBe(1000)
  })
})

describe('close', () => {
  it('is idempotent', () => {
    const database = openTaskDatabase({ file: tempFile() })
    database.close()
    expect(() => database.close()).not.toThrow()
    expect(database.db.open).toBe(false)
  })
})
