// A fake `window.desktop` for tests: behaves like main's side of the bridge (patches validated
// with the same zod schema main uses, secrets kept out of the view, do-not-disturb, backend
// status events) and records every call.
import {
  defaultNotificationPrefs,
  settingsPatchSchema,
  type BackendState,
  type DesktopApi,
  type IpcResult,
  type PauseChoice,
  type SettingsPatch,
  type SettingsView,
  type TestConnectionRequest,
  type TestConnectionResult,
} from '../../../src-shared/ipc'

export function defaultView(over: Partial<SettingsView> = {}): SettingsView {
  return {
    backend: { mode: 'embedded', redisUrl: '', remoteUrl: '' },
    notifications: defaultNotificationPrefs(),
    app: { closeToTray: true, startAtLogin: false },
    secrets: { redisPasswordSet: false, remoteTokenSet: false },
    secretStorage: 'os',
    overrides: { redisUrl: false, remote: false },
    warnings: [],
    ...over,
  }
}

export interface FakeDesktop extends DesktopApi {
  calls: { method: string; arg?: unknown }[]
  patches: SettingsPatch[]
  /** The secrets main would hold (clear text), to assert they never reach the view. */
  secrets: { redisPassword: string; remoteToken: string }
  view: SettingsView
  backend: BackendState
  /** The next setSettings answers this error instead of saving. */
  failNextSave: string | null
  testResult: (req: TestConnectionRequest) => IpcResult<TestConnectionResult>
  /** Pushes a backend status to the subscribers, as main does. */
  emitBackend(s: BackendState): void
}

export function createFakeDesktop(
  view: SettingsView = defaultView(),
  backend: BackendState = {
    status: 'running',
    connection: {
      url: 'http://127.0.0.1:4100',
      wsUrl: 'ws://127.0.0.1:4100/ws',
      token: 't',
      mode: 'embedded',
    },
  },
  now: () => number = Date.now,
): FakeDesktop {
  const statusSubs = new Set<(s: BackendState) => void>()
  const ok = <T>(value: T): Promise<IpcResult<T>> =>
    Promise.resolve({ ok: true, value: structuredClone(value) })
  const fake: FakeDesktop = {
    calls: [],
    patches: [],
    secrets: { redisPassword: '', remoteToken: '' },
    view: structuredClone(view),
    backend,
    failNextSave: null,
    testResult: (req) => ({
      ok: true,
      value: {
        message: `Connected: TaskPulse 0.1.0, Redis connected, 12 ms (${req.url})`,
        version: '0.1.0',
        redis: 'connected',
        latencyMs: 12,
      },
    }),
    emitBackend(s) {
      fake.backend = s
      for (const cb of statusSubs) cb(s)
    },
    getConnection() {
      fake.calls.push({ method: 'getConnection' })
      return ok({
        url: 'http://127.0.0.1:4100',
        wsUrl: 'ws://127.0.0.1:4100/ws',
        token: 't',
        mode: 'embedded' as const,
      })
    },
    onConnectionChanged: () => () => {},
    onNavigateToTask: () => () => {},
    onNavigateToList: () => () => {},
    getSettings() {
      fake.calls.push({ method: 'getSettings' })
      return ok(fake.view)
    },
    setSettings(patch) {
      fake.calls.push({ method: 'setSettings', arg: patch })
      fake.patches.push(structuredClone(patch))
      if (fake.failNextSave) {
        const error = fake.failNextSave
        fake.failNextSave = null
        return Promise.resolve({ ok: false, error })
      }
      const parsed = settingsPatchSchema.safeParse(patch)
      if (!parsed.success)
        return Promise.resolve({ ok: false, error: `invalid patch: ${parsed.error.message}` })
      const p = parsed.data
      const v = fake.view
      v.backend = { ...v.backend, ...p.backend }
      v.notifications = { ...v.notifications, ...p.notifications }
      v.app = { ...v.app, ...p.app }
      if (p.secrets?.redisPassword !== undefined) {
        fake.secrets.redisPassword = p.secrets.redisPassword
        v.secrets.redisPasswordSet = p.secrets.redisPassword !== ''
      }
      if (p.secrets?.remoteToken !== undefined) {
        fake.secrets.remoteToken = p.secrets.remoteToken
        v.secrets.remoteTokenSet = p.secrets.remoteToken !== ''
      }
      return ok(v)
    },
    testConnection(req) {
      fake.calls.push({ method: 'testConnection', arg: req })
      return Promise.resolve(fake.testResult(req))
    },
    getBackendStatus() {
      fake.calls.push({ method: 'getBackendStatus' })
      return ok(fake.backend)
    },
    onBackendStatus(cb) {
      statusSubs.add(cb)
      return () => statusSubs.delete(cb)
    },
    retryBackend() {
      fake.calls.push({ method: 'retryBackend' })
      fake.emitBackend({ status: 'starting' })
      return ok(fake.backend)
    },
    pauseNotifications(choice: PauseChoice) {
      fake.calls.push({ method: 'pauseNotifications', arg: choice })
      const t = now()
      const tomorrow = new Date(t)
      tomorrow.setHours(24, 0, 0, 0)
      fake.view.notifications.pausedUntil =
        choice === 'off' ? null : choice === '1h' ? t + 3_600_000 : tomorrow.getTime()
      return ok(fake.view)
    },
  }
  return fake
}
