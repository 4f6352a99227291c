// What the IPC handlers call: settings view/update (restarting the backend when its config
// changed), connection, backend status and retry, do-not-disturb, and the remote "test connection".
import type { BackendState, Connection, PauseChoice } from '../../src-shared/ipc'
import { testRemoteConnection, type IpcServices } from './ipc-handlers'
import type { SettingsStore } from '../settings/settings-store'

export function createIpcServices(deps: {
  settings: SettingsStore
  getConnection: () => Connection | null
  getBackendState: () => BackendState
  /** Called (not awaited) when a settings change altered the backend config. */
  onBackendConfigChanged: () => Promise<void>
  retryBackend: () => Promise<BackendState>
  setLoginItem: (openAtLogin: boolean) => void
  pause: (choice: PauseChoice) => void
  fetch?: typeof fetch
}): IpcServices {
  return {
    getConnection: deps.getConnection,
    getSettings: () => deps.settings.view(),
    setSettings(patch) {
      const { view, backendChanged } = deps.settings.update(patch)
      if (patch.app?.startAtLogin !== undefined) deps.setLoginItem(patch.app.startAtLogin)
      // The restart takes a moment; its progress reaches the renderer as backend status events.
      if (backendChanged) void deps.onBackendConfigChanged()
      return view
    },
    testConnection: (request) => testRemoteConnection(request, deps.fetch ? { fetch: deps.fetch } : {}),
    getBackendStatus: deps.getBackendState,
    retryBackend: deps.retryBackend,
    pauseNotifications(choice) {
      deps.pause(choice)
      return deps.settings.view()
    },
  }
}
