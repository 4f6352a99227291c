// The preload bridge: `window.desktop`, built from the IPC contract (src-shared/ipc-contract.ts) —
// one member per call and per push event, nothing else. Runs sandboxed (contextIsolation on):
// ipcRenderer itself is never exposed, and event callbacks get only the payload, never the IPC
// event. The contract module has no runtime imports, so the bundled preload still requires only
// 'electron'.
import { contextBridge, ipcRenderer } from 'electron'
import { createDesktopApi, type DesktopApi } from '../../src-shared/ipc-contract'

const api = createDesktopApi({
  invoke: (channel, args) => ipcRenderer.invoke(channel, ...args),
  subscribe(channel, listener) {
    const onEvent = (_event: unknown, payload: unknown): void => listener(payload)
    ipcRenderer.on(channel, onEvent)
    return () => {
      ipcRenderer.removeListener(channel, onEvent)
    }
  },
}) satisfies DesktopApi

contextBridge.exposeInMainWorld('desktop', api)
