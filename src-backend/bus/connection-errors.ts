// Errors of the bus's Redis connections, logged without secrets or spam. A Redis that is down
// produces the same error on every reconnect; one line per kind per connection per interval,
// with how many were held back, says as much. The password is cut out of every message (ioredis
// echoes parts of the URL and AUTH replies).
import type { Logger } from 'pino'

export type ConnName = 'publisher' | 'subscriber' | 'reader'

export interface ConnectionErrorLog {
  /** Logs `err` unless the same kind was logged for `conn` within the interval. */
  report(conn: ConnName, err: unknown): void
  /** Forget what was logged (after a recovery, the next failure is news again). */
  reset(): void
  /** `text` with the password replaced by `***`. */
  scrub: (text: string) => string
}

export function createConnectionErrorLog(deps: {
  log: Logger
  /** The password to cut out of messages; '' when none. */
  secret: string
  intervalMs: number
  now?: () => number
}): ConnectionErrorLog {
  const now = deps.now ?? Date.now
  const scrub = (text: string): string => (deps.secret ? text.split(deps.secret).join('***') : text)
  const lastLogged = new Map<string, { at: number; suppressed: number }>()
  return {
    scrub,
    reset: () => lastLogged.clear(),
    report(conn, err) {
      const e = err instanceof Error ? err : new Error(String(err))
      const code = (e as NodeJS.ErrnoException).code
      const message = scrub(e.message)
      const key = `${conn}:${code ?? message}`
      const at = now()
      const seen = lastLogged.get(key)
      if (seen && at - seen.at < deps.intervalMs) {
        seen.suppressed++
        return
      }
      if (lastLogged.size >= 100) lastLogged.clear() // distinct messages are few; never grow unbounded
      lastLogged.set(key, { at, suppressed: 0 })
      deps.log.warn(
        { conn, code, err: message, repeatsSuppressed: seen?.suppressed ?? 0 },
        'redis connection error',
      )
    },
  }
}
