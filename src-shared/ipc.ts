// The contract between the Electron main process and the renderer, exposed by the preload script
// as `window.desktop`. In a plain browser `window.desktop` is undefined and the renderer takes its
// backend from the page's origin and `#token=`.

/** Where the renderer finds its backend. */
export interface Connection {
  /** http(s) base URL of the backend, e.g. http://127.0.0.1:43123 */
  url: string
  /** ws(s) URL of the socket, e.g. ws://127.0.0.1:43123/ws */
  wsUrl: string
  token: string
  mode: 'embedded' | 'remote'
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: string }

export const Channel = {
  getConnection: 'backend:get-connection',
  onConnectionChanged: 'backend:connection-changed',
  navigateToTask: 'ui:navigate-to-task',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  testConnection: 'backend:test-connection',
} as const
