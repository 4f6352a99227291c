// Upcoming schedule occurrences for the timeline's window (GET /api/schedules/occurrences): fetched
// when the window settles and again every minute (a schedule set elsewhere, time moving on), kept
// by agent row. Only occurrences whose grace has not run out are drawn: a passed one either has
// its run (a task bar) or became a missed-run task (a failed bar), both already in the task store.
import { useEffect, useMemo, useState } from 'react'
import { useNow, useParts } from '../../stores/context'
import { NONE } from '../../stores/task-store'
import { createSchedulesApi, type ScheduleOccurrence } from '../../net/schedules-api'
import type { CalendarFilter } from './filters'
import type { Window } from './timeline-math'

const MINUTE = 60_000
/** A drag or wheel pan moves the window many times a second: ask once it rests. */
const SETTLE_MS = 250

export type OccurrencesByAgent = ReadonlyMap<string, readonly ScheduleOccurrence[]>
const EMPTY: OccurrencesByAgent = new Map()

export function groupByAgent(list: readonly ScheduleOccurrence[], nowMs: number): OccurrencesByAgent {
  const out = new Map<string, ScheduleOccurrence[]>()
  for (const o of list) {
    if (Date.parse(o.deadline) <= nowMs) continue
    const agent = o.assignee ?? NONE
    let row = out.get(agent)
    if (!row) out.set(agent, (row = []))
    row.push(o)
  }
  return out
}

/** The occurrences the calendar's filters let through: they are planned (pending) work. */
export function filterOccurrences(by: OccurrencesByAgent, f: CalendarFilter): OccurrencesByAgent {
  if (f.matches !== null || (f.status !== 'all' && f.status !== 'pending')) return EMPTY
  if (f.agent === 'all' && f.project === 'all') return by
  const out = new Map<string, readonly ScheduleOccurrence[]>()
  for (const [agent, list] of by) {
    if (f.agent !== 'all' && agent !== f.agent) continue
    const kept = f.project === 'all' ? list : list.filter((o) => (o.project_id ?? NONE) === f.project)
    if (kept.length) out.set(agent, kept)
  }
  return out
}

export function useScheduleOccurrences(
  w: Window,
  active: boolean,
): { byAgent: OccurrencesByAgent; error: string | null } {
  const parts = useParts()
  const api = useMemo(
    () => parts.schedules ?? createSchedulesApi(() => parts.connection.current()),
    [parts.schedules, parts.connection],
  )
  const minute = useNow(MINUTE)
  const [state, setState] = useState<{ list: ScheduleOccurrence[]; error: string | null }>({
    list: [],
    error: null,
  })
  const { fromMs, spanMs } = w
  useEffect(() => {
    if (!active) return
    let cancelled = false
    const timer = setTimeout(() => {
      api.occurrences(fromMs, fromMs + spanMs).then(
        (r) => !cancelled && setState({ list: r.occurrences, error: null }),
        (e: Error) => !cancelled && setState((s) => ({ list: s.list, error: e.message })),
      )
    }, SETTLE_MS)
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [api, fromMs, spanMs, active, minute])
  const byAgent = useMemo(() => groupByAgent(state.list, minute), [state.list, minute])
  return { byAgent, error: state.error }
}
