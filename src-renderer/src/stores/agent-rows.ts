// Which agents the monitor lists and in what order: pure, so it is tested without React.
import type { StatusCounts, Task, TaskStatus } from '../../../src-shared/protocol'
import { isUnacknowledgedFailure } from '../../../src-shared/task-model'
import { finishedAt, finishedBefore, type AgentEntry } from './task-store'
import type { AgentSort } from './ui-store'

export interface AgentFilter {
  status: TaskStatus | 'all'
  /** A project key, or 'all'. */
  project: string
  /** The search box's text (agent names are matched against it). */
  search: string
  /** An agent key ('' = unassigned), or 'all' / absent. */
  agent?: string
  /**
   * The search store's matching task ids (stores/search-store.ts: the server's full-text search
   * over titles, logs, errors …); null while no search is active. Absent: `search` is matched
   * here, as a substring of id, title, agent and project (views without the search store).
   */
  matches?: ReadonlySet<string> | null
}

export function taskMatches(t: Task, f: AgentFilter, needle: string): boolean {
  if (f.status !== 'all' && t.status !== f.status) return false
  if (f.project !== 'all' && (t.project_id ?? '') !== f.project) return false
  if (f.agent !== undefined && f.agent !== 'all' && (t.assignee ?? '') !== f.agent) return false
  if (f.matches !== undefined) return f.matches === null || f.matches.has(t.task_id)
  if (needle) {
    const hay = `${t.task_id} ${t.title ?? ''} ${t.assignee ?? ''} ${t.project_id ?? ''}`.toLowerCase()
    if (!hay.includes(needle)) return false
  }
  return true
}

/**
 * Agents to show. Status and project filters look at the agent's current task (what a person
 * watching the agent sees); search matches the agent's name or its current task.
 */
export function selectAgentRows(
  agentKeys: readonly string[],
  agents: ReadonlyMap<string, AgentEntry>,
  tasks: ReadonlyMap<string, Task>,
  f: AgentFilter,
  sort: AgentSort,
): string[] {
  const needle = f.search.trim().toLowerCase()
  // With the search store: an agent matches by its name or by any of its tasks the search found.
  const searching = f.matches === undefined ? needle !== '' : f.matches !== null
  let matchedAgents: Set<string> | null = null
  if (f.matches) {
    matchedAgents = new Set()
    for (const id of f.matches) {
      const t = tasks.get(id)
      if (t) matchedAgents.add(t.assignee ?? '')
    }
  }
  const rows: { key: string; entry: AgentEntry; latest: Task; current: Task }[] = []
  for (const key of agentKeys) {
    const entry = agents.get(key)
    if (!entry) continue
    const current = tasks.get(entry.currentId)
    const latest = tasks.get(entry.latestId)
    if (!current || !latest) continue
    if (f.status !== 'all' && current.status !== f.status) continue
    if (f.project !== 'all' && (current.project_id ?? '') !== f.project) continue
    if (f.agent !== undefined && f.agent !== 'all' && key !== f.agent) continue
    if (
      searching &&
      !(needle && key.toLowerCase().includes(needle)) &&
      !(needle && key === '' && 'unassigned'.includes(needle)) &&
      !(matchedAgents
        ? matchedAgents.has(key)
        : taskMatches(current, { status: 'all', project: 'all', search: needle }, needle))
    )
      continue
    rows.push({ key, entry, latest, current })
  }
  const byRecent = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
    a.entry.lastUpdatedAt === b.entry.lastUpdatedAt
      ? a.key < b.key
        ? -1
        : 1
      : a.entry.lastUpdatedAt > b.entry.lastUpdatedAt
        ? -1
        : 1
  // Unassigned last; plain code-unit order (localeCompare is slow and varies by locale).
  const byName = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
    a.key === b.key ? 0 : a.key === '' ? 1 : b.key === '' ? -1 : a.key < b.key ? -1 : 1
  if (sort === 'name') rows.sort(byName)
  else if (sort === 'recent') rows.sort(byRecent)
  else {
    // Needs attention (stores/agent-rows attentionKey): unacknowledged failures, waiting, stale,
    // longest running. Keys come from each agent's cached summary, so a batch costs the agents it
    // touched plus one sort of the (few dozen) rows.
    const keyed = new Map(rows.map((r) => [r.key, attentionKey(agentSummary(r.entry, tasks), tasks)]))
    rows.sort((a, b) => {
      const ka = keyed.get(a.key)!
      const kb = keyed.get(b.key)!
      return ka[0] - kb[0] || ka[1] - kb[1] || byName(a, b)
    })
  }
  return rows.map((r) => r.key)
}

export function selectTaskRows(
  order: readonly string[],
  tasks: ReadonlyMap<string, Task>,
  f: AgentFilter,
): readonly string[] {
  const needle = f.search.trim().toLowerCase()
  const searching = f.matches === undefined ? needle !== '' : f.matches !== null
  if (f.status === 'all' && f.project === 'all' && (f.agent ?? 'all') === 'all' && !searching) return order
  const out: string[] = []
  for (const id of order) {
    const t = tasks.get(id)
    if (t && taskMatches(t, f, needle)) out.push(id)
  }
  return out
}

// ---- The agent row model: attention, outcomes, columns (pure; tested without React) ----

/** Runs shown in an agent's outcome strip. */
export const OUTCOME_RUNS = 20

/** What needs a person about one agent, and its recent runs, derived from its tasks. */
export interface AgentSummary {
  /** Statuses of its last OUTCOME_RUNS finished runs (completed or failed), oldest first. */
  outcomes: readonly ('completed' | 'failed')[]
  /** Its unacknowledged failures (isUnacknowledgedFailure), newest first. */
  unacked: readonly string[]
  /** Its waiting task updated longest ago, if any. */
  waiting: Task | null
  /** Its running task stale the longest (earliest `stale_since`), if any. */
  stale: Task | null
  /** Its running task that started first (the longest running), if any. */
  longestRunning: Task | null
}

const startedMs = (t: Task) => Date.parse(t.started_at ?? t.created_at)

// Every pick below has a total order (ties by id), so the summary does not depend on the order in
// which tasks were met: the store's incremental sets and a pass over all tasks give the same one.
const stalestFirst = (a: Task, b: Task) =>
  a.stale_since! !== b.stale_since! ? a.stale_since! < b.stale_since! : a.task_id < b.task_id
const longestWaitingFirst = (a: Task, b: Task) =>
  a.updated_at !== b.updated_at ? a.updated_at < b.updated_at : a.task_id < b.task_id
const earliestStartFirst = (a: Task, b: Task) => {
  const x = startedMs(a)
  const y = startedMs(b)
  return x !== y ? x < y : a.task_id < b.task_id
}

/** The summary from the agent's running, waiting, unacknowledged and finished tasks. */
function summarize(
  running: Iterable<Task>,
  waitingTasks: Iterable<Task>,
  unackedTasks: Iterable<Task>,
  newestFinished: readonly Task[],
): AgentSummary {
  let waiting: Task | null = null
  let stale: Task | null = null
  let longestRunning: Task | null = null
  for (const t of waitingTasks) if (!waiting || longestWaitingFirst(t, waiting)) waiting = t
  for (const t of running) {
    if (t.stale_since && (!stale || stalestFirst(t, stale))) stale = t
    if (!longestRunning || earliestStartFirst(t, longestRunning)) longestRunning = t
  }
  const unacked = [...unackedTasks].sort((a, b) => (finishedBefore(a, b) ? -1 : 1))
  return {
    outcomes: newestFinished
      .slice(0, OUTCOME_RUNS)
      .reverse()
      .map((t) => t.status as 'completed' | 'failed'),
    unacked: unacked.map((t) => t.task_id),
    waiting,
    stale,
    longestRunning,
  }
}

/**
 * From scratch, O(tasks of the agent · log): the reference the store's incremental sets are
 * tested against (agent-rows.test.ts); views use `agentSummary`.
 */
export function summarizeAgent(ids: Iterable<string>, tasks: ReadonlyMap<string, Task>): AgentSummary {
  const running: Task[] = []
  const waiting: Task[] = []
  const unacked: Task[] = []
  const finished: Task[] = []
  for (const id of ids) {
    const t = tasks.get(id)
    if (!t) continue
    if (t.status === 'running') running.push(t)
    else if (t.status === 'waiting') waiting.push(t)
    else if (t.status === 'completed' || t.status === 'failed') {
      finished.push(t)
      if (isUnacknowledgedFailure(t)) unacked.push(t)
    }
  }
  finished.sort((a, b) => (finishedBefore(a, b) ? -1 : 1))
  return summarize(running, waiting, unacked, finished)
}

const lookup = (ids: Iterable<string>, tasks: ReadonlyMap<string, Task>): Task[] => {
  const out: Task[] = []
  for (const id of ids) {
    const t = tasks.get(id)
    if (t) out.push(t)
  }
  return out
}

/**
 * From the sets the store keeps per agent (task-store.ts AgentEntry): O(running + waiting +
 * unacknowledged + OUTCOME_RUNS), independent of how many tasks the agent has.
 */
export function summarizeAgentEntry(entry: AgentEntry, tasks: ReadonlyMap<string, Task>): AgentSummary {
  return summarize(
    lookup(entry.running, tasks),
    lookup(entry.waiting, tasks),
    lookup(entry.unacked, tasks),
    lookup(entry.finished.slice(0, OUTCOME_RUNS), tasks),
  )
}

// The store replaces an agent's entry whenever one of its tasks changes (task-store.ts), so the
// entry object is the cache key: a live update recomputes only the agents it touched.
const summaries = new WeakMap<AgentEntry, AgentSummary>()

export function agentSummary(entry: AgentEntry, tasks: ReadonlyMap<string, Task>): AgentSummary {
  let s = summaries.get(entry)
  if (!s) {
    s = summarizeAgentEntry(entry, tasks)
    summaries.set(entry, s)
  }
  return s
}

/** "17 completed, 3 failed": the outcome strip as text (screen readers, tooltips). */
export function outcomeText(outcomes: readonly ('completed' | 'failed')[]): string {
  if (outcomes.length === 0) return 'no finished runs'
  const failed = outcomes.filter((o) => o === 'failed').length
  return `last ${outcomes.length} runs: ${outcomes.length - failed} completed, ${failed} failed`
}

/** Failed share of the runs that finished (completed + failed), or null when none did. */
export function failureRate(counts: Pick<StatusCounts, 'completed' | 'failed'>): number | null {
  const n = counts.completed + counts.failed
  return n === 0 ? null : counts.failed / n
}

/** "12%" or "—". */
export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)}%`
}

/** How long a task has been running at `nowMs` (null unless running). */
export function runningForMs(
  t: Pick<Task, 'status' | 'started_at' | 'created_at'>,
  nowMs: number,
): number | null {
  if (t.status !== 'running') return null
  return Math.max(0, nowMs - Date.parse(t.started_at ?? t.created_at))
}

/** The largest unit only, for narrow marks: "45s", "12m", "5h", "3d". */
export function formatShortDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

/** A compact duration: "45s", "12m", "5h 02m", "3d 4h". */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

/**
 * Attention rank of an agent (lower first): 0 an unacknowledged failure, 1 a task waiting for
 * input, 2 a stale running task, 3 running, 4 the rest. Within a rank: the most recent failure,
 * the longest waiting, the longest stale, the longest running; then by name.
 */
export function attentionKey(s: AgentSummary, tasks: ReadonlyMap<string, Task>): [number, number] {
  if (s.unacked.length > 0) {
    const t = tasks.get(s.unacked[0]!)
    return [0, t ? -Date.parse(finishedAt(t)) : 0]
  }
  if (s.waiting) return [1, Date.parse(s.waiting.updated_at)]
  if (s.stale) return [2, Date.parse(s.stale.stale_since!)]
  if (s.longestRunning) return [3, startedMs(s.longestRunning)]
  return [4, 0]
}

// ---- Compact row columns, dropped by priority as the pane narrows ----

export type AgentColumn =
  'status' | 'name' | 'title' | 'attention' | 'age' | 'running' | 'rate' | 'strip' | 'statusLabel'

interface ColumnSpec {
  id: AgentColumn
  /** Grid track (px or a minmax for the flexible ones). */
  track: string
  /** Width it needs at least (the flexible title counts its readable minimum). */
  px: number
}

/** Always shown: status glyph, agent name, task title (its readable minimum), attention mark. */
const BASE_COLUMNS: ColumnSpec[] = [
  { id: 'status', track: '22px', px: 22 },
  { id: 'name', track: 'minmax(0, 170px)', px: 96 },
  { id: 'title', track: 'minmax(150px, 1fr)', px: 150 },
  { id: 'attention', track: '80px', px: 80 },
]
/** Optional columns in the order they are given room (the first is the last to drop out). */
const OPTIONAL_COLUMNS: ColumnSpec[] = [
  { id: 'age', track: '76px', px: 76 },
  { id: 'running', track: '80px', px: 80 },
  { id: 'rate', track: '44px', px: 44 },
  { id: 'strip', track: '100px', px: 100 },
  { id: 'statusLabel', track: '72px', px: 72 },
]
const COLUMN_GAP = 8
/** Order of the columns on screen. */
const DISPLAY_ORDER: AgentColumn[] = [
  'status',
  'statusLabel',
  'name',
  'title',
  'attention',
  'running',
  'age',
  'strip',
  'rate',
]

/**
 * The compact row's columns for a list `width` px wide (padding included): the base ones always,
 * then optional ones by priority while they fit, so a narrow pane drops the outcome strip before
 * the title goes below its readable minimum; never overlapping, because the grid has exactly the
 * tracks of the columns shown.
 */
export function compactColumns(width: number, padding = 34): { columns: AgentColumn[]; template: string } {
  const chosen = new Set<AgentColumn>(BASE_COLUMNS.map((c) => c.id))
  let used = BASE_COLUMNS.reduce((n, c) => n + c.px, 0) + COLUMN_GAP * (BASE_COLUMNS.length - 1) + padding
  for (const c of OPTIONAL_COLUMNS) {
    if (used + COLUMN_GAP + c.px > width) break
    used += COLUMN_GAP + c.px
    chosen.add(c.id)
  }
  const all = [...BASE_COLUMNS, ...OPTIONAL_COLUMNS]
  const columns = DISPLAY_ORDER.filter((id) => chosen.has(id))
  const template = columns.map((id) => all.find((c) => c.id === id)!.track).join(' ')
  return { columns, template }
}

/**
 * The task `delta` places from `id` in `ids` (j/k in the detail): the first one when `id` is not
 * in the list, null at either end (no wrap: the reader knows they reached the end).
 */
export function stepTask(ids: readonly string[], id: string, delta: 1 | -1): string | null {
  if (ids.length === 0) return null
  const i = ids.indexOf(id)
  if (i < 0) return ids[0]!
  return ids[i + delta] ?? null
}
