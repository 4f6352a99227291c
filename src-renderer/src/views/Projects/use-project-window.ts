// Runs the Projects view's window maths (project-window.ts) over the task store without blocking a
// frame: the tasks are fed to the accumulator in slices of a few milliseconds, yielding to the
// event loop between them, and the result is published once, whole. The work is O(tasks), so at
// 100,000 tasks and 50 updates/s it is not redone per update: at most once every REFRESH_MS while
// updates stream in, at once when the window or the filters change, and every AGE_MS without
// updates, so failures leave a 24 h window as they age.
import { useEffect, useState } from 'react'
import type { Task } from '../../../../src-shared/task-model'
import { useParts } from '../../stores/context'
import type { TaskStore } from '../../stores/task-store'
import { isFiltering, taskPassesFilter, type ViewFilter } from '../../stores/view-filter'
import {
  windowAccumulator,
  windowBounds,
  type ProjectWindow,
  type ProjectWindowStats,
} from './project-window'

export const REFRESH_MS = 1000
export const AGE_MS = 30_000
const SLICE_BUDGET_MS = 5

export interface WindowResult {
  stats: ReadonlyMap<string, ProjectWindowStats>
  /** The `now` the window ended at. */
  nowMs: number
  win: ProjectWindow
  filter: ViewFilter
}

export interface WindowRunner {
  stop(): void
}

/**
 * Keeps computing the stats for (win, filter) from `tasks`, calling `publish` with each result.
 * Plain (no React) so tests drive it with fake timers.
 */
export function runProjectWindow(
  tasks: TaskStore,
  win: ProjectWindow,
  filter: ViewFilter,
  publish: (r: WindowResult) => void,
  clock: { now(): number; perf(): number } = { now: () => Date.now(), perf: () => performance.now() },
): WindowRunner {
  let stopped = false
  let running = false
  let dirty = false
  let lastStart = -Infinity
  let timer: ReturnType<typeof setTimeout> | null = null
  const filtering = isFiltering(filter)

  async function compute(): Promise<void> {
    running = true
    dirty = false
    lastStart = clock.perf()
    const nowMs = clock.now()
    const { fromIso, toIso } = windowBounds(win, nowMs)
    const acc = windowAccumulator(fromIso, toIso)
    const s = tasks.getState()
    const map = s.tasks
    const it = map.values()
    let next: IteratorResult<Task> = it.next()
    while (!next.done) {
      const start = clock.perf()
      do {
        for (let n = 0; n < 512 && !next.done; n++, next = it.next()) {
          const t = next.value
          if (!filtering || taskPassesFilter(t, filter)) acc.add(t, filter.matches !== null)
        }
      } while (!next.done && clock.perf() - start < SLICE_BUDGET_MS)
      if (!next.done) {
        await new Promise<void>((resolve) => setTimeout(resolve, 0))
        if (stopped) return
        // A new snapshot replaced the tasks: this pass is void, start over.
        if (tasks.getState().tasks !== map) {
          running = false
          void compute()
          return
        }
      }
    }
    if (stopped) return
    // With a filter, only the projects that have a matching task; without, every project.
    publish({ stats: acc.finish(filtering ? [] : tasks.getState().projectKeys), nowMs, win, filter })
    running = false
    schedule(dirty ? REFRESH_MS : AGE_MS)
  }

  /** Computes again after `delayMs` from the last start (sooner calls win). */
  function schedule(delayMs: number): void {
    if (stopped || running) return
    const wait = Math.max(0, lastStart + delayMs - clock.perf())
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void compute()
    }, wait)
  }

  const off = tasks.subscribe((s, prev) => {
    if (s.version === prev.version && s.tasks === prev.tasks) return
    if (running) dirty = true
    else schedule(REFRESH_MS)
  })
  void compute()
  return {
    stop() {
      stopped = true
      off()
      if (timer !== null) clearTimeout(timer)
    },
  }
}

/** The stats for the current window and filters; null until the first pass has finished. */
export function useProjectWindow(win: ProjectWindow, filter: ViewFilter): WindowResult | null {
  const { tasks } = useParts()
  const [result, setResult] = useState<WindowResult | null>(null)
  useEffect(() => {
    const runner = runProjectWindow(tasks, win, filter, setResult)
    return () => runner.stop()
  }, [tasks, win, filter])
  return result
}
