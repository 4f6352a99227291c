// The local spool of `hook` and `exec`: updates that could not be delivered wait here, one file
// per update, and are sent in order by the next call that reaches TaskPulse.
//
// Hook processes run in parallel (an agent fires several hooks at once, several agents run side by
// side), so: an update is written to a temporary name and renamed into place (a reader never sees
// half a file); file names sort in send order (the update's time, then pid and a counter); one
// process at a time sends, holding `flush.lock` (created with O_EXCL; a lock left by a killed
// process is taken over at once when its pid is gone, else once it is older than LOCK_STALE_MS). Delivery is at least once, and the
// server applies each event_id once, so an update sent twice (a timeout after the server applied
// it) still counts once.
import {
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { isTaskStatus, SETTABLE_FIELDS, type TaskFieldValues } from '../../src-shared/task-model'
import { sinceStartMs } from './clock'

/** An update as the spool keeps it: identity and time fixed when it was made. */
export interface SpooledUpdate {
  task_id: string
  event_id: string
  updated_at: string
  fields: Partial<TaskFieldValues>
}

export const DEFAULT_SPOOL_MAX = 10_000
/** A flush lock older than this belongs to a process that died; flushers refresh theirs. */
export const LOCK_STALE_MS = 15_000

const ENTRY = /^\d{15}-\d{7}-\d{6}\.json$/
/** Written in the spool dir when a delivery stopped for a reason a user must fix (a wrong token, ...). */
export const LAST_ERROR_FILE = 'last-error'
const SETTABLE = new Set<string>(SETTABLE_FIELDS)

/**
 * mkdir -p, one level at a time, at most once per level. Node's `mkdirSync(…, { recursive: true })`
 * loops forever where mkdir answers ENOENT although the parent exists (below /proc/self), and a
 * synchronous loop blocks the hook's hard-stop timer too: this one fails instead.
 */
export function makeDirBounded(dir: string, mode = 0o700): void {
  try {
    mkdirSync(dir, { mode })
    return
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return
    const parent = dirname(dir)
    if (code !== 'ENOENT' || parent === dir) throw err
  }
  makeDirBounded(dirname(dir), mode)
  try {
    mkdirSync(dir, { mode })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw err
  }
}

/**
 * Whether a parsed spool entry is an update the hook or exec could have made: the shape of a fresh
 * one (ids, a time, at least one settable field, a known status). Without this an entry with
 * `"fields": null` went out as a bare `{updated_at, event_id}`, which the server takes as "create
 * an empty pending task". Field values are checked by the server (a refused one is dropped).
 */
export function isSpooledUpdate(v: unknown): v is SpooledUpdate {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const u = v as Record<string, unknown>
  if (typeof u.task_id !== 'string' || u.task_id.length === 0 || u.task_id.length > 128) return false
  if (typeof u.event_id !== 'string' || u.event_id.length === 0) return false
  if (typeof u.updated_at !== 'string' || !Number.isFinite(Date.parse(u.updated_at))) return false
  const f = u.fields
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return false
  const keys = Object.keys(f)
  if (keys.length === 0 || !keys.every((k) => SETTABLE.has(k))) return false
  const status = (f as Record<string, unknown>).status
  return status === undefined || isTaskStatus(status)
}

/** The per-user state directory: TASKPULSE_STATE_DIR, else XDG_STATE_HOME/taskpulse, ~/.local/state/taskpulse. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TASKPULSE_STATE_DIR) return env.TASKPULSE_STATE_DIR
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'taskpulse')
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'taskpulse')
}

export function spoolDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TASKPULSE_SPOOL_DIR || join(stateDir(env), 'spool')
}

export interface SpoolOptions {
  dir: string
  /** Most updates kept; beyond it the oldest are dropped with a warning. */
  maxEntries?: number
  warn?: (message: string) => void
}

export interface Spool {
  readonly dir: string
  /** Adds updates after every one already spooled. */
  append(updates: readonly SpooledUpdate[]): void
  /** Entry names in send order. */
  list(): string[]
  /** The update in an entry; null (and the entry removed) when it cannot be read. */
  read(name: string): SpooledUpdate | null
  remove(name: string): void
  /**
   * Records why the last delivery stopped (`last-error` in the spool dir, for `hook flush` and the
   * user to find: a hook never writes to stdout and its stderr is often hidden); null clears it.
   */
  noteError(reason: string | null): void
  /** The recorded reason, if any. */
  lastError(): string | null
  /** The flush lock, or null when another process holds it. */
  tryLock(): SpoolLock | null
}

export interface SpoolLock {
  /** Marks the lock as alive (a long flush calls this now and then). */
  refresh(): void
  release(): void
}

let counter = 0

export function openSpool(opts: SpoolOptions): Spool {
  const dir = opts.dir
  const max = Math.max(1, opts.maxEntries ?? DEFAULT_SPOOL_MAX)
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`taskpulse: ${m}\n`))
  let made = false
  const ensureDir = () => {
    if (made) return
    makeDirBounded(dir)
    made = true
  }
  // Unreadable entries this process could neither remove nor move aside: never read again, so a
  // flush cannot spin on them.
  const skipped = new Set<string>()
  const list = (): string[] => {
    try {
      return readdirSync(dir)
        .filter((n) => ENTRY.test(n) && !skipped.has(n))
        .sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }
  const remove = (name: string) => {
    try {
      unlinkSync(join(dir, name))
    } catch {
      // another flusher (after a stale-lock takeover) removed it first
    }
  }
  const lockPath = join(dir, 'flush.lock')
  const errorPath = join(dir, LAST_ERROR_FILE)
  /** An entry that is not an update (corrupt, invalid, a directory): dropped or moved aside, once. */
  const discard = (name: string, why: string) => {
    const path = join(dir, name)
    try {
      unlinkSync(path)
      warn(`dropped ${why} spool entry ${path}`)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    }
    const aside = join(dir, `unreadable-${name}`) // no longer an entry name: list() passes over it
    try {
      renameSync(path, aside)
      warn(`moved ${why} spool entry ${path} aside to ${aside}`)
    } catch {
      skipped.add(name)
      warn(`skipped ${why} spool entry ${path} (it cannot be removed)`)
    }
  }

  return {
    dir,
    append(updates) {
      if (updates.length === 0) return
      ensureDir()
      for (const u of updates) {
        const at = Date.parse(u.updated_at)
        const name = `${String(Number.isFinite(at) ? at : Date.now()).padStart(15, '0')}-${String(process.pid % 1e7).padStart(7, '0')}-${String(counter++ % 1e6).padStart(6, '0')}.json`
        const tmp = join(dir, `.tmp-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`)
        writeFileSync(tmp, JSON.stringify(u), { mode: 0o600 })
        renameSync(tmp, join(dir, name))
      }
      const names = list()
      if (names.length > max) {
        const drop = names.slice(0, names.length - max)
        for (const n of drop) remove(n)
        warn(
          `the spool at ${dir} holds more than ${max} undelivered updates; dropped the ${drop.length} oldest (is TaskPulse reachable?)`,
        )
      }
    },
    list,
    read(name) {
      let parsed: unknown
      try {
        parsed = JSON.parse(readFileSync(join(dir, name), 'utf8'))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        discard(name, 'an unreadable')
        return null
      }
      if (isSpooledUpdate(parsed)) return parsed
      discard(name, 'an invalid')
      return null
    },
    remove,
    noteError(reason) {
      try {
        if (reason === null) unlinkSync(errorPath)
        else {
          ensureDir()
          writeFileSync(errorPath, `${new Date().toISOString()} ${reason}\n`, { mode: 0o600 })
        }
      } catch {
        // best effort: absent already, or the spool dir itself is the problem (reported elsewhere)
      }
    },
    lastError() {
      try {
        return readFileSync(errorPath, 'utf8').trim() || null
      } catch {
        return null
      }
    },
    tryLock() {
      ensureDir()
      const token = `${process.pid}:${Math.random().toString(36).slice(2)}`
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const fd = openSync(lockPath, 'wx', 0o600)
          writeSync(fd, token)
          closeSync(fd)
          // A process that exits holding the lock (a hook at its hard deadline) releases it on the
          // way out: a lock left behind would make every other hook only queue until it is stale.
          const releaseOnExit = () => release()
          const release = () => {
            process.removeListener('exit', releaseOnExit)
            try {
              if (readFileSync(lockPath, 'utf8') === token) unlinkSync(lockPath)
            } catch {
              // already gone
            }
          }
          process.once('exit', releaseOnExit)
          return {
            refresh() {
              const now = new Date()
              try {
                utimesSync(lockPath, now, now)
              } catch {
                // gone: released by a takeover; the flush finishes anyway (sends are idempotent)
              }
            },
            release,
          }
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
          try {
            if (Date.now() - statSync(lockPath).mtimeMs < LOCK_STALE_MS && holderAlive(lockPath)) return null
            unlinkSync(lockPath) // left by a process that died mid-flush (killed, or its machine)
          } catch {
            // released meanwhile: try again
          }
        }
      }
      return null
    },
  }
}

/**
 * Whether the process named in a lock file may still hold it. A hook the agent kills (SIGKILL, no
 * exit handler) leaves its lock behind; without this, every hook would only queue behind it until
 * it turned stale. Unknown (unreadable, another PID namespace: EPERM) counts as alive.
 */
function holderAlive(lockPath: string): boolean {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').split(':')[0])
    if (!Number.isInteger(pid) || pid <= 0) return true
    if (pid === process.pid) return true
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

export type SendResult = 'ok' | 'rejected' | 'unreachable'

export interface FlushOutcome {
  sent: number
  dropped: number
  /** Left for a later call (unreachable, or out of time). */
  left: number
  /** Why sending stopped with updates left (the sender's detail), when it did. */
  stoppedBy?: string
}

/**
 * Sends spooled updates oldest first until the spool is empty, the target is unreachable, or
 * `deadline` (a sinceStartMs() time) passes. The caller holds the lock. An update the server
 * refuses (400: it will never be accepted) is dropped with a warning, so it cannot block the rest.
 */
export async function flushSpool(
  spool: Spool,
  send: (
    u: SpooledUpdate,
    deadline: number,
  ) => Promise<{ result: SendResult; detail?: string; slow?: boolean }>,
  deadline: number,
  lock: SpoolLock,
  warn: (message: string) => void,
): Promise<FlushOutcome> {
  let sent = 0
  let dropped = 0
  let names = spool.list()
  // Updates appended by other processes while this one sends are picked up on the next pass.
  while (names.length > 0) {
    for (const [i, name] of names.entries()) {
      if (sinceStartMs() >= deadline) return { sent, dropped, left: names.length - i }
      const update = spool.read(name)
      if (!update) continue
      const { result, detail } = await send(update, deadline)
      if (result === 'unreachable')
        return { sent, dropped, left: names.length - i, stoppedBy: detail ?? 'TaskPulse unreachable' }
      if (result === 'rejected') {
        dropped++
        warn(
          `TaskPulse refused a spooled update of task ${update.task_id} (${detail ?? 'invalid'}); dropped it`,
        )
      } else {
        sent++
      }
      spool.remove(name)
      if ((sent + dropped) % 100 === 0) lock.refresh()
    }
    names = spool.list()
  }
  return { sent, dropped, left: 0 }
}
