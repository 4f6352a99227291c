// The bus's catch-up path: XREAD BLOCK in a loop from the durable cursor (at-least-once). Every
// (re)connect restarts from the stored cursor, so whatever was XADDed during an outage (or before
// this process started) is replayed; the store dedupes by event_id. At every (re)connect, and every
// recheckMs while connected, the cursor is checked against XINFO STREAM (stream-cursor.ts): a
// stream that was deleted, reset, recreated or trimmed past the cursor is warned about once and
// reading goes on from the right place. The XREAD BLOCK round trip is this socket's keep-alive.
import type { Logger } from 'pino'
import type { InboundMessage } from './bus'
import { backoffDelay } from './backoff'
import type { BusConnection } from './redis-connection'
import {
  assessStreamCursor,
  isNoSuchStreamError,
  parseStreamInfo,
  xreadReplyToMessages,
  type StreamInfo,
} from './stream-cursor'

export interface StreamReaderDeps {
  conn: BusConnection
  streamKey: string
  /** XREAD BLOCK time. */
  blockMs: number
  /** XREAD COUNT: the largest batch delivered at once. */
  readCount: number
  /** While connected, the cursor is checked against XINFO STREAM this often. */
  recheckMs: number
  /** Pause after a failed read: backoff from base to max. */
  retryBaseMs: number
  retryMaxMs: number
  /** The last stream id durably applied ('0' for a new database). Read on every (re)connect. */
  getCursor(): string
  /** Store a cursor the check moved (so the same loss is not warned about again). */
  setCursor?: ((cursor: string) => void) | undefined
  /** The socket is ready and the loop reads on it. */
  onReady(): void
  deliver(batch: InboundMessage[]): void
  /**
   * Called as each XREAD is sent; its token goes to onReadDone once the reply is delivered, with
   * whether it held fewer entries than COUNT (the read got to the end of the stream). The live
   * gate (live-gate.ts) waits on these.
   */
  onReadStarting?: (() => number) | undefined
  onReadDone?: ((token: number, reachedEnd: boolean) => void) | undefined
  onError(err: unknown): void
  log: Logger
}

export interface StreamReader {
  /** Starts the read loop from the stored cursor. */
  start(): void
  /** The id of the last entry delivered (or the cursor it started from). */
  position(): string
  /**
   * Ends the loop: resolves once it has left (call after the connection is closing, so a pending
   * XREAD fails at once instead of running out its BLOCK time).
   */
  stop(): Promise<void>
}

export function createStreamReader(deps: StreamReaderDeps): StreamReader {
  const { conn, streamKey, log } = deps
  const reader = conn.redis
  let stopped = false
  let epoch = 0
  let lastId = '0'
  let loopDone: Promise<void> = Promise.resolve()

  let wakeLoop: (() => void) | null = null
  const wake = (): void => {
    const w = wakeLoop
    wakeLoop = null
    w?.()
  }
  /** Resolves on the reader's next 'ready', on stop(), or after `ms` when given. */
  function waitForWake(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const t = ms === undefined ? undefined : setTimeout(resolve, ms)
      wakeLoop = () => {
        if (t) clearTimeout(t)
        resolve()
      }
    })
  }

  function readCursor(): string {
    try {
      return deps.getCursor() || '0'
    } catch (err) {
      log.error({ err }, 'getStreamCursor threw; reading the stream from the start')
      return '0'
    }
  }

  reader.on('ready', () => {
    epoch++
    lastId = readCursor()
    deps.onReady()
    wake()
  })
  reader.on('close', () => {
    epoch++
  })

  const warnedLosses = new Set<string>()
  /** Returns the id to read after: `from`, or where the check says reading must go on. */
  async function checkCursor(from: string): Promise<string> {
    let info: StreamInfo | null
    try {
      info = parseStreamInfo(await reader.call('XINFO', 'STREAM', streamKey))
      // A reply we cannot read says nothing: never take it for a missing stream (that would
      // re-read the whole stream at every check).
      if (!info) return from
    } catch (err) {
      if (!isNoSuchStreamError(err)) {
        deps.onError(err) // NOPERM and the like: XREAD will fail and back off too
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
        deps.setCursor?.(verdict.persist)
      } catch (err) {
        log.error({ err }, 'setStreamCursor threw')
      }
    }
    return verdict.readFrom
  }

  async function readLoop(): Promise<void> {
    let failures = 0
    let checkedEpoch = -1
    let checkedAt = 0
    while (!stopped) {
      if (reader.status !== 'ready') {
        await waitForWake()
        continue
      }
      const readEpoch = epoch
      const from = lastId
      try {
        // At every (re)connect, and every recheckMs while connected (a DEL or FLUSHALL while we
        // read leaves a cursor above every new entry: XREAD would wait forever).
        if (checkedEpoch !== readEpoch || Date.now() - checkedAt >= deps.recheckMs) {
          checkedEpoch = readEpoch
          checkedAt = Date.now()
          const next = await checkCursor(from)
          if (stopped) break
          if (readEpoch !== epoch) continue
          if (next !== from) {
            lastId = next
            continue
          }
        }
        const token = deps.onReadStarting?.()
        const reply: unknown = await reader.xread(
          'COUNT',
          deps.readCount,
          'BLOCK',
          deps.blockMs,
          'STREAMS',
          streamKey,
          from,
        )
        failures = 0
        conn.healthy()
        if (stopped) break
        const batch = xreadReplyToMessages(reply, streamKey)
        const reachedEnd = batch.length < deps.readCount
        if (batch.length > 0) {
          // A reconnect in between has already reset lastId from the durable cursor: keep that.
          if (readEpoch === epoch) {
            const last = batch[batch.length - 1]
            if (last?.source === 'stream') lastId = last.streamId
          }
          deps.deliver(batch)
        }
        // After the delivery, so what the gate held follows what this read brought.
        if (token !== undefined) deps.onReadDone?.(token, reachedEnd)
      } catch (err) {
        if (stopped) break
        // Socket errors end in a reconnect (and a wake); a command error on a live socket (say
        // WRONGTYPE) must not spin, so wait a backoff step either way.
        deps.onError(err)
        failures++
        await waitForWake(backoffDelay(failures, deps.retryBaseMs, deps.retryMaxMs))
      }
    }
  }

  return {
    position: () => lastId,
    start() {
      lastId = readCursor()
      loopDone = readLoop().catch((err: unknown) => {
        log.error({ err }, 'stream read loop ended unexpectedly')
      })
    },
    stop() {
      stopped = true
      wake()
      return loopDone
    },
  }
}
