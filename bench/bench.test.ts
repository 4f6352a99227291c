// The benchmark suite itself, run small: every server of the matrix delivers every update to every
// client through the same generator, the runner writes its results file and ends with the summary
// JSON line, and the issue-2 mini bench completes. No timing is asserted: figures depend on the
// machine; only correctness (nothing undelivered, numbers present) is.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'taskpulse-bench-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Row {
  server: string
  path: string
  clients: number
  rate: number
  undelivered: number | null
  p99_ms: number | null
  server_cpu_pct: number
  server_rss_mb: number
  error?: string
}

describe('bench runner', () => {
  it('delivers every update through taskpulse, limit and socketio and ends with the summary line', async () => {
    const out = join(dir, 'small.json')
    const { stdout } = await run(
      process.execPath,
      [
        'bench/run.mjs',
        '--rows',
        '20x20',
        '--duration',
        '2',
        '--warmup',
        '0.5',
        '--drain',
        // Ends as soon as every update arrived; a loaded machine may need more than 5 s.
        '30',
        '--no-knee',
        '--quiet-wait',
        '0',
        '--out',
        out,
      ],
      { timeout: 120_000 },
    )
    const result = JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[] }
    expect(result.rows.map((r) => r.server).sort()).toEqual(['limit', 'socketio', 'taskpulse'])
    for (const row of result.rows) {
      expect(row.error, `${row.server}: ${row.error}`).toBeUndefined()
      expect(row).toMatchObject({ clients: 20, rate: 20, path: 'publish', undelivered: 0 })
      expect(row.p99_ms).toBeGreaterThan(0)
      expect(row.server_rss_mb).toBeGreaterThan(0)
    }
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      rows: unknown[]
      ratios: Record<string, unknown>
    }
    expect(last.rows).toHaveLength(1)
    expect(Object.keys(last.ratios)).toEqual(['taskpulse_over_limit_p99', 'taskpulse_over_socketio_p99'])
  })

  it('measures REST PUT → WS and PUBLISH → WS for one client (latency-basic)', async () => {
    const { stdout } = await run(
      process.execPath,
      ['bench/latency-basic.mjs', '--count', '50', '--timeout-ms', '30000', '--out', join(dir, 'basic.json')],
      { timeout: 60_000 },
    )
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<
      string,
      { p50_ms: number; p99_ms: number }
    >
    expect(last.rest_put_to_ws!.p99_ms).toBeGreaterThan(0)
    expect(last.publish_to_ws!.p99_ms).toBeGreaterThan(0)
  })
})
