// `taskpulse serve` and `taskpulse emit`. main(argv) returns the exit code; bin/taskpulse.js calls it.
// stdout carries only machine-readable lines (the ready line, emit's result); logs go to stderr.
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { fileURLToPath } from 'node:url'
import { existsSync } from 'node:fs'
import { redisUpdateSchema, taskStatusSchema } from '../src-shared/protocol'
import { eventToWire } from './bus/bus'
import { ConfigError, parseServeArgs, SERVE_USAGE } from './config'
import { toTaskEvent, uuidv7 } from './ingest'
import { createLogger } from './logger'
import { startServer } from './server'

const USAGE = `Usage:
  taskpulse serve [options]          run the backend (taskpulse serve --help)
  taskpulse emit --task ID --status S [--title T] [--output O] [--error E] [--assignee A] [--project P]
                 (--server URL --token T | --redis-url URL)
`

const EMIT_USAGE = `Usage: taskpulse emit --task ID --status pending|running|completed|failed [fields] (--server URL --token T | --redis-url URL)

  --task ID          task id (1-128 of A-Z a-z 0-9 . _ : -)
  --status S         pending | running | completed | failed
  --title T  --output O  --error E  --assignee A  --project P  --description D
  --server URL       backend base URL, e.g. http://127.0.0.1:8080 (env TASKPULSE_SERVER)
  --token T          backend token (env TASKPULSE_TOKEN)
  --redis-url URL    send straight into Redis instead (XADD to the stream + PUBLISH; env REDIS_URL)
  --channel NAME --stream NAME   Redis names (defaults task_status_update, task_status_stream)
`

/** The built renderer next to the built backend (out/renderer beside out/backend). */
function defaultUiDir(): string | undefined {
  try {
    const dir = fileURLToPath(new URL('../renderer', import.meta.url))
    return existsSync(dir) ? dir : undefined
  } catch {
    return undefined
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      return serve(rest)
    case 'emit':
      return emit(rest)
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`taskpulse: unknown command '${command}'\n${USAGE}`)
      return 2
  }
}

async function serve(argv: readonly string[]): Promise<number> {
  let config
  try {
    const parsed = parseServeArgs(argv)
    if (parsed === 'help') {
      process.stdout.write(SERVE_USAGE)
      return 0
    }
    config = { ...parsed, uiDir: parsed.uiDir ?? defaultUiDir() }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`taskpulse serve: ${err.message}\n`)
      return 2
    }
    throw err
  }
  const log = createLogger(config.logLevel)
  let server
  try {
    server = await startServer(config, { log })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const reason = e.code === 'EADDRINUSE' ? `port ${config.port} is in use` : e.message
    process.stderr.write(`taskpulse serve: cannot start: ${reason}\n`)
    log.flush()
    return 1
  }
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', url: server.url, ws: server.wsUrl, ui: server.uiUrl })}\n`,
  )
  log.info(
    { url: server.url, redis: config.redisUrl ? 'configured' : 'disabled', dataDir: config.dataDir },
    'listening',
  )

  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      log.info({ signal }, 'shutting down')
      server
        .close()
        .then(() => resolve(0))
        .catch((err: unknown) => {
          log.error({ err }, 'error during shutdown')
          resolve(1)
        })
        .finally(() => log.flush())
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}

const EMIT_OPTIONS = {
  task: { type: 'string' },
  status: { type: 'string' },
  title: { type: 'string' },
  output: { type: 'string' },
  error: { type: 'string' },
  assignee: { type: 'string' },
  project: { type: 'string' },
  description: { type: 'string' },
  server: { type: 'string' },
  token: { type: 'string' },
  'redis-url': { type: 'string' },
  channel: { type: 'string' },
  stream: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

async function emit(argv: readonly string[]): Promise<number> {
  const fail = (message: string, code = 2) => {
    process.stderr.write(`taskpulse emit: ${message}\n`)
    return code
  }
  let values
  try {
    values = parseArgs({
      args: [...argv],
      options: EMIT_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values
  } catch (err) {
    return fail(`${(err as Error).message}\n${EMIT_USAGE}`)
  }
  if (values.help) {
    process.stdout.write(EMIT_USAGE)
    return 0
  }
  if (!values.task || !values.status) return fail(`--task and --status are required\n${EMIT_USAGE}`)
  if (!taskStatusSchema.safeParse(values.status).success) {
    return fail(`--status must be one of pending, running, completed, failed (got '${values.status}')`)
  }
  const server = values.server ?? process.env.TASKPULSE_SERVER
  const redisUrl = values['redis-url'] ?? (server ? undefined : process.env.REDIS_URL)
  if (!server && !redisUrl) return fail('give --server URL with --token T, or --redis-url URL')

  const update = {
    task_id: values.task,
    status: values.status,
    ...(values.title !== undefined && { title: values.title }),
    ...(values.output !== undefined && { output: values.output }),
    ...(values.error !== undefined && { error: values.error }),
    ...(values.assignee !== undefined && { assignee: values.assignee }),
    ...(values.project !== undefined && { project_id: values.project }),
    ...(values.description !== undefined && { description: values.description }),
  }
  const parsed = redisUpdateSchema.safeParse(update)
  if (!parsed.success) {
    const i = parsed.error.issues[0]
    return fail(`invalid ${i?.path.join('.') ?? 'update'}: ${i?.message ?? ''}`)
  }
  // Identity and time are stamped here so that a retry of the same command is recognised.
  const { task_id, updated_at, event_id, ...fields } = parsed.data
  const event = toTaskEvent({
    task_id,
    fields,
    updated_at,
    event_id: event_id ?? uuidv7(),
    source: 'cli',
    received_at: new Date(),
  })

  if (server) {
    const token = values.token ?? process.env.TASKPULSE_TOKEN
    if (!token) return fail('--token (or TASKPULSE_TOKEN) is required with --server')
    let res: Response
    try {
      res = await fetch(new URL(`/api/tasks/${encodeURIComponent(task_id)}`, server), {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-taskpulse-source': 'cli',
        },
        body: JSON.stringify({ ...event.fields, updated_at: event.updated_at, event_id: event.event_id }),
        signal: AbortSignal.timeout(10_000),
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
      return fail(`cannot reach ${server}: ${cause}`, 1)
    }
    const text = await res.text()
    if (!res.ok) {
      let message = text
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message
      } catch {
        // keep the raw text
      }
      return fail(`server answered ${res.status}: ${message}`, 1)
    }
    process.stdout.write(`${text}\n`)
    return 0
  }

  const redis = new Redis(redisUrl!, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    const wire = eventToWire(event)
    const replies = await redis
      .multi()
      .xadd(values.stream ?? 'task_status_stream', 'MAXLEN', '~', '100000', '*', 'data', wire)
      .publish(values.channel ?? 'task_status_update', wire)
      .exec()
    const failed = replies?.find(([err]) => err)
    if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted')
    process.stdout.write(`${JSON.stringify({ event_id: event.event_id, task_id, status: fields.status })}\n`)
    return 0
  } catch (err) {
    return fail(`cannot send to Redis: ${(err as Error).message}`, 1)
  } finally {
    redis.disconnect()
  }
}
