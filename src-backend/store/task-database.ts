// The one SQLite connection the store's parts share: opened, proved sound and migrated in one
// place, with its WAL checkpoints run off the event loop. The write path and the read queries get
// this connection; only this module opens or closes it.
import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { ensureDataDir } from './data-dir-lock'
import { migrate } from './migrations'
import { StorageError } from './storage-errors'
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer'

export interface TaskDatabaseOptions {
  /** Path of the SQLite file; ':memory:' for tests of pure logic. */
  file: string
  /** 'normal' survives a process crash; 'full' also an OS crash or power loss, at a cost per commit. */
  synchronous?: 'normal' | 'full' | undefined
  /** Checkpoint the WAL from a worker thread instead of inside commits (default: true for files). */
  checkpointInWorker?: boolean | undefined
  /** Told when the checkpoint worker fails (the store then falls back to SQLite's own checkpoints). */
  onCheckpointError?: ((err: Error) => void) | undefined
}

export interface TaskDatabase {
  /** Path of the database file, named in every storage error. */
  readonly file: string
  readonly db: Database.Database
  integrityCheck: () => string
  /** 0 while the checkpoint worker runs (diagnostics and tests). */
  walAutocheckpoint: () => number
  /** Idempotent. The checkpoint worker finishes with a last checkpoint on its own connection. */
  close: () => void
}

const RECOVERY_HINT =
  'stop TaskPulse and recover it as docs/operations.md ("Recovering a damaged database") says: ' +
  'sqlite3 taskpulse.sqlite ".recover" | sqlite3 recovered.sqlite, or restore a backup'

/**
 * Opens the database and proves it sound before anything is served: a damaged page would
 * otherwise surface only at the first query that reads it, as a 500 or a crash mid-run.
 * Every failure here names the file and says what to do.
 */
function openCheckedDatabase(options: TaskDatabaseOptions): Database.Database {
  const file = options.file
  const onDisk = file !== ':memory:'
  if (onDisk) {
    ensureDataDir(dirname(file))
    // SQLite writes its header on the first write, so a 0-byte file is a database that was never
    // written or one truncated by a tool or a full disk: taking it as new would hide a data loss.
    if (existsSync(file) && statSync(file).size === 0) {
      throw new StorageError(
        file,
        `database file ${file} is empty (0 bytes), which TaskPulse never leaves behind: it was truncated ` +
          `or replaced. Restore it from a backup, or delete it (and its -wal/-shm files) to start empty`,
        'database_empty',
      )
    }
  }
  let db: Database.Database | undefined
  try {
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('busy_timeout = 5000')
    // Without this a WAL that grew under a burst stays at its largest size forever.
    db.pragma('journal_size_limit = 67108864')
    if (onDisk) {
      const problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check)
      if (problems.length !== 1 || problems[0] !== 'ok') {
        throw new StorageError(
          file,
          `database file ${file} is damaged (quick_check: ${problems.join('; ')}); ${RECOVERY_HINT}`,
          'database_corrupt',
        )
      }
    }
    migrate(db)
    return db
  } catch (err) {
    if (db?.open) db.close()
    if (err instanceof StorageError) throw err
    const e = err as { code?: string; message?: string }
    const damaged = e.code === 'SQLITE_CORRUPT' || e.code === 'SQLITE_NOTADB'
    throw new StorageError(
      file,
      `cannot open database file ${file}: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}` +
        (damaged ? `; ${RECOVERY_HINT}` : ''),
      damaged ? 'database_corrupt' : 'storage_error',
    )
  }
}

export function openTaskDatabase(options: TaskDatabaseOptions): TaskDatabase {
  const db = openCheckedDatabase(options)

  let checkpointer: WalCheckpointer | null = null
  if (options.file !== ':memory:' && options.checkpointInWorker !== false) {
    checkpointer = startWalCheckpointer({
      file: options.file,
      onError: options.onCheckpointError,
      // Autocheckpoint is off only while the worker runs; if it dies SQLite checkpoints inside
      // commits again, slower but safe.
      onRunning: (running) => {
        if (db.open) db.pragma(`wal_autocheckpoint = ${running ? 0 : 1000}`)
      },
    })
  }

  return {
    file: options.file,
    db,
    integrityCheck: (): string => String(db.pragma('integrity_check', { simple: true })),
    walAutocheckpoint: (): number => Number(db.pragma('wal_autocheckpoint', { simple: true })),
    close: (): void => {
      void checkpointer?.stop()
      checkpointer = null
      if (db.open) db.close()
    },
  }
}
