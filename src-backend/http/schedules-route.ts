// REST for schedules and the feed key (bearer token, mounted under /api by api.ts):
//   GET    /api/schedules                      every schedule with its next runs and state
//   GET    /api/schedules/occurrences?from&to  upcoming (or past) occurrences for the calendar
//   GET    /api/schedules/:id                  one schedule, next occurrences, latest runs
//   PUT    /api/schedules/:id                  create or replace: {cron, timezone, grace_seconds, …}
//   DELETE /api/schedules/:id
//   POST   /api/feed-key/rotate                a new read-only feed key and the feed paths
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { MAX_MESSAGE_BYTES, timestampSchema } from '../../src-shared/protocol'
import { scheduleIdSchema, scheduleInputSchema } from '../schedules/schedule-model'
import type { ScheduleService } from '../schedules/schedule-service'
import { feedPaths } from '../schedules/schedule-records'
import { HttpError } from './api'

const MAX_OCCURRENCES = 5000
const MAX_RANGE_MS = 400 * 86400_000

const occurrencesQuerySchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema,
    limit: z.coerce.number().int().min(1).max(MAX_OCCURRENCES).optional(),
  })
  .strict()

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}

function idOf(req: Request): string {
  const parsed = scheduleIdSchema.safeParse(req.params.id)
  if (!parsed.success) throw new HttpError(400, 'invalid_request', parsed.error.issues[0]!.message)
  if (parsed.data === 'occurrences')
    throw new HttpError(400, 'invalid_request', "'occurrences' is reserved and cannot be a schedule id")
  return parsed.data
}

/** JSON bodies only, UTF-8, bounded; the parse errors go to api.ts's error handler. */
const jsonBody = [
  (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is('application/json'))
      return next(new HttpError(415, 'unsupported_media_type', 'send the body as application/json'))
    next()
  },
  // The API's one body limit (api.ts reports a 413 with it); zod bounds each field far below.
  express.json({ limit: MAX_MESSAGE_BYTES, strict: true }),
]

export function createSchedulesRoute(schedules: ScheduleService): Router {
  const router = express.Router()

  router.get('/api/schedules', (_req, res) => {
    res.json({ schedules: schedules.list().map((s) => schedules.detail(s)) })
  })

  router.get('/api/schedules/occurrences', (req, res) => {
    const parsed = occurrencesQuerySchema.safeParse(req.query)
    if (!parsed.success)
      throw new HttpError(
        400,
        'invalid_request',
        'invalid range (from and to are required)',
        issuesOf(parsed.error),
      )
    const from = new Date(parsed.data.from)
    const to = new Date(parsed.data.to)
    if (from >= to) throw new HttpError(400, 'invalid_request', '`from` must be before `to`')
    if (to.getTime() - from.getTime() > MAX_RANGE_MS)
      throw new HttpError(400, 'invalid_request', 'the range may span at most 400 days')
    res.json(schedules.occurrences(from, to, parsed.data.limit ?? 1000))
  })

  router.get('/api/schedules/:id', (req, res) => {
    const id = idOf(req)
    const schedule = schedules.get(id)
    if (!schedule) throw new HttpError(404, 'not_found', `no schedule ${id}`)
    res.json({ ...schedules.detail(schedule, 10), recent_runs: schedules.store.recentRuns(id, 20) })
  })

  router.put('/api/schedules/:id', ...jsonBody, (req, res) => {
    const id = idOf(req)
    const parsed = scheduleInputSchema.safeParse(req.body)
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      const where = first?.path.length ? `${first.path.join('.')}: ` : ''
      throw new HttpError(
        400,
        'invalid_schedule',
        `invalid schedule: ${where}${first?.message ?? ''}`,
        issuesOf(parsed.error),
      )
    }
    const { schedule, created } = schedules.put(id, parsed.data)
    res.status(created ? 201 : 200).json(schedules.detail(schedule))
  })

  router.delete('/api/schedules/:id', (req, res) => {
    const id = idOf(req)
    if (!schedules.remove(id)) throw new HttpError(404, 'not_found', `no schedule ${id}`)
    res.json({ deleted: id })
  })

  router.post('/api/feed-key/rotate', (_req, res) => {
    const key = schedules.rotateFeedKey()
    res.json({ key, ...feedPaths(key) })
  })

  return router
}
