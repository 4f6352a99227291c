// Calendar events for a visible range, from the store's day index: the work is proportional to
// the tasks in the range, not to all tasks.
import type { Task, TaskStatus } from '../../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { localDayKey, placeTask, type PlacementBasis } from '../../stores/placement'

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
): CalendarEvent[] {
  const out: CalendarEvent[] = []
  const d = new Date(fromMs)
  d.setHours(0, 0, 0, 0)
  // Step by calendar day (not 24 h) so DST changes do not skip or repeat a day.
  for (; d.getTime() <= toMs; d.setDate(d.getDate() + 1)) {
    const ids = days.get(localDayKey(d.getTime()))
    if (!ids) continue
    for (const id of ids) {
      const t = tasks.get(id)
      if (!t) continue
      const p = placeTask(t, nowMs)
      out.push({
        id,
        title: `${STATUS_STYLES[t.status].icon} ${t.title || t.task_id}`,
        start: new Date(p.startMs),
        end: new Date(p.endMs),
        status: t.status,
        basis: p.basis,
      })
    }
  }
  return out
}

/** Text colour readable on each status colour. */
export const EVENT_TEXT: Record<TaskStatus, string> = {
  pending: '#ffffff',
  running: '#1f1300',
  completed: '#00210f',
  failed: '#ffffff',
}
