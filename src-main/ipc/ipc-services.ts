// What the IPC handlers call, one method per call of the contract: settings view/update (the
// backend follows when its config changed), connection, backend status and retry,
// do-not-disturb, and the remote "test connection". Built from the services it fronts.
import type { BackendState, Connection } from '../../src-shared/ipc'
import type { SettingsStore } from '../settings/settings-store'
import { testRemoteConnection, type IpcServices } from './ipc-handlers'

export function createIpcServices(deps: {
  settings: SettingsStore
  backend: {
    connection(): Connection | null
    state(): BackendState
    /** Called (not awaited) when a settings change altered the backend config. */
    apply(): Promise<void>
    retry(): Promise<BackendState>
  }
  setLoginItem: (openAtLogin: boolean) => void
  /** For "Test connection" (tests pass a pretend server and clock). */
  fetch?: typeof fetch
  now?: () => number
}): IpcServices {
  return {
    getConnection() {
      const c = deps.backend.connection()
      if (!c) throw new Error('backend not connected yet')
      return c
    },
    getSettings: () => deps.settings.view(),
    setSettings(patch) {
      const { view, backendChanged } = deps.settings.update(patch)
      if (patch.app?.startAtLogin !== undefined) deps.setLoginItem(patch.app.startAtLogin)
      // The restart takes a moment; its progress reaches the renderer as backend status events.
      if (backendChanged) void deps.backend.apply()
      return view
    },
    testConnection: (request) =>
      testRemoteConnection(request, {
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      }),
    getBackendStatus: () => deps.backend.state(),
    retryBackend: () => deps.backend.retry(),
    pauseNotifications: (choice) => deps.settings.pauseNotifications(choice),
  }
}
