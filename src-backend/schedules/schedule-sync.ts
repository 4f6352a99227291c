// Schedules (and the feed key's hash) replicate between backends as a last-writer-wins map in one
// Redis hash, not on the task stream: a record is the whole state of one schedule, so a backend
// converges by merging records in any order, any number of times. Wire (docs/protocol.md
// "Schedules on Redis"):
//   HSET   taskpulse:schedules  <kind>:<id>  <record JSON>   only when newer (a Lua script compares
//                                                             (updated_at, rev) atomically)
//   PUBLISH taskpulse:schedules:changed <record JSON>        for the live path
// On every (re)connect a backend pushes all its records through the same script (what it wrote
// while Redis was down) and merges the whole hash (what it missed); every `resyncMs` it merges the
// hash again, so a PUBLISH lost in a reconnect costs at most that long.
import type { Logger } from 'pino'
import { createConnectionErrorLog } from '../bus/connection-errors'
import { openBusConnection, type BusConnection } from '../bus/redis-connection'
import { passwordOf } from '../bus/redis-url'
import { MAX_VERSION_AHEAD_MS, replicatedRecordSchema, type ReplicatedRecord } from './schedule-model'

export const SCHEDULES_HASH = 'taskpulse:schedules'
export const SCHEDULES_CHANNEL = 'taskpulse:schedules:changed'

/**
 * Sets the field only when the record is newer, then publishes it; 1 when written. A stored record
 * dated past ARGV[5] (the writer's clock + MAX_VERSION_AHEAD_MS), or unreadable, is no version at
 * all: every backend ignores it, so it must not block the writes that replace it.
 */
const MERGE_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, c = pcall(cjson.decode, cur)
  if ok and type(c) == 'table' and type(c.updated_at) == 'string' and type(c.rev) == 'string'
    and c.updated_at <= ARGV[5] then
    if c.updated_at > ARGV[2] or (c.updated_at == ARGV[2] and c.rev >= ARGV[3]) then return 0 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[4])
return 1
`

export interface ScheduleSyncDeps {
  url: string
  log: Logger
  /** Every record held locally (pushed on connect). */
  localRecords(): ReplicatedRecord[]
  /** Merges a record from a peer; returns whether it changed local state. */
  mergeRemote(record: ReplicatedRecord): void
  resyncMs?: number
  commandTimeoutMs?: number
}

export interface ScheduleSync {
  start(): void
  /** Sends one local write; a failure is fine (the next connect pushes everything). */
  push(record: ReplicatedRecord): void
  connected(): boolean
  stop(): Promise<void>
}

const fieldOf = (r: ReplicatedRecord) => `${r.kind}:${r.id}`

export function createScheduleSync(deps: ScheduleSyncDeps): ScheduleSync {
  const log = deps.log.child({ component: 'schedule-sync' })
  const errors = createConnectionErrorLog({ log, secret: passwordOf(deps.url), intervalMs: 30_000 })
  let stopped = false
  let subscribed = false
  const open = (name: 'publisher' | 'subscriber', connectionName: string): BusConnection =>
    openBusConnection({
      url: deps.url,
      name,
      connectionName,
      commandTimeoutMs: deps.commandTimeoutMs ?? 5_000,
      retryBaseMs: 100,
      retryMaxMs: 5_000,
      isStopped: () => stopped,
      onError: (err) => errors.report(name, err),
      onDown: () => {
        if (name === 'subscriber') subscribed = false
      },
    })
  const commands = open('publisher', 'taskpulse-schedules')
  const subscriber = open('subscriber', 'taskpulse-schedules-sub')
  let resyncTimer: NodeJS.Timeout | null = null
  let stopKeepAlive: (() => void) | null = null

  function mergeText(text: string): void {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      log.warn('a schedule record on Redis is not JSON; ignored')
      return
    }
    const parsed = replicatedRecordSchema.safeParse(json)
    if (!parsed.success) {
      log.warn({ issue: parsed.error.issues[0]?.message }, 'a schedule record on Redis is malformed; ignored')
      return
    }
    if (Date.parse(parsed.data.updated_at) > Date.now() + MAX_VERSION_AHEAD_MS) {
      log.warn(
        { kind: parsed.data.kind, id: parsed.data.id, updated_at: parsed.data.updated_at },
        'a schedule record on Redis is dated more than a day ahead of this clock; ignored',
      )
      return
    }
    try {
      deps.mergeRemote(parsed.data)
    } catch (err) {
      log.error({ err }, 'merging a schedule record failed')
    }
  }

  async function send(records: readonly ReplicatedRecord[]): Promise<void> {
    if (records.length === 0 || commands.redis.status !== 'ready') return
    const pipeline = commands.redis.pipeline()
    const horizon = new Date(Date.now() + MAX_VERSION_AHEAD_MS).toISOString()
    for (const r of records) {
      pipeline.eval(
        MERGE_SCRIPT,
        2,
        SCHEDULES_HASH,
        SCHEDULES_CHANNEL,
        fieldOf(r),
        r.updated_at,
        r.rev,
        JSON.stringify(r),
        horizon,
      )
    }
    const replies = await pipeline.exec()
    const failed = replies?.find(([err]) => err)
    if (failed) throw failed[0] ?? new Error('schedule push failed')
    commands.healthy()
  }

  async function pullAll(): Promise<void> {
    if (commands.redis.status !== 'ready') return
    // HSCAN in pages rather than HGETALL: a hash someone filled would otherwise be one huge reply.
    let cursor = '0'
    do {
      const [next, flat] = await commands.redis.hscan(SCHEDULES_HASH, cursor, 'COUNT', 500)
      for (let i = 1; i < flat.length; i += 2) mergeText(flat[i]!)
      cursor = next
    } while (cursor !== '0' && !stopped)
    commands.healthy()
  }

  async function resync(): Promise<void> {
    try {
      await send(deps.localRecords())
      await pullAll()
    } catch (err) {
      errors.report('publisher', err)
    }
  }

  commands.redis.on('ready', () => void resync())
  subscriber.redis.on('ready', () => {
    subscriber.redis.subscribe(SCHEDULES_CHANNEL).then(
      () => {
        subscribed = true
        subscriber.healthy()
        // What was published before this SUBSCRIBE took effect is in the hash.
        void pullAll().catch((err: unknown) => errors.report('publisher', err))
      },
      (err: unknown) => errors.report('subscriber', err),
    )
  })
  subscriber.redis.on('message', (channel: string, message: string) => {
    if (channel === SCHEDULES_CHANNEL) mergeText(message)
  })

  return {
    start() {
      commands.connect()
      subscriber.connect()
      stopKeepAlive = subscriber.keepAlive(5_000)
      resyncTimer = setInterval(() => void resync(), deps.resyncMs ?? 30_000)
      resyncTimer.unref()
    },
    push(record) {
      send([record]).catch((err: unknown) => errors.report('publisher', err))
    },
    connected: () => commands.redis.status === 'ready' && subscribed,
    async stop() {
      stopped = true
      if (resyncTimer) clearInterval(resyncTimer)
      stopKeepAlive?.()
      await Promise.all([commands.close(), subscriber.close()])
    },
  }
}
