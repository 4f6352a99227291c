// Measurements the adversarial suites share: the server process's own memory (from /proc, by pid)
// and how long another, well-behaved client waits for /api/health while an attack runs.
// Figures are recorded for docs/security.md; verdicts use bounds that only a real failure
// (runaway memory, a starved or dead server) breaks, never machine speed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../helpers/backend-process'

/** Resident set size of a live process in bytes (VmRSS from /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

/** Samples RSS every `everyMs` until stopped; returns the peak and the first sample. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { first: number; peak: number } } {
  const first = rssBytes(pid)
  let peak = first
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid))
    } catch {
      // the process is gone; the test's own liveness check reports that
    }
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      try {
        peak = Math.max(peak, rssBytes(pid))
      } catch {
        // as above
      }
      return { first, peak }
    },
  }
}

/** Latency of one GET /api/health from a fresh connection, in ms; throws when it does not answer. */
export async function healthLatencyMs(baseUrl: string, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(`${baseUrl}/api/health`, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { connection: 'close' },
  })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`/api/health answered ${res.status}`)
  return performance.now() - t0
}

/** Repeated health probes while an attack runs; resolves with every latency when `until` settles. */
export async function probeHealthDuring(
  baseUrl: string,
  until: Promise<unknown>,
  everyMs = 250,
): Promise<number[]> {
  let done = false
  void until.finally(() => (done = true))
  const latencies: number[] = []
  while (!done) {
    latencies.push(await healthLatencyMs(baseUrl))
    await new Promise((r) => setTimeout(r, everyMs))
  }
  return latencies
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/**
 * Appends one measured row to test-output/adversarial/<suite>.json (figures for docs/security.md;
 * the file is a test artefact, kept out of git).
 */
export function recordFigure(suite: string, row: Record<string, unknown>): void {
  const dir = join(REPO_ROOT, 'test-output', 'adversarial')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${suite}.json`)
  let rows: unknown[] = []
  try {
    rows = JSON.parse(readFileSync(file, 'utf8')) as unknown[]
  } catch {
    // first row
  }
  rows.push({ ...row, at: new Date().toISOString() })
  writeFileSync(file, JSON.stringify(rows, null, 2))
}
