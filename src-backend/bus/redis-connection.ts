// One ioredis connection of the bus, set up for how the bus handles failure.
//
// ioredis reconnects with our capped exponential backoff + jitter. The attempt count is ours, and
// goes back to zero only when the connection did real work (healthy(): a confirmed SUBSCRIBE, an
// XREAD, a PING or publish reply), not when a socket merely opened: an ACL user without permissions
// (NOPERM) or a refused AUTH connects fine and fails right after, and ioredis's own count, reset on
// every 'ready', would reconnect in a tight loop. Nothing is queued while offline
// (enableOfflineQueue: false, maxRetriesPerRequest: 0): commands fail at once, and the owners (the
// outbox, the read loop) do their own retrying. socketTimeout destroys a socket that gets no reply
// in time, so a half-open connection turns into a reconnect instead of silence; keepAlive() puts a
// PING on sockets that would otherwise be idle.
import type { ConnectionOptions } from 'node:tls'
import { Redis } from 'ioredis'
import { backoffDelay } from './backoff'
import type { ConnName } from './connection-errors'
import { isTlsRedisUrl } from './redis-url'

export interface BusConnectionOptions {
  url: string
  name: ConnName
  /** CLIENT SETNAME, so an operator can tell the sockets apart in CLIENT LIST. */
  connectionName: string
  /** How long a command may wait for its reply before the socket counts as dead. */
  commandTimeoutMs: number
  /** Added to the reply timeout, for commands that block on purpose (XREAD BLOCK). Default 0. */
  blockingMs?: number
  retryBaseMs: number
  retryMaxMs: number
  /** Extra TLS options; used only for rediss:// URLs. */
  tls?: ConnectionOptions | undefined
  /** Once true, no reconnect is attempted. */
  isStopped(): boolean
  onError(err: unknown): void
  /** The socket closed or ended (the owner counts the connection as not ready). */
  onDown(): void
}

export interface BusConnection {
  readonly name: ConnName
  readonly redis: Redis
  /** The connection did real work: the next reconnect starts again from the shortest backoff. */
  healthy(): void
  /** Connects; failures arrive as 'error' events and the retry strategy keeps reconnecting. */
  connect(): void
  /**
   * Sends a PING every `intervalMs` while ready; a reply counts as healthy, none ends in a
   * socket timeout and a reconnect. Returns the stop function.
   */
  keepAlive(intervalMs: number): () => void
  /** Disconnects for good; resolves once a live socket has ended (at most 2 s). */
  close(): Promise<void>
}

export function openBusConnection(opts: BusConnectionOptions): BusConnection {
  let attempts = 0
  const replyTimeoutMs = opts.commandTimeoutMs + (opts.blockingMs ?? 0)
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The subscriber subscribes itself on every 'ready', so the bus can wait for the reply.
    autoResubscribe: false,
    retryStrategy: () =>
      opts.isStopped() ? null : backoffDelay(++attempts, opts.retryBaseMs, opts.retryMaxMs),
    connectTimeout: Math.max(opts.commandTimeoutMs, 2_000),
    commandTimeout: replyTimeoutMs,
    socketTimeout: replyTimeoutMs,
    connectionName: opts.connectionName,
    ...(isTlsRedisUrl(opts.url) ? { tls: { ...opts.tls } } : {}),
  })
  redis.on('error', (err: unknown) => opts.onError(err))
  redis.on('close', () => opts.onDown())
  redis.on('end', () => opts.onDown())

  const healthy = (): void => {
    attempts = 0
  }
  return {
    name: opts.name,
    redis,
    healthy,
    connect() {
      redis.connect().catch(() => {})
    },
    keepAlive(intervalMs) {
      const t = setInterval(() => {
        if (redis.status !== 'ready') return
        redis.ping().then(healthy, () => {})
      }, intervalMs)
      t.unref()
      return () => clearInterval(t)
    },
    close() {
      // Only a live socket still has an end ahead of it; a connection waiting to reconnect just
      // has its timer cleared by disconnect().
      const live = ['connecting', 'connect', 'ready'].includes(redis.status)
      const ended = live
        ? new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2_000)
            redis.once('end', () => {
              clearTimeout(t)
              resolve()
            })
          })
        : Promise.resolve()
      redis.disconnect()
      return ended
    },
  }
}
