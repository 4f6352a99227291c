// The read-only feeds, for tools that cannot send a bearer header (calendar apps, CCMenu): the
// feed key travels in the URL (?key=). Only the feed key opens them; the API token never does, so
// a feed URL pasted into a calendar service cannot be turned into write access.
import express, { type Request, type Router } from 'express'
import { z } from 'zod'
import { TASK_STATUSES } from '../../src-shared/task-model'
import type { AgentSummary, ProjectSummary } from '../../src-shared/protocol'
import { buildCctray, type CctrayProject } from '../feeds/cctray-feed'
import type { FeedQueries } from '../feeds/feed-queries'
import { buildIcs } from '../feeds/ics-feed'
import type { ScheduleService } from '../schedules/schedule-service'
import { HttpError } from './api'
import type { Guard } from './guard'

const DAY_MS = 86400_000
/** Bounds on one feed response, whatever the database holds. */
export const MAX_FEED_TASKS = 2000
export const MAX_FEED_OCCURRENCES = 1000
const MAX_CCTRAY_PROJECTS = 1000

const name = z.string().min(1).max(256)
const feedQuerySchema = z.object({
  key: z.string().max(256).optional(),
  project: name.optional(),
  agent: name.optional(),
  status: z.enum([...TASK_STATUSES, 'scheduled']).optional(),
  by: z.enum(['agent', 'project']).optional(),
})

export interface FeedsRouteDeps {
  schedules: ScheduleService
  queries: FeedQueries
  guard: Guard
  agents(): AgentSummary[]
  projects(): ProjectSummary[]
  now?: () => number
}

export function createFeedsRoute(deps: FeedsRouteDeps): Router {
  const router = express.Router()
  const now = deps.now ?? Date.now

  function authorize(req: Request): z.output<typeof feedQuerySchema> {
    // The key first: without it a request learns nothing, not even which filters are valid (a bad
    // filter with no key was a 400, not the 401 every other route gives without credentials).
    const rawKey = (req.query as Record<string, unknown>).key
    const key = typeof rawKey === 'string' && rawKey.length <= 256 ? rawKey : undefined
    if (deps.guard.tokenMatches(key))
      throw new HttpError(
        401,
        'unauthorized',
        'the API token is not accepted here; use the feed key (taskpulse feed-key rotate)',
      )
    if (!deps.schedules.hasFeedKey())
      throw new HttpError(401, 'unauthorized', 'no feed key is set; make one with taskpulse feed-key rotate')
    if (!deps.schedules.feedKeyMatches(key))
      throw new HttpError(401, 'unauthorized', 'missing or wrong feed key')
    const parsed = feedQuerySchema.safeParse(req.query)
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      throw new HttpError(
        400,
        'invalid_request',
        `invalid ${first?.path.join('.') ?? 'query'}: ${first?.message ?? ''}`,
      )
    }
    return parsed.data
  }

  /** The server's own origin as the client addressed it (the guard has already vetted Host). */
  const originOf = (req: Request) => `${req.protocol}://${req.headers.host ?? 'localhost'}`

  router.get('/feeds/tasks.ics', (req, res) => {
    const q = authorize(req)
    const at = new Date(now())
    const tasks =
      q.status === 'scheduled'
        ? []
        : deps.queries.recent(
            {
              since: new Date(at.getTime() - 30 * DAY_MS).toISOString(),
              agent: q.agent,
              project: q.project,
              status: q.status,
            },
            MAX_FEED_TASKS,
          )
    const upcoming =
      q.status === undefined || q.status === 'scheduled'
        ? deps.schedules
            .occurrences(at, new Date(at.getTime() + 30 * DAY_MS), MAX_FEED_OCCURRENCES)
            .occurrences.filter(
              (o) =>
                (q.agent === undefined || o.assignee === q.agent) &&
                (q.project === undefined || o.project_id === q.project),
            )
        : []
    res.setHeader('Content-Type', 'text/calendar; charset=utf-8')
    res.setHeader('Content-Disposition', 'inline; filename="taskpulse.ics"')
    res.send(buildIcs({ tasks, occurrences: upcoming, origin: originOf(req), now: at }))
  })

  router.get('/feeds/cctray.xml', (req, res) => {
    const q = authorize(req)
    const dim = q.by ?? 'agent'
    const origin = originOf(req)
    // The next run of each agent's (project's) schedules: the earliest next occurrence.
    const nextRun = new Map<string, string>()
    for (const s of deps.schedules.list()) {
      const key = dim === 'agent' ? s.assignee : s.project_id
      if (key === null) continue
      const next = deps.schedules.detail(s, 1).next_occurrences[0]
      if (next && (!nextRun.has(key) || next < nextRun.get(key)!)) nextRun.set(key, next)
    }
    const groups: { key: string; running: number }[] =
      dim === 'agent'
        ? deps.agents().map((a) => ({ key: a.assignee, running: a.counts.running }))
        : deps.projects().map((p) => ({ key: p.project_id, running: p.counts.running }))
    // Scheduled agents (projects) with no task yet still show, as Unknown with their next run.
    for (const key of nextRun.keys()) if (!groups.some((g) => g.key === key)) groups.push({ key, running: 0 })
    const projects: CctrayProject[] = groups
      .filter(
        (g) =>
          (dim === 'agent' ? q.agent : q.project) === undefined ||
          g.key === (dim === 'agent' ? q.agent : q.project),
      )
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, MAX_CCTRAY_PROJECTS)
      .map((g) => {
        const last = deps.queries.lastFinished(dim, g.key)
        return {
          name: g.key,
          building: g.running > 0,
          lastStatus: last ? (last.status as 'completed' | 'failed') : null,
          lastLabel: last ? (last.title ?? last.task_id) : '',
          lastTime: last?.finished_at ?? null,
          nextTime: nextRun.get(g.key) ?? null,
          webUrl: `${origin}/#/${dim === 'agent' ? 'agents' : 'projects'}`,
        }
      })
    res.setHeader('Content-Type', 'application/xml; charset=utf-8')
    res.send(buildCctray(projects))
  })

  return router
}
