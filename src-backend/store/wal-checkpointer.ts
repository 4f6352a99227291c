// Runs SQLite's WAL checkpoints in a worker thread with its own connection. Left to itself SQLite
// checkpoints inside a commit every ~1000 WAL pages, and that checkpoint fsyncs on the thread that
// committed: the event loop, stalled for milliseconds (seconds on a busy disk) right before a
// broadcast. Measured by `npm run bench` as periodic p99 spikes; see docs/benchmarks.md.
// PASSIVE checkpoints never block the writer; the main connection sets wal_autocheckpoint=0 only
// once this worker is running, and falls back to SQLite's own checkpoints if it dies. A worker
// that dies is started again after a backoff (1 s doubling to a minute), so one crash does not
// bring the commit-time checkpoints back for the rest of the process's life.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { backoffDelay } from '../../src-shared/backoff'

export interface WalCheckpointerOptions {
  file: string
  intervalMs?: number
  onError?: (err: Error) => void
  /** true once a worker runs; false when it fails or exits before stop(). */
  onRunning: (running: boolean) => void
  /** First delay before a dead worker is started again; doubles per death up to restartMaxMs. */
  restartMs?: number
  restartMaxMs?: number
  /** The worker's script (tests prefix one that dies); WAL_WORKER_SOURCE by default. */
  workerSource?: string
}

/** A worker that ran this long before dying starts the backoff over. */
const HEALTHY_RUN_MS = 60_000

// The worker is a CommonJS script run from a string, so it needs no separate bundle entry; it
// loads better-sqlite3 from the path the main thread resolved.
export const WAL_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
db.pragma('busy_timeout = 0')
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }) }
}, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m !== 'stop') return
  clearInterval(timer)
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
  db.close()
  parentPort.close()
})
parentPort.postMessage({ ready: true })
`

export interface WalCheckpointer {
  /** Idempotent. */
  stop(): Promise<void>
}

export function startWalCheckpointer(opts: WalCheckpointerOptions): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const restartMs = opts.restartMs ?? 1000
  const restartMaxMs = Math.max(restartMs, opts.restartMaxMs ?? 60_000)
  let stopped = false
  let deaths = 0
  let restartTimer: NodeJS.Timeout | null = null
  let current: { worker: Worker; exited: Promise<void> } | null = null

  function spawn(attempt: number): void {
    const worker = new Worker(opts.workerSource ?? WAL_WORKER_SOURCE, {
      eval: true,
      workerData: { file: opts.file, driver, intervalMs: opts.intervalMs ?? 500, attempt },
    })
    worker.unref()
    let readyAt: number | null = null
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    current = { worker, exited }
    worker.on('message', (m: { ready?: boolean; error?: string }) => {
      if (m.ready && !stopped) {
        readyAt = Date.now()
        opts.onRunning(true)
      }
      if (m.error) opts.onError?.(new Error(`wal checkpoint: ${m.error}`))
    })
    worker.on('error', (err: Error) => opts.onError?.(err))
    void exited.then(() => {
      if (stopped) return
      current = null
      opts.onRunning(false)
      if (readyAt !== null && Date.now() - readyAt >= HEALTHY_RUN_MS) deaths = 0
      deaths++
      const delay = backoffDelay(deaths, restartMs, restartMaxMs)
      opts.onError?.(new Error(`wal checkpoint worker exited; starting it again in ${delay} ms`))
      restartTimer = setTimeout(() => {
        restartTimer = null
        if (!stopped) spawn(attempt + 1)
      }, delay)
      restartTimer.unref()
    })
  }
  spawn(0)

  return {
    async stop() {
      if (stopped) return
      stopped = true
      if (restartTimer) clearTimeout(restartTimer)
      restartTimer = null
      const running = current
      current = null
      if (!running) return
      running.worker.postMessage('stop')
      const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref())
      await Promise.race([running.exited, timeout])
      await running.worker.terminate()
    },
  }
}
