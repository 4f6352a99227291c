// A schedule as the REST API carries it (PUT body, GET answers, occurrences): one definition for
// the backend that serves it and the window that shows it. The rules (cron, time zone, limits)
// live with the backend's schema (src-backend/schedules/schedule-model.ts).

/** A schedule as the API returns it and replication carries it. */
export interface Schedule {
  schedule_id: string
  cron: string
  timezone: string
  grace_seconds: number
  title: string | null
  assignee: string | null
  project_id: string | null
  max_runtime_seconds: number | null
  created_at: string
  updated_at: string
}

/** What `PUT /api/schedules/:id` takes (the UI sends every field). */
export type ScheduleBody = Omit<Schedule, 'schedule_id' | 'created_at' | 'updated_at'>

/** How a schedule stands, from its latest run (missed runs included). */
export type ScheduleState = 'never_run' | 'running' | 'ok' | 'failed' | 'missed'

/** One occurrence of a schedule (`GET /api/schedules/occurrences`). */
export interface ScheduleOccurrence {
  schedule_id: string
  title: string | null
  assignee: string | null
  project_id: string | null
  /** The planned time. */
  at: string
  /** at + grace: a run must start by then, or the occurrence becomes a missed run. */
  deadline: string
}
