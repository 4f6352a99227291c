// Composition root of the Electron main process: builds the real services and wires them, with
// the boot order in one place. `bootstrap(electron, options)` takes the Electron module as a
// parameter, so the built out/main/index.js also runs under plain Node with a fake electron
// (test/integration/desktop-main.test.ts); at the bottom, the file starts itself only when it is
// running inside Electron (`process.versions.electron`).
//
// Boot order: single-instance lock → app:// scheme → ready → settings + state → security
// (permissions, protocol) → app menu → tray + notifier → window → IPC → backend (fork or remote)
// → WebSocket client feeding notifier and tray.
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { Channel, type BackendState, type Connection, type PauseChoice } from '../src-shared/ipc'
import { createBackendClient } from './backend-client'
import {
  createBackendSupervisor,
  nodeFork,
  utilityProcessFork,
  type BackendSupervisor,
  type ForkFn,
  type Logger,
} from './backend/backend-supervisor'
import type { BrowserWindowLike, ElectronLike, MenuItemOptionsLike } from './electron-types'
import { createIpcServices } from './ipc/ipc-services'
import { registerIpcHandlers } from './ipc/ipc-handlers'
import { debouncedWriter, keepAside, readJson, writeJsonAtomic } from './state/json-file'
import { createNotifier, emptyNotifierState, pauseUntil, type NoteSpec, type NotifierState } from './notifications/notifier'
import {
  APP_ORIGIN,
  APP_SCHEME,
  APP_URL,
  appUrlMatcher,
  buildCsp,
  createAppProtocolHandler,
  cspAllowsBackend,
  denyAllPermissions,
  registerAppScheme,
} from './window/security'
import { createSettingsStore, type BackendConfig } from './settings/settings-store'
import { createTrayService, createNativeNotifications } from './tray/tray-service'
import { createTrayState, type TrayPersisted } from './tray/tray-state'
import { createMainWindow, revealWindow } from './window/window'

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

interface PersistedState {
  notifier: NotifierState
  tray: TrayPersisted | null
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

/** How often at most state.json (notifier cursor and dedupe ids, tray) is written. */
export const STATE_WRITE_INTERVAL_MS = 2_000

/** Why a remote backend URL cannot be used, or null when it can (http or https with a host). */
export function remoteUrlProblem(url: string, fromEnv: boolean): string | null {
  const where = fromEnv ? 'TASKPULSE_BACKEND_URL' : 'Remote server URL (Settings → Backend)'
  if (!url) return fromEnv ? `${where} is empty` : 'Remote mode: no server URL set (Settings → Backend)'
  const parsed = URL.canParse(url) ? new URL(url) : null
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.host)
    return `${where} must be an http:// or https:// URL, e.g. http://${url.replace(/^[a-z]+:\/\//i, '') || '127.0.0.1:8080'} (got "${url}")`
  return null
}

const wsUrlOf = (url: string): string => {
  const u = new URL(url)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`
  return u.toString()
}

export function bootstrap(electron: ElectronLike, options: BootstrapOptions = {}): DesktopApp {
  const env = options.env ?? process.env
  const platform = options.platform ?? process.platform
  const { app } = electron
  const log: Logger & { fatal?: unknown } = pino(
    { level: options.logLevel ?? env.TASKPULSE_LOG_LEVEL ?? 'info', base: { proc: 'main' } },
    pino.destination({ dest: 2, sync: true }),
  )
  let backendState: BackendState = { status: 'stopped' }

  if (!app.requestSingleInstanceLock()) {
    // Another TaskPulse is running: it gets our 'second-instance' and shows its window.
    app.quit()
    return { started: Promise.resolve(), quit: async () => {}, backendState: () => backendState }
  }
  registerAppScheme(electron.protocol)

  let quitting = false
  let shutdownDone = false
  let shutdown: () => Promise<void> = async () => {}
  let win: BrowserWindowLike | null = null
  let openWindow: () => BrowserWindowLike = () => {
    throw new Error('not ready')
  }

  app.on('second-instance', () => revealWindow(openWindow()))

  const started = app.whenReady().then(() => {
    const userData = app.getPath('userData')
    const paths = {
      ...defaultPaths(app.isPackaged, (process as { resourcesPath?: string }).resourcesPath),
      ...options.paths,
    }
    const devServerUrl = !app.isPackaged ? env.ELECTRON_RENDERER_URL : undefined
    const isAppUrl = appUrlMatcher(devServerUrl)
    if (platform === 'win32') app.setAppUserModelId('com.taskpulse.desktop')

    // ---- settings and persisted state
    const settings = createSettingsStore({ dir: userData, safeStorage: electron.safeStorage, env })
    for (const w of settings.warnings()) log.warn({ warning: w }, 'settings')
    const statePath = join(userData, 'state.json')
    const persisted = loadState(statePath, log)
    let saveState: () => void = () => {}
    // state.json holds thousands of ids: written compact, at most every 2 s, and on quit.
    const stateWriter = debouncedWriter(
      () => saveState(),
      STATE_WRITE_INTERVAL_MS,
      (fn, ms) => {
        const t = setTimeout(fn, ms)
        return () => clearTimeout(t)
      },
    )

    // ---- security: permissions, the app:// protocol with its CSP
    let connection: Connection | null = null
    // The CSP the window's current page was served with (null: no page requested yet, or a
    // reload is on its way — that load will get the CSP of the connection current by then).
    let servedCsp: string | null = null
    denyAllPermissions(electron.session.defaultSession)
    electron.protocol.handle(
      APP_SCHEME,
      createAppProtocolHandler({
        rendererDir: paths.rendererDir,
        csp: () => buildCsp(connection?.url ?? null),
        onDocument: (csp) => (servedCsp = csp),
      }),
    )
    electron.Menu.setApplicationMenu(
      electron.Menu.buildFromTemplate(appMenuTemplate(platform, !app.isPackaged)),
    )
    if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: settings.get().app.startAtLogin })

    // ---- tray, notifier
    const trayState = createTrayState(persisted.tray)
    let supervisor: BackendSupervisor | null = null
    const sendToWindow = (channel: string, payload: unknown): void => {
      if (win && !win.isDestroyed()) win.webContents.send(channel, payload)
    }
    const onTrayAction = (id: string): void => {
      if (id === 'open') revealWindow(openWindow())
      else if (id.startsWith('task:')) showTask(id.slice('task:'.length))
      else if (id.startsWith('pause:')) pause(id.slice('pause:'.length) as PauseChoice)
      else if (id === 'ack') {
        if (trayState.acknowledge()) renderTray()
        stateWriter.schedule()
      } else if (id === 'retry') void services.retryBackend()
      else if (id === 'quit') app.quit()
    }
    const trayService = createTrayService({
      Tray: electron.Tray,
      Menu: electron.Menu,
      app,
      resourcesDir: paths.resourcesDir,
      platform,
      onAction: onTrayAction,
      // Windows has no app badge: a red overlay on the taskbar button instead.
      ...(platform === 'win32'
        ? {
            setOverlay: (count: number) => {
              if (!win || win.isDestroyed()) return
              const image =
                count > 0
                  ? electron.nativeImage.createFromPath(join(paths.resourcesDir, 'tray', 'tray-failure.png'))
                  : null
              win.setOverlayIcon(
                image,
                count > 0 ? `${count} unacknowledged failure${count === 1 ? '' : 's'}` : '',
              )
            },
          }
        : {}),
    })
    let cancelPauseTimer: (() => void) | null = null
    // Coalesced: a flood of updates redraws the tray at most every 100 ms.
    let renderQueued: NodeJS.Timeout | null = null
    const scheduleTrayRender = (): void => {
      if (renderQueued) return
      renderQueued = setTimeout(() => {
        renderQueued = null
        renderTray()
      }, 100)
    }
    const renderTray = (): void => {
      const pausedUntil = settings.get().notifications.pausedUntil
      trayState.setPausedUntil(pausedUntil)
      trayService.render(trayState.model(Date.now()))
      // Re-render when do-not-disturb ends, so the tooltip and menu stop saying "paused".
      cancelPauseTimer?.()
      cancelPauseTimer = null
      if (pausedUntil !== null && pausedUntil > Date.now()) {
        const t = setTimeout(renderTray, Math.min(pausedUntil - Date.now() + 50, 2 ** 31 - 1))
        t.unref?.()
        cancelPauseTimer = () => clearTimeout(t)
      }
    }
    const showTask = (taskId: string): void => {
      revealWindow(openWindow())
      sendToWindow(Channel.navigateToTask, taskId)
    }
    const native = createNativeNotifications({
      Notification: electron.Notification,
      iconPath: join(paths.resourcesDir, 'icon.png'),
      log,
      onClick: (note: NoteSpec) => {
        if (note.kind === 'task') showTask(note.taskId)
        else {
          revealWindow(openWindow())
          const only =
            note.counts.failed > 0 && note.counts.completed === 0 ? { status: 'failed' as const } : {}
          sendToWindow(Channel.navigateToList, only)
        }
      },
    })
    const notifier = createNotifier({
      show: (note) => native.show(note),
      now: Date.now,
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms)
        return () => clearTimeout(t)
      },
      prefs: () => settings.get().notifications,
      isFocused: () => Boolean(win && !win.isDestroyed() && win.isVisible() && win.isFocused()),
      state: persisted.notifier,
      onStateChange: () => stateWriter.schedule(),
    })
    saveState = () =>
      writeJsonAtomic(
        statePath,
        { notifier: notifier.state(), tray: trayState.persisted() } satisfies PersistedState,
        { compact: true },
      )
    const pause = (choice: PauseChoice): void => {
      settings.update({ notifications: { pausedUntil: pauseUntil(choice, Date.now()) } })
    }
    settings.onChange(() => renderTray())

    // ---- window
    const hasTray =
      platform !== 'linux' || env.XDG_CURRENT_DESKTOP !== undefined || env.TASKPULSE_FORCE_TRAY === '1'
    openWindow = () => {
      if (win && !win.isDestroyed()) return win
      win = createMainWindow({
        BrowserWindow: electron.BrowserWindow,
        displays: () => electron.screen.getAllDisplays(),
        preloadPath: paths.preload,
        iconPath: join(paths.resourcesDir, 'icon.png'),
        url: devServerUrl ?? APP_URL,
        savedBounds: settings.get().window,
        saveBounds: (b) => settings.saveWindowBounds(b),
        openExternal: (url) => electron.shell.openExternal(url),
        isAppUrl,
        hideOnClose: () => !quitting && hasTray && settings.get().app.closeToTray,
        onBlocked: (what, url) => log.warn({ what, url }, 'blocked in the window'),
      })
      win.on('closed', () => {
        win = null
        servedCsp = null
      })
      return win
    }

    // ---- backend and the socket client
    const client = createBackendClient(
      {
        cursor: () => notifier.cursor(),
        onUpdate: (update, epoch) => {
          if (notifier.handle(update, epoch) === 'duplicate') return
          if (trayState.applyUpdate(update)) scheduleTrayRender()
          stateWriter.schedule()
        },
        onSnapshot: (tasks, epoch, seq) => {
          notifier.noteSnapshot(tasks, epoch, seq)
          trayState.applySnapshot(tasks)
          renderTray()
          stateWriter.schedule()
        },
        onSynced: (epoch, seq) => notifier.setCursor(epoch, seq),
        onLink: (link) => {
          if (trayState.setLink(link)) renderTray()
        },
      },
      { log },
    )

    const setConnection = (next: Connection | null): void => {
      const before = connection
      connection = next
      client.setConnection(next)
      if (next && JSON.stringify(next) !== JSON.stringify(before))
        sendToWindow(Channel.onConnectionChanged, next)
      // The page's CSP names the backend origins it may reach: a page served before this backend
      // was known (first start, remote mode without URL) or for another origin needs a fresh load.
      if (next && servedCsp !== null && !cspAllowsBackend(servedCsp, next.url) && win && !win.isDestroyed()) {
        servedCsp = null
        win.webContents.reload()
      }
    }
    const publishBackendState = (state: BackendState, mode: 'embedded' | 'remote'): void => {
      backendState = state
      if (trayState.setBackend(state, mode)) renderTray()
      sendToWindow(Channel.onBackendStatus, state)
    }

    // utilityProcess (Electron's Node) by default: better-sqlite3 ships N-API prebuilds, which
    // load there as well as under the system Node. TASKPULSE_BACKEND_RUNTIME=node runs the
    // backend under a system `node` (TASKPULSE_NODE) instead, for debugging.
    const runtime = env.TASKPULSE_BACKEND_RUNTIME ?? 'utility'
    const fork: ForkFn =
      runtime === 'node'
        ? nodeFork({ execPath: env.TASKPULSE_NODE ?? 'node' })
        : utilityProcessFork(electron.utilityProcess)
    const token = randomBytes(24).toString('base64url')
    const embeddedConfig = (cfg: Extract<BackendConfig, { mode: 'embedded' }>) => ({
      dataDir: join(userData, 'backend'),
      token,
      redisUrl: cfg.redisUrl,
      allowedOrigins: [APP_ORIGIN, ...(devServerUrl ? [new URL(devServerUrl).origin] : [])],
    })

    let applied: BackendConfig | null = null
    /** Stops the old backend and starts (or connects to) the one `cfg` describes. Does not wait
     * for the backend to be ready: its progress arrives as supervisor states. */
    const applyOnce = async (cfg: BackendConfig): Promise<void> => {
      applied = cfg
      if (cfg.mode === 'remote') {
        const old = supervisor
        supervisor = null // its last states (stopping) are not this backend's any more
        await old?.stop()
        const problem = remoteUrlProblem(cfg.url, settings.view().overrides.remote)
        if (problem) {
          log.error({ url: cfg.url }, problem)
          publishBackendState({ status: 'failed', error: problem }, 'remote')
          setConnection(null)
          return
        }
        const remote: Connection = {
          url: cfg.url.replace(/\/+$/, ''),
          wsUrl: wsUrlOf(cfg.url),
          token: cfg.token,
          mode: 'remote',
        }
        publishBackendState({ status: 'running', connection: remote }, 'remote')
        setConnection(remote)
        return
      }
      let sup = supervisor
      if (!sup) {
        const created = createBackendSupervisor({ fork, entry: paths.backendEntry, log })
        sup = created
        supervisor = created
        created.onState((state) => {
          if (supervisor !== created) return
          publishBackendState(state, 'embedded')
          if (state.status === 'running') setConnection(state.connection)
        })
        void created
          .start(embeddedConfig(cfg))
          .catch((err: Error) => log.error({ err: err.message }, 'backend did not start'))
      } else {
        void sup
          .restart(embeddedConfig(cfg))
          .catch((err: Error) => log.error({ err: err.message }, 'backend did not restart'))
      }
      // The old child is gone and the new one forked (the supervisor runs these one at a time).
      await sup.settled()
    }

    // Settings can change faster than a backend stops: runs of applyOnce never overlap, and only
    // the latest config still wanted when one finishes is applied next.
    let wanted: BackendConfig | null = null
    let applying: Promise<void> | null = null
    let disposed = false
    const applyBackend = (cfg: BackendConfig): Promise<void> => {
      wanted = cfg
      applying ??= (async () => {
        while (wanted && !disposed) {
          const next = wanted
          wanted = null
          try {
            await applyOnce(next)
          } catch (err) {
            log.error({ err: (err as Error).message }, 'applying the backend settings failed')
          }
        }
        applying = null
      })()
      return applying
    }

    const services = createIpcServices({
      settings,
      getConnection: () => connection,
      getBackendState: () => backendState,
      onBackendConfigChanged: () => applyBackend(settings.backendConfig()),
      retryBackend: async () => {
        if (supervisor) await supervisor.retry().catch(() => {})
        else if (applied) await applyBackend(applied)
        return backendState
      },
      setLoginItem: (openAtLogin) => {
        if (app.isPackaged) app.setLoginItemSettings({ openAtLogin })
      },
      pause: (choice) => pause(choice),
    })
    registerIpcHandlers({ ipcMain: electron.ipcMain, isTrustedSender: isAppUrl, services, log })

    shutdown = async () => {
      disposed = true
      if (renderQueued) clearTimeout(renderQueued)
      client.close()
      notifier.dispose()
      cancelPauseTimer?.()
      // A settings change being applied finishes first, so nothing it forks outlives us.
      await applying
      await supervisor?.stop()
      stateWriter.flush()
      saveState()
      trayService.destroy()
      shutdownDone = true
    }

    renderTray()
    openWindow()
    void applyBackend(settings.backendConfig())
  })

  app.on('before-quit', (event) => {
    if (shutdownDone) return
    event.preventDefault()
    if (quitting) return
    quitting = true
    void shutdown()
      .catch((err: Error) => log.error({ err: err.message }, 'shutdown failed'))
      .finally(() => {
        shutdownDone = true
        app.quit()
      })
  })
  app.on('window-all-closed', () => {
    // With close-to-tray the window hides instead of closing; here it really closed.
    if (platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    void started.then(() => revealWindow(openWindow()))
  })

  return {
    started: started.catch((err: Error) => {
      log.error({ err: err.message, stack: err.stack }, 'startup failed')
      throw err
    }),
    quit: () =>
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (shutdownDone) {
            clearInterval(check)
            resolve()
          }
        }, 20)
        app.quit()
      }),
    backendState: () => backendState,
  }
}

function loadState(path: string, log: Logger): PersistedState {
  const read = readJson(path)
  const empty = (): PersistedState => ({ notifier: emptyNotifierState(), tray: null })
  if (read.kind === 'missing') return empty()
  const v = read.kind === 'ok' ? (read.value as Partial<PersistedState> | null) : null
  const notifierOk =
    v &&
    typeof v === 'object' &&
    v.notifier &&
    Array.isArray(v.notifier.seen) &&
    typeof v.notifier.lastOutcome === 'object'
  if (!notifierOk) {
    const aside = keepAside(path, Date.now())
    log.warn({ aside }, 'state file unreadable; starting fresh (kept aside)')
    return empty()
  }
  return { notifier: v.notifier as NotifierState, tray: (v.tray as TrayPersisted | undefined) ?? null }
}

function appMenuTemplate(platform: NodeJS.Platform, dev: boolean): MenuItemOptionsLike[] {
  const mac = platform === 'darwin'
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(dev ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ]
}

// Started by Electron itself; under plain Node (tests) the importer calls bootstrap() with a fake.
if (process.versions.electron) {
  const mod = (await import('electron')) as unknown as { default?: ElectronLike } & ElectronLike
  bootstrap(mod.default ?? mod)
}
