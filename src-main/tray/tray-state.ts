// The tray's model, as pure data: which icon (idle, running, unacknowledged failures,
// disconnected), the tooltip with counts, the badge number and the menu. Fed by main's WebSocket
// client and the supervisor; rendered by tray-service.ts. Setters that change nothing report so,
// so the service only touches Electron when something visible changed.
import type { BackendState } from '../../src-shared/ipc'
import type { Task, TaskStatus, TaskStatusUpdateMessage } from '../../src-shared/protocol'
import { taskLabel } from '../notifications/notifier'

export type OverallState = 'idle' | 'running' | 'failure' | 'disconnected'
export type LinkState = 'connecting' | 'connected' | 'disconnected'

export interface RecentEvent {
  taskId: string
  label: string
  status: TaskStatus
}

/** What survives a restart. */
export interface TrayPersisted {
  /** Open tasks (running / pending / failed) by id; completed ones are not kept. */
  open: Record<string, { status: TaskStatus; label: string }>
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
  acknowledge(): boolean
  model(now: number): TrayModel
  persisted(): TrayPersisted
}

const RECENT_MAX = 5
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
  const open = new Map<string, { status: TaskStatus; label: string }>()
  // Kept up to date on every change, so rendering never walks `open`.
  const c: Record<TaskStatus, number> = { pending: 0, running: 0, waiting: 0, completed: 0, failed: 0 }
  const unacknowledged = new Set<string>()
  const acknowledgeLater = (taskId: string): void => {
    unacknowledged.delete(taskId)
    unacknowledged.add(taskId)
    if (unacknowledged.size > openMax) unacknowledged.delete(unacknowledged.values().next().value as string)
  }
  let recent: RecentEvent[] = [...(initial?.recent ?? [])].slice(0, RECENT_MAX)
  let link: LinkState = 'connecting'
  let backend: BackendState = { status: 'starting' }
  let mode: 'embedded' | 'remote' = 'embedded'
  let pausedUntil: number | null = null

  const untrack = (taskId: string): void => {
    const prev = open.get(taskId)
    if (!prev) return
    c[prev.status] -= 1
    open.delete(taskId)
  }
  const track = (taskId: string, status: TaskStatus, label: string): void => {
    untrack(taskId)
    if (status === 'completed') return
    open.set(taskId, { status, label })
    c[status] += 1
    if (open.size > openMax) untrack(open.keys().next().value as string)
  }
  for (const [id, t] of Object.entries(initial?.open ?? {})) track(id, t.status, t.label)
  for (const id of initial?.unacknowledged ?? []) acknowledgeLater(id)

  const backendLabel = (): string => {
    const where = mode === 'remote' ? 'remote' : 'embedded'
    switch (backend.status) {
      case 'starting':
        return `Backend (${where}): starting…`
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
      const label = taskLabel(update)
      const before = open.get(update.task_id)?.status
      track(update.task_id, update.status, label)
      let changed = before !== update.status || previous_status !== update.status
      if (update.status === 'failed' && previous_status !== 'failed') {
        acknowledgeLater(update.task_id)
        changed = true
      } else if (update.status !== 'failed' && unacknowledged.delete(update.task_id)) {
        // A failure fixed or re-run no longer needs the user's attention.
        changed = true
      }
      if (previous_status !== update.status) {
        recent = [
          { taskId: update.task_id, label, status: update.status },
          ...recent.filter((r) => r.taskId !== update.task_id),
        ].slice(0, RECENT_MAX)
      }
      return changed
    },
    applySnapshot(tasks) {
      open.clear()
      c.pending = c.running = c.waiting = c.completed = c.failed = 0
      // Oldest first, so the cap keeps the most recently updated (canonical ISO times sort).
      const live = tasks.filter((t) => t.status !== 'completed')
      live.sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : 0))
      for (const task of live.slice(-openMax)) track(task.task_id, task.status, taskLabel(task))
      // Failures the user has not acknowledged stay so only while the task is still failed.
      for (const id of [...unacknowledged]) if (open.get(id)?.status !== 'failed') unacknowledged.delete(id)
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
    acknowledge() {
      if (unacknowledged.size === 0) return false
      unacknowledged.clear()
      return true
    },
    model(now) {
      const paused = pausedUntil !== null && pausedUntil > now
      const overall: OverallState =
        link !== 'connected'
          ? 'disconnected'
          : unacknowledged.size > 0
            ? 'failure'
            : c.running > 0
              ? 'running'
              : 'idle'
      const parts = [`${c.running} running`, `${c.failed} failed`]
      if (unacknowledged.size > 0) parts.push(`${unacknowledged.size} new`)
      if (c.pending > 0) parts.push(`${c.pending} pending`)
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
      const menu: MenuItemSpec[] = [
        { id: 'backend-status', label: backendLabel(), enabled: false },
        ...(backend.status === 'failed' ? [{ id: 'retry', label: 'Retry backend' }] : []),
        { id: 'sep-1', label: '', type: 'separator' },
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
          label:
            unacknowledged.size > 0
              ? `Acknowledge failures (${unacknowledged.size})`
              : 'Acknowledge failures',
          enabled: unacknowledged.size > 0,
        },
        { id: 'sep-3', label: '', type: 'separator' },
        { id: 'quit', label: 'Quit TaskPulse' },
      ]
      return { overall, tooltip, badgeCount: unacknowledged.size, menu }
    },
    persisted: () => ({
      open: Object.fromEntries(open),
      unacknowledged: [...unacknowledged],
      recent: [...recent],
    }),
  }
}

const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

function formatClock(at: number): string {
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}
