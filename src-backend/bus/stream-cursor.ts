// Where the stream reader stands in the stream, as pure functions (every case unit-tested without
// a Redis): stream id order, XINFO STREAM and XREAD replies, and the verdict on a stored cursor
// whose stream was deleted, reset, recreated or trimmed.
import type { InboundMessage } from './bus'

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
/** XINFO STREAM's error for a stream that does not exist (deleted, or never written). */
export function isNoSuchStreamError(err: unknown): boolean {
  return /no such key/i.test(err instanceof Error ? err.message : String(err))
}

export function parseStreamInfo(reply: unknown): StreamInfo | null {
  if (!Array.isArray(reply)) return null
  const get = (key: string): unknown => {
    const i = reply.indexOf(key)
    return i >= 0 && i % 2 === 0 ? reply[i + 1] : undefined
  }
  const lastGeneratedId = replyText(get('last-generated-id'))
  if (lastGeneratedId === null) return null
  const first = get('first-entry')
  const maxDeleted = get('max-deleted-entry-id')
  const added = get('entries-added')
  return {
    length: Number(get('length') ?? 0),
    lastGeneratedId,
    firstEntryId: Array.isArray(first) && first.length > 0 ? String(first[0]) : null,
    maxDeletedId: replyText(maxDeleted),
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

/** A scalar of a Redis reply as text (ids and counts come as strings or numbers); null otherwise. */
function replyText(v: unknown): string | null {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  return null
}
