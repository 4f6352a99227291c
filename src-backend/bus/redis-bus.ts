// RedisBus: the distributed engine. Three ioredis connections, each with one job:
//   subscriber    SUBSCRIBE <channel>; every message → handlers.onMessages (live, at-most-once)
//   publisher     publish(): one pipeline of PUBLISH + XADD MAXLEN ~ per event (the outbox relay)
//   stream reader XREAD BLOCK in a loop from the durable cursor (catch-up, at-least-once)
// A blocking XREAD would stall publishes and the subscriber cannot run other commands under RESP2,
// hence three sockets. Every (re)connect of the reader restarts from handlers.getStreamCursor(), so
// whatever was XADDed during an outage (or before this process started) is replayed; the store
// dedupes by event_id.
//
// Failure handling: ioredis reconnects with our capped exponential backoff + jitter. The attempt
// count is ours, per connection, and goes back to zero only when the connection did real work (a
// confirmed SUBSCRIBE, an XREAD, a PING or publish reply), not when a socket merely opened: an ACL
// user without permissions (NOPERM) or a refused AUTH connects fine and fails right after, and
// ioredis's own count, reset on every 'ready', would reconnect in a tight loop. Nothing is
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
import { captureIoredisConsole } from './ioredis-console'
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
  /** While connected, the stream cursor is checked against XINFO STREAM this often. Default 30_000. */
  streamRecheckMs?: number
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
  const recheckMs = deps.streamRecheckMs ?? 30_000
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
  let releaseConsole: (() => void) | null = null

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
    // Replaced per connection below (our own attempt count).
    retryStrategy: () => null,
    connectTimeout: Math.max(commandTimeoutMs, 2_000),
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs,
    ...(isTlsRedisUrl(deps.url) ? { tls: { ...deps.tls } } : {}),
  }
  // Consecutive failed (re)connects per connection; see the header comment for when it resets.
  const attempts: Record<ConnName, number> = { publisher: 0, subscriber: 0, reader: 0 }
  const retryFor = (name: ConnName) => (): number | null =>
    stopped ? null : backoffDelay(++attempts[name], retryBaseMs, retryMaxMs)
  const healthy = (name: ConnName): void => {
    attempts[name] = 0
  }
  const publisher = new Redis(deps.url, {
    ...baseOptions,
    retryStrategy: retryFor('publisher'),
    connectionName: 'taskpulse-publisher',
  })
  const subscriber = new Redis(deps.url, {
    ...baseOptions,
    retryStrategy: retryFor('subscriber'),
    connectionName: 'taskpulse-subscriber',
  })
  const reader = new Redis(deps.url, {
    ...baseOptions,
    retryStrategy: retryFor('reader'),
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
        if (epoch === subscriberEpoch && subscriber.status === 'ready') {
          healthy('subscriber')
          setReady('subscriber', true)
        }
      },
      (err: unknown) => {
        logError('subscriber', err)
        // A failed SUBSCRIBE on a live socket (NOPERM, say): start over on a fresh connection,
        // after the backoff (retryStrategy counts this as a failed attempt).
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
   * After a (re)connect, and now and then while idle: checks the cursor against the stream (XINFO
   * STREAM). A stream that is gone, was reset or recreated (DEL, FLUSHALL, a replaced Redis) or was
   * trimmed past the cursor is warned about once, with what was lost, and reading goes on from the
   * right place, stored durably through handlers.setStreamCursor. Returns the id to read after.
   */
  const warnedLosses = new Set<string>()
  async function checkStreamCursor(from: string): Promise<string> {
    let info: StreamInfo | null
    try {
      info = parseStreamInfo(await reader.call('XINFO', 'STREAM', streamKey))
      // A reply we cannot read says nothing: never take it for a missing stream (that would
      // re-read the whole stream at every check).
      if (!info) return from
    } catch (err) {
      if (!/no such key/i.test(errorMessage(err))) {
        logError('reader', err) // NOPERM and the like: XREAD will fail and back off too
        return from
      }
      info = null
    }
    const verdict = assessStreamCursor(from, info)
    if (verdict.kind === 'ok') return from
    const key = `${verdict.kind}:${from}:${verdict.readFrom}`
    if (!warnedLosses.has(key)) {
      if (warnedLosses.size >= 100) warnedLosses.clear()
      warnedLosses.add(key)
      const { message, ...details } = verdict
      log.warn({ stream: streamKey, cursor: from, ...details }, message)
    }
    if (verdict.persist !== undefined) {
      try {
        handlers?.setStreamCursor?.(verdict.persist)
      } catch (err) {
        log.error({ err }, 'setStreamCursor threw')
      }
    }
    return verdict.readFrom
  }

  let readLoopDone: Promise<void> = Promise.resolve()
  async function readLoop(): Promise<void> {
    let failures = 0
    let checkedEpoch = -1
    let checkedAt = 0
    while (!stopped) {
      if (reader.status !== 'ready') {
        await waitForWake()
        continue
      }
      const epoch = readerEpoch
      const from = lastId
      try {
        // At every (re)connect, and every recheckMs while connected (a DEL or FLUSHALL while we
        // read leaves a cursor above every new entry: XREAD would wait forever).
        if (checkedEpoch !== epoch || Date.now() - checkedAt >= recheckMs) {
          checkedEpoch = epoch
          checkedAt = Date.now()
          const next = await checkStreamCursor(from)
          if (stopped) break
          if (epoch !== readerEpoch) continue
          if (next !== from) {
            lastId = next
            continue
          }
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
        healthy('reader')
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
        if (conn.status !== 'ready') return
        conn.ping().then(
          () => healthy(conn === publisher ? 'publisher' : 'subscriber'),
          () => {},
        )
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
      releaseConsole = captureIoredisConsole(log, errorLogIntervalMs)
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
      healthy('publisher')
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
        releaseConsole?.()
        releaseConsole = null
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

/** What XINFO STREAM says about a stream (the fields Redis 7 adds are null on older servers). */
export interface StreamInfo {
  length: number
  lastGeneratedId: string
  firstEntryId: string | null
  /** Redis ≥ 7: the highest id ever deleted (trimmed or XDEL), `0-0` when none. */
  maxDeletedId: string | null
  /** Redis ≥ 7: how many entries were ever added. */
  entriesAdded: number | null
}

/** Reads an XINFO STREAM reply (a flat [key, value, …] array); null when it is not one. */
export function parseStreamInfo(reply: unknown): StreamInfo | null {
  if (!Array.isArray(reply)) return null
  const get = (key: string): unknown => {
    const i = reply.indexOf(key)
    return i >= 0 && i % 2 === 0 ? reply[i + 1] : undefined
  }
  const lastGeneratedId = get('last-generated-id')
  if (lastGeneratedId === undefined) return null
  const first = get('first-entry')
  const maxDeleted = get('max-deleted-entry-id')
  const added = get('entries-added')
  return {
    length: Number(get('length') ?? 0),
    lastGeneratedId: String(lastGeneratedId),
    firstEntryId: Array.isArray(first) && first.length > 0 ? String(first[0]) : null,
    maxDeletedId: maxDeleted === undefined || maxDeleted === null ? null : String(maxDeleted),
    entriesAdded: added === undefined || added === null ? null : Number(added),
  }
}

export interface CursorVerdict {
  kind: 'ok' | 'missing' | 'reset' | 'recreated' | 'trimmed'
  /** Read entries after this id. */
  readFrom: string
  /** Store this as the durable cursor (so the same loss is not warned about at the next start). */
  persist?: string
  message: string
  /** Ids that were deleted unread: after lostAfter, through lostThrough or before lostBefore. */
  lostAfter?: string
  lostThrough?: string
  lostBefore?: string
  /** Entries removed from the stream since it was created: an upper bound on what was lost. */
  lostAtMost?: number
  /** Entries the (new) stream holds now, all of which will be read. */
  streamLength?: number
}

/**
 * Compares the stored cursor with what XINFO STREAM says (`info` null: there is no such stream).
 * Pure, so every case is unit-tested. Only fields every Redis ≥ 5 has are needed, plus
 * `entries-added` (Redis ≥ 7) to tell a recreated stream from a trimmed one:
 * - missing: the stream is gone (DEL, FLUSHALL, a new Redis); read the next one from its start.
 * - reset: last-generated-id < cursor, so every new entry would sort below the cursor and be
 *   skipped forever; read from the start.
 * - recreated: the first entry is after the cursor and nothing was ever removed from this stream
 *   (entries-added = length): the cursor's entry never was in it. Read it from its start (a
 *   replayed duplicate is harmless: the store dedupes by event_id).
 * - trimmed: the stream is empty but got entries after the cursor, or its first entry is after the
 *   cursor and entries were removed: what lay between was never read here.
 */
export function assessStreamCursor(cursor: string, info: StreamInfo | null): CursorVerdict {
  const ok: CursorVerdict = { kind: 'ok', readFrom: cursor, message: 'cursor matches the stream' }
  if (compareStreamIds(cursor, '0-0') <= 0) return ok // a new database reads the whole stream anyway
  if (!info) {
    return {
      kind: 'missing',
      readFrom: '0',
      persist: '0',
      message:
        'the stream is gone (deleted, flushed, or a different Redis): entries added after the stored cursor and not read before it went are lost to this backend (how many is unknown); reading the stream from its start when it reappears',
    }
  }
  if (compareStreamIds(info.lastGeneratedId, cursor) < 0) {
    return {
      kind: 'reset',
      readFrom: '0',
      persist: '0',
      streamLength: info.length,
      message:
        'the stream was reset (its last id is below the stored cursor: deleted, flushed, a different Redis, or a far-future id before): entries of the old stream not read before are lost to this backend (how many is unknown); reading the new stream from its start',
    }
  }
  const removed = info.entriesAdded === null ? undefined : info.entriesAdded - info.length
  const first = info.firstEntryId
  if (first === null) {
    if (compareStreamIds(info.lastGeneratedId, cursor) === 0) return ok
    // Emptied (XTRIM MAXLEN 0, XDEL) after entries this backend never read; all of them are gone,
    // so reading goes on after the last one, stored so the loss is reported once.
    return {
      kind: 'trimmed',
      readFrom: info.lastGeneratedId,
      persist: info.lastGeneratedId,
      lostAfter: cursor,
      lostThrough: info.lastGeneratedId,
      ...(removed !== undefined && { lostAtMost: removed }),
      streamLength: 0,
      message:
        'the stream was emptied after entries this backend never read: entries in (lostAfter, lostThrough] are lost to it',
    }
  }
  if (compareStreamIds(first, cursor) <= 0) return ok
  if (removed === 0) {
    return {
      kind: 'recreated',
      readFrom: '0',
      persist: '0',
      streamLength: info.length,
      message:
        'the stream was recreated (the stored cursor was never in it): entries of the old stream not read before are lost to this backend (how many is unknown); reading the new stream from its start',
    }
  }
  return {
    kind: 'trimmed',
    readFrom: cursor,
    lostAfter: cursor,
    lostBefore: first,
    ...(removed !== undefined && { lostAtMost: removed }),
    streamLength: info.length,
    message:
      'the stream was trimmed past the stored cursor: entries between lostAfter and lostBefore, if there were any, were never read by this backend and are lost to it; raise --stream-maxlen for longer outages',
  }
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
