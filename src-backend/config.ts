// Server configuration: flags > environment > defaults, validated with zod so a bad value is a
// clear message at start, not a surprise later.
import { randomBytes } from 'node:crypto'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'

/** A duration in seconds: a bare number, or a number with s, m, h or d (`900`, `15m`, `2h`). */
const durationSeconds = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(String(v))
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m?.[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd']
  const seconds = m ? Math.round(Number(m[1]) * unit) : NaN
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 30 * 86400) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration from 1s to 30d, e.g. 900, 15m or 2h' })
    return z.NEVER
  }
  return seconds
})

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])
export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host) || host.startsWith('127.')

const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .optional()

export const serverConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    dataDir: z.string().min(1),
    token: z.string().min(8, 'must be at least 8 characters').max(512).optional(),
    allowedHosts: list,
    allowedOrigins: list,
    channel: z.string().min(1).default('task_status_update'),
    stream: z.string().min(1).default('task_status_stream'),
    streamMaxLen: z.coerce.number().int().min(1000).default(100_000),
    eventRetention: z.coerce.number().int().min(1000).default(1_000_000),
    synchronous: z.enum(['normal', 'full']).default('normal'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Open connections (HTTP and WebSocket) before the oldest unanswered one is closed for a new one. */
    maxConnections: z.coerce.number().int().min(16).default(16_384),
    /** Folder of the built renderer served at `/` (out/renderer). */
    uiDir: z.string().optional(),
    /** A running task with no update for this long is stale (seconds), unless it or its agent's history says otherwise. */
    staleAfter: durationSeconds.default(15 * 60),
    /** How often the stale monitor looks at running tasks (ms). Tests use a few hundred. */
    staleCheckMs: z.coerce.number().int().min(50).max(600_000).default(5_000),
    /** Stop when the launching process exits (npx/npm do not pass signals on); off for daemons. */
    parentWatch: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    if (!isLoopbackHost(c.host) && !c.token) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `binding ${c.host} (not loopback) needs an explicit --token (or TASKPULSE_TOKEN)`,
      })
    }
  })

export type ServerConfigInput = z.input<typeof serverConfigSchema>
export type ServerConfig = z.output<typeof serverConfigSchema> & { token: string }

export class ConfigError extends Error {
  readonly code = 'invalid_config'
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'taskpulse')
}

export function resolveConfig(input: Partial<ServerConfigInput>): ServerConfig {
  const parsed = serverConfigSchema.safeParse(input)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `--${kebab(String(i.path[0] ?? ''))}: ${i.message}`)
    throw new ConfigError(lines.join('\n'))
  }
  return { ...parsed.data, token: parsed.data.token ?? randomBytes(24).toString('base64url') }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'redis-url': { type: 'string' },
  'data-dir': { type: 'string' },
  token: { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'allowed-origins': { type: 'string' },
  channel: { type: 'string' },
  stream: { type: 'string' },
  'stream-maxlen': { type: 'string' },
  'event-retention': { type: 'string' },
  synchronous: { type: 'string' },
  'log-level': { type: 'string' },
  'ui-dir': { type: 'string' },
  'max-connections': { type: 'string' },
  'stale-after': { type: 'string' },
  'stale-check-ms': { type: 'string' },
  'no-parent-watch': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Every entry of SERVE_OPTIONS appears here (config.test.ts holds that). */
export const SERVE_USAGE = `Usage: taskpulse serve [options]

  --host HOST              bind address (default 127.0.0.1; env TASKPULSE_HOST)
  --port PORT              0 picks a free port (default 8080; env PORT)
  --redis-url URL          redis:// or rediss:// (env REDIS_URL); none: embedded SQLite + in-process bus
  --data-dir DIR           where the SQLite database lives (env TASKPULSE_DATA_DIR; default ~/.local/share/taskpulse)
  --token T                API and socket token (env TASKPULSE_TOKEN; default: a random one, printed in the ready line)
  --allowed-hosts H,H      Host header values served on a non-loopback bind
  --allowed-origins O,O    extra browser origins allowed to call the API (CORS) and open the socket
  --channel NAME           Redis pub/sub channel (default task_status_update)
  --stream NAME            Redis stream (default task_status_stream)
  --stream-maxlen N        approximate MAXLEN for XADD (default 100000)
  --event-retention N      events of history kept in SQLite (default 1000000)
  --synchronous normal|full  SQLite durability: normal survives a process crash, full also power loss
  --log-level LEVEL        fatal|error|warn|info|debug|trace|silent (default info; env TASKPULSE_LOG_LEVEL; logs go to stderr)
  --ui-dir DIR             the built web UI served at / (default: out/renderer next to the backend)
  --max-connections N      open HTTP + WebSocket connections (default 16384, lowered to fit the open-file
                           limit; env TASKPULSE_MAX_CONNECTIONS); at the cap the oldest unanswered one is closed
  --stale-after DURATION   a running task with no update for this long is stale, unless it sets
                           stale_after_seconds or its agent's own history gives a threshold
                           (default 15m; 900, 15m, 2h; env TASKPULSE_STALE_AFTER)
  --stale-check-ms N       how often the stale monitor looks at running tasks (default 5000;
                           env TASKPULSE_STALE_CHECK_MS)
  --no-parent-watch        keep running when the launching process exits (default: stop, since
                           npx and npm do not pass SIGINT/SIGTERM on); for a shell script that
                           starts the server in the background and ends
  -h, --help               this help

One server per data dir: a second one on the same --data-dir exits with code 1, naming the pid
that holds it. Stops gracefully on SIGINT, SIGTERM, SIGHUP, and when its parent process exits.
`

/** Parses `serve` flags over the environment. Throws ConfigError with a readable message. */
export function parseServeArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig | 'help' {
  let values: ReturnType<
    typeof parseArgs<{ options: typeof SERVE_OPTIONS; args: string[]; strict: true }>
  >['values']
  try {
    values = parseArgs({
      args: [...argv],
      options: SERVE_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  if (values.help) return 'help'
  const pick = <T>(flag: T | undefined, envValue: T | undefined): T | undefined =>
    flag !== undefined ? flag : envValue === '' ? undefined : envValue
  return resolveConfig(
    stripUndefined({
      host: pick(values.host, env.TASKPULSE_HOST),
      port: pick(values.port, env.PORT),
      redisUrl: pick(values['redis-url'], env.REDIS_URL),
      dataDir: pick(values['data-dir'], env.TASKPULSE_DATA_DIR) ?? defaultDataDir(env),
      token: pick(values.token, env.TASKPULSE_TOKEN),
      allowedHosts: values['allowed-hosts'],
      allowedOrigins: values['allowed-origins'],
      channel: values.channel,
      stream: values.stream,
      streamMaxLen: values['stream-maxlen'],
      eventRetention: values['event-retention'],
      synchronous: values.synchronous,
      logLevel: pick(values['log-level'], env.TASKPULSE_LOG_LEVEL),
      uiDir: values['ui-dir'],
      maxConnections: pick(values['max-connections'], env.TASKPULSE_MAX_CONNECTIONS),
      staleAfter: pick(values['stale-after'], env.TASKPULSE_STALE_AFTER),
      staleCheckMs: pick(values['stale-check-ms'], env.TASKPULSE_STALE_CHECK_MS),
      parentWatch: values['no-parent-watch'] ? false : undefined,
    }) as Partial<ServerConfigInput>,
  )
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
