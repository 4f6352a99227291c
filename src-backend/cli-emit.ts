// `taskpulse emit`: one task update, through a server's REST API or straight into Redis. A
// short-lived producer call: it loads only what it uses (ioredis only with --redis-url), and every
// error says what is wrong and where (the URL, host:port, the cause).
import { parseArgs } from 'node:util'
import { redisUpdateSchema, taskStatusSchema } from '../src-shared/protocol'
import { eventToWire } from './bus/bus'
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
  server: { type: 'string' },
  token: { type: 'string' },
  'redis-url': { type: 'string' },
  channel: { type: 'string' },
  stream: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
}

/** The innermost useful cause of a network error: "ECONNREFUSED (connection refused ...)". */
export function describeNetworkError(err: unknown): string {
  const seen = new Set<unknown>()
  let e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[]; name?: unknown }
  let fallback = String(e?.message ?? err)
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e)
    if (typeof e.code === 'string' && e.code !== 'ERR_INVALID_URL') {
      return ERRNO_TEXT[e.code] ? `${e.code}: ${ERRNO_TEXT[e.code]}` : `${e.code}: ${String(e.message)}`
    }
    if (e.name === 'TimeoutError') return 'timed out after 10 s'
    if (typeof e.message === 'string' && e.message && e.message !== 'fetch failed') fallback = e.message
    e = (e.cause ?? e.errors?.[0]) as typeof e
  }
  return fallback
}

/** Checks a --server value; returns the URL or a message saying what is wrong with it. */
export function parseServerUrl(raw: string): URL | string {
  const hint = 'give it as http://HOST:PORT, e.g. http://127.0.0.1:8080'
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return `--server '${raw}': the scheme is missing; ${hint}`
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return `--server '${raw}' is not a valid URL; ${hint}`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `--server '${raw}': scheme ${url.protocol}// is not supported (http:// or https://); ${hint}`
  return url
}

/**
 * One PUT with node:http(s). Not fetch: undici's first use costs about as much CPU as the rest of
 * `emit` together (0.1 s measured), for a single request.
 */
async function httpPut(
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out after 10 s'), { code: 'ETIMEDOUT' })),
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** host:port of a redis:// URL, without credentials. */
function redisAddress(url: URL): string {
  return `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`
}

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
  const server = values.server ?? process.env.TASKPULSE_SERVER
  const redisUrl = values['redis-url'] ?? (server ? undefined : process.env.REDIS_URL)
  if (!server && !redisUrl) return fail('give --server URL with --token T, or --redis-url URL')

  let serverUrl: URL | undefined
  if (server) {
    const checked = parseServerUrl(server)
    if (typeof checked === 'string') return fail(checked)
    serverUrl = checked
  }
  let redisTarget: URL | undefined
  if (!server && redisUrl) {
    try {
      redisTarget = new URL(redisUrl)
    } catch {
      // reported below
    }
    if (!redisTarget || !/^rediss?:$/.test(redisTarget.protocol))
      return fail(
        `--redis-url must be redis://HOST:PORT or rediss://HOST:PORT (got '${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}')`,
      )
  }

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

  if (serverUrl) {
    const token = values.token ?? process.env.TASKPULSE_TOKEN
    if (!token) return fail('--token (or TASKPULSE_TOKEN) is required with --server')
    const target = new URL(`/api/tasks/${encodeURIComponent(task_id)}`, serverUrl)
    let res: { status: number; text: string }
    try {
      res = await httpPut(
        target,
        { authorization: `Bearer ${token}`, 'x-taskpulse-source': 'cli' },
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

  const address = redisAddress(redisTarget!)
  const { Redis } = await import('ioredis')
  const redis = new Redis(redisUrl!, {
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
      .xadd(values.stream ?? 'task_status_stream', 'MAXLEN', '~', '100000', '*', 'data', wire)
      .publish(values.channel ?? 'task_status_update', wire)
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
