// Durable state of one backend: tasks, their event history with a local monotonic seq, the outbox
// of locally accepted events not yet confirmed by Redis, and meta (epoch, stream cursor).
//
// The store has three parts over one SQLite connection:
//   task-database.ts  opens, checks and migrates the file; WAL checkpoints; close
//   task-writes.ts    the write path: last-writer-wins apply, seq, replay, pruning, outbox
//   task-queries.ts   every read: listings, search, events, calendar/snapshot pages, aggregates
// openTaskStore is the facade the backend uses, so callers name one store and pick the methods
// they need by type (`Pick<TaskStore, ...>`): a caller's dependencies stay visible in its type
// without every call site knowing which part a method lives in.
import { openTaskDatabase, type TaskDatabaseOptions } from './task-database'
import { createTaskQueries } from './task-queries'
import { createTaskWrites, type TaskWritesOptions } from './task-writes'

export { InvalidCursorError } from './task-rows'
export type { ApplyOptions, ApplyOutcome, OutboxEntry } from './task-writes'
export type { ListTasksQuery, TaskPage, TaskTailRow } from './task-queries'

export type TaskStoreOptions = TaskDatabaseOptions & TaskWritesOptions

export type TaskStore = ReturnType<typeof openTaskStore>

export function openTaskStore(options: TaskStoreOptions) {
  const database = openTaskDatabase(options)
  try {
    const writes = createTaskWrites(database.db, options)
    const queries = createTaskQueries(database.db)
    return {
      /** Path of the database file, named in every storage error. */
      file: database.file,
      ...writes,
      ...queries,
      integrityCheck: database.integrityCheck,
      walAutocheckpoint: database.walAutocheckpoint,
      close: database.close,
      /** The connection, for modules that keep their own tables in this database (schedules, feeds). */
      db: database.db,
    }
  } catch (err) {
    database.close()
    throw err
  }
}
