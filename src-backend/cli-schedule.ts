// `taskpulse schedule set|ls|rm` and `taskpulse feed-key rotate`, reaching TaskPulse as `emit`
// does (cli/target.ts): through a server's REST API, or straight through the Redis the backends
// share. Schedules and the feed key replicate between backends as records in one Redis hash
// (schedules/schedule-sync.ts); on the Redis path this command writes the same records, built by
// the same code (schedules/schedule-records.ts), through the same merge script, so every backend
// takes them up at once (PUBLISH) or at its next resync.
import { parseArgs } from 'node:util'
import type { Redis } from 'ioredis'
import { replyError, serverRequest, type ServerReply } from './cli/server-request'
import {
  describeNetworkError,
  redisAddress,
  resolveTarget,
  TARGET_HELP,
  TARGET_OPTIONS,
  type Target,
} from './cli/target'
import {
  occurrencesBetween,
  scheduleIdSchema,
  type Schedule,
  type ScheduleInput,
} from './schedules/schedule-model'
import {
  FEED_KEY_SETTING,
  feedPaths,
  newFeedKey,
  scheduleOfRecord,
  scheduleRecord,
  scheduleTombstone,
} from './schedules/schedule-records'
import { mergeArgs, parseRecord, readRecord, scanRecordTexts } from './schedules/schedule-sync'

export const SCHEDULE_USAGE = `Usage:
  taskpulse schedule set ID --cron "CRON" [--timezone TZ] [--grace SECONDS] [--title T]
                        [--assignee A] [--project P] [--max-runtime SECONDS]
  taskpulse schedule ls
  taskpulse schedule rm ID
  taskpulse feed-key rotate [--public-url URL]
  each with ${TARGET_HELP}

  Through Redis, --public-url (env TASKPULSE_PUBLIC_URL) is the backends' address as users reach
  them, for the feed URLs printed; without it the feed paths are printed.

  CRON has 5 fields (minute hour day month weekday), or 6 with seconds first; --timezone is an
  IANA name (default UTC); --grace is how long after each occurrence a run may start before the
  occurrence counts as missed (default 300).
`

export const SCHEDULE_OPTIONS = {
  cron: { type: 'string' },
  timezone: { type: 'string' },
  tz: { type: 'string' },
  grace: { type: 'string' },
  title: { type: 'string' },
  assignee: { type: 'string' },
  project: { type: 'string' },
  'max-runtime': { type: 'string' },
  'public-url': { type: 'string' },
  ...TARGET_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const

/** Whole seconds from an option, or a message. */
function seconds(name: string, raw: string | undefined): number | undefined | string {
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) return `--${name} must be a whole number of seconds (got '${raw}')`
  return Number(raw)
}

export async function scheduleCommand(
  command: 'schedule' | 'feed-key',
  argv: readonly string[],
): Promise<number> {
  const fail = (message: string, code = 2) => {
    process.stderr.write(`taskpulse ${command}: ${message}\n`)
    return code
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: SCHEDULE_OPTIONS, strict: true, allowPositionals: true })
  } catch (err) {
    return fail(`${(err as Error).message}\n${SCHEDULE_USAGE}`)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(SCHEDULE_USAGE)
    return 0
  }
  const [action, id, ...extra] = positionals
  if (extra.length > 0) return fail(`unexpected arguments: ${extra.join(' ')}\n${SCHEDULE_USAGE}`)
  const target = resolveTarget(values, process.env)
  if (typeof target === 'string') return fail(target)

  let request: Action
  if (command === 'feed-key') {
    if (action !== 'rotate' || id !== undefined) return fail(`the only action is 'rotate'\n${SCHEDULE_USAGE}`)
    request = { action: 'rotate', publicUrl: values['public-url'] ?? process.env.TASKPULSE_PUBLIC_URL }
  } else {
    switch (action) {
      case 'set': {
        if (!id) return fail(`schedule set needs an ID\n${SCHEDULE_USAGE}`)
        if (!values.cron) return fail('schedule set needs --cron "CRON"')
        const grace = seconds('grace', values.grace)
        const maxRuntime = seconds('max-runtime', values['max-runtime'])
        if (typeof grace === 'string') return fail(grace)
        if (typeof maxRuntime === 'string') return fail(maxRuntime)
        const timezone = values.timezone ?? values.tz
        request = {
          action: 'set',
          id,
          body: {
            cron: values.cron,
            ...(timezone !== undefined && { timezone }),
            ...(grace !== undefined && { grace_seconds: grace }),
            ...(values.title !== undefined && { title: values.title }),
            ...(values.assignee !== undefined && { assignee: values.assignee }),
            ...(values.project !== undefined && { project_id: values.project }),
            ...(maxRuntime !== undefined && { max_runtime_seconds: maxRuntime }),
          },
        }
        break
      }
      case 'ls':
      case 'list':
        if (id !== undefined) return fail(`schedule ls takes no ID\n${SCHEDULE_USAGE}`)
        request = { action: 'ls' }
        break
      case 'rm':
      case 'delete':
        if (!id) return fail(`schedule rm needs an ID\n${SCHEDULE_USAGE}`)
        request = { action: 'rm', id }
        break
      default:
        return fail(`unknown action '${action ?? ''}' (set, ls, rm)\n${SCHEDULE_USAGE}`)
    }
  }
  const outcome = target.kind === 'http' ? await viaServer(target, request) : await viaRedis(target, request)
  if ('error' in outcome) return fail(outcome.error, 1)
  process.stdout.write(outcome.out)
  if (request.action === 'rotate')
    process.stderr.write(
      'The previous feed key no longer works; update your calendar and CCMenu subscriptions.\n',
    )
  return 0
}

type Action =
  | { action: 'set'; id: string; body: ScheduleInput }
  | { action: 'ls' }
  | { action: 'rm'; id: string }
  | { action: 'rotate'; publicUrl: string | undefined }

/** What to print (stdout), or what went wrong (stderr, exit 1). */
type Outcome = { out: string } | { error: string }

const feedLines = (key: string, base: URL | null): string => {
  const { ics_path, cctray_path } = feedPaths(key)
  const at = (path: string) => (base ? new URL(path, base).href : path)
  return `key: ${key}\nics: ${at(ics_path)}\ncctray: ${at(cctray_path)}\n`
}

async function viaServer(target: Extract<Target, { kind: 'http' }>, request: Action): Promise<Outcome> {
  const base = target.url
  const call = async (method: string, path: string, body?: unknown): Promise<ServerReply | string> => {
    try {
      const reply = await serverRequest(method, new URL(path, base), target.token, body)
      if (reply.status < 200 || reply.status >= 300)
        return `server ${base.origin} answered ${reply.status}: ${replyError(reply)}`
      return reply
    } catch (err) {
      return `cannot reach the server at ${base.origin}: ${describeNetworkError(err)}`
    }
  }
  const path = (scheduleId: string) => `/api/schedules/${encodeURIComponent(scheduleId)}`
  let reply: ServerReply | string
  switch (request.action) {
    case 'rotate': {
      reply = await call('POST', '/api/feed-key/rotate')
      if (typeof reply === 'string') return { error: reply }
      const { key } = JSON.parse(reply.text) as { key: string }
      return { out: feedLines(key, base) }
    }
    case 'set':
      reply = await call('PUT', path(request.id), request.body)
      return typeof reply === 'string' ? { error: reply } : { out: `${reply.text}\n` }
    case 'ls': {
      reply = await call('GET', '/api/schedules')
      if (typeof reply === 'string') return { error: reply }
      // One JSON object per line: greppable, and each line parses on its own.
      const { schedules } = JSON.parse(reply.text) as { schedules: unknown[] }
      return { out: schedules.map((s) => `${JSON.stringify(s)}\n`).join('') }
    }
    case 'rm':
      reply = await call('DELETE', path(request.id))
      return typeof reply === 'string' ? { error: reply } : { out: `${reply.text}\n` }
  }
}

const newerWrite = (id: string) =>
  `a newer write of schedule ${id} is in Redis (another client wrote it meanwhile); run again`

/** A schedule as `ls` prints it from Redis: no run state there (that lives in each backend's store). */
function withNext(s: Schedule): Schedule & { next_occurrences: string[] } {
  const now = new Date()
  const next = occurrencesBetween(s, now, new Date(now.getTime() + 366 * 86400_000), 5)
  return { ...s, next_occurrences: next.map((d) => d.toISOString()) }
}

async function viaRedis(target: Extract<Target, { kind: 'redis' }>, request: Action): Promise<Outcome> {
  const address = redisAddress(target.url)
  if (request.action === 'set' || request.action === 'rm') {
    const checked = scheduleIdSchema.safeParse(request.id)
    if (!checked.success) return { error: `invalid schedule id: ${checked.error.issues[0]?.message ?? ''}` }
  }
  const { Redis } = await import('ioredis')
  const redis: Redis = new Redis(target.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    commandTimeout: 10_000,
    retryStrategy: () => null,
  })
  // ioredis reports the real cause (ECONNREFUSED, WRONGPASS, ...) here and rejects with a bare
  // "Connection is closed."; keep the cause for the message.
  let lastError: unknown
  redis.on('error', (err) => (lastError = err))
  /** Writes through the backends' merge script; false when a newer write is already there. */
  const write = async (record: Parameters<typeof mergeArgs>[0]) =>
    (await redis.eval(...mergeArgs(record))) === 1
  try {
    await redis.connect()
    const now = Date.now()
    switch (request.action) {
      case 'set': {
        let record
        try {
          record = scheduleRecord(
            request.id,
            request.body,
            await readRecord(redis, 'schedule', request.id),
            now,
          )
        } catch (err) {
          const issue = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0]
          if (!issue) throw err
          return { error: `invalid schedule: ${issue.path.join('.') || '(body)'}: ${issue.message}` }
        }
        if (!(await write(record))) return { error: newerWrite(request.id) }
        return { out: `${JSON.stringify(withNext(scheduleOfRecord(record)!))}\n` }
      }
      case 'ls': {
        const schedules: Schedule[] = []
        await scanRecordTexts(redis, (text) => {
          const record = parseRecord(text)
          const s = typeof record === 'string' ? null : scheduleOfRecord(record)
          if (s) schedules.push(s)
        })
        schedules.sort((a, b) => (a.schedule_id < b.schedule_id ? -1 : 1))
        return { out: schedules.map((s) => `${JSON.stringify(withNext(s))}\n`).join('') }
      }
      case 'rm': {
        const current = await readRecord(redis, 'schedule', request.id)
        if (!current || !scheduleOfRecord(current))
          return { error: `no schedule ${request.id} in Redis at ${address}` }
        if (!(await write(scheduleTombstone(request.id, current, now))))
          return { error: newerWrite(request.id) }
        return { out: `${JSON.stringify({ deleted: request.id })}\n` }
      }
      case 'rotate': {
        let base: URL | null = null
        if (request.publicUrl) {
          try {
            base = new URL(request.publicUrl)
          } catch {
            return { error: `--public-url '${request.publicUrl}' is not a URL (give it as http://HOST:PORT)` }
          }
        }
        const { key, record } = newFeedKey(await readRecord(redis, 'setting', FEED_KEY_SETTING), now)
        if (!(await write(record))) return { error: 'a newer feed key is in Redis; run again' }
        return { out: feedLines(key, base) }
      }
    }
  } catch (err) {
    return { error: `cannot reach Redis at ${address}: ${describeNetworkError(lastError ?? err)}` }
  } finally {
    redis.disconnect()
  }
}
