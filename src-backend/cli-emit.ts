// `taskpulse emit`: one task update, through a server's REST API or straight into Redis. A
// short-lived producer call: it loads only what it uses (ioredis only with --redis-url), and every
// error says what is wrong and where (the URL, host:port, the cause).
import { parseArgs } from 'node:util'
import { redisUpdateSchema, taskStatusSchema } from '../src-shared/protocol'
import { eventToWire } from './bus/bus'
import { serverRequest } from './cli/server-request'
import { describeNetworkError, redisAddress, resolveTarget, TARGET_OPTIONS } from './cli/target'
import { toTaskEvent, uuidv7 } from './ingest'

export const EMIT_USAGE = `Usage: taskpulse emit --task ID [--status pending|running|waiting|completed|failed] [fields] (--server URL --token T | --redis-url URL)

  --task ID          task id (1-128 of A-Z a-z 0-9 . _ : -)
  --status S         pending | running | waiting | completed | failed (optional: a partial update sets only the fields given)
  --title T  --output O  --error E  --assignee A  --project P  --description D
  --server URL       backend base URL, e.g. http://127.0.0.1:8080 (env TASKPULSE_SERVER)
  --token T          backend token (env TASKPULSE_TOKEN)
  --redis-url URL    send straight into Redis instead (XADD to the stream + PUBLISH; env REDIS_URL)
  --channel NAME --stream NAME   Redis names (defaults task_status_update, task_status_stream)
`

export const EMIT_OPTIONS = {
  task: { type: 'string' },
  status: { type: 'string' },
  title: { type: 'string' },
  output: { type: 'string' },
  error: { type: 'string' },
  assignee: { type: 'string' },
  project: { type: 'string' },
  description: { type: 'string' },
  ...TARGET_OPTIONS,
  channel: { type: 'string' },
  stream: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function emit(argv: readonly string[]): Promise<number> {
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
  if (!values.task) return fail(`--task is required\n${EMIT_USAGE}`)
  if (values.status !== undefined && !taskStatusSchema.safeParse(values.status).success) {
    return fail(`--status must be one of pending, running, completed, failed (got '${values.status}')`)
  }
  const target = resolveTarget(values, process.env)
  if (typeof target === 'string') return fail(target)

  const update = {
    task_id: values.task,
    ...(values.status !== undefined && { status: values.status }),
    ...(values.title !== undefined && { title: values.title }),
    ...(values.output !== undefined && { output: values.output }),
    ...(values.error !== undefined && { error: values.error }),
    ...(values.assignee !== undefined && { assignee: values.assignee }),
    ...(values.project !== undefined && { project_id: values.project }),
    ...(values.description !== undefined && { description: values.description }),
  }
  // A partial update (no status) is valid on every path, but an update of nothing is not.
  if (Object.keys(update).length === 1)
    return fail(`give --status or at least one field to set\n${EMIT_USAGE}`)
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

  if (target.kind === 'http') {
    const serverUrl = target.url
    let res: { status: number; text: string }
    try {
      res = await serverRequest(
        'PUT',
        new URL(`/api/tasks/${encodeURIComponent(task_id)}`, serverUrl),
        target.token,
        JSON.stringify({ ...event.fields, updated_at: event.updated_at, event_id: event.event_id }),
      )
    } catch (err) {
      return fail(`cannot reach the server at ${serverUrl.origin}: ${describeNetworkError(err)}`, 1)
    }
    const text = res.text
    if (res.status < 200 || res.status >= 300) {
      let message = text
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message
      } catch {
        // keep the raw text
      }
      return fail(`server ${serverUrl.origin} answered ${res.status}: ${message}`, 1)
    }
    process.stdout.write(`${text}\n`)
    return 0
  }

  const address = redisAddress(target.url)
  const { Redis } = await import('ioredis')
  const redis = new Redis(target.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: () => null,
  })
  // ioredis reports the real cause (ECONNREFUSED, WRONGPASS, ...) here and rejects connect() with
  // a bare "Connection is closed."; keep the cause for the message.
  let lastError: unknown
  redis.on('error', (err) => (lastError = err))
  try {
    await redis.connect()
    const wire = eventToWire(event)
    const replies = await redis
      .multi()
      .xadd(target.stream, 'MAXLEN', '~', '100000', '*', 'data', wire)
      .publish(target.channel, wire)
      .exec()
    const failed = replies?.find(([err]) => err)
    if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted')
    process.stdout.write(`${JSON.stringify({ event_id: event.event_id, task_id, status: fields.status })}\n`)
    return 0
  } catch (err) {
    return fail(`cannot send to Redis at ${address}: ${describeNetworkError(lastError ?? err)}`, 1)
  } finally {
    redis.disconnect()
  }
}
