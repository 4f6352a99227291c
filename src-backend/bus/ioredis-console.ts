// ioredis writes some warnings straight to the console (a ready check skipped because INFO is not
// permitted, a password given to a server without one, an unhandled error event). Unstructured and
// unthrottled, one per reconnect, they would flood stderr next to our JSON log lines. While a bus
// runs, console.warn/console.error calls made from inside ioredis (told apart by their stack) go to
// pino instead, one line per distinct text per interval, with how many were held back. Every other
// console call passes through untouched.
import type { Logger } from 'pino'

type ConsoleFn = (...args: unknown[]) => void

interface Capture {
  log: Logger
  intervalMs: number
}

const captures = new Set<Capture>()
let original: { warn: ConsoleFn; error: ConsoleFn } | null = null
const lastLogged = new Map<string, { at: number; suppressed: number }>()

function fromIoredis(): boolean {
  const stack = new Error().stack ?? ''
  return /[\\/]ioredis[\\/]/.test(stack)
}

function route(level: 'warn' | 'error', args: unknown[]): boolean {
  const capture = captures.values().next().value
  if (!capture || !fromIoredis()) return false
  const text = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')
  const key = `${level}:${text.slice(0, 200)}`
  const now = Date.now()
  const seen = lastLogged.get(key)
  if (seen && now - seen.at < capture.intervalMs) {
    seen.suppressed++
    return true
  }
  if (lastLogged.size >= 100) lastLogged.clear() // distinct texts are few; never grow unbounded
  lastLogged.set(key, { at: now, suppressed: 0 })
  capture.log[level]({ from: 'ioredis', repeatsSuppressed: seen?.suppressed ?? 0 }, text.slice(0, 2000))
  return true
}

/** Starts routing ioredis's console output to `log`; returns the function that stops it. */
export function captureIoredisConsole(log: Logger, intervalMs = 30_000): () => void {
  const capture: Capture = { log, intervalMs }
  if (!original) {
    const saved = { warn: console.warn, error: console.error }
    original = saved
    console.warn = (...args: unknown[]) => {
      if (!route('warn', args)) saved.warn.apply(console, args)
    }
    console.error = (...args: unknown[]) => {
      if (!route('error', args)) saved.error.apply(console, args)
    }
  }
  captures.add(capture)
  return () => {
    captures.delete(capture)
    if (captures.size === 0 && original) {
      console.warn = original.warn
      console.error = original.error
      original = null
      lastLogged.clear()
    }
  }
}
