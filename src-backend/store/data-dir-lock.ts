// The data dir: created without hanging, and held by one server at a time.
//
// Two servers on one SQLite file do not corrupt it, but they block each other's writes: the second
// answered 503 to every write while its health said ok. So a server takes an exclusive lock on
// `<dataDir>/taskpulse.lock` for its whole life and a second one exits, naming the holder.
//
// The lock is a kernel lock (a POSIX record lock, taken through SQLite's `locking_mode=EXCLUSIVE`
// on a tiny database of its own), not the mere existence of a file: the kernel drops it the moment
// the holder dies, SIGKILL included, so a crashed server leaves nothing stale to detect and a
// restarted one (the desktop supervisor restarts within a second) takes it at once. A pid file
// next to it (`taskpulse.pid`: pid, start time) only names the holder in the error message; when
// it is missing or stale, /proc/locks (Linux) names the process that really holds the lock.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { DataDirInUseError, StorageError } from './storage-errors'

export interface DataDirLock {
  readonly dataDir: string
  /** Releases the lock and removes the pid file. Idempotent. */
  release(): void
}

const errText = (err: unknown): string => String((err as Error)?.message ?? err)

/**
 * Creates `dir` and its missing parents, one level at a time. fs.mkdirSync({recursive:true}) loops
 * forever (100 % CPU, signals never handled) where mkdir says ENOENT although the parent exists,
 * as under /proc and /sys; here every level is tried once, so any path fails fast.
 */
export function ensureDataDir(dir: string): string {
  const abs = resolve(dir)
  const missing: string[] = []
  let probe = abs
  for (;;) {
    let st
    try {
      st = statSync(probe)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') throw new StorageError(abs, `cannot use data dir ${abs}: ${errText(err)}`)
      const parent = dirname(probe)
      if (parent === probe) throw new StorageError(abs, `cannot use data dir ${abs}: no root`)
      missing.unshift(probe)
      probe = parent
      continue
    }
    if (!st.isDirectory())
      throw new StorageError(abs, `cannot use data dir ${abs}: ${probe} exists and is not a directory`)
    break
  }
  for (const level of missing) {
    try {
      mkdirSync(level)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(level).isDirectory()) continue
      throw new StorageError(abs, `cannot create data dir ${abs} (at ${level}): ${errText(err)}`)
    }
  }
  return abs
}

interface HolderInfo {
  pid: number
  started_at: string
}

/** Pid of the process holding a POSIX lock on `file`, from /proc/locks (Linux); null elsewhere. */
function lockHolderFromProcLocks(file: string): number | null {
  try {
    const { ino } = statSync(file)
    const lines = readFileSync('/proc/locks', 'utf8').split('\n')
    for (const line of lines) {
      // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 1073741824 1073742335"
      const m = /^\d+:\s+(?:->\s+)?POSIX\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line)
      if (m && Number(m[2]) === ino && Number(m[1]) !== process.pid) return Number(m[1])
    }
  } catch {
    // not Linux, or /proc not mounted
  }
  return null
}

function readHolder(pidFile: string): HolderInfo | null {
  try {
    const info = JSON.parse(readFileSync(pidFile, 'utf8')) as Partial<HolderInfo>
    return typeof info.pid === 'number' ? { pid: info.pid, started_at: String(info.started_at ?? '') } : null
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const isBusy = (err: unknown): boolean =>
  /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: string }).code))

/**
 * Takes `<dataDir>/taskpulse.lock` for the life of this process (or until release()). Throws
 * DataDirInUseError when another process holds it, StorageError when the dir cannot hold a lock.
 */
export function acquireDataDirLock(dataDirInput: string): DataDirLock {
  const dataDir = ensureDataDir(dataDirInput)
  const lockFile = join(dataDir, 'taskpulse.lock')
  const pidFile = join(dataDir, 'taskpulse.pid')
  let db: Database.Database
  try {
    db = openLocked(lockFile)
  } catch (err) {
    // Not a database: not a lock any TaskPulse holds (a live holder's file is always valid).
    if ((err as { code?: string }).code !== 'SQLITE_NOTADB') throw err
    rmSync(lockFile, { force: true })
    db = openLocked(lockFile)
  }
  function openLocked(file: string): Database.Database {
    let conn: Database.Database
    try {
      // timeout 0: a held lock is an answer, not something to wait for.
      conn = new Database(file, { timeout: 0 })
    } catch (err) {
      throw new StorageError(file, `cannot open the lock file ${file}: ${errText(err)}`)
    }
    try {
      conn.pragma('locking_mode = EXCLUSIVE')
      conn.pragma('journal_mode = MEMORY')
      // The first write takes the EXCLUSIVE lock; in this locking mode it is kept until close.
      conn.exec('BEGIN EXCLUSIVE')
      conn.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, started_at TEXT)')
      conn.exec('DELETE FROM holder')
      conn.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, new Date().toISOString())
      conn.exec('COMMIT')
      return conn
    } catch (err) {
      conn.close()
      if (isBusy(err)) {
        // /proc/locks is the truth; the pid file may be a crashed holder's, its pid reused since.
        const recorded = readHolder(pidFile)
        const holder =
          lockHolderFromProcLocks(file) ??
          (recorded && recorded.pid !== process.pid && isAlive(recorded.pid) ? recorded.pid : null)
        throw new DataDirInUseError(dataDir, holder)
      }
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw err
      throw new StorageError(file, `cannot lock ${file}: ${errText(err)}`)
    }
  }
  try {
    writeFileSync(
      pidFile,
      `${JSON.stringify({ pid: process.pid, started_at: new Date().toISOString() } satisfies HolderInfo)}\n`,
    )
  } catch {
    // Only the error message of a second server uses it; /proc/locks stands in.
  }
  let held = true
  return {
    dataDir,
    release() {
      if (!held) return
      held = false
      if (readHolder(pidFile)?.pid === process.pid) rmSync(pidFile, { force: true })
      if (db.open) db.close()
    },
  }
}
