// The bus's outbound path: each locally accepted event goes out as XADD MAXLEN ~ (durable, for
// peers that catch up later) and then PUBLISH (live, for peers subscribed now), all in one
// pipeline. XADD first: a peer that missed the PUBLISH (its subscriber was away) then finds the
// event on the stream at or before the end its live gate waits for (live-gate.ts), whereas a
// PUBLISH that went first could have its XADD land just after the peer asked for that end, and a
// later event's PUBLISH would overtake it. A large pipeline is read by Redis in pieces, so the
// two commands of one event are not atomic.
import type { Redis } from 'ioredis'
import { BusError } from './bus'

export interface StreamPublisherDeps {
  redis: Redis
  channel: string
  streamKey: string
  /** Approximate MAXLEN applied on every XADD. */
  maxLen: number
  /** Cuts secrets out of error texts. */
  scrub: (text: string) => string
}

/**
 * Returns publish(): resolves once Redis accepted every command, rejects with BUS_PUBLISH_FAILED
 * otherwise (the caller keeps the events and retries; a partial success duplicates harmlessly,
 * since receivers dedupe by event_id).
 */
export function createStreamPublisher(
  deps: StreamPublisherDeps,
): (payloads: readonly string[]) => Promise<void> {
  const { redis, channel, streamKey, maxLen, scrub } = deps
  return async (payloads) => {
    if (payloads.length === 0) return
    const pipeline = redis.pipeline()
    for (const wire of payloads) {
      pipeline.xadd(streamKey, 'MAXLEN', '~', maxLen, '*', 'data', wire)
      pipeline.publish(channel, wire)
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
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
