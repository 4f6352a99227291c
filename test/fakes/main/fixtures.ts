// Test fixtures for main-process units: task updates as the backend sends them, and a manual clock
// whose timers fire only when a test advances it (no real time in unit tests).
import type { Task, TaskStatus, TaskStatusUpdateMessage } from '../../../src-shared/protocol'

let counter = 0

export function makeUpdate(
  fields: Partial<TaskStatusUpdateMessage> & { task_id: string; status: TaskStatus },
): TaskStatusUpdateMessage {
  counter += 1
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, counter % 60)).toISOString()
  return {
    type: 'task_status_update',
    seq: counter,
    event_id: `ev-${counter}`,
    previous_status: 'running',
    title: null,
    description: null,
    assignee: null,
    project_id: null,
    output: null,
    error: null,
    scheduled_at: null,
    due_at: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    finished_at: null,
    last_event_id: `ev-${counter}`,
    ...fields,
  }
}

export function makeTask(fields: Partial<Task> & { task_id: string; status: TaskStatus }): Task {
  const { type: _t, seq: _s, event_id: _e, previous_status: _p, ...task } = makeUpdate(fields)
  return task
}

export interface ManualClock {
  now: () => number
  setTimer: (fn: () => void, ms: number) => () => void
  advance: (ms: number) => void
  pending: () => number
}

export function manualClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)): ManualClock {
  let t = start
  let nextId = 0
  const timers = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => t,
    setTimer(fn, ms) {
      const id = nextId++
      timers.set(id, { at: t + ms, fn })
      return () => timers.delete(id)
    },
    advance(ms) {
      const end = t + ms
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined
        for (const entry of timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry
        if (!due) break
        timers.delete(due[0])
        t = due[1].at
        due[1].fn()
      }
      t = end
    },
    pending: () => timers.size,
  }
}
