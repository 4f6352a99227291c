// A fake of the Electron main-process API (the ElectronLike slice) for tests under plain Node.
// It records what the app asked for — windows and their options, tray image/tooltip/menu,
// notifications shown, IPC handlers, protocol handlers, external links — and lets a test act as
// the user or the OS (click a menu item or a notification, focus a window, invoke an IPC channel).
// utilityProcess.fork is backed by a real child_process.fork, so the real backend runs.
import { fork as forkChild, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import type { NativeImage } from 'electron'
import {
  invokeContract,
  type InvokeName,
  type InvokeResult,
  type IpcResult,
} from '../../../src-shared/ipc-contract'
import type {
  AppLike,
  BrowserWindowLike,
  BrowserWindowOptionsLike,
  ElectronLike,
  EventLike,
  IpcMainInvokeEventLike,
  MenuItemOptionsLike,
  NotificationLike,
  NotificationOptionsLike,
  PermissionHandlers,
  Rect,
  TrayLike,
  UtilityProcessLike,
  WebContentsLike,
} from '../../../src-main/electron-types'

export interface FakeEvent extends EventLike {
  defaultPrevented: boolean
}
export const fakeEvent = (): FakeEvent => {
  const e = {
    defaultPrevented: false,
    preventDefault() {
      e.defaultPrevented = true
    },
  }
  return e
}

class FakeSession implements PermissionHandlers {
  requestHandler: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | null = null
  checkHandler: ((wc: unknown, permission: string) => boolean) | null = null
  setPermissionRequestHandler(h: FakeSession['requestHandler']): void {
    this.requestHandler = h
  }
  setPermissionCheckHandler(h: FakeSession['checkHandler']): void {
    this.checkHandler = h
  }
}

let nextWebContentsId = 1

export class FakeWebContents extends EventEmitter implements WebContentsLike {
  readonly id = nextWebContentsId++
  readonly sent: { channel: string; args: unknown[] }[] = []
  windowOpenHandler: ((d: { url: string }) => { action: 'deny' } | { action: 'allow' }) | null = null
  url = ''
  reloads = 0
  destroyed = false
  /** The Content-Security-Policy of the document last loaded (through the app:// handler), as
   * Chromium would enforce it on the page; null until a load went through a protocol handler. */
  documentCsp: string | null = null
  /** Settles when the last load (loadURL or reload) has its response. */
  loaded: Promise<void> = Promise.resolve()
  constructor(
    readonly session: FakeSession,
    private readonly serve: (url: string) => Promise<Response> | null = () => null,
  ) {
    super()
  }
  /** Like Chromium: the page is requested from the scheme's protocol handler when it loads. */
  navigate(url: string): Promise<void> {
    this.url = url
    const response = this.serve(url)
    if (!response) return Promise.resolve()
    this.loaded = response.then(
      (r) => {
        this.documentCsp = r.headers.get('Content-Security-Policy')
      },
      () => {},
    )
    return this.loaded
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args })
  }
  setWindowOpenHandler(handler: NonNullable<FakeWebContents['windowOpenHandler']>): void {
    this.windowOpenHandler = handler
  }
  getURL(): string {
    return this.url
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  reload(): void {
    this.reloads += 1
    void this.navigate(this.url)
  }
}

export class FakeBrowserWindow extends EventEmitter implements BrowserWindowLike {
  static instances: FakeBrowserWindow[] = []
  readonly webContents: FakeWebContents
  visible: boolean
  focused = false
  minimized = false
  maximized = false
  destroyed = false
  bounds: Rect
  constructor(
    readonly options: BrowserWindowOptionsLike,
    session: FakeSession,
    serve?: (url: string) => Promise<Response> | null,
  ) {
    super()
    this.webContents = new FakeWebContents(session, serve)
    this.visible = options.show !== false
    this.bounds = {
      x: options.x ?? 0,
      y: options.y ?? 0,
      width: options.width ?? 800,
      height: options.height ?? 600,
    }
    FakeBrowserWindow.instances.push(this)
  }
  async loadURL(url: string): Promise<void> {
    await this.webContents.navigate(url)
  }
  show(): void {
    this.visible = true
  }
  hide(): void {
    this.visible = false
    this.setFocused(false)
  }
  focus(): void {
    this.setFocused(true)
  }
  restore(): void {
    this.minimized = false
  }
  maximize(): void {
    this.maximized = true
  }
  isFocused(): boolean {
    return this.focused
  }
  isVisible(): boolean {
    return this.visible
  }
  isMinimized(): boolean {
    return this.minimized
  }
  isMaximized(): boolean {
    return this.maximized
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  getNormalBounds(): Rect {
    return { ...this.bounds }
  }
  overlay: { image: string | null; description: string } = { image: null, description: '' }
  setOverlayIcon(overlay: NativeImage | null, description: string): void {
    this.overlay = { image: overlay ? (overlay as unknown as { path: string }).path : null, description }
  }
  destroy(): void {
    this.destroyed = true
    this.webContents.destroyed = true
    this.emit('closed')
  }
  // ---- test helpers
  setFocused(focused: boolean): void {
    if (this.focused === focused) return
    this.focused = focused
    this.emit(focused ? 'focus' : 'blur')
  }
  /** The user closes the window: returns whether the app prevented it. */
  userClose(): boolean {
    const e = fakeEvent()
    this.emit('close', e)
    if (!e.defaultPrevented) this.destroy()
    return e.defaultPrevented
  }
}

export interface FakeMenu {
  template: MenuItemOptionsLike[]
}

export const findMenuItem = (menu: FakeMenu | null, id: string): MenuItemOptionsLike | undefined => {
  const walk = (items: MenuItemOptionsLike[]): MenuItemOptionsLike | undefined => {
    for (const item of items) {
      if (item.id === id) return item
      const sub = Array.isArray(item.submenu) ? walk(item.submenu) : undefined
      if (sub) return sub
    }
    return undefined
  }
  return menu ? walk(menu.template) : undefined
}

export class FakeTray extends EventEmitter implements TrayLike {
  static instances: FakeTray[] = []
  image: string
  toolTip = ''
  menu: FakeMenu | null = null
  destroyed = false
  readonly images: string[] = []
  constructor(image: string) {
    super()
    this.image = image
    this.images.push(image)
    FakeTray.instances.push(this)
  }
  setImage(image: string): void {
    this.image = image
    this.images.push(image)
  }
  setToolTip(toolTip: string): void {
    this.toolTip = toolTip
  }
  setContextMenu(menu: object | null): void {
    this.menu = menu as FakeMenu | null
  }
  destroy(): void {
    this.destroyed = true
  }
  /** Clicks a context-menu item by id. */
  clickItem(id: string): void {
    const item = findMenuItem(this.menu, id)
    if (!item) throw new Error(`no tray menu item ${id}`)
    if (item.enabled === false) throw new Error(`tray menu item ${id} is disabled`)
    ;(item.click as (() => void) | undefined)?.()
  }
}

export class FakeNotification extends EventEmitter implements NotificationLike {
  static shown: FakeNotification[] = []
  static supported = true
  static isSupported(): boolean {
    return FakeNotification.supported
  }
  constructor(readonly options: NotificationOptionsLike) {
    super()
  }
  show(): void {
    FakeNotification.shown.push(this)
  }
  close(): void {
    this.emit('close')
  }
  click(): void {
    this.emit('click')
  }
}

export interface FakeChildProcess extends UtilityProcessLike {
  /** The real child, for tests that kill it behind the app's back. */
  readonly child: ChildProcess
}

export interface FakeElectron extends ElectronLike {
  app: AppLike &
    EventEmitter & {
      quitCalls: number
      badgeCount: number
      loginItem: { openAtLogin?: boolean }
      singleInstance: boolean
      /** Resolves whenReady(). */
      ready(): void
    }
  ipc: {
    handlers: Map<string, (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown>
    /** Calls the handler of one contract call as a renderer frame at `frameUrl` would. The
     * arguments are unchecked on purpose: tests send bad payloads too. */
    invoke<K extends InvokeName>(
      name: K,
      frameUrl: string | null,
      ...args: unknown[]
    ): Promise<IpcResult<InvokeResult<K>>>
  }
  openedExternal: string[]
  defaultSession: FakeSession
  applicationMenu: FakeMenu | null
  protocolHandlers: Map<string, (request: Request) => Response | Promise<Response>>
  privilegedSchemes: string[]
  forked: FakeChildProcess[]
  windows: () => FakeBrowserWindow[]
  trays: () => FakeTray[]
  notifications: () => FakeNotification[]
}

/** Reversible stand-in for the OS secret store. `available: false` mimics a system without one. */
export function fakeSafeStorage(opts: { available?: boolean; backend?: string } = {}) {
  return {
    isEncryptionAvailable: () => opts.available ?? true,
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
    encryptString: (s: string) => Buffer.from(`enc:${Buffer.from(s, 'utf8').toString('hex')}`, 'utf8'),
    decryptString: (b: Buffer) => {
      const text = b.toString('utf8')
      if (!text.startsWith('enc:'))
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
      return Buffer.from(text.slice(4), 'hex').toString('utf8')
    },
  }
}

export function createFakeElectron(opts: {
  userData: string
  safeStorage?: ReturnType<typeof fakeSafeStorage>
}): FakeElectron {
  FakeBrowserWindow.instances = []
  FakeTray.instances = []
  FakeNotification.shown = []
  FakeNotification.supported = true
  const defaultSession = new FakeSession()
  let resolveReady: () => void = () => {}
  const readyPromise = new Promise<void>((r) => (resolveReady = r))

  const appEmitter = new EventEmitter()
  const app = Object.assign(appEmitter, {
    quitCalls: 0,
    badgeCount: 0,
    loginItem: {},
    singleInstance: true,
    isPackaged: false,
    ready: () => resolveReady(),
    requestSingleInstanceLock: () => app.singleInstance,
    whenReady: () => readyPromise,
    quit() {
      app.quitCalls += 1
      const e = fakeEvent()
      appEmitter.emit('before-quit', e)
    },
    exit() {},
    getPath: (name: 'userData' | 'logs') => (name === 'userData' ? opts.userData : `${opts.userData}/logs`),
    getVersion: () => '0.1.0',
    setBadgeCount(count?: number) {
      app.badgeCount = count ?? 0
      return true
    },
    setLoginItemSettings(s: { openAtLogin?: boolean }) {
      app.loginItem = s
    },
    setAppUserModelId() {},
  })

  const handlers = new Map<string, (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown>()
  const forked: FakeChildProcess[] = []

  const fake: FakeElectron = {
    app,
    BrowserWindow: class extends FakeBrowserWindow {
      constructor(options: BrowserWindowOptionsLike) {
        super(options, defaultSession, (url) => {
          const handler = fake.protocolHandlers.get(new URL(url).protocol.replace(/:$/, ''))
          return handler ? Promise.resolve(handler(new Request(url))) : null
        })
      }
    },
    Menu: {
      buildFromTemplate: (template: MenuItemOptionsLike[]): FakeMenu => ({ template }),
      setApplicationMenu: (menu: object | null) => {
        fake.applicationMenu = menu as FakeMenu | null
      },
    },
    Tray: FakeTray,
    Notification: FakeNotification,
    ipcMain: {
      handle(channel, listener) {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
        handlers.set(channel, listener)
      },
      removeHandler(channel) {
        handlers.delete(channel)
      },
    },
    ipc: {
      handlers,
      async invoke<K extends InvokeName>(name: K, frameUrl: string | null, ...args: unknown[]) {
        const { channel } = invokeContract[name]
        const handler = handlers.get(channel)
        if (!handler) throw new Error(`No handler registered for '${channel}'`)
        const event = { senderFrame: frameUrl === null ? null : { url: frameUrl } }
        return (await handler(event, ...args)) as IpcResult<InvokeResult<K>>
      },
    },
    shell: {
      openExternal: async (url: string) => {
        fake.openedExternal.push(url)
      },
    },
    openedExternal: [],
    safeStorage: opts.safeStorage ?? fakeSafeStorage(),
    session: { defaultSession },
    defaultSession,
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    utilityProcess: {
      fork(modulePath, args, options) {
        // Like Electron: stdio 'pipe' gives stdout/stderr streams; messages go over IPC.
        const child = forkChild(modulePath, args ?? [], {
          env: options?.env ?? process.env,
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          serialization: 'advanced',
        })
        const emitter = new EventEmitter()
        const stdout = new PassThrough()
        const stderr = new PassThrough()
        child.stdout?.pipe(stdout)
        child.stderr?.pipe(stderr)
        child.on('spawn', () => emitter.emit('spawn'))
        child.on('message', (m) => emitter.emit('message', m))
        // utilityProcess reports a signal death as a non-zero code.
        child.on('exit', (code, signal) => emitter.emit('exit', code ?? (signal ? 128 + 9 : 1)))
        child.on('error', () => {})
        const proc = Object.assign(emitter, {
          child,
          get pid() {
            return child.pid
          },
          stdout,
          stderr,
          postMessage(message: unknown) {
            if (child.connected) child.send(message as never)
          },
          kill() {
            return child.kill('SIGTERM')
          },
        })
        forked.push(proc)
        return proc
      },
    },
    nativeImage: {
      // A stand-in carrying its path: enough for tests to see which image was used.
      createFromPath: (path: string) => ({ path, isEmpty: () => false }) as unknown as NativeImage,
    },
    protocol: {
      registerSchemesAsPrivileged(schemes) {
        fake.privilegedSchemes.push(...schemes.map((s) => s.scheme))
      },
      handle(scheme, handler) {
        fake.protocolHandlers.set(scheme, handler)
      },
    },
    applicationMenu: null,
    protocolHandlers: new Map(),
    privilegedSchemes: [],
    forked,
    windows: () => FakeBrowserWindow.instances,
    trays: () => FakeTray.instances,
    notifications: () => FakeNotification.shown,
  }
  return fake
}
