// The preload bridge: `window.desktop`, a small typed API over a fixed list of IPC channels.
// Runs sandboxed (contextIsolation on); ipcRenderer itself is never exposed, and event callbacks
// get only the payload, never the IPC event.
import { contextBridge, ipcRenderer } from 'electron'
import type { Channel as SharedChannel, DesktopApi } from '../../src-shared/ipc'

// The same names as src-shared's `Channel` — the compiler checks every value through the type.
// Not imported at runtime: that module carries the zod schemas, and a sandboxed preload can
// require nothing but 'electron'.
const Channel: typeof SharedChannel = {
  getConnection: 'backend:get-connection',
  onConnectionChanged: 'backend:connection-changed',
  navigateToTask: 'ui:navigate-to-task',
  navigateToList: 'ui:navigate-to-list',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  testConnection: 'backend:test-connection',
  getBackendStatus: 'backend:get-status',
  onBackendStatus: 'backend:status-changed',
  retryBackend: 'backend:retry',
  pauseNotifications: 'notifications:pause',
}

function subscribe<T>(channel: string, cb: (payload: T) => void): () => void {
  const listener = (_event: unknown, payload: T): void => cb(payload)
  ipcRenderer.on(channel, listener)
  return () => {
    ipcRenderer.removeListener(channel, listener)
  }
}

const api = {
  getConnection: () => ipcRenderer.invoke(Channel.getConnection),
  onConnectionChanged: (cb) => subscribe(Channel.onConnectionChanged, cb),
  onNavigateToTask: (cb) => subscribe(Channel.navigateToTask, cb),
  onNavigateToList: (cb) => subscribe(Channel.navigateToList, cb),
  getSettings: () => ipcRenderer.invoke(Channel.getSettings),
  setSettings: (patch) => ipcRenderer.invoke(Channel.setSettings, patch),
  testConnection: (request) => ipcRenderer.invoke(Channel.testConnection, request),
  getBackendStatus: () => ipcRenderer.invoke(Channel.getBackendStatus),
  onBackendStatus: (cb) => subscribe(Channel.onBackendStatus, cb),
  retryBackend: () => ipcRenderer.invoke(Channel.retryBackend),
  pauseNotifications: (choice) => ipcRenderer.invoke(Channel.pauseNotifications, choice),
} satisfies DesktopApi

contextBridge.exposeInMainWorld('desktop', api)
