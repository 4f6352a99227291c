// The main window: secure web preferences, hardened navigation, remembered size and position,
// close-to-tray. Electron parts come in as parameters (tests pass the fake).
import type { WindowBounds } from '../../src-shared/ipc'
import type {
  BrowserWindowLike,
  BrowserWindowOptionsLike,
  BrowserWindowStatic,
  Rect,
  WebPreferencesLike,
} from '../electron-types'
import { hardenWindow } from './security'
import { realSetTimer } from '../timers'

export const DEFAULT_SIZE = { width: 1280, height: 820 }

/** The renderer gets no Node, no Electron and its own JS world; only the preload bridge. */
export function secureWebPreferences(preload: string): WebPreferencesLike {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  }
}

/** Saved bounds are used only when at least 100×50 px of the title area lands on a display. */
export function visibleBounds(
  saved: WindowBounds | null,
  displays: { workArea: Rect }[],
): WindowBounds | null {
  if (!saved) return null
  const onScreen = displays.some(({ workArea: a }) => {
    const w = Math.min(saved.x + saved.width, a.x + a.width) - Math.max(saved.x, a.x)
    const h = Math.min(saved.y + 50, a.y + a.height) - Math.max(saved.y, a.y)
    return w >= 100 && h >= 50
  })
  return onScreen ? saved : null
}

export interface MainWindowDeps {
  BrowserWindow: BrowserWindowStatic
  displays: () => { workArea: Rect }[]
  preloadPath: string
  iconPath?: string
  url: string
  savedBounds: WindowBounds | null
  saveBounds: (bounds: WindowBounds) => void
  openExternal: (url: string) => Promise<void>
  isAppUrl: (url: string) => boolean
  /** Asked on close: true hides the window instead (close to tray). */
  hideOnClose: () => boolean
  onBlocked?: (what: string, url: string) => void
  setTimer?: (fn: () => void, ms: number) => () => void
}

export function createMainWindow(deps: MainWindowDeps): BrowserWindowLike {
  const bounds = visibleBounds(deps.savedBounds, deps.displays())
  const options: BrowserWindowOptionsLike = {
    ...(bounds ? { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height } : DEFAULT_SIZE),
    minWidth: 640,
    minHeight: 420,
    show: false,
    title: 'TaskPulse',
    backgroundColor: '#111318',
    autoHideMenuBar: true,
    ...(deps.iconPath ? { icon: deps.iconPath } : {}),
    webPreferences: secureWebPreferences(deps.preloadPath),
  }
  const win = new deps.BrowserWindow(options)
  if (bounds?.maximized) win.maximize()
  hardenWindow(win, {
    openExternal: deps.openExternal,
    isAppUrl: deps.isAppUrl,
    ...(deps.onBlocked ? { onBlocked: deps.onBlocked } : {}),
  })

  const setTimer = deps.setTimer ?? realSetTimer
  let cancelSave: (() => void) | null = null
  const save = (): void => {
    cancelSave = null
    if (win.isDestroyed()) return
    const b = win.getNormalBounds()
    deps.saveBounds({
      x: Math.round(b.x),
      y: Math.round(b.y),
      width: Math.max(200, Math.round(b.width)),
      height: Math.max(150, Math.round(b.height)),
      maximized: win.isMaximized(),
    })
  }
  const scheduleSave = (): void => {
    if (!cancelSave) cancelSave = setTimer(save, 500)
  }
  for (const e of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(e, scheduleSave)

  win.on('ready-to-show', () => win.show())
  win.on('close', (event) => {
    cancelSave?.()
    save()
    if (deps.hideOnClose()) {
      event.preventDefault()
      win.hide()
    }
  })
  void win.loadURL(deps.url).catch(() => {})
  return win
}

/** Brings the window to the front (second instance, tray "Open", notification click). */
export function revealWindow(win: BrowserWindowLike): void {
  if (win.isDestroyed()) return
  if (win.isMinimized()) win.restore()
  win.show()
  win.focus()
}
