// Acknowledging tasks, and what needs attention: `POST /api/tasks/:id/ack`, `POST /api/tasks/ack`
// and `GET /api/attention` (docs/protocol.md "Attention"). An ack is an ordinary update setting
// `acknowledged_at` to the server's time, through the same ingest path as a PUT: stored, broadcast
// as an update frame, written to the outbox for the other backends, replayed on resume.
import express, { type Request, type Router } from 'express'
import { z } from 'zod'
import {
  MAX_ACK_IDS,
  MAX_MESSAGE_BYTES,
  taskIdSchema,
  type AckManyResult,
  type AttentionSummary,
} from '../../src-shared/protocol'
import { toTaskEvent } from '../ingest'
import type { ApplyOutcome } from '../store/task-store'
// api.ts mounts these routes; HttpError is only used inside handlers, after both modules loaded.
import { HttpError } from './api'

export interface AttentionRoutesDeps {
  hasTask(taskId: string): boolean
  submitLocal(event: ReturnType<typeof toTaskEvent>): Promise<ApplyOutcome>
  attention(): AttentionSummary
  now?: () => Date
}

const emptyBodySchema = z.object({}).strict()
const ackManySchema = z
  .object({
    task_ids: z
      .array(taskIdSchema)
      .min(1, 'give at least one task id')
      .max(MAX_ACK_IDS, `at most ${MAX_ACK_IDS} task ids at once`),
  })
  .strict()

const details = (error: z.ZodError): unknown[] =>
  error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))

function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new HttpError(400, 'invalid_request', `invalid ${what}`, details(parsed.error))
  return parsed.data
}

const hasBody = (req: Request): boolean =>
  Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined

export function createAttentionRoutes(deps: AttentionRoutesDeps): Router {
  const now = deps.now ?? (() => new Date())
  const router = express.Router()
  const json = express.json({ limit: MAX_MESSAGE_BYTES, strict: true, type: () => true })
  // The ack of one task takes no body (or `{}`); a body that is there must be JSON.
  const optionalJson: express.RequestHandler = (req, res, next) => {
    if (!hasBody(req)) {
      req.body = {}
      return next()
    }
    if (!req.is('application/json'))
      return next(new HttpError(415, 'unsupported_media_type', 'send the body as application/json'))
    json(req, res, next)
  }
  const requireJson: express.RequestHandler = (req, res, next) => {
    if (!hasBody(req)) return next(new HttpError(400, 'invalid_request', 'a JSON body is required'))
    optionalJson(req, res, next)
  }

  const ackEvent = (taskId: string, at: Date, req: Request) =>
    toTaskEvent({
      task_id: taskId,
      fields: { acknowledged_at: at.toISOString() },
      updated_at: at.toISOString(),
      source: req.get('x-taskpulse-source') === 'cli' ? 'cli' : 'rest',
      received_at: at,
    })

  router.post('/api/tasks/ack', requireJson, async (req, res) => {
    const { task_ids } = parseOr400(ackManySchema, req.body, 'acknowledgement')
    const at = now()
    const ids = [...new Set(task_ids)]
    const known: string[] = []
    const notFound: string[] = []
    for (const id of ids) (deps.hasTask(id) ? known : notFound).push(id)
    // Submitted together: ingest commits them in batches of consecutive turns. Only completion is
    // awaited; the outcomes (each a whole task and its frame) are not kept for the answer.
    await Promise.all(known.map((id) => deps.submitLocal(ackEvent(id, at, req)).then(() => undefined)))
    const body: AckManyResult = {
      acknowledged: known,
      acknowledged_at: at.toISOString(),
      not_found: notFound,
    }
    res.json(body)
  })

  router.post('/api/tasks/:id/ack', optionalJson, async (req, res) => {
    const taskId = parseOr400(taskIdSchema, req.params.id, 'task id')
    parseOr400(emptyBodySchema, req.body, 'body (an ack takes no fields)')
    if (!deps.hasTask(taskId)) throw new HttpError(404, 'not_found', `no task ${taskId}`)
    const outcome = await deps.submitLocal(ackEvent(taskId, now(), req))
    if (!outcome.task) throw new HttpError(500, 'internal', 'no task after the ack')
    res.json({ task: outcome.task })
  })

  router.get('/api/attention', (_req, res) => {
    res.json(deps.attention())
  })

  return router
}
