// Composition root of the Electron main process: builds the services in order, wires their events
// to each other, starts them, and stops them in reverse on quit — like src-backend/server.ts. No
// behaviour lives here; each feature is a service in its own folder (backend/, window/, tray/,
// notifications/, settings/, state/, ipc/) with its parts passed in.
//
// `bootstrap(electron, options)` takes the Electron module as a parameter, so the built
// out/main/index.js also runs under plain Node with a fake electron
// (test/integration/desktop-main.test.ts); at the bottom, the file starts itself only when it is
// running inside Electron (`process.versions.electron`).
//
// Boot order: single-instance lock → app:// scheme → ready → settings + state → backend
// supervisor → window, security (permissions, app:// with its CSP), app menu → tray →
// notifications → WebSocket client → IPC → start: tray, window, backend.
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import type { BackendState } from '../src-shared/ipc'
import { createAckClient } from './backend/ack-client'
import { createBackendClient } from './backend/backend-client'
import { createBackendService, type BackendService } from './backend/backend-service'
import {
  createBackendSupervisor,
  nodeFork,
  utilityProcessFork,
  type ForkFn,
  type Logger,
} from './backend/backend-supervisor'
import { createTaskFeed } from './backend/task-feed'
import type { ElectronLike } from './electron-types'
import { registerIpcHandlers } from './ipc/ipc-handlers'
import { createIpcServices } from './ipc/ipc-services'
import { createNotificationService } from './notifications/notification-service'
import { createSettingsStore } from './settings/settings-store'
import { createStateStore } from './state/state-store'
import { createTrayController, trayActions } from './tray/tray-controller'
import { createTrayService } from './tray/tray-service'
import { createTrayState } from './tray/tray-state'
import { appMenuTemplate } from './window/app-menu'
import {
  APP_ORIGIN,
  APP_SCHEME,
  APP_URL,
  appUrlMatcher,
  buildCsp,
  createAppProtocolHandler,
  denyAllPermissions,
  registerAppScheme,
} from './window/security'
import { createWindowService, type WindowService } from './window/window-service'

export interface BootstrapOptions {
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  /** Overrides of where the built parts live (defaults: next to this file in out/). */
  paths?: Partial<AppPaths>
  logLevel?: string
}

export interface AppPaths {
  backendEntry: string
  preload: string
  rendererDir: string
  resourcesDir: string
}

/** What bootstrap hands back: for the Electron entry nothing; for tests a way to wait and stop. */
export interface DesktopApp {
  /** Resolves once the window, tray and backend start have been set up (not when the backend is ready). */
  started: Promise<void>
  quit(): Promise<void>
  backendState(): BackendState
}

const here = dirname(fileURLToPath(import.meta.url))

export function defaultPaths(isPackaged: boolean, resourcesPath: string | undefined): AppPaths {
  return {
    backendEntry: join(here, '..', 'backend', 'child.js'),
    preload: join(here, '..', 'preload', 'index.cjs'),
    rendererDir: join(here, '..', 'renderer'),
    resourcesDir:
      isPackaged && resourcesPath ? join(resourcesPath, 'resources') : join(here, '..', '..', 'resources'),
  }
}

/** The built and wired main process, before start. */
interface MainProcess {
  window: WindowService
  backend: BackendService
  start(): void
  /** Stops every part in reverse build order. */
  stop(): Promise<void>
}

interface BuildContext {
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  log: Logger
  paths: Partial<AppPaths> | undefined
  /** True once a quit began: the window really closes instead of hiding to the tray. */
  isQuitting: () => boolean
}

function buildMain(electron: ElectronLike, ctx: BuildContext): MainProcess {
  const { app } = electron
  const { env, platform, log } = ctx
  const userData = app.getPath('userData')
  const paths = {
    ...defaultPaths(app.isPackaged, (process as { resourcesPath?: string }).resourcesPath),
    ...ctx.paths,
  }
  const devServerUrl = !app.isPackaged ? env.ELECTRON_RENDERER_URL : undefined
  const isAppUrl = appUrlMatcher(devServerUrl)
  const iconPath = join(paths.resourcesDir, 'icon.png')
  if (platform === 'win32') app.setAppUserModelId('com.taskpulse.desktop')

  // ---- settings and persisted state
  const settings = createSettingsStore({ dir: userData, safeStorage: electron.safeStorage, env })
  for (const w of settings.warnings()) log.warn({ warning: w }, 'settings')
  const state = createStateStore({ path: join(userData, 'state.json'), log })

  // ---- backend: the supervisor (one queue for every change) and the mode switch over it.
  // utilityProcess (Electron's Node) by default: better-sqlite3 ships N-API prebuilds, which load
  // there as well as under the system Node. TASKPULSE_BACKEND_RUNTIME=node runs the backend under
  // a system `node` (TASKPULSE_NODE) instead, for debugging.
  const fork: ForkFn =
    (env.TASKPULSE_BACKEND_RUNTIME ?? 'utility') === 'node'
      ? nodeFork({ execPath: env.TASKPULSE_NODE ?? 'node' })
      : utilityProcessFork(electron.utilityProcess)
  const token = randomBytes(24).toString('base64url')
  const backend = createBackendService({
    supervisor: createBackendSupervisor({ fork, entry: paths.backendEntry, log }),
    embeddedConfig: (cfg) => ({
      dataDir: join(userData, 'backend'),
      token,
      redisUrl: cfg.redisUrl,
      allowedOrigins: [APP_ORIGIN, ...(devServerUrl ? [new URL(devServerUrl).origin] : [])],
    }),
    remoteFromEnv: () => settings.view().overrides.remote,
    log,
  })

  // ---- window, and the security around its page: permissions, app:// with the CSP, menu
  const hasTray =
    platform !== 'linux' || env.XDG_CURRENT_DESKTOP !== undefined || env.TASKPULSE_FORCE_TRAY === '1'
  const window = createWindowService({
    window: {
      BrowserWindow: electron.BrowserWindow,
      displays: () => electron.screen.getAllDisplays(),
      preloadPath: paths.preload,
      iconPath,
      url: devServerUrl ?? APP_URL,
      saveBounds: (b) => settings.saveWindowBounds(b),
      openExternal: (url) => electron.shell.openExternal(url),
      isAppUrl,
      hideOnClose: () => !ctx.isQuitting() && hasTray && settings.get().app.closeToTray,
      onBlocked: (what, url) => log.warn({ what, url }, 'blocked in the window'),
    },
    savedBounds: () => settings.get().window,
  })
  denyAllPermissions(electron.session.defaultSession)
  electron.protocol.handle(
    APP_SCHEME,
    createAppProtocolHandler({
      rendererDir: paths.rendererDir,
      csp: () => buildCsp(backend.connection()?.url ?? null),
      onDocument: (csp) => window.noteServedCsp(csp),
    }),
  )
  electron.Menu.setApplicationMenu(
    electron.Menu.buildFromTemplate(appMenuTemplate(platform, !app.isPackaged)),
  )
  if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: settings.get().app.startAtLogin })

  // ---- tray
  const ackClient = createAckClient({ connection: () => backend.connection() })
  const trayModel = createTrayState(state.initial.tray)
  const tray = createTrayController({
    model: trayModel,
    createView: (onAction) =>
      createTrayService({
        Tray: electron.Tray,
        Menu: electron.Menu,
        app,
        resourcesDir: paths.resourcesDir,
        platform,
        onAction,
        // Windows has no app badge: a red overlay on the taskbar button instead.
        ...(platform === 'win32'
          ? {
              setOverlay: (count: number) => {
                const win = window.current()
                if (!win) return
                const failure = join(paths.resourcesDir, 'tray', 'tray-failure.png')
                win.setOverlayIcon(
                  count > 0 ? electron.nativeImage.createFromPath(failure) : null,
                  count > 0
                    ? `${count} task${count === 1 ? '' : 's'} need${count === 1 ? 's' : ''} attention`
                    : '',
                )
              },
            }
          : {}),
      }),
    onAction: trayActions({
      open: () => window.reveal(),
      showTask: (taskId) => window.showTask(taskId),
      pause: (choice) => {
        settings.pauseNotifications(choice)
      },
      retry: () => void backend.retry(),
      quit: () => app.quit(),
    }),
    acknowledge: (taskIds) => {
      ackClient
        .acknowledge(taskIds)
        .catch((err: Error) =>
          log.warn({ err: err.message, tasks: taskIds.length }, 'acknowledge all failed'),
        )
    },
    pausedUntil: () => settings.get().notifications.pausedUntil,
    onSettingsChange: (listener) => settings.onChange(listener),
  })

  // ---- notifications
  const notifications = createNotificationService({
    Notification: electron.Notification,
    iconPath,
    log,
    prefs: () => settings.get().notifications,
    isFocused: () => window.isFocused(),
    state: state.initial.notifier,
    onStateChange: () => state.schedule(),
    showTask: (taskId) => window.showTask(taskId),
    showList: (filter) => window.showList(filter),
  })
  state.setSource(() => ({ notifier: notifications.notifier.state(), tray: trayModel.persisted() }))

  // ---- the backend's task stream, and where backend changes go
  const client = createBackendClient(
    createTaskFeed({
      notifier: notifications.notifier,
      trayModel,
      tray,
      persist: () => state.schedule(),
    }),
    { log },
  )
  backend.onConnection((next, before) => {
    client.setConnection(next)
    window.setConnection(next, before)
  })
  backend.onState((next, mode) => {
    if (trayModel.setBackend(next, mode)) tray.render()
    window.send('onBackendStatus', next)
  })

  // ---- IPC
  const unregisterIpc = registerIpcHandlers({
    ipcMain: electron.ipcMain,
    isTrustedSender: isAppUrl,
    log,
    services: createIpcServices({
      settings,
      backend: {
        connection: () => backend.connection(),
        state: () => backend.state(),
        apply: () => backend.apply(settings.backendConfig()),
        retry: () => backend.retry(),
      },
      setLoginItem: (openAtLogin) => {
        if (app.isPackaged) app.setLoginItemSettings({ openAtLogin })
      },
    }),
  })

  return {
    window,
    backend,
    start() {
      tray.start()
      window.start()
      void backend.start(settings.backendConfig())
    },
    async stop() {
      unregisterIpc()
      client.close()
      notifications.stop()
      tray.stop()
      // A settings change being applied finishes first, so nothing it forks outlives us.
      await backend.stop()
      state.stop()
    },
  }
}

export function bootstrap(electron: ElectronLike, options: BootstrapOptions = {}): DesktopApp {
  const env = options.env ?? process.env
  const platform = options.platform ?? process.platform
  const { app } = electron
  const log: Logger = pino(
    { level: options.logLevel ?? env.TASKPULSE_LOG_LEVEL ?? 'info', base: { proc: 'main' } },
    pino.destination({ dest: 2, sync: true }),
  )
  const stoppedState = (): BackendState => ({ status: 'stopped' })

  if (!app.requestSingleInstanceLock()) {
    // Another TaskPulse is running: it gets our 'second-instance' and shows its window.
    app.quit()
    return { started: Promise.resolve(), quit: async () => {}, backendState: stoppedState }
  }
  registerAppScheme(electron.protocol)

  let main: MainProcess | null = null
  let quitting = false
  let stopped = false
  /** The shutdown under way (set by the first before-quit). */
  let stopping: Promise<void> | null = null

  const started = app.whenReady().then(() => {
    main = buildMain(electron, { env, platform, log, paths: options.paths, isQuitting: () => quitting })
    main.start()
  })

  app.on('second-instance', () => main?.window.reveal())
  app.on('before-quit', (event) => {
    if (stopped) return
    event.preventDefault()
    if (quitting) return
    quitting = true
    stopping = (main?.stop() ?? Promise.resolve())
      .catch((err: Error) => log.error({ err: err.message }, 'shutdown failed'))
      .finally(() => {
        stopped = true
        app.quit()
      })
  })
  app.on('window-all-closed', () => {
    // With close-to-tray the window hides instead of closing; here it really closed.
    if (platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    void started.then(() => main?.window.reveal())
  })

  return {
    started: started.catch((err: Error) => {
      log.error({ err: err.message, stack: err.stack }, 'startup failed')
      throw err
    }),
    async quit() {
      app.quit()
      await stopping
    },
    backendState: () => main?.backend.state() ?? stoppedState(),
  }
}

// Started by Electron itself; under plain Node (tests) the importer calls bootstrap() with a fake.
if (process.versions.electron) {
  const mod = (await import('electron')) as unknown as { default?: ElectronLike } & ElectronLike
  bootstrap(mod.default ?? mod)
}
