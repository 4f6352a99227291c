// Where the backend's task stream goes in main: every update through the notifier (which drops
// duplicates and owns the resume cursor), then into the tray model; snapshots reset both. Each
// change schedules a state.json write. The handlers of the WebSocket client, nothing more.
import type { BackendClientHandlers } from '../backend-client'
import type { Notifier } from '../notifications/notifier'
import type { TrayController } from '../tray/tray-controller'
import type { TrayState } from '../tray/tray-state'

export function createTaskFeed(deps: {
  notifier: Notifier
  trayModel: TrayState
  tray: Pick<TrayController, 'render' | 'scheduleRender'>
  /** A persisted part changed: write state.json soon. */
  persist: () => void
}): BackendClientHandlers {
  const { notifier, trayModel, tray } = deps
  return {
    cursor: () => notifier.cursor(),
    onUpdate(update, epoch) {
      if (notifier.handle(update, epoch) === 'duplicate') return
      if (trayModel.applyUpdate(update)) tray.scheduleRender()
      deps.persist()
    },
    onSnapshot(tasks, epoch, seq) {
      notifier.noteSnapshot(tasks, epoch, seq)
      trayModel.applySnapshot(tasks)
      tray.render()
      deps.persist()
    },
    onSynced: (epoch, seq) => notifier.setCursor(epoch, seq),
    onLink(link) {
      if (trayModel.setLink(link)) tray.render()
    },
  }
}
