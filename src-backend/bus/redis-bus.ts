// RedisBus: the distributed engine. Three ioredis connections, each with one job:
//   subscriber    SUBSCRIBE <channel>; every message → handlers.onMessages (live, at-most-once)
//   publisher     publish(): one pipeline of PUBLISH + XADD MAXLEN ~ per event (the outbox relay)
//   stream reader XREAD BLOCK in a loop from the durable cursor (catch-up, at-least-once)
// A blocking XREAD would stall publishes and the subscriber cannot run other commands under RESP2,
// hence three sockets. Every (re)connect of the reader restarts from handlers.getStreamCursor(), so
// whatever was XADDed during an outage (or before this process started) is replayed; the store
// dedupes by event_id.
//
// Failure handling: ioredis reconnects with our capped exponential backoff + jitter. Nothing is
// queued while offline (enableOfflineQueue: false, maxRetriesPerRequest: 0): publish() rejects at
// once and the outbox retries on the next 'connected'. A PING every pingIntervalMs on the publisher
// and the subscriber, and the reader's own XREAD BLOCK round trip, put traffic on every socket;
// socketTimeout destroys a socket that gets no reply in time, so a half-open connection turns into
// a reconnect instead of silence. Errors are logged once per kind per interval, and the URL is
// logged with its password redacted.
import type { ConnectionOptions } from 'node:tls'
import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import { type Bus, type BusHandlers, type BusState, type InboundMessage } from './bus'
import { isTlsRedisUrl, redactRedisUrl } from './redis-url'

export interface RedisBusDeps {
  /** redis://[user:password@]host:port[/db] or rediss://… (TLS). */
  url: string
  /** Pub/sub channel. Default `task_status_update`. */
  channel?: string
  /** Stream key. Default `task_status_stream`. */
  stream?: string
  /** Approximate MAXLEN applied on every XADD. Default 100_000. */
  maxLen?: number
  log: Logger
  /** PING period on the publisher and subscriber. Default 5_000. */
  pingIntervalMs?: number
  /**
   * How long a command may wait for its reply before it fails and the socket is considered dead
   * (added to blockMs for the reader). Default 5_000.
   */
  commandTimeoutMs?: number
  /** XREAD BLOCK time. Default 2_000. */
  blockMs?: number
  /** XREAD COUNT. Default 500. */
  readCount?: number
  /** Reconnect backoff: base * 2^(attempt-1), capped at maxMs, with jitter. Defaults 100 / 5_000. */
  retryBaseMs?: number
  retryMaxMs?: number
  /** Extra TLS options (ca, cert, servername, rejectUnauthorized…); used only for rediss:// URLs. */
  tls?: ConnectionOptions
  /** An identical error on one connection is logged at most once per this period. Default 30_000. */
  errorLogIntervalMs?: number
}

export const DEFAULT_CHANNEL = 'task_status_update'
export const DEFAULT_STREAM = 'task_status_stream'
export const DEFAULT_MAX_LEN = 100_000

type ConnName = 'publisher' | 'subscriber' | 'reader'

/** An error with a machine-readable code. */
export class BusError extends Error {
  constructor(
    readonly code: 'BUS_DISCONNECTED' | 'BUS_PUBLISH_FAILED' | 'BUS_STOPPED' | 'BUS_BAD_URL',
    message: string,
  ) {
    super(message)
    this.name = 'BusError'
  }
}

/** Capped exponential backoff with jitter (half fixed, half random) so peers do not reconnect in step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)))
  return Math.round(exp / 2 + (random() * exp) / 2)
}

/**
 * Turns an XREAD reply (`[[key, [[id, [field, value, …]], …]], …]` or null) into stream messages.
 * The `data` field is the payload; an entry without one is passed on with null (counted as a drop
 * by ingest), so the cursor still moves past it.
 */
export function xreadReplyToMessages(reply: unknown, stream: string): InboundMessage[] {
  const out: InboundMessage[] = []
  if (!Array.isArray(reply)) return out
  for (const streamReply of reply) {
    if (!Array.isArray(streamReply) || String(streamReply[0]) !== stream) continue
    const entries: unknown = streamReply[1]
    if (!Array.isArray(entries)) continue
    for (const entry of entries) {
      if (!Array.isArray(entry)) continue
      const streamId = String(entry[0])
      const fields: unknown = entry[1]
      let payload: string | null = null
      if (Array.isArray(fields)) {
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (String(fields[i]) === 'data') {
            payload = String(fields[i + 1])
            break
          }
        }
      }
      out.push({ source: 'stream', payload, streamId })
    }
  }
  return out
}

/**
 * Throws BUS_BAD_URL (with the URL redacted) unless `url` is a redis:// or rediss:// URL. Node's own
 * URL TypeError carries the raw input, password included, so it must never reach a log.
 */
export function assertRedisUrl(url: string): void {
  let ok: boolean
  try {
    ok = /^rediss?:$/i.test(new URL(url).protocol)
  } catch {
    ok = false
  }
  if (!ok) {
    throw new BusError('BUS_BAD_URL', `not a redis:// or rediss:// URL: ${redactRedisUrl(url)}`)
  }
}

export function createRedisBus(deps: RedisBusDeps): Bus {
  assertRedisUrl(deps.url)
  const channel = deps.channel ?? DEFAULT_CHANNEL
  const streamKey = deps.stream ?? DEFAULT_STREAM
  const maxLen = deps.maxLen ?? DEFAULT_MAX_LEN
  const pingIntervalMs = deps.pingIntervalMs ?? 5_000
  const commandTimeoutMs = deps.commandTimeoutMs ?? 5_000
  const blockMs = deps.blockMs ?? 2_000
  const readCount = deps.readCount ?? 500
  const retryBaseMs = deps.retryBaseMs ?? 100
  const retryMaxMs = deps.retryMaxMs ?? 5_000
  const errorLogIntervalMs = deps.errorLogIntervalMs ?? 30_000
  const safeUrl = redactRedisUrl(deps.url)
  const log = deps.log.child({ component: 'redis-bus', redis: safeUrl })
  const password = passwordOf(deps.url)

  let handlers: BusHandlers | null = null
  let started = false
  let stopped = false
  let stopPromise: Promise<void> | null = null
  let current: BusState = 'disconnected'
  const ready: Record<ConnName, boolean> = { publisher: false, subscriber: false, reader: false }
  const timers: NodeJS.Timeout[] = []

  // ---- logging without secrets or spam ----------------------------------------------------------
  const scrub = (text: string): string => (password ? text.split(password).join('***') : text)
  const lastLogged = new Map<string, { at: number; suppressed: number }>()
  function logError(conn: ConnName, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err))
    const code = (e as NodeJS.ErrnoException).code
    const message = scrub(e.message)
    const key = `${conn}:${code ?? message}`
    const now = Date.now()
    const seen = lastLogged.get(key)
    if (seen && now - seen.at < errorLogIntervalMs) {
      seen.suppressed++
      return
    }
    if (lastLogged.size >= 100) lastLogged.clear() // distinct messages are few; never grow unbounded
    lastLogged.set(key, { at: now, suppressed: 0 })
    log.warn({ conn, code, err: message, repeatsSuppressed: seen?.suppressed ?? 0 }, 'redis connection error')
  }

  // ---- connections ------------------------------------------------------------------------------
  const baseOptions: RedisOptions = {
    lazyConnect: true,
    // Nothing waits for a connection: commands fail at once while offline, in-flight ones fail
    // when the socket closes. The outbox and the read loop do their own retrying.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // We subscribe ourselves on every 'ready', so state() can wait for the SUBSCRIBE reply.
    autoResubscribe: false,
    retryStrategy: (times) => backoffDelay(times, retryBaseMs, retryMaxMs),
    connectTimeout: Math.max(commandTimeoutMs, 2_000),
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs,
    ...(isTlsRedisUrl(deps.url) ? { tls: { ...deps.tls } } : {}),
  }
  const publisher = new Redis(deps.url, { ...baseOptions, connectionName: 'taskpulse-publisher' })
  const subscriber = new Redis(deps.url, { ...baseOptions, connectionName: 'taskpulse-subscriber' })
  const reader = new Redis(deps.url, {
    ...baseOptions,
    connectionName: 'taskpulse-stream-reader',
    // XREAD BLOCK holds the reply for up to blockMs: allow that on top of the usual timeout.
    commandTimeout: blockMs + commandTimeoutMs,
    socketTimeout: blockMs + commandTimeoutMs,
  })
  const connections: Record<ConnName, Redis> = { publisher, subscriber, reader }

  function computeState(): BusState {
    if (stopped || !started) return 'disconnected'
    return ready.publisher && ready.subscriber && ready.reader ? 'connected' : 'disconnected'
  }
  function updateState(): void {
    const next = computeState()
    if (next === current) return
    current = next
    if (next === 'connected') {
      lastLogged.clear()
      log.info('redis bus connected')
    } else if (!stopped) {
      const down = (Object.keys(ready) as ConnName[]).filter((n) => !ready[n])
      log.warn({ down }, 'redis bus disconnected; reconnecting with backoff')
    }
    try {
      handlers?.onStateChange?.(next)
    } catch (err) {
      log.error({ err }, 'onStateChange handler threw')
    }
  }
  function setReady(conn: ConnName, value: boolean): void {
    if (ready[conn] === value) return
    ready[conn] = value
    updateState()
  }

  for (const name of Object.keys(connections) as ConnName[]) {
    const conn = connections[name]
    conn.on('error', (err: unknown) => logError(name, err))
    conn.on('close', () => setReady(name, false))
    conn.on('end', () => setReady(name, false))
  }
  publisher.on('ready', () => setReady('publisher', true))

  // Subscriber: SUBSCRIBE on every ready; counted ready only once Redis confirmed it.
  let subscriberEpoch = 0
  subscriber.on('ready', () => {
    const epoch = ++subscriberEpoch
    subscriber.subscribe(channel).then(
      () => {
        if (epoch === subscriberEpoch && subscriber.status === 'ready') setReady('subscriber', true)
      },
      (err: unknown) => {
        logError('subscriber', err)
        // A failed SUBSCRIBE on a live socket: start over on a fresh connection.
        if (epoch === subscriberEpoch && !stopped) subscriber.disconnect(true)
      },
    )
  })
  subscriber.on('close', () => {
    subscriberEpoch++
  })
  // Live messages arrive one per callback; hand them over in one batch per event-loop turn.
  let pending: InboundMessage[] = []
  let flushScheduled = false
  function flushLive(): void {
    flushScheduled = false
    const batch = pending
    pending = []
    if (batch.length > 0 && !stopped) deliver(batch)
  }
  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return
    pending.push({ source: 'redis', payload: message })
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flushLive)
    }
  })

  function deliver(batch: InboundMessage[]): void {
    try {
      handlers?.onMessages(batch)
    } catch (err) {
      log.error({ err }, 'onMessages handler threw; batch dropped')
    }
  }

  // Stream reader: the cursor is re-read from the store on every ready.
  let readerEpoch = 0
  let lastId = '0'
  let wakeReader: (() => void) | null = null
  const wake = (): void => {
    const w = wakeReader
    wakeReader = null
    w?.()
  }
  reader.on('ready', () => {
    readerEpoch++
    lastId = readCursor()
    setReady('reader', true)
    wake()
  })
  reader.on('close', () => {
    readerEpoch++
  })
  function readCursor(): string {
    try {
      return handlers?.getStreamCursor() || '0'
    } catch (err) {
      log.error({ err }, 'getStreamCursor threw; reading the stream from the start')
      return '0'
    }
  }
  /** Resolves on the reader's next 'ready', on stop(), or after `ms` when given. */
  function waitForWake(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const t = ms === undefined ? undefined : setTimeout(resolve, ms)
      wakeReader = () => {
        if (t) clearTimeout(t)
        resolve()
      }
    })
  }

  /**
   * After a (re)connect: warn when the stored cursor is older than the stream's first entry, i.e.
   * MAXLEN trimmed entries this backend never read (an outage longer than the stream holds).
   */
  async function warnIfTrimmedPastCursor(from: string): Promise<void> {
    if (from === '0' || from === '0-0') return
    let info: unknown
    try {
      info = await reader.call('XINFO', 'STREAM', streamKey)
    } catch {
      return // no stream yet (or a server without XINFO): nothing to compare
    }
    const firstId = firstEntryId(info)
    if (firstId && compareStreamIds(from, firstId) < 0) {
      log.warn(
        { cursor: from, firstEntryId: firstId, maxLen },
        'the stream was trimmed past the stored cursor: updates made while this backend was away may be missing',
      )
    }
  }

  let readLoopDone: Promise<void> = Promise.resolve()
  async function readLoop(): Promise<void> {
    let failures = 0
    let checkedEpoch = -1
    while (!stopped) {
      if (reader.status !== 'ready') {
        await waitForWake()
        continue
      }
      const epoch = readerEpoch
      const from = lastId
      try {
        if (checkedEpoch !== epoch) {
          checkedEpoch = epoch
          await warnIfTrimmedPastCursor(from)
          if (stopped) break
          if (epoch !== readerEpoch) continue
        }
        const reply: unknown = await reader.xread(
          'COUNT',
          readCount,
          'BLOCK',
          blockMs,
          'STREAMS',
          streamKey,
          from,
        )
        failures = 0
        if (stopped) break
        const batch = xreadReplyToMessages(reply, streamKey)
        if (batch.length === 0) continue
        // A reconnect in between has already reset lastId from the durable cursor: keep that.
        if (epoch === readerEpoch) {
          const last = batch[batch.length - 1]
          if (last?.source === 'stream') lastId = last.streamId
        }
        deliver(batch)
      } catch (err) {
        if (stopped) break
        // Socket errors end in a reconnect (and a wake); a command error on a live socket (say
        // WRONGTYPE) must not spin, so wait a backoff step either way.
        logError('reader', err)
        failures++
        await waitForWake(backoffDelay(failures, retryBaseMs, retryMaxMs))
      }
    }
  }

  function startPings(): void {
    for (const conn of [publisher, subscriber]) {
      const t = setInterval(() => {
        // A reply is what matters: socketTimeout destroys the socket if none comes.
        if (conn.status === 'ready') conn.ping().catch(() => {})
      }, pingIntervalMs)
      t.unref()
      timers.push(t)
    }
  }

  return {
    kind: 'redis',

    async start(h: BusHandlers): Promise<void> {
      if (started) throw new Error('redis bus already started')
      if (stopped) throw new BusError('BUS_STOPPED', 'redis bus was stopped')
      started = true
      handlers = h
      lastId = readCursor()
      log.info({ channel, stream: streamKey, maxLen }, 'redis bus starting')
      for (const name of Object.keys(connections) as ConnName[]) {
        // Errors also arrive as 'error' events, and retryStrategy keeps reconnecting.
        connections[name].connect().catch(() => {})
      }
      startPings()
      readLoopDone = readLoop().catch((err: unknown) => {
        log.error({ err }, 'stream read loop ended unexpectedly')
      })
    },

    async publish(payloads: readonly string[]): Promise<void> {
      if (stopped) throw new BusError('BUS_STOPPED', 'redis bus was stopped')
      if (payloads.length === 0) return
      // Gated on the whole bus, like the outbox relay that retries on 'connected'.
      if (current !== 'connected' || publisher.status !== 'ready') {
        throw new BusError('BUS_DISCONNECTED', `redis is not connected (${safeUrl})`)
      }
      const pipeline = publisher.pipeline()
      for (const wire of payloads) {
        pipeline.publish(channel, wire)
        pipeline.xadd(streamKey, 'MAXLEN', '~', maxLen, '*', 'data', wire)
      }
      let results: [Error | null, unknown][] | null
      try {
        results = await pipeline.exec()
      } catch (err) {
        throw new BusError('BUS_PUBLISH_FAILED', `redis publish failed: ${scrub(errorMessage(err))}`)
      }
      if (!results) throw new BusError('BUS_PUBLISH_FAILED', 'redis publish failed: no reply')
      const failed = results.find(([err]) => err)
      if (failed?.[0]) {
        throw new BusError('BUS_PUBLISH_FAILED', `redis publish failed: ${scrub(failed[0].message)}`)
      }
    },

    state: (): BusState => current,

    stop(): Promise<void> {
      stopPromise ??= (async () => {
        stopped = true
        for (const t of timers) clearInterval(t)
        wake()
        // Only a live socket still has a close ahead of it; a connection waiting to reconnect just
        // has its timer cleared by disconnect().
        const ended = (Object.values(connections) as Redis[]).map((conn) => {
          const live = ['connecting', 'connect', 'ready'].includes(conn.status)
          const done = live
            ? new Promise<void>((resolve) => {
                const t = setTimeout(resolve, 2_000)
                conn.once('end', () => {
                  clearTimeout(t)
                  resolve()
                })
              })
            : Promise.resolve()
          conn.disconnect()
          return done
        })
        await Promise.all(ended)
        await readLoopDone
        if (flushScheduled) pending = []
        updateState()
        log.info('redis bus stopped')
      })()
      return stopPromise
    },
  }
}

/** Orders two stream ids (`ms-seq`, or a bare `ms`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-')
  const [bm = '0', bs = '0'] = b.split('-')
  try {
    const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs)
    return d === 0n ? 0 : d < 0n ? -1 : 1
  } catch {
    return 0
  }
}

/** The id of `first-entry` in an XINFO STREAM reply (flat [key, value, …] array), if any. */
function firstEntryId(info: unknown): string | null {
  if (!Array.isArray(info)) return null
  const i = info.indexOf('first-entry')
  const entry: unknown = i >= 0 ? info[i + 1] : null
  return Array.isArray(entry) && entry.length > 0 ? String(entry[0]) : null
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The password in a URL (userinfo or ?password=), to scrub from error texts; '' when none. */
function passwordOf(url: string): string {
  try {
    const parsed = new URL(url)
    return (parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password')) ?? ''
  } catch {
    return ''
  }
}
