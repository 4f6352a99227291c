// RedisBus: the distributed engine. Three ioredis connections, each with one job and its own module:
//   subscriber    channel-subscriber.ts: SUBSCRIBE <channel>; every message → onMessages (live,
//                 at-most-once), held after each SUBSCRIBE until the stream reader has caught up
//                 (live-gate.ts), so a live update never overtakes an older one of the stream
//   publisher     stream-publisher.ts: publish() = one pipeline of XADD MAXLEN ~ + PUBLISH per event
//                 (the outbox relay's target)
//   stream reader stream-reader.ts: XREAD BLOCK in a loop from the durable cursor (catch-up,
//                 at-least-once), checked against the stream (stream-cursor.ts)
// A blocking XREAD would stall publishes and the subscriber cannot run other commands under RESP2,
// hence three sockets. How each socket fails and reconnects is redis-connection.ts; this file wires
// them, runs the keep-alive PINGs on the two sockets that are otherwise idle, and says 'connected'
// only while all three are ready. Nothing is queued while offline: publish() rejects at once and
// the outbox retries on the next 'connected'. Errors are logged once per kind per interval
// (connection-errors.ts), and the URL is logged with its password redacted.
import type { ConnectionOptions } from 'node:tls'
import type { Logger } from 'pino'
import { BusError, type Bus, type BusHandlers, type BusState, type InboundMessage } from './bus'
import { attachChannelSubscriber } from './channel-subscriber'
import { createConnectionErrorLog, type ConnName } from './connection-errors'
import { captureIoredisConsole } from './ioredis-console'
import { openBusConnection, type BusConnection } from './redis-connection'
import { assertRedisUrl, passwordOf, redactRedisUrl } from './redis-url'
import { createStreamPublisher } from './stream-publisher'
import { createLiveGate } from './live-gate'
import { isNoSuchStreamError, parseStreamInfo } from './stream-cursor'
import { createStreamReader } from './stream-reader'

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
  /** While connected, the stream cursor is checked against XINFO STREAM this often. Default 30_000. */
  streamRecheckMs?: number
  /** The longest live messages wait after a SUBSCRIBE for the stream to catch up. Default 10_000. */
  liveHoldMs?: number
}

export const DEFAULT_CHANNEL = 'task_status_update'
export const DEFAULT_STREAM = 'task_status_stream'
export const DEFAULT_MAX_LEN = 100_000

export function createRedisBus(deps: RedisBusDeps): Bus {
  assertRedisUrl(deps.url)
  const channel = deps.channel ?? DEFAULT_CHANNEL
  const streamKey = deps.stream ?? DEFAULT_STREAM
  const maxLen = deps.maxLen ?? DEFAULT_MAX_LEN
  const pingIntervalMs = deps.pingIntervalMs ?? 5_000
  const commandTimeoutMs = deps.commandTimeoutMs ?? 5_000
  const blockMs = deps.blockMs ?? 2_000
  const retryBaseMs = deps.retryBaseMs ?? 100
  const retryMaxMs = deps.retryMaxMs ?? 5_000
  const errorLogIntervalMs = deps.errorLogIntervalMs ?? 30_000
  const safeUrl = redactRedisUrl(deps.url)
  const log = deps.log.child({ component: 'redis-bus', redis: safeUrl })
  const errors = createConnectionErrorLog({
    log,
    secret: passwordOf(deps.url),
    intervalMs: errorLogIntervalMs,
  })

  let handlers: BusHandlers | null = null
  let started = false
  let stopped = false
  let stopPromise: Promise<void> | null = null
  let current: BusState = 'disconnected'
  const ready: Record<ConnName, boolean> = { publisher: false, subscriber: false, reader: false }
  const stopKeepAlives: (() => void)[] = []
  let releaseConsole: (() => void) | null = null

  function computeState(): BusState {
    if (stopped || !started) return 'disconnected'
    return ready.publisher && ready.subscriber && ready.reader ? 'connected' : 'disconnected'
  }
  function updateState(): void {
    const next = computeState()
    if (next === current) return
    current = next
    if (next === 'connected') {
      errors.reset()
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
  function deliver(batch: InboundMessage[]): void {
    try {
      handlers?.onMessages(batch)
    } catch (err) {
      log.error({ err }, 'onMessages handler threw; batch dropped')
    }
  }

  const open = (name: ConnName, connectionName: string, blockingMs?: number): BusConnection =>
    openBusConnection({
      url: deps.url,
      name,
      connectionName,
      commandTimeoutMs,
      ...(blockingMs !== undefined && { blockingMs }),
      retryBaseMs,
      retryMaxMs,
      tls: deps.tls,
      isStopped: () => stopped,
      onError: (err) => errors.report(name, err),
      onDown: () => setReady(name, false),
    })
  const publisher = open('publisher', 'taskpulse-publisher')
  const subscriber = open('subscriber', 'taskpulse-subscriber')
  // XREAD BLOCK holds the reply for up to blockMs: allow that on top of the usual timeout.
  const reader = open('reader', 'taskpulse-stream-reader', blockMs)
  const connections = [publisher, subscriber, reader]

  publisher.redis.on('ready', () => {
    setReady('publisher', true)
    gate.publisherReady()
  })
  const publish = createStreamPublisher({
    redis: publisher.redis,
    channel,
    streamKey,
    maxLen,
    scrub: errors.scrub,
  })
  // Live messages wait after each SUBSCRIBE until the stream has caught up (live-gate.ts).
  const gate = createLiveGate({
    deliver: (batch) => deliver(batch),
    log,
    ...(deps.liveHoldMs !== undefined && { maxHoldMs: deps.liveHoldMs }),
    streamEnd: async () => {
      try {
        const info = parseStreamInfo(await publisher.redis.call('XINFO', 'STREAM', streamKey))
        if (!info) throw new Error('unreadable XINFO STREAM reply')
        return info.length === 0 ? null : info.lastGeneratedId
      } catch (err) {
        if (isNoSuchStreamError(err)) return null
        throw err
      }
    },
    readerPosition: () => catchUp.position(),
  })
  const live = attachChannelSubscriber({
    conn: subscriber,
    channel,
    onSubscribed: () => {
      gate.subscribed()
      setReady('subscriber', true)
    },
    deliver: (batch) => gate.offer(batch),
    onError: (err) => errors.report('subscriber', err),
    isStopped: () => stopped,
  })
  const catchUp = createStreamReader({
    conn: reader,
    streamKey,
    blockMs,
    readCount: deps.readCount ?? 500,
    recheckMs: deps.streamRecheckMs ?? 30_000,
    retryBaseMs,
    retryMaxMs,
    getCursor: () => handlers?.getStreamCursor() ?? '0',
    setCursor: (cursor) => handlers?.setStreamCursor?.(cursor),
    onReady: () => setReady('reader', true),
    deliver: (batch) => {
      if (!stopped) deliver(batch)
    },
    onReadStarting: () => gate.readStarting(),
    onReadDone: (token, reachedEnd) => gate.readDone(token, reachedEnd),
    onError: (err) => errors.report('reader', err),
    log,
  })

  return {
    kind: 'redis',

    // async without an await on purpose: the checks below reject instead of throwing at the caller.
    // eslint-disable-next-line @typescript-eslint/require-await
    async start(h: BusHandlers): Promise<void> {
      if (started) throw new Error('redis bus already started')
      if (stopped) throw new BusError('BUS_STOPPED', 'redis bus was stopped')
      started = true
      handlers = h
      releaseConsole = captureIoredisConsole(log, errorLogIntervalMs)
      log.info({ channel, stream: streamKey, maxLen }, 'redis bus starting')
      for (const conn of connections) conn.connect()
      // The reader's XREAD BLOCK round trip already keeps its socket busy.
      stopKeepAlives.push(publisher.keepAlive(pingIntervalMs), subscriber.keepAlive(pingIntervalMs))
      catchUp.start()
    },

    async publish(payloads: readonly string[]): Promise<void> {
      if (stopped) throw new BusError('BUS_STOPPED', 'redis bus was stopped')
      if (payloads.length === 0) return
      // Gated on the whole bus, like the outbox relay that retries on 'connected'.
      if (current !== 'connected' || publisher.redis.status !== 'ready') {
        throw new BusError('BUS_DISCONNECTED', `redis is not connected (${safeUrl})`)
      }
      await publish(payloads)
      publisher.healthy()
    },

    state: (): BusState => current,

    stop(): Promise<void> {
      stopPromise ??= (async () => {
        stopped = true
        gate.stop() // before the waits below: nothing held is handed on after stop
        for (const stopKeepAlive of stopKeepAlives) stopKeepAlive()
        const readLoopDone = catchUp.stop()
        await Promise.all(connections.map((conn) => conn.close()))
        await readLoopDone
        live.discardPending()
        updateState()
        releaseConsole?.()
        releaseConsole = null
        log.info('redis bus stopped')
      })()
      return stopPromise
    },
  }
}
