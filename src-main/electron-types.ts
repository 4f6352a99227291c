// The slice of Electron's main-process API that TaskPulse uses, as narrow structural types.
// Every service takes these as parameters; the composition root passes the real `electron`
// module (checked assignable below, so these stay true to Electron's own typings) and tests pass
// the fake in testing/fake-electron.ts. Nothing here imports electron at runtime.
import type * as RealElectron from 'electron'

export type Listener = (...args: never[]) => void

export interface EventLike {
  preventDefault(): void
}

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface WebPreferencesLike {
  preload?: string
  contextIsolation?: boolean
  sandbox?: boolean
  nodeIntegration?: boolean
  nodeIntegrationInWorker?: boolean
  nodeIntegrationInSubFrames?: boolean
  webSecurity?: boolean
  allowRunningInsecureContent?: boolean
  webviewTag?: boolean
  spellcheck?: boolean
}
export interface BrowserWindowOptionsLike {
  x?: number
  y?: number
  width?: number
  height?: number
  minWidth?: number
  minHeight?: number
  show?: boolean
  title?: string
  icon?: string
  backgroundColor?: string
  autoHideMenuBar?: boolean
  webPreferences?: WebPreferencesLike
}

export interface PermissionHandlers {
  setPermissionRequestHandler(
    handler:
      ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void
}

export interface WebContentsLike {
  readonly id: number
  send(channel: string, ...args: unknown[]): void
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void
  on(event: 'will-navigate', listener: (event: EventLike, url: string) => void): unknown
  on(event: 'will-redirect', listener: (event: EventLike, url: string) => void): unknown
  on(event: 'will-attach-webview', listener: (event: EventLike) => void): unknown
  getURL(): string
  readonly session: PermissionHandlers
  isDestroyed(): boolean
  reload(): void
}

export interface BrowserWindowLike {
  readonly webContents: WebContentsLike
  loadURL(url: string): Promise<void>
  show(): void
  hide(): void
  focus(): void
  restore(): void
  maximize(): void
  isFocused(): boolean
  isVisible(): boolean
  isMinimized(): boolean
  isMaximized(): boolean
  isDestroyed(): boolean
  getNormalBounds(): Rect
  /** Windows taskbar overlay (the badge Windows has). */
  setOverlayIcon(overlay: RealElectron.NativeImage | null, description: string): void
  on(event: 'close', listener: (event: EventLike) => void): unknown
  on(
    event: 'closed' | 'focus' | 'blur' | 'resize' | 'move' | 'ready-to-show' | 'maximize' | 'unmaximize',
    listener: () => void,
  ): unknown
  destroy(): void
}
export interface BrowserWindowStatic {
  new (options: BrowserWindowOptionsLike): BrowserWindowLike
}

/** Menu templates use Electron's own option type (an input: the fake accepts anything). */
export type MenuItemOptionsLike = RealElectron.MenuItemConstructorOptions
export type MenuLike = object
export interface MenuStatic {
  buildFromTemplate(template: MenuItemOptionsLike[]): MenuLike
  setApplicationMenu(menu: MenuLike | null): void
}

export interface TrayLike {
  /** A path: on macOS a file named `*Template.png` becomes a template image. */
  setImage(image: string): void
  setToolTip(toolTip: string): void
  setContextMenu(menu: MenuLike | null): void
  on(event: 'click', listener: () => void): unknown
  destroy(): void
}
export interface TrayStatic {
  new (image: string): TrayLike
}

export interface NotificationOptionsLike {
  title: string
  body: string
  silent?: boolean
  icon?: string
}
export interface NotificationLike {
  show(): void
  close(): void
  on(event: 'click', listener: () => void): unknown
  on(event: 'close', listener: () => void): unknown
}
export interface NotificationStatic {
  new (options: NotificationOptionsLike): NotificationLike
  isSupported(): boolean
}

export interface IpcMainInvokeEventLike {
  readonly senderFrame: { readonly url: string } | null
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

export interface UtilityProcessLike {
  readonly pid: number | undefined
  readonly stdout: NodeJS.ReadableStream | null
  readonly stderr: NodeJS.ReadableStream | null
  postMessage(message: unknown): void
  kill(): boolean
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  on(event: 'spawn', listener: () => void): unknown
}
export interface UtilityProcessStatic {
  fork(
    modulePath: string,
    args?: string[],
    options?: {
      env?: Record<string, string | undefined>
      stdio?: 'pipe' | 'ignore' | 'inherit'
      serviceName?: string
    },
  ): UtilityProcessLike
}

export interface ProtocolLike {
  registerSchemesAsPrivileged(
    schemes: {
      scheme: string
      privileges?: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean }
    }[],
  ): void
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void
}

export interface AppLike {
  requestSingleInstanceLock(): boolean
  whenReady(): Promise<void>
  quit(): void
  exit(code?: number): void
  getPath(name: 'userData' | 'logs'): string
  getVersion(): string
  readonly isPackaged: boolean
  setBadgeCount(count?: number): boolean
  setLoginItemSettings(settings: { openAtLogin?: boolean }): void
  setAppUserModelId(id: string): void
  on(event: 'second-instance' | 'activate' | 'window-all-closed', listener: () => void): unknown
  on(event: 'before-quit', listener: (event: EventLike) => void): unknown
}

export interface ElectronLike {
  app: AppLike
  BrowserWindow: BrowserWindowStatic
  Menu: MenuStatic
  Tray: TrayStatic
  Notification: NotificationStatic
  ipcMain: IpcMainLike
  shell: { openExternal(url: string): Promise<void> }
  safeStorage: {
    isEncryptionAvailable(): boolean
    encryptString(plainText: string): Buffer
    decryptString(encrypted: Buffer): string
    getSelectedStorageBackend(): string
  }
  session: { defaultSession: PermissionHandlers }
  screen: { getAllDisplays(): { workArea: Rect }[] }
  utilityProcess: UtilityProcessStatic
  protocol: ProtocolLike
  nativeImage: { createFromPath(path: string): RealElectron.NativeImage }
}

// Compile-time proof that the real module fits the narrow types (never called).
export const asElectronLike = (electron: typeof RealElectron): ElectronLike => electron
