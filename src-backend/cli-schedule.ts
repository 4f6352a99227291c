// `taskpulse schedule set|ls|rm` and `taskpulse feed-key rotate`: short calls to a server's REST
// API, found as `emit` finds it (--server/--token or TASKPULSE_SERVER/TASKPULSE_TOKEN). Schedules
// and the feed key live on the server (and replicate between servers), so there is no Redis path.
import { parseArgs } from 'node:util'
import { describeNetworkError, parseServerUrl } from './cli-emit'

export const SCHEDULE_USAGE = `Usage:
  taskpulse schedule set ID --cron "CRON" [--timezone TZ] [--grace SECONDS] [--title T]
                        [--assignee A] [--project P] [--max-runtime SECONDS]
  taskpulse schedule ls
  taskpulse schedule rm ID
  taskpulse feed-key rotate
  each with --server URL --token T (env TASKPULSE_SERVER, TASKPULSE_TOKEN)

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
  server: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

interface Reply {
  status: number
  text: string
}

async function request(method: string, url: URL, token: string, body?: unknown): Promise<Reply> {
  const { request: send } = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'x-taskpulse-source': 'cli',
          ...(payload !== undefined && {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
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
    req.end(payload)
  })
}

function errorText(reply: Reply): string {
  try {
    const parsed = JSON.parse(reply.text) as {
      error: { message: string; details?: { path: string; message: string }[] }
    }
    const details = parsed.error.details?.map((d) => `  ${d.path || '(body)'}: ${d.message}`).join('\n')
    return details ? `${parsed.error.message}\n${details}` : parsed.error.message
  } catch {
    return reply.text
  }
}

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
  const server = values.server ?? process.env.TASKPULSE_SERVER
  const token = values.token ?? process.env.TASKPULSE_TOKEN
  if (!server) return fail('give --server URL (or TASKPULSE_SERVER)')
  if (!token) return fail('give --token T (or TASKPULSE_TOKEN)')
  const base = parseServerUrl(server)
  if (typeof base === 'string') return fail(base)

  const call = async (method: string, path: string, body?: unknown): Promise<Reply | number> => {
    try {
      const reply = await request(method, new URL(path, base), token, body)
      if (reply.status < 200 || reply.status >= 300)
        return fail(`server ${base.origin} answered ${reply.status}: ${errorText(reply)}`, 1)
      return reply
    } catch (err) {
      return fail(`cannot reach the server at ${base.origin}: ${describeNetworkError(err)}`, 1)
    }
  }

  if (command === 'feed-key') {
    if (action !== 'rotate' || id !== undefined) return fail(`the only action is 'rotate'\n${SCHEDULE_USAGE}`)
    const reply = await call('POST', '/api/feed-key/rotate')
    if (typeof reply === 'number') return reply
    const { key, ics_path, cctray_path } = JSON.parse(reply.text) as Record<string, string>
    process.stdout.write(
      `key: ${key}\nics: ${new URL(ics_path!, base).href}\ncctray: ${new URL(cctray_path!, base).href}\n`,
    )
    process.stderr.write(
      'The previous feed key no longer works; update your calendar and CCMenu subscriptions.\n',
    )
    return 0
  }

  const path = (scheduleId: string) => `/api/schedules/${encodeURIComponent(scheduleId)}`
  switch (action) {
    case 'set': {
      if (!id) return fail(`schedule set needs an ID\n${SCHEDULE_USAGE}`)
      if (!values.cron) return fail('schedule set needs --cron "CRON"')
      const grace = seconds('grace', values.grace)
      const maxRuntime = seconds('max-runtime', values['max-runtime'])
      if (typeof grace === 'string') return fail(grace)
      if (typeof maxRuntime === 'string') return fail(maxRuntime)
      const timezone = values.timezone ?? values.tz
      const body = {
        cron: values.cron,
        ...(timezone !== undefined && { timezone }),
        ...(grace !== undefined && { grace_seconds: grace }),
        ...(values.title !== undefined && { title: values.title }),
        ...(values.assignee !== undefined && { assignee: values.assignee }),
        ...(values.project !== undefined && { project_id: values.project }),
        ...(maxRuntime !== undefined && { max_runtime_seconds: maxRuntime }),
      }
      const reply = await call('PUT', path(id), body)
      if (typeof reply === 'number') return reply
      process.stdout.write(`${reply.text}\n`)
      return 0
    }
    case 'ls':
    case 'list': {
      if (id !== undefined) return fail(`schedule ls takes no ID\n${SCHEDULE_USAGE}`)
      const reply = await call('GET', '/api/schedules')
      if (typeof reply === 'number') return reply
      // One JSON object per line: greppable, and each line parses on its own.
      for (const s of (JSON.parse(reply.text) as { schedules: unknown[] }).schedules)
        process.stdout.write(`${JSON.stringify(s)}\n`)
      return 0
    }
    case 'rm':
    case 'delete': {
      if (!id) return fail(`schedule rm needs an ID\n${SCHEDULE_USAGE}`)
      const reply = await call('DELETE', path(id))
      if (typeof reply === 'number') return reply
      process.stdout.write(`${reply.text}\n`)
      return 0
    }
    default:
      return fail(`unknown action '${action ?? ''}' (set, ls, rm)\n${SCHEDULE_USAGE}`)
  }
}
