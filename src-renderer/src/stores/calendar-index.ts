// The calendar's own index of the task store, kept up to date incrementally: per local day its
// status counts by project (the month's totals), per agent its tasks by day (the timeline's rows),
// per day its tasks (the agenda). A batch of updates costs O(tasks changed): the index follows the
// store's `changed` ids, removes each task's previous placement and adds the new one, and bumps
// the revision of what it touched (one agent's row, the day counts), so a view re-renders only
// the agent row or the month that changed, and never rebuilds every event in range.
//
// One index per task store (calendarIndexFor), built on first use (O(tasks), once), then kept.
import type { StatusCounts, Task, TaskStatus } from '../../../src-shared/protocol'
import { localDayKey, placeTask, type PlacementBasis } from './placement'
import { emptyCounts, STATUSES } from './statuses'
import { NONE, type TaskStore, type TaskStoreState } from './task-store'

/** Where one task sits on the calendar (its placement, computed with "now" = 0). */
export interface Placed {
  id: string
  task: Task
  agent: string
  project: string
  status: TaskStatus
  startMs: number
  /** End of the placement; for an open run (`open`) the end is "now" and this is its start + 15 min. */
  endMs: number
  /** A running task without a finish: its bar ends at "now" and grows. */
  open: boolean
  basis: PlacementBasis
  day: string
}

/** Status counts of one day, per project key. */
export type DayCounts = Map<string, StatusCounts>

type Listener = () => void

export interface CalendarIndex {
  get(id: string): Placed | undefined
  /** Agent keys in the store (sorted; '' = unassigned), replaced when one appears or goes. */
  agents(): readonly string[]
  /** Changes when any task of this agent changed. */
  agentRev(agent: string): number
  /** Changes when any day's counts changed. */
  countsRev(): number
  /** Changes on any change at all. */
  rev(): number
  dayCounts(day: string): DayCounts | undefined
  /** Ids of tasks placed (starting) on a local day. */
  dayIds(day: string): ReadonlySet<string> | undefined
  /** Tasks of `agent` whose placement overlaps [fromMs, toMs) (open runs end at nowMs). */
  agentTasksIn(agent: string, fromMs: number, toMs: number, nowMs: number): Placed[]
  /** Tasks of any agent overlapping [fromMs, toMs), optionally only those starting in it. */
  tasksIn(fromMs: number, toMs: number, nowMs: number): Placed[]
  /** Projects an agent has tasks in, with how many. */
  agentProjects(agent: string): ReadonlyMap<string, number> | undefined
  subscribe(fn: Listener): () => void
}

export const DAY_MS = 24 * 3600_000

/** The end of a placement as drawn at `nowMs`: an open run reaches now. */
export function endAt(p: Placed, nowMs: number): number {
  return p.open ? Math.max(nowMs, p.startMs + 60_000) : p.endMs
}

/** Local day keys from the day of `fromMs` to the day of `toMs` (inclusive), DST-safe. */
export function dayKeysBetween(fromMs: number, toMs: number): string[] {
  const out: string[] = []
  const d = new Date(fromMs)
  d.setHours(0, 0, 0, 0)
  for (; d.getTime() <= toMs; d.setDate(d.getDate() + 1)) out.push(localDayKey(d.getTime()))
  return out
}

export function place(t: Task): Placed {
  const p = placeTask(t, 0)
  const open = p.basis === 'run' && t.status === 'running' && !t.finished_at
  return {
    id: t.task_id,
    task: t,
    agent: t.assignee ?? NONE,
    project: t.project_id ?? NONE,
    status: t.status,
    startMs: p.startMs,
    endMs: open ? p.startMs + 15 * 60_000 : p.endMs,
    open,
    basis: p.basis,
    day: localDayKey(p.startMs),
  }
}

/** The index over a plain list of tasks, fed by hand (tests) or by a task store (below). */
export function createCalendarIndex(): CalendarIndex & {
  /** Rebuild from every task. */
  load(tasks: Iterable<Task>): void
  /** Apply the current version of these tasks (absent from `lookup` = removed). */
  apply(ids: Iterable<string>, lookup: (id: string) => Task | undefined): void
} {
  let recs = new Map<string, Placed>()
  let counts = new Map<string, DayCounts>()
  let byDay = new Map<string, Set<string>>()
  let byAgentDay = new Map<string, Map<string, Set<string>>>()
  /** Per agent: tasks whose placement may reach past their start day (multi-day, open runs). */
  let spanning = new Map<string, Set<string>>()
  let agentProjects = new Map<string, Map<string, number>>()
  let agentRevs = new Map<string, number>()
  let agentList: string[] = []
  let countsRevision = 0
  let revision = 0
  const listeners = new Set<Listener>()

  const reaches = (p: Placed) => p.open || localDayKey(p.endMs - 1) !== p.day

  function add(p: Placed): void {
    recs.set(p.id, p)
    let dc = counts.get(p.day)
    if (!dc) counts.set(p.day, (dc = new Map<string, StatusCounts>()))
    let c = dc.get(p.project)
    if (!c) dc.set(p.project, (c = emptyCounts()))
    c[p.status] += 1
    let ids = byDay.get(p.day)
    if (!ids) byDay.set(p.day, (ids = new Set()))
    ids.add(p.id)
    let ad = byAgentDay.get(p.agent)
    if (!ad) byAgentDay.set(p.agent, (ad = new Map<string, Set<string>>()))
    let aids = ad.get(p.day)
    if (!aids) ad.set(p.day, (aids = new Set()))
    aids.add(p.id)
    if (reaches(p)) {
      let sp = spanning.get(p.agent)
      if (!sp) spanning.set(p.agent, (sp = new Set()))
      sp.add(p.id)
    }
    let ap = agentProjects.get(p.agent)
    if (!ap) agentProjects.set(p.agent, (ap = new Map<string, number>()))
    ap.set(p.project, (ap.get(p.project) ?? 0) + 1)
  }

  function remove(p: Placed): void {
    recs.delete(p.id)
    const dc = counts.get(p.day)
    const c = dc?.get(p.project)
    if (dc && c) {
      c[p.status] -= 1
      if (STATUSES.every((s) => c[s] === 0)) dc.delete(p.project)
      if (dc.size === 0) counts.delete(p.day)
    }
    const ids = byDay.get(p.day)
    ids?.delete(p.id)
    if (ids?.size === 0) byDay.delete(p.day)
    const ad = byAgentDay.get(p.agent)
    const aids = ad?.get(p.day)
    aids?.delete(p.id)
    if (ad && aids?.size === 0) ad.delete(p.day)
    spanning.get(p.agent)?.delete(p.id)
    const ap = agentProjects.get(p.agent)
    if (ap) {
      const n = (ap.get(p.project) ?? 0) - 1
      if (n > 0) ap.set(p.project, n)
      else ap.delete(p.project)
    }
  }

  function refreshAgents(): boolean {
    const keys = [...byAgentDay.keys()].filter((a) => (byAgentDay.get(a)?.size ?? 0) > 0).sort()
    if (keys.length === agentList.length && keys.every((k, i) => k === agentList[i])) return false
    agentList = keys
    return true
  }

  const notify = () => {
    for (const fn of listeners) fn()
  }

  return {
    load(tasks) {
      recs = new Map()
      counts = new Map()
      byDay = new Map()
      byAgentDay = new Map()
      spanning = new Map()
      agentProjects = new Map()
      for (const t of tasks) add(place(t))
      // Every agent's revision moves (a reload may change any row).
      const next = new Map<string, number>()
      for (const a of byAgentDay.keys()) next.set(a, (agentRevs.get(a) ?? 0) + 1)
      agentRevs = next
      refreshAgents()
      countsRevision++
      revision++
      notify()
    },
    apply(ids, lookup) {
      let touched = false
      let countsTouched = false
      const agentsTouched = new Set<string>()
      for (const id of ids) {
        const prev = recs.get(id)
        const t = lookup(id)
        if (prev && t === prev.task) continue
        const next = t ? place(t) : undefined
        if (prev) {
          remove(prev)
          agentsTouched.add(prev.agent)
        }
        if (next) {
          add(next)
          agentsTouched.add(next.agent)
        }
        // Counts change only when a task's day, project or status does (not on every log line).
        if (
          !prev ||
          !next ||
          prev.day !== next.day ||
          prev.status !== next.status ||
          prev.project !== next.project
        )
          countsTouched = true
        touched = true
      }
      if (!touched) return
      for (const a of agentsTouched) agentRevs.set(a, (agentRevs.get(a) ?? 0) + 1)
      if (countsTouched) countsRevision++
      refreshAgents()
      revision++
      notify()
    },
    get: (id) => recs.get(id),
    agents: () => agentList,
    agentRev: (agent) => agentRevs.get(agent) ?? 0,
    countsRev: () => countsRevision,
    rev: () => revision,
    dayCounts: (day) => counts.get(day),
    dayIds: (day) => byDay.get(day),
    agentProjects: (agent) => agentProjects.get(agent),
    agentTasksIn(agent, fromMs, toMs, nowMs) {
      const out: Placed[] = []
      const ad = byAgentDay.get(agent)
      if (!ad) return out
      const days = dayKeysBetween(fromMs, toMs - 1)
      const first = days[0]!
      for (const day of days) {
        const ids = ad.get(day)
        if (!ids) continue
        for (const id of ids) {
          const p = recs.get(id)!
          if (p.startMs < toMs && endAt(p, nowMs) > fromMs) out.push(p)
        }
      }
      // Begun on an earlier day, still reaching into the range.
      for (const id of spanning.get(agent) ?? []) {
        const p = recs.get(id)!
        if (p.day < first && endAt(p, nowMs) > fromMs && p.startMs < toMs) out.push(p)
      }
      return out
    },
    tasksIn(fromMs, toMs, nowMs) {
      const out: Placed[] = []
      const days = dayKeysBetween(fromMs, toMs - 1)
      const first = days[0]!
      for (const day of days)
        for (const id of byDay.get(day) ?? []) {
          const p = recs.get(id)!
          if (p.startMs < toMs && endAt(p, nowMs) > fromMs) out.push(p)
        }
      for (const sp of spanning.values())
        for (const id of sp) {
          const p = recs.get(id)!
          if (p.day < first && endAt(p, nowMs) > fromMs && p.startMs < toMs) out.push(p)
        }
      return out
    },
    subscribe(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
}

const INDEXES = new WeakMap<TaskStore, CalendarIndex>()

/**
 * The calendar index of a task store: built from its tasks on first use, then following every
 * applied batch through the store's `changed` ids (a whole reload when `changed` is null).
 */
export function calendarIndexFor(store: TaskStore): CalendarIndex {
  const existing = INDEXES.get(store)
  if (existing) return existing
  const index = createCalendarIndex()
  index.load(store.getState().tasks.values())
  store.subscribe((s: TaskStoreState, prev: TaskStoreState) => {
    if (s.changed === prev.changed && s.tasks === prev.tasks) return
    if (s.changed === null || s.tasks !== prev.tasks) index.load(s.tasks.values())
    else index.apply(s.changed, (id) => s.tasks.get(id))
  })
  INDEXES.set(store, index)
  return index
}
