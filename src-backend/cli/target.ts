// Where TaskPulse is, for every short-lived command (`emit`, `hook`, `exec`, `schedule`,
// `feed-key`): one rule, one set of messages. A server (--server URL + --token T) or a Redis the
// backends share (--redis-url URL). Explicit flags first (--server, then --redis-url), then the
// environment (TASKPULSE_SERVER + TASKPULSE_TOKEN, then REDIS_URL): a flag typed on the command
// line is never overruled by a variable the shell happens to carry.
//
// Loaded on the hook's path (every agent tool call): node built-ins only, nothing else.

export type Target =
  { kind: 'http'; url: URL; token: string } | { kind: 'redis'; url: string; channel: string; stream: string }

export interface TargetFlags {
  server?: string | undefined
  token?: string | undefined
  'redis-url'?: string | undefined
  channel?: string | undefined
  stream?: string | undefined
}

/** The parseArgs options every such command takes. */
export const TARGET_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  'redis-url': { type: 'string' },
} as const

export const TARGET_HELP = `--server URL --token T (env TASKPULSE_SERVER, TASKPULSE_TOKEN), or --redis-url URL (env REDIS_URL)`

export const NO_TARGET =
  'no TaskPulse configured: give --server URL --token T (or TASKPULSE_SERVER and TASKPULSE_TOKEN), or --redis-url URL (REDIS_URL)'

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

/** A redis URL for messages: credentials masked. */
export const maskRedisUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@')

/** host:port of a redis:// URL, without credentials. */
export function redisAddress(raw: string): string {
  try {
    const url = new URL(raw)
    return `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`
  } catch {
    return maskRedisUrl(raw)
  }
}

/** The target from flags, then the environment; or a message saying what is missing or wrong. */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv): Target | string {
  const server = flags.server || (flags['redis-url'] ? undefined : env.TASKPULSE_SERVER) || undefined
  if (server) {
    const url = parseServerUrl(server)
    if (typeof url === 'string') return url
    const token = flags.token || env.TASKPULSE_TOKEN
    if (!token) return '--token (or TASKPULSE_TOKEN) is required with --server'
    return { kind: 'http', url, token }
  }
  const redis = flags['redis-url'] || env.REDIS_URL
  if (redis) {
    let ok = false
    try {
      ok = /^rediss?:$/.test(new URL(redis).protocol)
    } catch {
      // reported below
    }
    if (!ok)
      return `--redis-url must be redis://HOST:PORT or rediss://HOST:PORT (got '${maskRedisUrl(redis)}')`
    return {
      kind: 'redis',
      url: redis,
      channel: flags.channel || env.TASKPULSE_CHANNEL || 'task_status_update',
      stream: flags.stream || env.TASKPULSE_STREAM || 'task_status_stream',
    }
  }
  return NO_TARGET
}

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
