// Which agents the monitor lists and in what order: pure, so it is tested without React.
import type { Task, TaskStatus } from '../../../src-shared/protocol'
import type { AgentEntry } from './task-store'
import type { AgentSort } from './ui-store'

export interface AgentFilter {
  status: TaskStatus | 'all'
  /** A project key, or 'all'. */
  project: string
  search: string
}

const ATTENTION: Record<TaskStatus, number> = { failed: 0, waiting: 1, running: 2, pending: 3, completed: 4 }

export function taskMatches(t: Task, f: AgentFilter, needle: string): boolean {
  if (f.status !== 'all' && t.status !== f.status) return false
  if (f.project !== 'all' && (t.project_id ?? '') !== f.project) return false
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
  const rows: { key: string; entry: AgentEntry; latest: Task; current: Task }[] = []
  for (const key of agentKeys) {
    const entry = agents.get(key)
    if (!entry) continue
    const current = tasks.get(entry.currentId)
    const latest = tasks.get(entry.latestId)
    if (!current || !latest) continue
    if (f.status !== 'all' && current.status !== f.status) continue
    if (f.project !== 'all' && (current.project_id ?? '') !== f.project) continue
    if (
      needle &&
      !key.toLowerCase().includes(needle) &&
      !(key === '' && 'unassigned'.includes(needle)) &&
      !taskMatches(current, { status: 'all', project: 'all', search: needle }, needle)
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
  else
    rows.sort((a, b) => {
      // Attention: an agent whose latest task failed first, then running, pending, completed;
      // by name within a group, so rows stay put while updates stream in (ordering by recency
      // would reshuffle them every frame).
      const d =
        ATTENTION[a.latest.status === 'failed' ? 'failed' : a.current.status] -
        ATTENTION[b.latest.status === 'failed' ? 'failed' : b.current.status]
      return d !== 0 ? d : byName(a, b)
    })
  return rows.map((r) => r.key)
}

export function selectTaskRows(
  order: readonly string[],
  tasks: ReadonlyMap<string, Task>,
  f: AgentFilter,
): readonly string[] {
  const needle = f.search.trim().toLowerCase()
  if (f.status === 'all' && f.project === 'all' && !needle) return order
  const out: string[] = []
  for (const id of order) {
    const t = tasks.get(id)
    if (t && taskMatches(t, f, needle)) out.push(id)
  }
  return out
}
