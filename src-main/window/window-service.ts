// The one main window over the app's life: opened on start and again after it really closed,
// brought to the front on demand, told where the backend is, and sent the contract's push events.
// Also keeps the page's CSP in step with the backend: a page served before this backend was known
// (first start, remote mode without URL) or for another origin is reloaded.
import type { Connection, WindowBounds } from '../../src-shared/ipc'
import type { PushName, PushPayload } from '../../src-shared/ipc-contract'
import type { BrowserWindowLike } from '../electron-types'
import { sendPush } from '../ipc/typed-ipc'
import { cspAllowsBackend } from './security'
import { createMainWindow, revealWindow, type MainWindowDeps } from './window'

export interface WindowService {
  /** Opens the window (or returns the open one). */
  open(): BrowserWindowLike
  /** Opens it if needed and brings it to the front. */
  reveal(): void
  /** Sends one push event of the IPC contract, when a window is open. */
  send<K extends PushName>(name: K, payload: PushPayload<K>): void
  /** Brings the window up on one task (notification or tray click). */
  showTask(taskId: string): void
  /** Brings the window up on the task list, optionally one status (summary notification). */
  showList(filter: PushPayload<'onNavigateToList'>): void
  /** The app:// handler served the page with this CSP. */
  noteServedCsp(csp: string): void
  /** The backend moved: tell the page, and reload it when its CSP does not let it reach there. */
  setConnection(next: Connection | null, before: Connection | null): void
  /** Visible and focused: the user is looking at it. */
  isFocused(): boolean
  /** The open window, if any (taskbar overlay). */
  current(): BrowserWindowLike | null
  start(): void
}

export function createWindowService(deps: {
  /** Everything createMainWindow needs except the bounds, read fresh at each open. */
  window: Omit<MainWindowDeps, 'savedBounds'>
  savedBounds: () => WindowBounds | null
}): WindowService {
  let win: BrowserWindowLike | null = null
  // The CSP the window's current page was served with (null: no page requested yet, or a reload
  // is on its way — that load gets the CSP of the connection current by then).
  let servedCsp: string | null = null
  const live = (): BrowserWindowLike | null => (win && !win.isDestroyed() ? win : null)

  const open = (): BrowserWindowLike => {
    const existing = live()
    if (existing) return existing
    const created = createMainWindow({ ...deps.window, savedBounds: deps.savedBounds() })
    win = created
    created.on('closed', () => {
      if (win === created) win = null
      servedCsp = null
    })
    return created
  }
  const send = <K extends PushName>(name: K, payload: PushPayload<K>): void => {
    const w = live()
    if (w) sendPush(w.webContents, name, payload)
  }
  const reveal = (): void => revealWindow(open())

  return {
    open,
    reveal,
    send,
    showTask(taskId) {
      reveal()
      send('onNavigateToTask', taskId)
    },
    showList(filter) {
      reveal()
      send('onNavigateToList', filter)
    },
    noteServedCsp(csp) {
      servedCsp = csp
    },
    setConnection(next, before) {
      if (!next) return
      if (JSON.stringify(next) !== JSON.stringify(before)) send('onConnectionChanged', next)
      const w = live()
      if (w && servedCsp !== null && !cspAllowsBackend(servedCsp, next.url)) {
        servedCsp = null
        w.webContents.reload()
      }
    },
    isFocused() {
      const w = live()
      return Boolean(w && w.isVisible() && w.isFocused())
    },
    current: live,
    start() {
      open()
    },
  }
}
