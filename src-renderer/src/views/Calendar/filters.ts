// What the calendar shows of the tasks: the shared filters (status, project, agent from the
// ui-store; the search box's matches from the search-store, stores/view-filter.ts). One predicate
// over the calendar index's placements for month totals, timeline bars and agenda rows, so the
// three agree with each other and with the other views.
import type { Placed } from '../../stores/calendar-index'
import { isFiltering, useViewFilter, type ViewFilter } from '../../stores/view-filter'

export type CalendarFilter = ViewFilter

export const useCalendarFilter = useViewFilter
export const filtering = isFiltering

export function passes(f: CalendarFilter, p: Placed): boolean {
  if (f.status !== 'all' && p.status !== f.status) return false
  if (f.project !== 'all' && p.project !== f.project) return false
  if (f.agent !== 'all' && p.agent !== f.agent) return false
  return f.matches === null || f.matches.has(p.id)
}

export function makePredicate(f: CalendarFilter): (p: Placed) => boolean {
  if (!isFiltering(f)) return () => true
  return (p) => passes(f, p)
}
