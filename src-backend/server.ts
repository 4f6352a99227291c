// Composition root of the backend: builds the parts in one place, in boot order, and tears them
// down in reverse. startServer(config) → { url, wsUrl, uiUrl, token, close() }.
//
//   store (SQLite) → ingest (validate, batch, commit) → ws hub (broadcast)
//                        ↑                          ↘ outbox relay → bus (Redis XADD + PUBLISH)
//   bus (Redis channel + stream, or local) ──────────┘
//   http (guard, REST, UI, /ws upgrade)
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setImmediate as setImmediatePromise } from 'node:timers/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { Counter, Gauge, Registry } from 'prom-client'
import type { Health } from '../src-shared/protocol'
import { createStaleMonitor } from './attention/stale-monitor'
import { createThresholdResolver } from './attention/stale-threshold'
import type { Bus } from './bus/bus'
import { createLocalBus } from './bus/local-bus'
import { createRedisBus } from './bus/redis-bus'
import { isLoopbackHost, type ServerConfig } from './config'
import { createApi } from './http/api'
import { applyConnectionLimits, effectiveConnectionCap } from './http/connection-limits'
import { createEntryGuards, endSocketWithError } from './http/entry-guards'
import { createGuard, requestUrlOf } from './http/guard'
import { createFeedQueries } from './feeds/feed-queries'
import { createFeedsRoute } from './http/feeds-route'
import { createSchedulesRoute } from './http/schedules-route'
import { createIngest, toTaskEvent } from './ingest'
import { createOutboxRelay } from './outbox-relay'
import { createScheduleService } from './schedules/schedule-service'
import { openTaskStore } from './store/task-store'
import { pendingUpgrade, type PendingUpgrade } from './store/migrations'
import { createWsHub } from './ws/ws-hub'

export const VERSION = '0.1.0'

/** Requests one connection may have unanswered (HTTP pipelining); browsers send one at a time. */
const MAX_PIPELINED_REQUESTS = 32

export interface RunningServer {
  url: string
  wsUrl: string
  /** The UI with the token in the fragment (never sent to a server, kept out of logs). */
  uiUrl: string
  token: string
  port: number
  /** Graceful stop: refuse new work, drain the outbox up to 2 s, close sockets with 1001. Idempotent. */
  close(): Promise<void>
}

export interface ServerDeps {
  log: Logger
  /** Replaces the Redis bus (tests). */
  bus?: Bus
  /** Told before a data dir at an older schema is upgraded (a one-off that can take minutes). */
  onUpgrading?: (upgrade: PendingUpgrade) => void
  /** Told once that upgrade is done (the rest of a start takes seconds). */
  onUpgraded?: () => void
}

export async function startServer(config: ServerConfig, deps: ServerDeps): Promise<RunningServer> {
  const log = deps.log
  const startedAt = Date.now()
  const databaseFile = join(config.dataDir, 'taskpulse.sqlite')
  const upgrade = pendingUpgrade(databaseFile)
  if (upgrade) {
    log.warn(
      upgrade,
      `upgrading the data dir from schema ${upgrade.from} to ${upgrade.to} (${upgrade.tasks} tasks); ` +
        'a one-off that can take minutes for a large data dir; the server answers once it is done',
    )
    deps.onUpgrading?.(upgrade)
    // The migration holds this thread: let the log line and the parent's message leave first.
    await new Promise((r) => setImmediate(r))
  }
  const store = openTaskStore({
    file: databaseFile,
    outbox: Boolean(config.redisUrl) || Boolean(deps.bus && deps.bus.kind === 'redis'),
    eventRetention: config.eventRetention,
    synchronous: config.synchronous,
    onCheckpointError: (err) =>
      log.warn({ err: err.message }, 'WAL checkpoint worker failed; SQLite checkpoints inline'),
  })
  if (upgrade) {
    log.info({ ms: Date.now() - startedAt }, `upgraded the data dir to schema ${upgrade.to}`)
    deps.onUpgraded?.()
  }

  const registry = new Registry()
  const appliedTotal = new Counter({
    name: 'taskpulse_changes_total',
    help: 'Changes applied and broadcast',
    registers: [registry],
  })
  const droppedTotal = new Counter({
    name: 'taskpulse_dropped_messages_total',
    help: 'Inbound Redis messages dropped as malformed',
    labelNames: ['reason'],
    registers: [registry],
  })

  const hub = createWsHub({ store, log: log.child({ component: 'ws' }) })
  const bus: Bus =
    deps.bus ??
    (config.redisUrl
      ? createRedisBus({
          url: config.redisUrl,
          channel: config.channel,
          stream: config.stream,
          maxLen: config.streamMaxLen,
          log,
        })
      : createLocalBus())
  const relay = createOutboxRelay({ store, bus, log: log.child({ component: 'outbox' }) })
  const ingest = createIngest({
    store,
    log: log.child({ component: 'ingest' }),
    onChanges: (changes) => {
      appliedTotal.inc(changes.length)
      hub.broadcast(changes)
    },
    onOutboxWritten: () => relay.kick(),
    onDrop: (reason) => droppedTotal.inc({ reason }),
  })

  // Schedules: replicated through Redis on their own keys; missed runs enter as local writes, so
  // they are stored, broadcast and relayed like any REST update (and deduped by their event_id).
  const schedules = createScheduleService({
    db: store.db,
    log: log.child({ component: 'schedules' }),
    redisUrl: deps.bus ? undefined : config.redisUrl,
    submit: (u) =>
      ingest.submitLocal(
        toTaskEvent({
          task_id: u.task_id,
          fields: u.fields,
          updated_at: u.updated_at,
          event_id: u.event_id,
          source: 'rest',
          received_at: new Date(),
        }),
      ),
  })

  new Gauge({
    name: 'taskpulse_ws_clients',
    help: 'Connected WebSocket clients',
    registers: [registry],
    collect() {
      this.set(hub.clientCount())
    },
  })
  new Gauge({
    name: 'taskpulse_outbox_pending',
    help: 'Local events not yet confirmed by Redis',
    registers: [registry],
    collect() {
      this.set(store.outboxCount())
    },
  })
  new Gauge({
    name: 'taskpulse_redis_connected',
    help: '1 when Redis is connected',
    registers: [registry],
    collect() {
      this.set(bus.state() === 'connected' ? 1 : 0)
    },
  })
  new Gauge({
    name: 'taskpulse_seq',
    help: 'Latest applied event seq',
    registers: [registry],
    collect() {
      this.set(store.currentSeq())
    },
  })

  let port = 0
  const hostForUrl =
    config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host
  const guard = createGuard({
    loopback: isLoopbackHost(config.host),
    bindHost: hostForUrl,
    port: () => port,
    allowedHosts: config.allowedHosts ?? [],
    allowedOrigins: config.allowedOrigins ?? [],
    token: config.token,
  })

  const health = (): Health => ({
    status: 'ok',
    redis: bus.state(),
    epoch: store.epoch,
    seq: store.currentSeq(),
    clients: hub.clientCount(),
    outbox_pending: store.outboxCount(),
    dropped_messages: ingest.droppedCount(),
    ...storageHealth(ingest.storageFailure()),
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
    version: VERSION,
  })

  // Staleness: each backend decides on its own from the replicated updates (attention/).
  const thresholds = createThresholdResolver({
    historyOfAgent: (assignee) => store.attention.historyOfAgent(assignee),
    defaultSeconds: config.staleAfter,
    now: Date.now,
  })
  const staleMonitor = createStaleMonitor({
    candidates: (cutoff) => store.attention.staleCandidates(cutoff),
    thresholds,
    submit: (event) => ingest.submitLocal(event),
    now: () => new Date(),
    intervalMs: config.staleCheckMs,
    log: log.child({ component: 'stale-monitor' }),
  })

  const app = createApi({
    store,
    guard,
    log: log.child({ component: 'http' }),
    submitLocal: (event) => ingest.submitLocal(event),
    health,
    attention: () => store.attention.summary(thresholds),
    metrics: registry,
    uiDir: config.uiDir,
    routes: [
      createSchedulesRoute(schedules),
      createFeedsRoute({
        schedules,
        queries: createFeedQueries(store.db),
        guard,
        agents: () => store.agents(),
        projects: () => store.projects(),
      }),
    ],
  })

  // Every entry Node hands us goes through a last-resort guard (http/entry-guards.ts): a throw from
  // a listener would end the process, so a bug there must cost one request, not the backend.
  const entryGuards = createEntryGuards(log.child({ component: 'http' }))
  // headersTimeout also closes sockets that never send a full header block (slowloris, idle
  // sockets); the check runs every 5 s instead of Node's default 30 s so they go sooner.
  const server: Server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000, connectionsCheckingInterval: 5_000 },
    entryGuards.request((req, res) => {
      if (connections.admit(req, res)) void app(req, res)
    }),
  )
  const maxConnections = effectiveConnectionCap(config.maxConnections)
  if (maxConnections < config.maxConnections)
    log.info(
      { maxConnections, configured: config.maxConnections },
      'connection cap lowered to fit the open-file limit (ulimit -n)',
    )
  const connections = applyConnectionLimits(server, {
    maxConnections,
    maxPipelined: MAX_PIPELINED_REQUESTS,
    silentTimeoutMs: 10_000,
    log: log.child({ component: 'http' }),
  })
  new Gauge({
    name: 'taskpulse_http_connections',
    help: 'Open HTTP and WebSocket connections',
    registers: [registry],
    collect() {
      this.set(connections.count())
    },
  })
  new Gauge({
    name: 'taskpulse_http_connections_closed_total',
    help: 'Connections closed by a bound: reason=cap (oldest unanswered, at the connection cap), pipelining',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.set({ reason: 'cap' }, connections.evicted())
      this.set({ reason: 'pipelining' }, connections.cutOff())
    },
  })
  // The longest the event loop was blocked since the previous scrape: a slow request shows here
  // even when no other request happened to wait behind it.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  new Gauge({
    name: 'taskpulse_event_loop_delay_max_seconds',
    help: 'Longest event-loop delay since the previous scrape',
    registers: [registry],
    collect() {
      this.set(loopDelay.max / 1e9)
      loopDelay.reset()
    },
  })
  server.on(
    'upgrade',
    entryGuards.upgrade((req, socket, head) => {
      const reject = (status: 400 | 401 | 403 | 404, code: string, message: string) =>
        endSocketWithError(socket, status, code, message)
      // Any request-target a client can send must land here, `//` and `http://[` included.
      const url = requestUrlOf(req)
      if (!url) return reject(400, 'bad_request', 'request-target is not a URL path')
      if (url.pathname !== '/ws') return reject(404, 'not_found', 'not found')
      const verdict = guard.checkRequest(req)
      if (!verdict.ok) return reject(verdict.status, verdict.code, verdict.message)
      if (!guard.tokenMatches(guard.tokenOf(req, true)))
        return reject(401, 'unauthorized', 'missing or wrong token')
      hub.handleUpgrade(req, socket, head)
    }),
  )
  server.on('clientError', entryGuards.clientError)

  await bus.start({
    onMessages: (batch) => ingest.submitInbound(batch),
    onStateChange: (state) => {
      log.info({ redis: state }, 'redis state')
      if (state === 'connected') relay.kick()
    },
    getStreamCursor: () => store.streamCursor(),
    setStreamCursor: (cursor) => ingest.resetStreamCursor(cursor),
  })
  relay.kick() // anything left in the outbox by a previous run
  staleMonitor.start()
  schedules.start()

  // Prunes in bounded chunks, yielding between them, until history is back under the retention:
  // one fixed chunk per minute would fall behind a sustained rate.
  let pruning = false
  const pruneTimer = setInterval(() => {
    if (pruning) return
    pruning = true
    void (async () => {
      try {
        while (store.pruneHistory(5000) === 5000) await setImmediatePromise()
      } catch (err) {
        log.warn({ err }, 'pruning event history failed')
      } finally {
        pruning = false
      }
    })()
  }, 60_000)
  pruneTimer.unref()

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    clearInterval(pruneTimer)
    await staleMonitor.stop()
    loopDelay.disable()
    await schedules.stop()
    await bus.stop()
    store.close()
    throw err
  }
  port = (server.address() as AddressInfo).port
  const url = `http://${hostForUrl}:${port}`

  let closing: Promise<void> | null = null
  return {
    url,
    wsUrl: `ws://${hostForUrl}:${port}/ws`,
    uiUrl: `${url}/#token=${encodeURIComponent(config.token)}`,
    token: config.token,
    port,
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer)
        loopDelay.disable()
        await staleMonitor.stop() // before ingest stops: a check under way still commits
        const httpClosed = new Promise<void>((r) => server.close(() => r()))
        await schedules.stop() // the checker's last pass goes through ingest before it stops
        ingest.stop() // commits what is queued, refuses the rest
        const drained = await relay.flush(2000)
        if (!drained)
          log.warn({ pending: store.outboxCount() }, 'outbox not empty at shutdown; relayed on next start')
        relay.stop()
        await hub.close()
        server.closeAllConnections()
        await httpClosed
        await bus.stop()
        store.close()
      })()
      return closing
    },
  }
}

function storageHealth(failure: string | null): Pick<Health, 'storage' | 'storage_error'> {
  return failure === null ? { storage: 'ok' } : { storage: 'failing', storage_error: failure }
}
