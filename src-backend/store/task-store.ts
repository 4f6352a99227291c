// Durable state of one backend: tasks, their event history with a local monotonic seq, the outbox
// of locally accepted events not yet confirmed by Redis, and meta (epoch, stream cursor).
//
// The store is parts over one SQLite connection:
//   task-database.ts  opens, checks and migrates the file; WAL checkpoints; close
//   task-writes.ts    the write path: last-writer-wins apply, seq, replay, pruning, outbox
//   task-queries.ts   the reads: task, listings, events, calendar/snapshot pages, aggregates
//   task-search.ts    full-text search over the FTS5 index (kept by triggers, migration 5)
// openTaskStore is the facade the backend uses, so callers name one store and pick the methods
// they need by type (`Pick<TaskStore, ...>`): a caller's dependencies stay visible in its type
// without every call site knowing which part a method lives in.
import { createAttentionQueries } from '../attention/attention-queries'
import { openTaskDatabase, type TaskDatabaseOptions } from './task-database'
import { createTaskQueries } from './task-queries'
import { createTaskSearch } from './task-search'
import { createTaskWrites, type TaskWritesOptions } from './task-writes'

export { InvalidCursorError } from './task-rows'
export type { ApplyOptions, ApplyOutcome, OutboxEntry } from './task-writes'
export type { ListTasksQuery, TaskPage, TaskTailRow } from './task-queries'
export type { SearchPage } from './task-search'

export type TaskStoreOptions = TaskDatabaseOptions & TaskWritesOptions

export type TaskStore = ReturnType<typeof openTaskStore>

export function openTaskStore(options: TaskStoreOptions) {
  const database = openTaskDatabase(options)
  try {
    const writes = createTaskWrites(database.db, options)
    const queries = createTaskQueries(database.db)
    const { search } = createTaskSearch(database.db)
    return {
      /** Path of the database file, named in every storage error. */
      file: database.file,
      ...writes,
      ...queries,
      /** Reads for the stale monitor and GET /api/attention (src-backend/attention). */
      attention: createAttentionQueries(database.db),
      search,
      integrityCheck: database.integrityCheck,
      walAutocheckpoint: database.walAutocheckpoint,
      close: database.close,
    }
  } catch (err) {
    database.close()
    throw err
  }
}
