// Where a task sits on the calendar: by its schedule (`scheduled_at`, `due_at`) when it has one,
// else by its run window (`started_at`–`finished_at`), else at its creation. Pure, so the store's
// day index and the calendar view agree, and tests pin the rules down.
import type { Task } from '../../../src-shared/protocol'

export type PlacementBasis = 'scheduled' | 'due' | 'run' | 'created'

export interface Placement {
  startMs: number
  endMs: number
  basis: PlacementBasis
}

/** Shortest block drawn, so a point in time is still visible and clickable in week/day views. */
export const MIN_BLOCK_MS = 15 * 60 * 1000
const POINT_BLOCK_MS = 30 * 60 * 1000

export function placeTask(task: Task, nowMs: number): Placement {
  if (task.scheduled_at) {
    const startMs = Date.parse(task.scheduled_at)
    const due = task.due_at ? Date.parse(task.due_at) : NaN
    const endMs = due > startMs ? due : startMs + POINT_BLOCK_MS
    return { startMs, endMs: Math.max(endMs, startMs + MIN_BLOCK_MS), basis: 'scheduled' }
  }
  if (task.due_at) {
    const startMs = Date.parse(task.due_at)
    return { startMs, endMs: startMs + POINT_BLOCK_MS, basis: 'due' }
  }
  if (task.started_at) {
    const startMs = Date.parse(task.started_at)
    const endRaw = task.finished_at
      ? Date.parse(task.finished_at)
      : task.status === 'running'
        ? nowMs
        : Date.parse(task.updated_at)
    return { startMs, endMs: Math.max(endRaw, startMs + MIN_BLOCK_MS), basis: 'run' }
  }
  const startMs = Date.parse(task.created_at)
  return { startMs, endMs: startMs + POINT_BLOCK_MS, basis: 'created' }
}

/** The local calendar day of a time, `YYYY-MM-DD`: the key of the calendar's day index. */
export function localDayKey(ms: number): string {
  const d = new Date(ms)
  const m = d.getMonth() + 1
  const day = d.getDate()
  return `${d.getFullYear()}-${m < 10 ? '0' : ''}${m}-${day < 10 ? '0' : ''}${day}`
}
