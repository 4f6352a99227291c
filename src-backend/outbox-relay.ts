// Relays locally accepted events (REST, CLI) from the SQLite outbox to Redis, retrying until Redis
// accepts them: an update that got a 2xx is never lost to a Redis outage or a crash. At-least-once:
// a retry after an unconfirmed publish may duplicate on Redis, which event_id dedupe makes harmless.
import type { Logger } from 'pino'
import type { Bus } from './bus/bus'
import { backoffDelay } from './bus/backoff'
import type { TaskStore } from './store/task-store'

export interface OutboxRelayDeps {
  store: Pick<TaskStore, 'pendingOutbox' | 'ackOutbox' | 'outboxCount'>
  bus: Bus
  log: Logger
  batchSize?: number
  /**
   * First delay before retrying a failed publish; it doubles per consecutive failure (with jitter)
   * up to maxRetryMs, so a Redis that refuses every PUBLISH (NOPERM, OOM) is not hammered. The
   * bus's 'connected' also triggers a retry.
   */
  retryMs?: number
  maxRetryMs?: number
}

export function createOutboxRelay(deps: OutboxRelayDeps) {
  const batchSize = deps.batchSize ?? 500
  const retryMs = deps.retryMs ?? 1000
  const maxRetryMs = Math.max(retryMs, deps.maxRetryMs ?? 5000)
  let failures = 0
  let running = false
  let again = false
  let retryTimer: NodeJS.Timeout | null = null
  let stopped = false
  let lastFailureLogged = 0

  async function drain(): Promise<void> {
    while (!stopped) {
      const batch = deps.store.pendingOutbox(batchSize)
      if (batch.length === 0) return
      await deps.bus.publish(batch.map((e) => e.wire))
      deps.store.ackOutbox(batch.map((e) => e.seq))
    }
  }

  async function run(): Promise<void> {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        await drain()
      } while (again && !stopped)
      failures = 0
    } catch (err) {
      failures++
      if (Date.now() - lastFailureLogged > 30_000) {
        lastFailureLogged = Date.now()
        deps.log.warn(
          { err: (err as Error).message, pending: deps.store.outboxCount() },
          'outbox relay waiting for Redis',
        )
      }
      if (!stopped && !retryTimer) {
        retryTimer = setTimeout(
          () => {
            retryTimer = null
            kick()
          },
          backoffDelay(failures, retryMs, maxRetryMs),
        )
        retryTimer.unref()
      }
    } finally {
      running = false
    }
  }

  function kick(): void {
    if (stopped || deps.bus.kind === 'local') return
    void run()
  }

  return {
    /** Call after a commit that wrote to the outbox, and when the bus (re)connects. */
    kick,
    /**
     * Tries to empty the outbox within `ms` (used on shutdown); resolves true when empty. It only
     * kicks and watches the relay's own run, so a batch is never published twice concurrently,
     * and it returns at the deadline even if a publish is still waiting for Redis.
     */
    async flush(ms: number): Promise<boolean> {
      if (deps.bus.kind === 'local') return true
      const deadline = Date.now() + ms
      kick()
      while (Date.now() < deadline) {
        if (!running && deps.store.outboxCount() === 0) return true
        await new Promise((r) => setTimeout(r, 20))
      }
      return deps.store.outboxCount() === 0
    },
    stop(): void {
      stopped = true
      if (retryTimer) clearTimeout(retryTimer)
    },
  }
}
