// Native notifications for task outcomes: the pure notifier (notifier.ts) decides what to show
// and when, the native sink shows it, and a click brings the window up on what it was about —
// one task, or the task list (failed only, when the summary was only failures).
import type { PushPayload } from '../../src-shared/ipc-contract'
import type { NotificationPrefs } from '../../src-shared/ipc'
import type { NotificationStatic } from '../electron-types'
import { createNativeNotifications } from '../tray/tray-service'
import { createNotifier, type NoteSpec, type Notifier, type NotifierState } from './notifier'
import { realSetTimer } from '../timers'

/** Where a click on a notification leads. */
export function clickTarget(note: NoteSpec): { task: string } | { list: PushPayload<'onNavigateToList'> } {
  if (note.kind === 'task') return { task: note.taskId }
  return {
    list:
      note.counts.failed > 0 && note.counts.completed === 0 && !note.counts.waiting && !note.counts.stale
        ? { status: 'failed' }
        : {},
  }
}

export interface NotificationService {
  readonly notifier: Notifier
  /** Drops a pending summary and its timer. Idempotent. */
  stop(): void
}

export function createNotificationService(deps: {
  Notification: NotificationStatic
  iconPath: string
  log: { warn(obj: object, msg?: string): void }
  prefs: () => NotificationPrefs
  isFocused: () => boolean
  state: NotifierState
  onStateChange: () => void
  showTask: (taskId: string) => void
  showList: (filter: PushPayload<'onNavigateToList'>) => void
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => () => void
}): NotificationService {
  const native = createNativeNotifications({
    Notification: deps.Notification,
    iconPath: deps.iconPath,
    log: deps.log,
    onClick: (note) => {
      const target = clickTarget(note)
      if ('task' in target) deps.showTask(target.task)
      else deps.showList(target.list)
    },
  })
  const notifier = createNotifier({
    show: (note) => native.show(note),
    now: deps.now ?? Date.now,
    setTimer: deps.setTimer ?? realSetTimer,
    prefs: deps.prefs,
    isFocused: deps.isFocused,
    state: deps.state,
    onStateChange: deps.onStateChange,
  })
  return { notifier, stop: () => notifier.dispose() }
}
