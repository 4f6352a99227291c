// Calendar events for a visible range, from the store's day index: the work is proportional to
// the tasks in the range, not to all tasks.
import type { Task, TaskStatus } from '../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../src-shared/status-colors'
import { localDayKey, placeTask, type PlacementBasis } from './placement'

export interface CalendarEvent {
  id: string
  title: string
  start: Date
  end: Date
  status: TaskStatus
  basis: PlacementBasis
}

export function eventsInRange(
  days: ReadonlyMap<string, ReadonlySet<string>>,
  tasks: ReadonlyMap<string, Task>,
  fromMs: number,
  toMs: number,
  nowMs: number,
  /** The store's `spanning` ids: tasks that may reach past the day they are indexed under. */
  spanning: ReadonlySet<string> = new Set(),
): CalendarEvent[] {
  const out: CalendarEvent[] = []
  const d = new Date(fromMs)
  d.setHours(0, 0, 0, 0)
  const firstDayMs = d.getTime()
  const push = (id: string, t: Task, startMs: number, endMs: number, basis: PlacementBasis) =>
    out.push({
      id,
      title: `${STATUS_STYLES[t.status].icon} ${t.title || t.task_id}`,
      start: new Date(startMs),
      end: new Date(endMs),
      status: t.status,
      basis,
    })
  // Step by calendar day (not 24 h) so DST changes do not skip or repeat a day.
  for (; d.getTime() <= toMs; d.setDate(d.getDate() + 1)) {
    const ids = days.get(localDayKey(d.getTime()))
    if (!ids) continue
    for (const id of ids) {
      const t = tasks.get(id)
      if (!t) continue
      const p = placeTask(t, nowMs)
      push(id, t, p.startMs, p.endMs, p.basis)
    }
  }
  // Runs and schedules that began before the range (so are indexed under an earlier day) and
  // reach into it: clipped to the range's first day, so each visible day they span shows them.
  for (const id of spanning) {
    const t = tasks.get(id)
    if (!t) continue
    const p = placeTask(t, nowMs)
    if (p.startMs >= firstDayMs || p.endMs <= firstDayMs) continue
    push(id, t, firstDayMs, p.endMs, p.basis)
  }
  return out
}
