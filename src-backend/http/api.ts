// The REST contract (ARCHITECTURE.md "REST"): JSON in and out, errors as
// {"error":{"code","message","details"}}, never a stack trace.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import {
  MAX_MESSAGE_BYTES,
  restCreateSchema,
  restUpdateSchema,
  taskIdSchema,
  taskStatusSchema,
  timestampSchema,
  type ApiError,
  type AttentionSummary,
  type Health,
  type SearchResponse,
} from '../../src-shared/protocol'
import { toTaskEvent, uuidv7 } from '../ingest'
import type { ApplyOutcome, TaskStore } from '../store/task-store'
import { InvalidCursorError } from '../store/task-store'
import { createAttentionRoutes } from './attention-routes'
import type { Guard } from './guard'
import { createHooksRouter } from './hooks-route'
import { loadUiFiles, serveUiFromMemory } from './static-ui'

export interface ApiDeps {
  store: TaskStore
  guard: Guard
  log: Logger
  submitLocal(event: ReturnType<typeof toTaskEvent>): Promise<ApplyOutcome>
  health(): Health
  /** What needs attention now (GET /api/attention). */
  attention(): AttentionSummary
  metrics?: Registry
  uiDir?: string | undefined
  /** Feature routers (schedules, feeds), mounted after the token check and before the 404s. */
  routes?: readonly express.Router[]
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message)
  }
}

function sendError(res: Response, status: number, code: string, message: string, details?: unknown[]): void {
  const body: ApiError = { error: details ? { code, message, details } : { code, message } }
  res.status(status).json(body)
}

function zodDetails(error: z.ZodError): unknown[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}

function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value)
  if (!parsed.success)
    throw new HttpError(400, 'invalid_request', `invalid ${what}`, zodDetails(parsed.error))
  return parsed.data
}

const listQuerySchema = z
  .object({
    status: taskStatusSchema.optional(),
    assignee: z.string().max(256).optional(),
    project_id: z.string().max(128).optional(),
    from: timestampSchema.optional(),
    to: timestampSchema.optional(),
    q: z.string().max(256).optional(),
    cursor: z.string().max(1024).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict()

// Search (CONTRACT.md): words of free text; FTS5 syntax in it is taken as text (fts-query.ts).
const searchQuerySchema = z
  .object({
    q: z.string().min(1, 'q is required').max(1000),
    limit: z.coerce.number().int().min(1).max(5000).default(500),
  })
  .strict()

const rangeQuerySchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema,
    cursor: z.string().max(1024).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict()
const eventsQuerySchema = z
  .object({
    cursor: z.string().max(1024).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict()

export function createApi(deps: ApiDeps): express.Express {
  const { store, guard, log } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('query parser', 'simple')

  // Host + Origin on everything (DNS rebinding, cross-site calls), then CORS for allowed origins.
  app.use((req, res, next) => {
    const verdict = guard.checkRequest(req)
    if (!verdict.ok) return sendError(res, verdict.status, verdict.code, verdict.message)
    const origin = req.headers.origin
    if (origin) {
      res.setHeader('Access-Control-Allow-Origin', origin)
      res.setHeader('Vary', 'Origin')
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS')
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type')
        res.setHeader('Access-Control-Max-Age', '600')
        return res.status(204).end()
      }
    }
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Cache-Control', 'no-store')
    next()
  })

  app.get('/api/health', (_req, res) => {
    res.json(deps.health())
  })

  app.use('/api', (req, res, next) => {
    if (!guard.tokenMatches(guard.tokenOf(req, false))) {
      res.setHeader('WWW-Authenticate', 'Bearer')
      return sendError(res, 401, 'unauthorized', 'missing or wrong bearer token')
    }
    next()
  })
  if (deps.metrics) {
    const registry = deps.metrics
    app.get('/metrics', (req, res, next) => {
      if (!guard.tokenMatches(guard.tokenOf(req, false)))
        return sendError(res, 401, 'unauthorized', 'missing or wrong bearer token')
      registry
        .metrics()
        .then((text) => res.type(registry.contentType).send(text))
        .catch(next)
    })
  }

  const json = express.json({
    limit: MAX_MESSAGE_BYTES,
    strict: true,
    type: () => true,
    // Found by the fuzzer (test/adversarial/fuzz.test.ts): body-parser turns an empty body into
    // `{}`, so `Content-Length: 0` created a task although the contract says an empty body is 400.
    // Minimal fix here; the REST contract work (issue 8 item 8) owns this route.
    verify: (_req, _res, buf) => {
      if (buf.length === 0) throw new HttpError(400, 'invalid_request', 'a JSON body is required')
    },
  })
  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
    if (!hasBody) return next(new HttpError(400, 'invalid_request', 'a JSON body is required'))
    if (!req.is('application/json')) {
      return next(new HttpError(415, 'unsupported_media_type', 'send the body as application/json'))
    }
    // JSON is UTF-8 (RFC 8259); a body declared in another charset would be mis-read, not refused.
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(req.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-8$/i.test(charset)) {
      return next(
        new HttpError(415, 'unsupported_media_type', `charset ${charset} is not supported; send UTF-8`),
      )
    }
    next()
  }
  /** A body that sets nothing (`{}`) is refused: it would create or touch a task by accident. */
  const requireFields = (body: unknown): void => {
    if (body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0))
      throw new HttpError(400, 'invalid_request', 'the body sets no field')
  }

  // Task ids with a local write queued but not yet committed: ingest commits once per event-loop
  // turn, so a POST must see those too, or concurrent POSTs of one new id would all get 201.
  const pendingWrites = new Map<string, number>()

  const accept = async (
    taskId: string,
    body: z.output<typeof restUpdateSchema>,
    req: Request,
    res: Response,
    mode: 'create' | 'upsert',
  ): Promise<void> => {
    // The CLI marks its requests so a task's history tells where each change came from.
    const source = req.get('x-taskpulse-source') === 'cli' ? 'cli' : 'rest'
    const { updated_at, event_id, ...fields } = body
    if (mode === 'create' && (pendingWrites.has(taskId) || store.getTask(taskId))) {
      throw new HttpError(
        409,
        'task_exists',
        `task ${taskId} exists; use PUT /api/tasks/${taskId} to update it`,
      )
    }
    const event = toTaskEvent({
      task_id: taskId,
      fields,
      updated_at,
      event_id,
      source,
      received_at: new Date(),
    })
    pendingWrites.set(taskId, (pendingWrites.get(taskId) ?? 0) + 1)
    let outcome: ApplyOutcome
    try {
      outcome = await deps.submitLocal(event)
    } finally {
      const n = pendingWrites.get(taskId)! - 1
      if (n === 0) pendingWrites.delete(taskId)
      else pendingWrites.set(taskId, n)
    }
    if (outcome.kind === 'duplicate' && (outcome.conflict || !outcome.task)) {
      throw new HttpError(
        409,
        'event_id_conflict',
        `event_id ${event.event_id} was already used for another task`,
      )
    }
    if (!outcome.task) throw new HttpError(500, 'internal', 'no task after apply')
    res.status(outcome.created ? 201 : 200).json(outcome.task)
  }

  app.post('/api/tasks', requireJson, json, (req, res, next) => {
    requireFields(req.body)
    const body = parseOr400(restCreateSchema, req.body, 'task')
    const { task_id, ...rest } = body
    accept(task_id ?? uuidv7(), rest, req, res, 'create').catch(next)
  })

  app.put('/api/tasks/:id', requireJson, json, (req, res, next) => {
    const taskId = parseOr400(taskIdSchema, req.params.id, 'task id')
    requireFields(req.body)
    const body = parseOr400(restUpdateSchema, req.body, 'update')
    accept(taskId, body, req, res, 'upsert').catch(next)
  })

  app.get('/api/tasks', (req, res) => {
    const q = parseOr400(listQuerySchema, req.query, 'query')
    res.json(store.listTasks(q))
  })

  app.get('/api/search', (req, res) => {
    const { q, limit } = parseOr400(searchQuerySchema, req.query, 'search (q is required)')
    const body: SearchResponse = { query: q, ...store.search(q, limit) }
    res.json(body)
  })

  app.get('/api/tasks/:id', (req, res) => {
    const taskId = parseOr400(taskIdSchema, req.params.id, 'task id')
    const task = store.getTask(taskId)
    if (!task) throw new HttpError(404, 'not_found', `no task ${taskId}`)
    res.json(task)
  })

  app.get('/api/tasks/:id/events', (req, res) => {
    const taskId = parseOr400(taskIdSchema, req.params.id, 'task id')
    const q = parseOr400(eventsQuerySchema, req.query, 'query')
    if (!store.getTask(taskId)) throw new HttpError(404, 'not_found', `no task ${taskId}`)
    res.json(store.listEvents(taskId, q.cursor, q.limit))
  })

  app.get('/api/agents', (_req, res) => {
    res.json({ agents: store.agents(), next_cursor: null })
  })

  app.get('/api/projects', (_req, res) => {
    res.json({ projects: store.projects(), next_cursor: null })
  })

  app.get('/api/calendar', (req, res) => {
    const { from, to, cursor, limit } = parseOr400(
      rangeQuerySchema,
      req.query,
      'range (from and to are required)',
    )
    if (from >= to) throw new HttpError(400, 'invalid_request', '`from` must be before `to`')
    res.json(store.calendarPage(from, to, limit, cursor))
  })

  app.use(
    createAttentionRoutes({
      hasTask: (taskId) => store.hasTask(taskId),
      submitLocal: (event) => deps.submitLocal(event),
      attention: () => deps.attention(),
    }),
  )

  // Agent hooks that speak HTTP themselves (Claude Code's `type: "http"`): src-backend/http/hooks-route.ts.
  app.use(
    '/api/hooks',
    requireJson,
    json,
    createHooksRouter({
      getTask: (id) => store.getTask(id),
      submitLocal: (event) => deps.submitLocal(event),
      toTaskEvent,
    }),
  )

  for (const router of deps.routes ?? []) app.use(router)

  app.use('/api', (_req, _res, next) => next(new HttpError(404, 'not_found', 'no such API route')))

  // The UI: the same renderer build the desktop window loads, for browsers.
  if (deps.uiDir && existsSync(join(deps.uiDir, 'index.html'))) {
    const files = loadUiFiles(deps.uiDir)
    log.debug({ files: files.size }, 'UI loaded into memory')
    app.use(serveUiFromMemory(files))
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('TaskPulse backend is running. The UI is not built here (npm run build).\n')
    })
  }

  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'not found')))

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    if (res.headersSent) return
    if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message, err.details)
    if (err instanceof InvalidCursorError) return sendError(res, 400, err.code, err.message)
    const e = err as { type?: string; status?: number; code?: string; message?: string; reason?: string }
    if (e.type === 'entity.too.large') {
      return sendError(res, 413, 'payload_too_large', `body over ${MAX_MESSAGE_BYTES} bytes`)
    }
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'body is not valid JSON')
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      return sendError(res, 415, 'unsupported_media_type', e.message ?? 'unsupported encoding')
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendError(res, e.status, 'bad_request', e.message ?? 'bad request')
    }
    if (e.code === 'shutting_down') return sendError(res, 503, 'shutting_down', 'server is shutting down')
    if (e.code === 'storage_failed')
      return sendError(
        res,
        503,
        'storage_failed',
        `could not store the update: ${e.reason ?? 'storage failed'}; retry`,
      )
    log.error({ err }, 'unhandled error in request')
    sendError(res, 500, 'internal', 'internal error')
  }
  app.use(onError)
  return app
}
