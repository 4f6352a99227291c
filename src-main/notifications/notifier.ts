// Decides which task updates become native notifications. Pure logic: the clock, the timer, the
// focus state and the actual `show` are passed in, so every rule is tested under Node.
//
// Rules, in order: never twice for one event (event_id seen, or a seq at/below the cursor of the
// same epoch — replays after a reconnect or a backend restart); only a task *entering* failed or
// completed; the user's filters (status, failures only, project, agent); do-not-disturb; "only when
// the window is not focused"; then at most `maxPerWindow` individual notifications in any
// `windowMs`, what comes beyond them summed up in one notification when that window closes.
import type { NotificationPrefs, NameFilter } from '../../src-shared/ipc'
import type { TaskStatus, TaskStatusUpdateMessage, Task } from '../../src-shared/protocol'

export type Outcome = 'failed' | 'completed'
/** CCMenu-style wording of a transition. */
export type Transition = 'failed' | 'still failing' | 'completed' | 'fixed'

export interface TaskNote {
  kind: 'task'
  taskId: string
  status: Outcome
  transition: Transition
  title: string
  body: string
}
export interface SummaryNote {
  kind: 'summary'
  counts: { failed: number; completed: number }
  title: string
  body: string
}
export type NoteSpec = TaskNote | SummaryNote

export interface Cursor {
  epoch: string
  seq: number
}

/** What survives a restart (stored in userData by the composition root). */
export interface NotifierState {
  cursor: Cursor | null
  /** Recently seen event ids, oldest first (bounded). */
  seen: string[]
  /** Last terminal status per task (bounded), for "fixed" / "still failing". */
  lastOutcome: Record<string, Outcome>
}

export type HandleResult =
  'shown' | 'queued' | 'duplicate' | 'ignored' | 'filtered' | 'paused' | 'focused' | 'disabled'

export interface NotifierDeps {
  show: (note: NoteSpec) => void
  now: () => number
  /** Schedules `fn` after `ms`; returns a cancel function. */
  setTimer: (fn: () => void, ms: number) => () => void
  prefs: () => NotificationPrefs
  isFocused: () => boolean
  state?: NotifierState | null
  /** Called after every change of the persisted state; the caller debounces the write and
   * reads `state()` then (building it per event would cost O(remembered) each time). */
  onStateChange?: () => void
  windowMs?: number
  maxPerWindow?: number
  maxSeen?: number
  maxOutcomes?: number
}

export interface Notifier {
  /** Feed one live or replayed update; returns what was decided (for logs and tests). */
  handle(update: TaskStatusUpdateMessage, epoch: string): HandleResult
  /** A snapshot replaced the state: remember outcomes and the cursor, notify nothing. */
  noteSnapshot(tasks: readonly Task[], epoch: string, seq: number): void
  /** `subscribed` / `resumed`: the cursor the server says we are at. */
  setCursor(epoch: string, seq: number): void
  cursor(): Cursor | null
  state(): NotifierState
  /** Events waiting for the summary (for tests and the tray). */
  pendingCount(): number
  /** Cancels the pending summary timer (quit). Pending events are dropped. */
  dispose(): void
}

export const emptyNotifierState = (): NotifierState => ({ cursor: null, seen: [], lastOutcome: {} })

function passesFilter(filter: NameFilter, value: string | null): boolean {
  if (filter.mode === 'all') return true
  const listed = value !== null && filter.names.includes(value)
  return filter.mode === 'only' ? listed : !listed
}

export function transitionOf(status: Outcome, previousOutcome: Outcome | undefined): Transition {
  if (status === 'failed') return previousOutcome === 'failed' ? 'still failing' : 'failed'
  return previousOutcome === 'failed' ? 'fixed' : 'completed'
}

const firstLine = (text: string | null, max = 140): string => {
  if (!text) return ''
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The label a person recognises a task by: its title, else its id. */
export const taskLabel = (task: { title: string | null; task_id: string }): string =>
  task.title && task.title.trim() !== '' ? task.title.trim() : task.task_id

export function describeTask(update: TaskStatusUpdateMessage, transition: Transition): TaskNote {
  const label = taskLabel(update)
  const who = [
    update.assignee ? `agent ${update.assignee}` : '',
    update.project_id ? `project ${update.project_id}` : '',
  ]
    .filter(Boolean)
    .join(' · ')
  const detail = update.status === 'failed' ? firstLine(update.error) : firstLine(update.output)
  const idPart = label === update.task_id ? '' : `#${update.task_id}`
  return {
    kind: 'task',
    taskId: update.task_id,
    status: update.status as Outcome,
    transition,
    title: `${label} ${transition}`,
    body: [[idPart, who].filter(Boolean).join(' · '), detail].filter(Boolean).join('\n'),
  }
}

export function describeSummary(counts: { failed: number; completed: number }): SummaryNote {
  const parts: string[] = []
  if (counts.failed > 0) parts.push(`${counts.failed} failed`)
  if (counts.completed > 0) parts.push(`${counts.completed} completed`)
  const total = counts.failed + counts.completed
  return {
    kind: 'summary',
    counts,
    title: `${total} more task update${total === 1 ? '' : 's'}`,
    body: parts.join(', '),
  }
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const windowMs = deps.windowMs ?? 5000
  const maxPerWindow = deps.maxPerWindow ?? 2
  const maxSeen = deps.maxSeen ?? 5000
  const maxOutcomes = deps.maxOutcomes ?? 10000

  const initial = deps.state ?? emptyNotifierState()
  let cursor: Cursor | null = initial.cursor
  // Insertion-ordered: the oldest entries are evicted first.
  const seen = new Set<string>(initial.seen)
  const lastOutcome = new Map<string, Outcome>(Object.entries(initial.lastOutcome))

  /** Times of the individual notifications shown, oldest first. */
  let shownAt: number[] = []
  let pending: TaskNote[] = []
  let cancelFlush: (() => void) | null = null

  const snapshotState = (): NotifierState => ({
    cursor,
    seen: [...seen],
    lastOutcome: Object.fromEntries(lastOutcome),
  })
  const changed = (): void => deps.onStateChange?.()

  const remember = (eventId: string): void => {
    seen.add(eventId)
    if (seen.size > maxSeen) {
      const oldest = seen.values().next().value
      if (oldest !== undefined) seen.delete(oldest)
    }
  }
  const setOutcome = (taskId: string, outcome: Outcome): void => {
    lastOutcome.delete(taskId) // re-insert at the end: most recent
    lastOutcome.set(taskId, outcome)
    if (lastOutcome.size > maxOutcomes) {
      const oldest = lastOutcome.keys().next().value
      if (oldest !== undefined) lastOutcome.delete(oldest)
    }
  }

  const flush = (): void => {
    cancelFlush = null
    const batch = pending
    pending = []
    if (batch.length === 0) return
    // The summary takes a place in the next window too, so bursts that go on for minutes still
    // come out as one summary per window rather than two summaries back to back.
    const t = deps.now()
    shownAt = [...shownAt.filter((at) => at > t - windowMs), t]
    if (batch.length === 1 && batch[0]) {
      deps.show(batch[0])
      return
    }
    const counts = { failed: 0, completed: 0 }
    for (const note of batch) counts[note.status] += 1
    deps.show(describeSummary(counts))
  }

  const deliver = (note: TaskNote): 'shown' | 'queued' => {
    const t = deps.now()
    shownAt = shownAt.filter((at) => at > t - windowMs)
    if (pending.length === 0 && shownAt.length < maxPerWindow) {
      shownAt.push(t)
      deps.show(note)
      return 'shown'
    }
    pending.push(note)
    if (!cancelFlush) {
      // The window closes when the oldest individual notification in it leaves it.
      const closesAt = (shownAt[0] ?? t) + windowMs
      cancelFlush = deps.setTimer(flush, Math.max(0, closesAt - t))
    }
    return 'queued'
  }

  const isReplay = (epoch: string, seq: number): boolean =>
    cursor !== null && cursor.epoch === epoch && seq <= cursor.seq

  return {
    handle(update, epoch) {
      if (seen.has(update.event_id) || isReplay(epoch, update.seq)) return 'duplicate'
      remember(update.event_id)
      cursor = {
        epoch,
        seq: cursor && cursor.epoch === epoch ? Math.max(cursor.seq, update.seq) : update.seq,
      }

      const status: TaskStatus = update.status
      const entering = (status === 'failed' || status === 'completed') && update.previous_status !== status
      let result: HandleResult = 'ignored'
      if (entering) {
        const transition = transitionOf(status, lastOutcome.get(update.task_id))
        setOutcome(update.task_id, status)
        result = decide(update, transition)
      } else if (status === 'failed' || status === 'completed') {
        setOutcome(update.task_id, status)
      }
      changed()
      return result

      function decide(u: TaskStatusUpdateMessage, transition: Transition): HandleResult {
        const prefs = deps.prefs()
        if (!prefs.enabled) return 'disabled'
        const wanted = u.status === 'failed' ? prefs.onFailed : prefs.onCompleted && !prefs.failuresOnly
        if (!wanted) return 'filtered'
        if (!passesFilter(prefs.projects, u.project_id) || !passesFilter(prefs.agents, u.assignee))
          return 'filtered'
        if (prefs.pausedUntil !== null && prefs.pausedUntil > deps.now()) return 'paused'
        if (prefs.onlyWhenUnfocused && deps.isFocused()) return 'focused'
        return deliver(describeTask(u, transition))
      }
    },
    noteSnapshot(tasks, epoch, seq) {
      for (const task of tasks) {
        if (task.status === 'failed' || task.status === 'completed') setOutcome(task.task_id, task.status)
        remember(task.last_event_id)
      }
      cursor = { epoch, seq }
      changed()
    },
    setCursor(epoch, seq) {
      if (cursor && cursor.epoch === epoch && cursor.seq >= seq) return
      cursor = { epoch, seq }
      changed()
    },
    cursor: () => cursor,
    state: snapshotState,
    pendingCount: () => pending.length,
    dispose() {
      cancelFlush?.()
      cancelFlush = null
      pending = []
    },
  }
}

/** Do-not-disturb end for a pause choice: one hour from now, or the next local midnight. */
export function pauseUntil(choice: '1h' | 'tomorrow' | 'off', now: number): number | null {
  if (choice === 'off') return null
  if (choice === '1h') return now + 60 * 60 * 1000
  const d = new Date(now)
  d.setHours(24, 0, 0, 0)
  return d.getTime()
}
