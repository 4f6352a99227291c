// Storage errors in words an operator acts on, each naming the path. No imports: the CLI's `emit`
// and the ingest pipeline use these without loading SQLite.

/** A storage problem at start: names the path and says what to do. Exit code 1. */
export class StorageError extends Error {
  readonly code: string
  readonly path: string
  constructor(path: string, message: string, code = 'storage_error') {
    super(message)
    this.path = path
    this.code = code
  }
}

/** Another live process holds the data dir. */
export class DataDirInUseError extends StorageError {
  readonly holderPid: number | null
  constructor(dataDir: string, holderPid: number | null) {
    super(
      dataDir,
      `data dir ${dataDir} is in use by another TaskPulse server (${
        holderPid === null ? 'pid unknown' : `pid ${holderPid}`
      }); stop it, or give this one another --data-dir`,
      'data_dir_in_use',
    )
    this.holderPid = holderPid
  }
}

/** A failed SQLite write, in words an operator acts on ("the disk is full"), with SQLite's code. */
export function describeStorageFailure(err: unknown): string {
  const raw = (err as { code?: unknown } | null)?.code
  const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : ''
  const known: Record<string, string> = {
    SQLITE_FULL: 'the disk is full',
    SQLITE_BUSY: 'the database is locked by another process',
    SQLITE_LOCKED: 'the database is locked',
    SQLITE_READONLY: 'the database is read-only',
    SQLITE_CORRUPT: 'the database is damaged',
    SQLITE_CANTOPEN: 'the database file cannot be opened',
  }
  const base = code.split('_').slice(0, 2).join('_')
  const words =
    known[code] ?? known[base] ?? (code.startsWith('SQLITE_IOERR') ? 'a disk I/O error' : undefined)
  const message = String((err as Error)?.message ?? err)
  return words ? `${words} (${code})` : code ? `${code}: ${message}` : message
}
