// The one retry delay of TaskPulse: capped exponential backoff with jitter (half fixed, half
// random), so peers that lost the same server do not all come back in step. Used by the Redis bus,
// the outbox relay, ingest's storage retry, the desktop supervisor and both WebSocket clients.
// Pure: the random source is injectable for tests.

/** Delay before retry number `attempt` (1 = the first retry): 50–100 % of min(maxMs, baseMs · 2^(attempt−1)). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)))
  return Math.round(exp / 2 + (random() * exp) / 2)
}
