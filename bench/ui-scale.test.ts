// The ui-scale bench itself, run tiny (a few hundred tasks, 2 s a view): it drives the real built
// server, Redis and Chromium end to end, writes its results file and ends with its JSON line.
// No timing is asserted (figures depend on the machine): only that every phase measured
// something real — rows appeared, every published update reached the page, the agents view saw
// updates land in the DOM, a title search showed exactly its results, the heap was read — and
// that a view the UI lacks is reported as missing rather than failing the run.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'taskpulse-uiscale-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Dist {
  n: number
  p50: number | null
  p95: number | null
}
interface ViewResult {
  view: string
  status: 'measured' | 'missing'
  reason?: string
  updates_sent?: number
  updates_received?: number
  other_event_ids?: string[]
  duplicate_frames?: number
  sockets_opened?: number
  frames?: Dist
  long_tasks?: { count: number; longest_ms: number }
  socket_to_dom_ms?: Dist
  socket_to_next_mutation_ms?: Dist
  event_id_seen?: number
}
interface SizeResult {
  tasks: number
  big: boolean
  seed: { entries: number }
  load: {
    first_rows_in_dom_ms: number | null
    first_rows_visible_ms: number | null
    snapshot_applied_ms: number | null
    snapshot_pages: number
  }
  heap_after_load_mb: { used: number }
  views: ViewResult[]
  search?: {
    query: string
    expected_results: number
    paste: { results_shown: boolean; to_results_ms: number | null }
  }[]
  heap?: { used_mb_after_gc: { start: number; end: number }; samples: unknown[] }
}
interface Result {
  kind: string
  sizes: SizeResult[]
  goals: Record<string, unknown>
  error?: string
}

describe('ui-scale bench', () => {
  it('measures load, live views, search and heap on a tiny fleet, and reports a view it cannot reach as missing', async () => {
    const out = join(dir, 'ui-scale.json')
    // Two shipped views plus one that does not exist, to prove "missing" does not end the run.
    const viewsFile = join(dir, 'views.json')
    writeFileSync(
      viewsFile,
      JSON.stringify([{ name: 'nowhere', steps: [{ control: 'No such view' }], ready: '.no-such-view' }]),
    )
    const { stdout } = await run(
      process.execPath,
      [
        'bench/ui-scale.mjs',
        '--tasks',
        '400',
        '--small-tasks',
        '150',
        '--seconds',
        '2',
        '--rate',
        '20',
        '--heap-minutes',
        '0.05',
        '--quiet-wait',
        '0',
        // The missing view is looked for this long (30 s by default; twice, one per size).
        '--step-wait',
        '10',
        '--views',
        'agents,projects,nowhere',
        '--views-file',
        viewsFile,
        '--out',
        out,
      ],
      // A ceiling for a hung run on a loaded machine, not a speed check.
      { timeout: 480_000, maxBuffer: 16 * 2 ** 20 },
    )
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { kind: string; file: string }
    expect(last).toMatchObject({ kind: 'ui-scale', file: out })
    const result = JSON.parse(readFileSync(out, 'utf8')) as Result
    expect(result.error).toBeUndefined()
    expect(result.sizes.map((s) => s.tasks)).toEqual([150, 400])
    for (const size of result.sizes) {
      // Every task went through the backend's stream: at least one entry per task.
      expect(size.seed.entries).toBeGreaterThanOrEqual(size.tasks)
      expect(size.load.first_rows_visible_ms).toBeGreaterThan(0)
      expect(size.load.snapshot_applied_ms).toBeGreaterThanOrEqual(size.load.first_rows_in_dom_ms!)
      expect(size.load.snapshot_pages).toBeGreaterThanOrEqual(1)
      expect(size.heap_after_load_mb.used).toBeGreaterThan(0)
      expect(size.views.map((v) => [v.view, v.status])).toEqual([
        ['agents', 'measured'],
        ['projects', 'measured'],
        ['nowhere', 'missing'],
      ])
      expect(size.views[2]!.reason).toMatch(/no control named "No such view" within 10 s/)
      for (const v of size.views.filter((x) => x.status === 'measured')) {
        expect(v.updates_sent).toBe(40)
        // Every published update reached the page's socket.
        expect(v.updates_received, v.view).toBe(v.updates_sent)
        // Once, unless the socket reconnected in the window (a resume resends what the page had
        // not confirmed).
        if (v.sockets_opened === 0) expect(v.duplicate_frames, v.view).toBe(0)
        // Anything else in the window is the backend's own: a seeded running task's silence may
        // cross its stale threshold mid-window (the fleet is seeded relative to the clock).
        for (const id of v.other_event_ids!) expect(id, v.view).toMatch(/^(stale|missed|overrun):/)
        expect(v.frames!.n, v.view).toBeGreaterThan(0)
        expect(v.frames!.p50, v.view).toBeGreaterThan(0)
        expect(v.socket_to_next_mutation_ms!.n, v.view).toBeGreaterThan(0)
      }
      // The agents view shows every update (the task moves to the top of the list): its event id
      // appears on a row.
      const agents = size.views[0]!
      expect(agents.event_id_seen).toBeGreaterThan(0)
      expect(agents.socket_to_dom_ms!.p95).toBeGreaterThan(0)
    }
    const big = result.sizes[1]!
    expect(big.search!.map((q) => q.query)).toEqual(['OutOfMemory', 'competitor'])
    for (const q of big.search!) expect(q.expected_results).toBeGreaterThan(0)
    // A title word: any search the UI has finds it, and only its results are shown.
    const title = big.search!.find((q) => q.query === 'competitor')!
    expect(title.paste.results_shown).toBe(true)
    expect(title.paste.to_results_ms).toBeGreaterThan(0)
    expect(big.heap!.used_mb_after_gc.end).toBeGreaterThan(0)
    expect(big.heap!.samples.length).toBeGreaterThan(0)
    // The docs' tables come from the results file.
    const report = await run(process.execPath, ['bench/ui-scale-report.mjs', out], { timeout: 60_000 })
    expect(report.stdout).toMatch(/\| 400 \| agents \|/)
    expect(report.stdout).toMatch(/\| 400 \| nowhere \| missing \|/)
    expect(Object.keys(result.goals).sort()).toEqual([
      'blocked_views',
      'first_rows_under_1s',
      'frame_p95_under_17ms',
      'missing_views',
      'no_long_task_over_50ms_live',
      'search_under_150ms',
    ])
  }, 600_000)
})
