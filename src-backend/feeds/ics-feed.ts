// GET /feeds/tasks.ics: runs of the last 30 days and the scheduled occurrences of the next 30, as
// one iCalendar file built with ical-generator (escaping, folding and line endings are its job).
import ical, { ICalCalendarMethod } from 'ical-generator'
import type { Occurrence } from '../schedules/schedule-service'
import type { TaskBrief } from '../schedules/schedule-store'

/** Calendar apps re-fetch this often (REFRESH-INTERVAL and X-PUBLISHED-TTL). */
export const ICS_REFRESH_SECONDS = 5 * 60
/** A run with no end yet (or ending where it starts) is drawn this long, so it stays visible. */
const MIN_EVENT_MS = 60_000

export interface IcsInput {
  tasks: readonly TaskBrief[]
  occurrences: readonly Occurrence[]
  /** The server's own base URL (http://host:port), for each event's URL. */
  origin: string
  now: Date
}

export function taskWebUrl(origin: string, taskId: string): string {
  return `${origin}/#/task/${encodeURIComponent(taskId)}`
}

function describe(lines: [string, string | null][]): string {
  return lines
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')
}

export function buildIcs(input: IcsInput): string {
  const calendar = ical({
    name: 'TaskPulse',
    prodId: { company: 'TaskPulse', product: 'taskpulse', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
    ttl: ICS_REFRESH_SECONDS,
  })
  for (const t of input.tasks) {
    const start = new Date(t.started_at ?? t.scheduled_at ?? t.created_at)
    const endAt = t.finished_at ? new Date(t.finished_at) : t.status === 'running' ? input.now : start
    const end = new Date(Math.max(endAt.getTime(), start.getTime() + MIN_EVENT_MS))
    calendar.createEvent({
      id: `${t.task_id}@taskpulse`,
      start,
      end,
      stamp: new Date(t.updated_at),
      summary: `${t.title ?? t.task_id} (${t.status})`,
      description: describe([
        ['Agent', t.assignee],
        ['Project', t.project_id],
        ['Status', t.status],
        ['Error', t.error],
        ['Schedule', t.schedule_id],
        ['Task', t.task_id],
      ]),
      url: taskWebUrl(input.origin, t.task_id),
      categories: [{ name: t.status }],
    })
  }
  for (const o of input.occurrences) {
    calendar.createEvent({
      id: `occurrence:${o.schedule_id}:${o.at}@taskpulse`,
      start: new Date(o.at),
      end: new Date(Math.max(Date.parse(o.deadline), Date.parse(o.at) + MIN_EVENT_MS)),
      stamp: input.now,
      summary: `${o.title ?? o.schedule_id} (scheduled)`,
      description: describe([
        ['Agent', o.assignee],
        ['Project', o.project_id],
        ['Status', 'scheduled'],
        ['Schedule', o.schedule_id],
        ['Missed if no run starts by', o.deadline],
      ]),
      url: `${input.origin}/`,
      categories: [{ name: 'scheduled' }],
    })
  }
  return calendar.toString()
}
