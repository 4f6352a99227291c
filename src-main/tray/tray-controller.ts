// Keeps the tray (tray-service.ts, on Electron) in step with the pure model (tray-state.ts): redraws coalesced to one per
// TRAY_RENDER_COALESCE_MS under a flood of updates, an immediate redraw when asked, and one more
// when do-not-disturb ends so the tooltip and menu stop saying "paused". Also maps the tray
// menu's item ids to what they do; "Acknowledge all" goes to the backend.
import type { PauseChoice } from '../../src-shared/ipc'
import type { TrayService } from './tray-service'
import type { TrayState } from './tray-state'

export const TRAY_RENDER_COALESCE_MS = 100

export interface TrayController {
  /** Redraws now (state changes a person acts on: link, backend, settings). */
  render(): void
  /** Redraws within TRAY_RENDER_COALESCE_MS (task updates). */
  scheduleRender(): void
  start(): void
  /** Cancels timers and removes the tray icon. Idempotent. */
  stop(): void
}

export function createTrayController(deps: {
  model: TrayState
  /** Builds the tray on Electron; its menu clicks come back through `onAction`. */
  createView: (onAction: (id: string) => void) => TrayService
  /** Menu items other than "acknowledge", which the controller handles (see trayActions). */
  onAction: (id: string) => void
  /** "Acknowledge all": asks the backend to acknowledge these tasks (POST /api/tasks/ack). */
  acknowledge: (taskIds: string[]) => void
  /** Do-not-disturb end (epoch ms) or null, read at each render. */
  pausedUntil: () => number | null
  /** Calls back on every settings change; returns the unsubscribe. */
  onSettingsChange: (listener: () => void) => () => void
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => () => void
}): TrayController {
  const now = deps.now ?? Date.now
  const setTimer =
    deps.setTimer ??
    ((fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms)
      t.unref?.()
      return () => clearTimeout(t)
    })
  let cancelQueued: (() => void) | null = null
  let cancelPauseEnd: (() => void) | null = null
  let offSettings: (() => void) | null = null
  let stopped = false

  const view = deps.createView((id) => {
    if (id !== 'ack') return deps.onAction(id)
    // The backend records the ack; the tray changes when its update frames come back, as every
    // other window does.
    const ids = deps.model.toAcknowledge()
    if (ids.length > 0) deps.acknowledge(ids)
  })
  const render = (): void => {
    if (stopped) return
    const pausedUntil = deps.pausedUntil()
    deps.model.setPausedUntil(pausedUntil)
    view.render(deps.model.model(now()))
    cancelPauseEnd?.()
    cancelPauseEnd = null
    if (pausedUntil !== null && pausedUntil > now())
      cancelPauseEnd = setTimer(render, Math.min(pausedUntil - now() + 50, 2 ** 31 - 1))
  }

  return {
    render,
    scheduleRender() {
      if (cancelQueued || stopped) return
      cancelQueued = setTimer(() => {
        cancelQueued = null
        render()
      }, TRAY_RENDER_COALESCE_MS)
    },
    start() {
      offSettings = deps.onSettingsChange(render)
      render()
    },
    stop() {
      if (stopped) return
      stopped = true
      cancelQueued?.()
      cancelPauseEnd?.()
      offSettings?.()
      view.destroy()
    },
  }
}

/** What the tray menu's items do, by item id (see tray-state.ts for the ids); "ack" is the
 * controller's own. */
export function trayActions(on: {
  open: () => void
  showTask: (taskId: string) => void
  pause: (choice: PauseChoice) => void
  retry: () => void
  quit: () => void
}): (id: string) => void {
  return (id) => {
    if (id === 'open') on.open()
    else if (id.startsWith('task:')) on.showTask(id.slice('task:'.length))
    else if (id.startsWith('attention:') && id !== 'attention:header')
      on.showTask(id.slice('attention:'.length))
    else if (id.startsWith('pause:')) on.pause(id.slice('pause:'.length) as PauseChoice)
    else if (id === 'retry') on.retry()
    else if (id === 'quit') on.quit()
  }
}
