// What a project's card says about a time window (the last 24 h, 7 d or 30 d up to now). Pure and
// incremental: an accumulator takes tasks one by one, so the caller can feed 100,000 tasks in
// slices between frames (use-project-window.ts) and the maths is tested without React.
//
// Definitions (docs/ui.md, "Projects"):
// - In the window: tasks that finished (completed or failed) in it, plus every task still open
//   (pending, running, waiting) whenever it last moved: they are the project's current work. A
//   finished task is placed by finished_at, so acknowledging an old failure does not bring it in.
// - Failure rate: failed / finished, over tasks that finished (completed or failed) in the window.
// - Done: over tasks that were DUE in the window (due_at in it): the share completed by now.
//   A task due next week is not "not done" yet, and one without a due date is not counted.
// - Failures: failed tasks that finished in the window, newest first, with their times.
// - Red mark: some failure in the window is unacknowledged (isUnacknowledgedFailure). A failure
//   six weeks ago, or one someone acknowledged, leaves the card calm.
import {
  emptyCounts,
  isUnacknowledgedFailure,
  type StatusCounts,
  type Task,
} from '../../../../src-shared/task-model'

import { PROJECT_WINDOWS, type ProjectWindow } from '../../stores/ui-store'

export const WINDOWS = PROJECT_WINDOWS
export type { ProjectWindow }

export const WINDOW_MS: Record<ProjectWindow, number> = {
  '24h': 24 * 3600_000,
  '7d': 7 * 24 * 3600_000,
  '30d': 30 * 24 * 3600_000,
}

export const WINDOW_LABELS: Record<ProjectWindow, string> = {
  '24h': '24 h',
  '7d': '7 days',
  '30d': '30 days',
}

export function isProjectWindow(v: unknown): v is ProjectWindow {
  return (WINDOWS as readonly unknown[]).includes(v)
}

/** How many failures (and search matches) a card lists. */
export const LISTED = 5

export interface ProjectWindowStats {
  key: string
  /** By current status: tasks finished in the window, and all open tasks. */
  counts: StatusCounts
  total: number
  /** Completed or failed with finished_at in the window. */
  finished: number
  failed: number
  /** failed / finished, null when nothing finished in the window. */
  failureRate: number | null
  /** Tasks with due_at in the window, and how many of them are completed. */
  due: number
  dueDone: number
  /** dueDone / due, null when nothing was due in the window. */
  donePct: number | null
  /** Failures in the window, newest first, at most LISTED. */
  failures: Task[]
  /** Failures in the window that nobody acknowledged. */
  unacknowledged: number
  /** Search matches of this project (any time), newest first, at most LISTED; and how many. */
  matches: Task[]
  matchCount: number
}

/** The time a task finished: finished_at, or its last update for a terminal task without one. */
function finishedAt(t: Task): string | null {
  if (t.status !== 'completed' && t.status !== 'failed') return null
  return t.finished_at ?? t.updated_at
}

const newerFirst = (a: Task, b: Task, at: (t: Task) => string) => {
  const x = at(a)
  const y = at(b)
  return x === y ? (a.task_id < b.task_id ? -1 : 1) : x > y ? -1 : 1
}

/** Keeps the n newest by `at`, in O(1) amortised per offer (sorts only when the buffer fills). */
class Newest {
  private items: Task[] = []
  count = 0
  constructor(
    private readonly n: number,
    private readonly at: (t: Task) => string,
  ) {}
  offer(t: Task): void {
    this.count += 1
    this.items.push(t)
    if (this.items.length > this.n * 8) this.trim()
  }
  private trim(): void {
    this.items.sort((a, b) => newerFirst(a, b, this.at))
    this.items.length = Math.min(this.items.length, this.n)
  }
  result(): Task[] {
    this.trim()
    return this.items
  }
}

interface Acc {
  counts: StatusCounts
  total: number
  finished: number
  failed: number
  due: number
  dueDone: number
  unacknowledged: number
  failures: Newest
  matches: Newest
}

export interface WindowAccumulator {
  /** Counts one task (already filtered by the caller); `matched`: it matches the search. */
  add(t: Task, matched?: boolean): void
  finish(projectKeys: Iterable<string>): Map<string, ProjectWindowStats>
}

export function windowBounds(win: ProjectWindow, nowMs: number): { fromIso: string; toIso: string } {
  return { fromIso: new Date(nowMs - WINDOW_MS[win]).toISOString(), toIso: new Date(nowMs).toISOString() }
}

/**
 * An accumulator for the window [from, to] (both ends included; canonical UTC ISO strings compare
 * as times, so no date is parsed per task).
 */
export function windowAccumulator(fromIso: string, toIso: string): WindowAccumulator {
  const accs = new Map<string, Acc>()
  const inWindow = (iso: string | null): iso is string => iso !== null && iso >= fromIso && iso <= toIso
  const accOf = (key: string): Acc => {
    let a = accs.get(key)
    if (!a) {
      a = {
        counts: emptyCounts(),
        total: 0,
        finished: 0,
        failed: 0,
        due: 0,
        dueDone: 0,
        unacknowledged: 0,
        failures: new Newest(LISTED, (t) => finishedAt(t) ?? t.updated_at),
        matches: new Newest(LISTED, (t) => t.updated_at),
      }
      accs.set(key, a)
    }
    return a
  }
  return {
    add(t, matched = false) {
      const key = t.project_id ?? ''
      const open = t.status === 'pending' || t.status === 'running' || t.status === 'waiting'
      const fin = finishedAt(t)
      const a = accOf(key)
      if (open || inWindow(fin)) {
        a.counts[t.status] += 1
        a.total += 1
      }
      if (inWindow(fin)) {
        a.finished += 1
        if (t.status === 'failed') {
          a.failed += 1
          a.failures.offer(t)
          if (isUnacknowledgedFailure(t)) a.unacknowledged += 1
        }
      }
      if (inWindow(t.due_at)) {
        a.due += 1
        if (t.status === 'completed') a.dueDone += 1
      }
      if (matched) a.matches.offer(t)
    },
    finish(projectKeys) {
      const out = new Map<string, ProjectWindowStats>()
      const keys = new Set(projectKeys)
      for (const k of accs.keys()) keys.add(k)
      for (const key of keys) {
        const a = accs.get(key) ?? accOf(key)
        out.set(key, {
          key,
          counts: a.counts,
          total: a.total,
          finished: a.finished,
          failed: a.failed,
          failureRate: a.finished > 0 ? a.failed / a.finished : null,
          due: a.due,
          dueDone: a.dueDone,
          donePct: a.due > 0 ? Math.round((a.dueDone / a.due) * 100) : null,
          failures: a.failures.result(),
          unacknowledged: a.unacknowledged,
          matches: a.matches.result(),
          matchCount: a.matches.count,
        })
      }
      return out
    },
  }
}

/** The whole computation in one go (tests, small stores). */
export function projectWindowStats(
  tasks: Iterable<Task>,
  win: ProjectWindow,
  nowMs: number,
  opts: {
    pass?: (t: Task) => boolean
    matches?: ReadonlySet<string> | null
    projectKeys?: Iterable<string>
  } = {},
): Map<string, ProjectWindowStats> {
  const { fromIso, toIso } = windowBounds(win, nowMs)
  const acc = windowAccumulator(fromIso, toIso)
  for (const t of tasks) if (!opts.pass || opts.pass(t)) acc.add(t, opts.matches?.has(t.task_id) ?? false)
  return acc.finish(opts.projectKeys ?? [])
}
