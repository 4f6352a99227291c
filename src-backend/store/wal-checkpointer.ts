// Runs SQLite's WAL checkpoints in a worker thread with its own connection. Left to itself SQLite
// checkpoints inside a commit every ~1000 WAL pages, and that checkpoint fsyncs on the thread that
// committed: the event loop, stalled for milliseconds (seconds on a busy disk) right before a
// broadcast. Measured by `npm run bench` as periodic p99 spikes; see docs/benchmarks.md.
// PASSIVE checkpoints never block the writer; the main connection sets wal_autocheckpoint=0 only
// once this worker is running, and falls back to SQLite's own checkpoints if it dies.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface WalCheckpointerOptions {
  file: string
  intervalMs?: number
  onError?: (err: Error) => void
  /** true once the worker runs; false if it fails or exits before stop(). */
  onRunning: (running: boolean) => void
}

// The worker is a CommonJS script run from a string, so it needs no separate bundle entry; it
// loads better-sqlite3 from the path the main thread resolved.
const WORKER_SOURCE = `
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
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: opts.file, driver, intervalMs: opts.intervalMs ?? 500 },
  })
  worker.unref()
  let stopped = false
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.on('message', (m: { ready?: boolean; error?: string }) => {
    if (m.ready && !stopped) opts.onRunning(true)
    if (m.error) opts.onError?.(new Error(`wal checkpoint: ${m.error}`))
  })
  worker.on('error', (err: Error) => opts.onError?.(err))
  void exited.then(() => {
    if (!stopped) opts.onRunning(false)
  })
  return {
    async stop() {
      if (stopped) return
      stopped = true
      worker.postMessage('stop')
      const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref())
      await Promise.race([exited, timeout])
      await worker.terminate()
    },
  }
}
