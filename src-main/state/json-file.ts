// Small helpers for the JSON files main keeps in userData (settings.json, state.json): atomic
// writes (temp file + rename, so a crash never leaves half a file), and reads that tell a missing
// file from a corrupt one so the caller can keep the bad file aside instead of crashing.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export type JsonRead =
  { kind: 'ok'; value: unknown } | { kind: 'missing' } | { kind: 'corrupt'; reason: string }

export function readJson(path: string): JsonRead {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'corrupt', reason: (err as Error).message }
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown }
  } catch (err) {
    return { kind: 'corrupt', reason: (err as Error).message }
  }
}

/** `compact` for machine-only files (no indentation: smaller and faster to write). */
export function writeJsonAtomic(path: string, value: unknown, opts: { compact?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${opts.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`, {
    mode: 0o600,
  })
  renameSync(tmp, path)
}

/** Moves a bad file aside as `<name>.corrupt-<time>` and returns the new path (null if none). */
export function keepAside(path: string, now: number): string | null {
  if (!existsSync(path)) return null
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`
  renameSync(path, aside)
  return aside
}

/** Coalesces writes: at most one per `delayMs`, and `flush()` writes what is pending now. */
export function debouncedWriter(
  write: () => void,
  delayMs: number,
  setTimer: (fn: () => void, ms: number) => () => void,
): { schedule(): void; flush(): void } {
  let cancel: (() => void) | null = null
  const run = () => {
    cancel = null
    write()
  }
  return {
    schedule() {
      if (!cancel) cancel = setTimer(run, delayMs)
    },
    flush() {
      if (!cancel) return
      cancel()
      run()
    },
  }
}
