// The tray's model, as pure data: which icon (idle, running, unacknowledged failures,
// disconnected), the tooltip with counts, the badge number and the menu. Fed by main's WebSocket
// client and the supervisor; rendered by tray-service.ts. Setters that change nothing report so,
// so the service only touches Electron when something visible changed.
//
// Attention is the backend's answer, not the tray's own: a failure is unacknowledged while the
// task's `acknowledged_at` says so (isUnacknowledgedFailure), a stale task is one the backend marked
// (`stale_since`) and nobody acknowledged since, and a waiting task needs input until it moves on.
// "Acknowledge all" asks the backend (POST /api/tasks/ack); the tray changes when the resulting
// update frames arrive, so every window and the tray agree.
import type { BackendState } from '../../src-shared/ipc'
import {
  isUnacknowledgedFailure,
  isUnacknowledgedStale,
  type Task,
  type TaskStatus,
  type TaskStatusUpdateMessage,
} from '../../src-shared/protocol'
import { taskLabel } from '../notifications/notifier'

export type OverallState = 'idle' | 'running' | 'failure' | 'disconnected'
export type LinkState = 'connecting' | 'connected' | 'disconnected'

export interface RecentEvent {
  taskId: string
  label: string
  status: TaskStatus
}

/** An open task as the tray keeps it: what it shows, and whether it needs attention. */
export interface OpenTask {
  status: TaskStatus
  label: string
  /** A failure not acknowledged since it failed. */
  unacked?: boolean
  /** Marked stale by the backend and not acknowledged since. */
  stale?: boolean
}

/** What survives a restart. */
export interface TrayPersisted {
  /** Open tasks (running / pending / waiting / failed) by id; completed ones are not kept. */
  open: Record<string, OpenTask>
  /** The unacknowledged failures' ids (also flagged in `open`; kept for files of older versions). */
  unacknowledged: string[]
  recent: RecentEvent[]
}

export interface MenuItemSpec {
  id: string
  label: string
  enabled?: boolean
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox'
  checked?: boolean
  submenu?: MenuItemSpec[]
}

export interface TrayModel {
  overall: OverallState
  tooltip: string
  badgeCount: number
  menu: MenuItemSpec[]
}

export interface TrayState {
  applyUpdate(update: TaskStatusUpdateMessage): boolean
  applySnapshot(tasks: readonly Task[]): boolean
  setLink(link: LinkState): boolean
  setBackend(state: BackendState, mode: 'embedded' | 'remote'): boolean
  setPausedUntil(until: number | null): boolean
  /** The tasks "Acknowledge all" acknowledges: unacknowledged failures and stale tasks. */
  toAcknowledge(): string[]
  model(now: number): TrayModel
  persisted(): TrayPersisted
}

const RECENT_MAX = 5
/** Tasks listed under "Needs attention" in the menu. */
const ATTENTION_MENU_MAX = 5
/** Open tasks (and unacknowledged failures) kept: the most recently updated ones. Failed tasks
 * stay open until they complete, so without a cap the map (and state.json) would only grow. */
export const OPEN_MAX = 5_000
const STATUS_MARK: Record<TaskStatus, string> = {
  failed: '✗',
  completed: '✓',
  running: '▶',
  waiting: '?',
  pending: '…',
}

export const emptyTrayPersisted = (): TrayPersisted => ({ open: {}, unacknowledged: [], recent: [] })

export function createTrayState(initial?: TrayPersisted | null, opts: { openMax?: number } = {}): TrayState {
  const openMax = opts.openMax ?? OPEN_MAX
  // Insertion order is update order: the first entry is the least recently updated.
  const open = new Map<string, OpenTask>()
  // Kept up to date on every change, so rendering never walks `open` for counts.
  const c: Record<TaskStatus, number> = { pending: 0, running: 0, waiting: 0, completed: 0, failed: 0 }
  const attention = { unacked: 0, stale: 0 }
  let recent: RecentEvent[] = [...(initial?.recent ?? [])].slice(0, RECENT_MAX)
  let link: LinkState = 'connecting'
  let backend: BackendState = { status: 'starting' }
  let mode: 'embedded' | 'remote' = 'embedded'
  let pausedUntil: number | null = null

  const count = (t: OpenTask, by: 1 | -1): void => {
    c[t.status] += by
    if (t.unacked) attention.unacked += by
    if (t.stale) attention.stale += by
  }
  const untrack = (taskId: string): void => {
    const prev = open.get(taskId)
    if (!prev) return
    count(prev, -1)
    open.delete(taskId)
  }
  const track = (taskId: string, entry: OpenTask): void => {
    untrack(taskId)
    if (entry.status === 'completed') return
    const clean: OpenTask = { status: entry.status, label: entry.label }
    if (entry.unacked) clean.unacked = true
    if (entry.stale) clean.stale = true
    open.set(taskId, clean)
    count(clean, 1)
    if (open.size > openMax) untrack(open.keys().next().value as string)
  }
  const entryOf = (task: Task): OpenTask => ({
    status: task.status,
    label: taskLabel(task),
    unacked: isUnacknowledgedFailure(task),
    stale: isUnacknowledgedStale(task),
  })
  const olderUnacked = new Set(initial?.unacknowledged ?? [])
  for (const [id, t] of Object.entries(initial?.open ?? {}))
    track(id, { ...t, unacked: t.unacked ?? (t.status === 'failed' && olderUnacked.has(id)) })

  /** Tasks needing attention, most recently updated first: failures, then stale, then waiting. */
  const attentionList = (): { id: string; task: OpenTask; why: 'failed' | 'stale' | 'waiting' }[] => {
    const out: { id: string; task: OpenTask; why: 'failed' | 'stale' | 'waiting' }[] = []
    const entries = [...open].reverse()
    for (const why of ['failed', 'stale', 'waiting'] as const) {
      for (const [id, task] of entries) {
        if (out.length >= ATTENTION_MENU_MAX) return out
        const hit = why === 'failed' ? task.unacked : why === 'stale' ? task.stale : task.status === 'waiting'
        if (hit) out.push({ id, task, why })
      }
    }
    return out
  }

  const backendLabel = (): string => {
    const where = mode === 'remote' ? 'remote' : 'embedded'
    switch (backend.status) {
      case 'starting':
        return backend.upgrading
          ? `Backend (${where}): upgrading the data (${backend.upgrading.tasks.toLocaleString('en-US')} tasks)…`
          : `Backend (${where}): starting…`
      case 'running':
        return `Backend (${where}): ${link === 'connected' ? 'connected' : link}`
      case 'restarting':
        return `Backend (${where}): restarting (attempt ${backend.attempt})`
      case 'failed':
        return `Backend (${where}): stopped — ${backend.error}`
      case 'stopped':
        return `Backend (${where}): stopped`
    }
  }

  return {
    applyUpdate({ previous_status, task: update }) {
      const before = open.get(update.task_id)
      const entry = entryOf(update)
      track(update.task_id, entry)
      const changed =
        before?.status !== update.status ||
        previous_status !== update.status ||
        Boolean(before?.unacked) !== Boolean(entry.unacked) ||
        Boolean(before?.stale) !== Boolean(entry.stale)
      if (previous_status !== update.status) {
        recent = [
          { taskId: update.task_id, label: entry.label, status: update.status },
          ...recent.filter((r) => r.taskId !== update.task_id),
        ].slice(0, RECENT_MAX)
      }
      return changed
    },
    applySnapshot(tasks) {
      open.clear()
      c.pending = c.running = c.waiting = c.completed = c.failed = 0
      attention.unacked = attention.stale = 0
      // Oldest first, so the cap keeps the most recently updated (canonical ISO times sort).
      const live = tasks.filter((t) => t.status !== 'completed')
      live.sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : 0))
      for (const task of live.slice(-openMax)) track(task.task_id, entryOf(task))
      return true
    },
    setLink(next) {
      if (next === link) return false
      link = next
      return true
    },
    setBackend(next, nextMode) {
      if (JSON.stringify(next) === JSON.stringify(backend) && nextMode === mode) return false
      backend = next
      mode = nextMode
      return true
    },
    setPausedUntil(until) {
      if (until === pausedUntil) return false
      pausedUntil = until
      return true
    },
    toAcknowledge() {
      const ids: string[] = []
      for (const [id, t] of open) if (t.unacked || t.stale) ids.push(id)
      return ids
    },
    model(now) {
      const paused = pausedUntil !== null && pausedUntil > now
      const overall: OverallState =
        link !== 'connected'
          ? 'disconnected'
          : attention.unacked > 0
            ? 'failure'
            : c.running > 0
              ? 'running'
              : 'idle'
      const parts = [`${c.running} running`, `${c.failed} failed`]
      if (attention.unacked > 0) parts.push(`${attention.unacked} new`)
      if (attention.stale > 0) parts.push(`${attention.stale} stale`)
      if (c.waiting > 0) parts.push(`${c.waiting} waiting`)
      if (c.pending > 0) parts.push(`${c.pending} pending`)
      // The badge counts everything a person should look at: new failures, stale and waiting tasks.
      const needsAttention = attention.unacked + attention.stale + c.waiting
      const toAck = attention.unacked + attention.stale
      let tooltip =
        overall === 'disconnected'
          ? `TaskPulse — ${backendLabel().replace(/^Backend/, 'backend')}`
          : `TaskPulse — ${parts.join(', ')}`
      if (paused) tooltip += ' · notifications paused'

      const recentItems: MenuItemSpec[] =
        recent.length === 0
          ? [{ id: 'recent:none', label: 'No recent events', enabled: false }]
          : recent.map((r) => ({
              id: `task:${r.taskId}`,
              label: `${STATUS_MARK[r.status]} ${truncate(r.label, 48)} — ${r.status}`,
            }))
      const attentionItems: MenuItemSpec[] =
        needsAttention === 0
          ? []
          : [
              { id: 'attention:header', label: `Needs attention (${needsAttention})`, enabled: false },
              ...attentionList().map(({ id, task, why }) => ({
                id: `attention:${id}`,
                label: `${why === 'stale' ? '⏸' : STATUS_MARK[task.status]} ${truncate(task.label, 48)} — ${why}`,
              })),
              { id: 'sep-attention', label: '', type: 'separator' as const },
            ]
      const menu: MenuItemSpec[] = [
        { id: 'backend-status', label: backendLabel(), enabled: false },
        ...(backend.status === 'failed' ? [{ id: 'retry', label: 'Retry backend' }] : []),
        { id: 'sep-1', label: '', type: 'separator' },
        ...attentionItems,
        ...recentItems,
        { id: 'sep-2', label: '', type: 'separator' },
        { id: 'open', label: 'Open TaskPulse' },
        {
          id: 'pause',
          label: paused
            ? `Notifications paused until ${formatClock(pausedUntil ?? now)}`
            : 'Pause notifications',
          type: 'submenu',
          submenu: [
            { id: 'pause:1h', label: 'For 1 hour' },
            { id: 'pause:tomorrow', label: 'Until tomorrow' },
            { id: 'pause:off', label: 'Resume notifications', enabled: paused },
          ],
        },
        {
          id: 'ack',
          label: toAck > 0 ? `Acknowledge all (${toAck})` : 'Acknowledge all',
          enabled: toAck > 0 && link === 'connected',
        },
        { id: 'sep-3', label: '', type: 'separator' },
        { id: 'quit', label: 'Quit TaskPulse' },
      ]
      return { overall, tooltip, badgeCount: needsAttention, menu }
    },
    persisted: () => ({
      open: Object.fromEntries(open),
      unacknowledged: [...open].filter(([, t]) => t.unacked).map(([id]) => id),
      recent: [...recent],
    }),
  }
}

const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

function formatClock(at: number): string {
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}
