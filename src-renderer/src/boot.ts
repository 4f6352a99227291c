// Composition root of the renderer: builds the stores, the REST client and the socket, and wires
// timers and browser events to them. Returns the parts for React and a dispose for tests.
import { createApi } from './net/api'
import { createConnectionSource } from './net/connection'
import { desktopBridge } from './net/desktop-bridge'
import { createFrameBatcher, frameThrottleSchedule, type Schedule } from './net/frame-batcher'
import { createSocketClient } from './net/socket-client'
import type { AppParts } from './stores/context'
import { createClockStore, createStatusStore } from './stores/status-store'
import { createTaskStore, type Incoming } from './stores/task-store'
import { createUiStore, VIEWS, type View } from './stores/ui-store'

export interface BootOptions {
  win?: Window
  WebSocketImpl?: unknown
  fetchImpl?: typeof fetch
  schedule?: Schedule
  healthEveryMs?: number
}

function viewFromHash(hash: string): View | undefined {
  const m = /^#\/(\w+)/.exec(hash)
  return m && (VIEWS as readonly string[]).includes(m[1]!) ? (m[1] as View) : undefined
}

export function bootApp(opts: BootOptions = {}): { parts: AppParts; dispose: () => void } {
  const win = opts.win ?? window
  const connection = createConnectionSource(win)
  const startView = viewFromHash(win.location.hash)
  const tasks = createTaskStore()
  let prefs: Storage | null = null
  try {
    prefs = win.localStorage
  } catch {
    // storage refused: preferences last as long as the window
  }
  const ui = createUiStore(startView ? { view: startView } : {}, prefs)
  const status = createStatusStore(Date.now())
  const clock = createClockStore(Date.now())
  const api = createApi(() => connection.current(), opts.fetchImpl)
  const batcher = createFrameBatcher<Incoming>(
    (items) => tasks.getState().applyBatch(items),
    opts.schedule ?? frameThrottleSchedule(),
  )
  const socket = createSocketClient({
    url: async () => {
      const c = await connection.resolve()
      return c ? `${c.wsUrl}?token=${encodeURIComponent(c.token)}` : null
    },
    onIncoming: (item) => batcher.push(item),
    onConn: (e) => status.getState().dispatch(e),
    checkAuth: () => api.checkAuth(),
    WebSocketImpl: opts.WebSocketImpl,
  })

  let started = false
  const startSocket = () => {
    if (started) return
    started = true
    socket.start()
  }
  const reconnect = () => {
    status.getState().dispatch({ type: 'retry', at: Date.now() })
    if (!started) startSocket()
    else socket.reconnect()
    void pollHealth()
  }

  const pollHealth = async () => {
    if (!connection.current()) return
    try {
      status.getState().setHealth(await api.health(), null)
    } catch (e) {
      status.getState().setHealth(null, (e as Error).message)
    }
  }

  if (connection.isDesktop || connection.current()) startSocket()
  else
    status.getState().dispatch({
      type: 'no_token',
      at: Date.now(),
      message: 'This page was opened without a token.',
    })
  // In the desktop app the connection arrives asynchronously over the bridge: check health as
  // soon as it is known rather than at the next 5 s poll.
  void connection.resolve().then(() => pollHealth())

  const second = setInterval(() => {
    const now = Date.now()
    clock.setState({ now })
    status.getState().dispatch({ type: 'tick', at: now })
    status.getState().setPipeline(socket.sample())
  }, 1000)
  const health = setInterval(() => void pollHealth(), opts.healthEveryMs ?? 5000)

  const offConn = connection.onChange(() => reconnect())
  const onOffline = () => status.getState().dispatch({ type: 'browser_offline', at: Date.now() })
  const onOnline = () => {
    status.getState().dispatch({ type: 'browser_online', at: Date.now() })
    if (started) socket.reconnect()
  }
  // Back/forward and edited addresses (#/calendar) switch views.
  const onHash = () => {
    const v = viewFromHash(win.location.hash)
    if (v && v !== ui.getState().view) ui.getState().setView(v)
  }
  win.addEventListener('hashchange', onHash)
  win.addEventListener('offline', onOffline)
  win.addEventListener('online', onOnline)

  // Keep the view in the address so a reload or a shared link opens it.
  const offUi = ui.subscribe((s, prev) => {
    if (s.view !== prev.view && viewFromHash(win.location.hash) !== s.view)
      win.history.pushState(win.history.state, '', `#/${s.view}`)
  })

  const bridge = desktopBridge(win)
  const offNav = bridge?.onNavigateToTask((id) => ui.getState().openTask(id))
  const offList = bridge?.onNavigateToList((f) => {
    ui.getState().setView('agents')
    ui.getState().setStatusFilter(f?.status ?? 'all')
  })

  return {
    parts: { tasks, ui, status, clock, api, connection, reconnect },
    dispose() {
      clearInterval(second)
      clearInterval(health)
      offConn()
      offUi()
      offNav?.()
      offList?.()
      win.removeEventListener('hashchange', onHash)
      win.removeEventListener('offline', onOffline)
      win.removeEventListener('online', onOnline)
      socket.stop()
    },
  }
}
