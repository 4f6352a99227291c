// state.json in userData: what main remembers between runs besides settings — the notifier's
// cursor, recently seen event ids and last outcomes, and the tray's open tasks and unacknowledged
// failures. Read once at start through a zod schema (a file that does not parse is kept aside
// and the app starts fresh, never crashes); written compact, atomically, at most every
// STATE_WRITE_INTERVAL_MS (it holds thousands of ids), and once more on stop.
import { z } from 'zod'
import { taskStatusSchema } from '../../src-shared/protocol'
import type { Logger } from '../backend/backend-supervisor'
import { emptyNotifierState, type NotifierState } from '../notifications/notifier'
import type { TrayPersisted } from '../tray/tray-state'
import { debouncedWriter, keepAside, readJson, writeJsonAtomic } from './json-file'
import { realSetTimer } from '../timers'

/** How often at most state.json is written. */
export const STATE_WRITE_INTERVAL_MS = 2_000

const outcomeSchema = z.enum(['failed', 'completed'])

export const notifierStateSchema = z.object({
  cursor: z.object({ epoch: z.string(), seq: z.number() }).nullable().default(null),
  seen: z.array(z.string()),
  lastOutcome: z.record(z.string(), outcomeSchema),
  // Absent in files from before stale notifications.
  staleNotified: z.record(z.string(), z.string()).default({}),
}) satisfies z.ZodType<NotifierState>

export const trayPersistedSchema = z.object({
  open: z.record(
    z.string(),
    z.object({
      status: taskStatusSchema,
      label: z.string(),
      unacked: z.boolean().optional(),
      stale: z.boolean().optional(),
    }),
  ),
  unacknowledged: z.array(z.string()).default([]),
  recent: z.array(z.object({ taskId: z.string(), label: z.string(), status: taskStatusSchema })),
}) satisfies z.ZodType<TrayPersisted>

export const persistedStateSchema = z.object({
  notifier: notifierStateSchema,
  // A tray section from an older or damaged file only costs the tray's memory, not the cursor.
  tray: trayPersistedSchema.nullable().default(null).catch(null),
})
export type PersistedState = z.infer<typeof persistedStateSchema>

export interface StateStore {
  /** What the file held at start (fresh state when missing or invalid). */
  readonly initial: PersistedState
  /** Where the current state comes from; read only when a write is due. */
  setSource(source: () => PersistedState): void
  /** A change happened: write within STATE_WRITE_INTERVAL_MS. */
  schedule(): void
  /** Writes what is current, once; later schedules do nothing. */
  stop(): void
}

export function createStateStore(deps: {
  path: string
  log: Logger
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => () => void
  intervalMs?: number
}): StateStore {
  const now = deps.now ?? Date.now
  const setTimer = deps.setTimer ?? realSetTimer
  const initial = load()
  let source: (() => PersistedState) | null = null
  let stopped = false

  function load(): PersistedState {
    const fresh = (): PersistedState => ({ notifier: emptyNotifierState(), tray: null })
    const read = readJson(deps.path)
    if (read.kind === 'missing') return fresh()
    const parsed = read.kind === 'ok' ? persistedStateSchema.safeParse(read.value) : null
    if (parsed?.success) return parsed.data
    const aside = keepAside(deps.path, now())
    const why = parsed
      ? (parsed.error.issues[0]?.message ?? 'schema')
      : read.kind === 'corrupt' && read.reason
    deps.log.warn({ aside, why }, 'state file unreadable; starting fresh (kept aside)')
    return fresh()
  }

  const write = (): void => {
    if (source) writeJsonAtomic(deps.path, source(), { compact: true })
  }
  const writer = debouncedWriter(write, deps.intervalMs ?? STATE_WRITE_INTERVAL_MS, setTimer)

  return {
    initial,
    setSource(next) {
      source = next
    },
    schedule() {
      if (!stopped) writer.schedule()
    },
    stop() {
      if (stopped) return
      stopped = true
      writer.flush()
      write()
    },
  }
}
