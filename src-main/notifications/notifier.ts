// Decides which task updates become native notifications. Pure logic: the clock, the timer, the
// focus state and the actual `show` are passed in, so every rule is tested under Node.
//
// Rules, in order: never twice for one event (event_id seen, or a seq at/below the cursor of the
// same epoch — replays after a reconnect or a backend restart); only a task *entering* failed,
// completed or waiting, or a running task the backend has just marked stale (once per stale
// spell: per task, per `stale_since`); the user's filters (status switches, failures only, project,
// agent); do-not-disturb; "only when the window is not focused"; then at most `maxPerWindow`
// individual notifications in any `windowMs`, what comes beyond them summed up in one
// notification when that window closes.
import type { NotificationPrefs, NameFilter } from '../../src-shared/ipc'
import type { TaskStatus, TaskStatusUpdateMessage, Task } from '../../src-shared/protocol'

export type Outcome = 'failed' | 'completed'
/** What a task notification is about: an outcome, a task needing input, or a stale task. */
export type NoteReason = Outcome | 'waiting' | 'stale'
/** CCMenu-style wording of a transition; `waiting` and `stale` for the attention notes. */
export type Transition = 'failed' | 'still failing' | 'completed' | 'fixed' | 'waiting' | 'stale'

export interface TaskNote {
  kind: 'task'
  taskId: string
  status: NoteReason
  transition: Transition
  title: string
  body: string
}
export interface SummaryCounts {
  failed: number
  completed: number
  waiting?: number
  stale?: number
}
export interface SummaryNote {
  kind: 'summary'
  counts: SummaryCounts
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
  /** `stale_since` of each stale task already notified (bounded): one notification per stale spell. */
  staleNotified: Record<string, string>
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

export const emptyNotifierState = (): NotifierState => ({
  cursor: null,
  seen: [],
  lastOutcome: {},
  staleNotified: {},
})

function passesFilter(filter: NameFilter, value: string | null): boolean {
  if (filter.mode === 'all') return true
  const listed = value !== null && filter.names.includes(value)
  return filter.mode === 'only' ? listed : !listed
}

export function transitionOf(status: Outcome, previousOutcome: Outcome | undefined): Transition {
  if (status === 'failed') return previousOutcome === 'failed' ? 'still failing' : 'failed'
  return previousOutcome === 'failed' ? 'fixed' : 'completed'
}

const shorten = (line: string, max: number): string =>
  line.length > max ? `${line.slice(0, max - 1)}…` : line

const firstLine = (text: string | null, max = 140): string => {
  if (!text) return ''
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? ''
  return shorten(line, max)
}

const lastLine = (text: string | null, max = 140): string => {
  if (!text) return ''
  const line = text.split(/\r?\n/).findLast((l) => l.trim() !== '') ?? ''
  return shorten(line.trim(), max)
}

/** "45 s", "23 min", "2 h 5 min", "3 d 4 h": how long a task has been silent. */
export function formatSilence(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.round(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`
  const d = Math.floor(h / 24)
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`
}

/** The label a person recognises a task by: its title, else its id. */
export const taskLabel = (task: { title: string | null; task_id: string }): string =>
  task.title && task.title.trim() !== '' ? task.title.trim() : task.task_id

export function describeTask({ task: update }: TaskStatusUpdateMessage, transition: Transition): TaskNote {
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

/** Who a person is asked by: the agent, else the task's own label. */
const agentOf = (task: Pick<Task, 'assignee' | 'title' | 'task_id'>): string =>
  task.assignee ?? taskLabel(task)

/** "<agent> needs your input: <reason>", the reason being the output's last line or the error. */
export function describeWaiting({ task }: TaskStatusUpdateMessage): TaskNote {
  const reason = lastLine(task.output, 100) || firstLine(task.error, 100)
  const label = taskLabel(task)
  const where = [label === agentOf(task) ? '' : label, task.project_id ? `project ${task.project_id}` : '']
  return {
    kind: 'task',
    taskId: task.task_id,
    status: 'waiting',
    transition: 'waiting',
    title: `${agentOf(task)} needs your input${reason ? `: ${reason}` : ''}`,
    body: where.filter(Boolean).join(' · '),
  }
}

/** "<agent>: <title> — no update for 23 min". */
export function describeStale({ task }: TaskStatusUpdateMessage, now: number): TaskNote {
  const silent = formatSilence(now - Date.parse(task.updated_at))
  const label = taskLabel(task)
  const idPart = label === task.task_id ? '' : `#${task.task_id}`
  return {
    kind: 'task',
    taskId: task.task_id,
    status: 'stale',
    transition: 'stale',
    title: `${task.assignee ? `${task.assignee}: ` : ''}${label} — no update for ${silent}`,
    body: [idPart, task.project_id ? `project ${task.project_id}` : '', lastLine(task.output)]
      .filter(Boolean)
      .join(' · '),
  }
}

export function describeSummary(counts: SummaryCounts): SummaryNote {
  const parts: string[] = []
  if (counts.failed > 0) parts.push(`${counts.failed} failed`)
  if (counts.completed > 0) parts.push(`${counts.completed} completed`)
  if (counts.waiting) parts.push(`${counts.waiting} waiting for input`)
  if (counts.stale) parts.push(`${counts.stale} stale`)
  const total = counts.failed + counts.completed + (counts.waiting ?? 0) + (counts.stale ?? 0)
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
  const staleNotified = new Map<string, string>(Object.entries(initial.staleNotified ?? {}))

  /** Times of the individual notifications shown, oldest first. */
  let shownAt: number[] = []
  let pending: TaskNote[] = []
  let cancelFlush: (() => void) | null = null

  const snapshotState = (): NotifierState => ({
    cursor,
    seen: [...seen],
    lastOutcome: Object.fromEntries(lastOutcome),
    staleNotified: Object.fromEntries(staleNotified),
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

  /** Remembers the task's stale spell; true when it is one not seen before. */
  const noteStale = (task: Task): boolean => {
    if (task.status !== 'running' || task.stale_since === null) {
      staleNotified.delete(task.task_id) // recovered: a later spell notifies again
      return false
    }
    if (staleNotified.get(task.task_id) === task.stale_since) return false
    staleNotified.delete(task.task_id)
    staleNotified.set(task.task_id, task.stale_since)
    if (staleNotified.size > maxOutcomes) staleNotified.delete(staleNotified.keys().next().value as string)
    return true
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
    const counts = { failed: 0, completed: 0, waiting: 0, stale: 0 }
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

      const { task } = update
      const status: TaskStatus = task.status
      const entering = (status === 'failed' || status === 'completed') && update.previous_status !== status
      const newlyStale = noteStale(task)
      let result: HandleResult = 'ignored'
      if (entering) {
        const transition = transitionOf(status, lastOutcome.get(task.task_id))
        setOutcome(task.task_id, status)
        result = decide(update, status, () => describeTask(update, transition))
      } else if (status === 'failed' || status === 'completed') {
        setOutcome(task.task_id, status)
      } else if (status === 'waiting' && update.previous_status !== 'waiting') {
        result = decide(update, 'waiting', () => describeWaiting(update))
      } else if (newlyStale) {
        result = decide(update, 'stale', () => describeStale(update, deps.now()))
      }
      changed()
      return result

      function decide(u: TaskStatusUpdateMessage, reason: NoteReason, note: () => TaskNote): HandleResult {
        const prefs = deps.prefs()
        if (!prefs.enabled) return 'disabled'
        // "Failures only" silences completions; needing input and being stuck are problems too.
        const wanted = {
          failed: prefs.onFailed,
          completed: prefs.onCompleted && !prefs.failuresOnly,
          waiting: prefs.onWaiting,
          stale: prefs.onStale,
        }[reason]
        if (!wanted) return 'filtered'
        if (!passesFilter(prefs.projects, u.task.project_id) || !passesFilter(prefs.agents, u.task.assignee))
          return 'filtered'
        if (prefs.pausedUntil !== null && prefs.pausedUntil > deps.now()) return 'paused'
        if (prefs.onlyWhenUnfocused && deps.isFocused()) return 'focused'
        return deliver(note())
      }
    },
    noteSnapshot(tasks, epoch, seq) {
      for (const task of tasks) {
        if (task.status === 'failed' || task.status === 'completed') setOutcome(task.task_id, task.status)
        // Stale already when we (re)connect: known, not news (like the outcomes above).
        noteStale(task)
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
