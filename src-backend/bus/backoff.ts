// Reconnect and retry delays for the bus and the outbox relay.

/** Capped exponential backoff with jitter (half fixed, half random) so peers do not reconnect in step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)))
  return Math.round(exp / 2 + (random() * exp) / 2)
}
