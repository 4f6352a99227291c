// What `taskpulse hook` remembers of one agent session between its calls (each event is a new
// process): every task's last status, title and output tail, and the last time stamped, so the
// updates of one session carry strictly increasing `updated_at` (last-writer-wins then orders them
// as they happened, even two in one millisecond, even when delivered late from the spool).
//
// One small JSON file per session, read-modify-written under a lock file. Hooks of one session can
// run at the same moment (parallel tool calls), so the lock is real; but a hook must never wait
// long, so after LOCK_WAIT_MS it goes on without it (a tail line may then be lost, never an update).
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { emptyMemory, type TaskMemory } from './hook-mapping'
import { makeDirBounded } from './spool'

const LOCK_WAIT_MS = 60
const LOCK_STALE_MS = 2_000

interface SessionFile {
  v: 1
  /** The last updated_at handed out, in ms. */
  lastAt: number
  tasks: Record<string, TaskMemory>
}

export interface HookSession {
  recall(taskId: string): TaskMemory
  remember(memories: ReadonlyMap<string, TaskMemory>): void
  /** An updated_at after every earlier one of this session. */
  stamp(now: number): string
  /** Writes the file (or removes it when `forget`) and releases the lock. */
  close(opts?: { forget?: boolean }): void
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * The file name of a session's key: the key itself, with lower-case letters, digits, `.` and `-`
 * kept and every other UTF-16 unit written as `_` and four hex digits (`:` is not allowed in a
 * Windows file name, and upper case is escaped because macOS and Windows fold case), so two keys
 * never share a file. An empty key, or one that would make a name over 120 characters, is hashed;
 * node:crypto loads only then (loading it costs a hook call ~10 ms of CPU, and a session key is
 * normally `<tool>:<uuid>`).
 */
export function sessionFileName(key: string): string {
  const escaped = key.replace(/[^a-z0-9.-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  if (escaped !== '' && escaped.length <= 120 && !escaped.startsWith('.')) return escaped
  const { createHash } = process.getBuiltinModule('node:crypto')
  // `_h` starts no escaped name (an escape's `_` is followed by a hex digit).
  return `_h${createHash('sha256').update(key).digest('hex').slice(0, 32)}`
}

export function openHookSession(dir: string, key: string): HookSession {
  makeDirBounded(dir)
  const base = join(dir, sessionFileName(key))
  const file = `${base}.json`
  const lockPath = `${base}.lock`
  let locked = false
  const started = Date.now()
  while (!locked) {
    try {
      closeSync(openSync(lockPath, 'wx', 0o600))
      locked = true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') break
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > LOCK_STALE_MS) {
          unlinkSync(lockPath)
          continue
        }
      } catch {
        continue
      }
      if (Date.now() - started > LOCK_WAIT_MS) break
      sleepSync(3)
    }
  }
  let state: SessionFile = { v: 1, lastAt: 0, tasks: {} }
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SessionFile
    if (parsed?.v === 1 && typeof parsed.tasks === 'object' && parsed.tasks) state = parsed
  } catch {
    // new session, or a damaged file: start over (the server keeps the real state)
  }
  return {
    recall(taskId) {
      const m = state.tasks[taskId]
      return m && Array.isArray(m.tail) ? m : emptyMemory()
    },
    remember(memories) {
      for (const [id, m] of memories) state.tasks[id] = m
    },
    stamp(now) {
      state.lastAt = Math.max(now, state.lastAt + 1)
      return new Date(state.lastAt).toISOString()
    },
    close(opts = {}) {
      try {
        if (opts.forget) {
          unlinkSync(file)
        } else {
          const tmp = `${file}.${process.pid}.tmp`
          writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 })
          renameSync(tmp, file)
        }
      } catch {
        // best effort: losing the memory costs a tail line, not an update
      } finally {
        if (locked) {
          try {
            unlinkSync(lockPath)
          } catch {
            // taken over as stale
          }
        }
      }
    },
  }
}
