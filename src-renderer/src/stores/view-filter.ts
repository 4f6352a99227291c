// The filters every view applies: status, project and agent (ui-store, set by the filter bar) and
// the search box's matches (search-store). One predicate, so the agents list, the calendar and
// Projects agree on what "filtered" means.
import { useMemo } from 'react'
import type { Task, TaskStatus } from '../../../src-shared/protocol'
import { useUi } from './context'
import { useSearchMatches } from './search-store'

export interface ViewFilter {
  status: TaskStatus | 'all'
  /** A project key ('' = no project), or 'all'. */
  project: string
  /** An agent key ('' = unassigned), or 'all'. */
  agent: string
  /** Task ids matching the search box; null = no search. */
  matches: ReadonlySet<string> | null
}

export const NO_FILTER: ViewFilter = { status: 'all', project: 'all', agent: 'all', matches: null }

export function isFiltering(f: ViewFilter): boolean {
  return f.status !== 'all' || f.project !== 'all' || f.agent !== 'all' || f.matches !== null
}

export function taskPassesFilter(t: Task, f: ViewFilter): boolean {
  if (f.status !== 'all' && t.status !== f.status) return false
  if (f.project !== 'all' && (t.project_id ?? '') !== f.project) return false
  if (f.agent !== 'all' && (t.assignee ?? '') !== f.agent) return false
  return f.matches === null || f.matches.has(t.task_id)
}

/** The current filters as one object, replaced only when one of them changes. */
export function useViewFilter(): ViewFilter {
  const status = useUi((s) => s.statusFilter)
  const project = useUi((s) => s.projectFilter)
  const agent = useUi((s) => s.agentFilter)
  const matches = useSearchMatches()
  return useMemo(() => ({ status, project, agent, matches }), [status, project, agent, matches])
}
