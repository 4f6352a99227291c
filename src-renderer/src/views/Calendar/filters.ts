// What the calendar shows of the tasks: the shared status and project filters (ui-store) and the
// search. One predicate for month totals, timeline bars and agenda rows, so they always agree.
import { useDeferredValue, useMemo } from 'react'
import type { TaskStatus } from '../../../../src-shared/protocol'
import { useUi } from '../../stores/context'
import type { Placed } from '../../stores/calendar-index'

export interface CalendarFilter {
  status: TaskStatus | 'all'
  project: string
  /** Ids matching the search, or null when no search is active. */
  matches: ReadonlySet<string> | null
  /** The search text (for highlighting), '' when none. */
  query: string
  /** Anything narrows the set (otherwise the month uses its precomputed totals). */
  active: boolean
}

export function passes(f: CalendarFilter, p: Placed): boolean {
  if (f.status !== 'all' && p.status !== f.status) return false
  if (f.project !== 'all' && p.project !== f.project) return false
  if (f.matches && !f.matches.has(p.id)) return false
  return true
}

/** Client-side search over the fields a person sees on the calendar (title, agent, project, id). */
export function matchesText(p: Placed, words: readonly string[]): boolean {
  const t = p.task
  const hay = `${t.title}\n${t.assignee ?? ''}\n${t.project_id ?? ''}\n${t.task_id}`.toLowerCase()
  return words.every((w) => hay.includes(w))
}

export function queryWords(q: string): string[] {
  return q.toLowerCase().split(/\s+/).filter(Boolean)
}

/**
 * The calendar's filter from the ui-store. The search text is deferred (typing never waits for
 * the calendar); matching is done by the views over the tasks they draw (`matchesText`), so the
 * set stays null here until the server-side search (search-store) lands.
 */
export function useCalendarFilter(): CalendarFilter {
  const status = useUi((s) => s.statusFilter)
  const project = useUi((s) => s.projectFilter)
  const search = useDeferredValue(useUi((s) => s.search.trim()))
  return useMemo(
    () => ({
      status,
      project,
      matches: null,
      query: search,
      active: status !== 'all' || project !== 'all' || search !== '',
    }),
    [status, project, search],
  )
}

/** `passes` plus the client-side text match while there is no server match set. */
export function makePredicate(f: CalendarFilter): (p: Placed) => boolean {
  const words = f.matches ? [] : queryWords(f.query)
  if (!f.active) return () => true
  return (p) => passes(f, p) && (words.length === 0 || matchesText(p, words))
}
