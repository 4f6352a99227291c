// Main's side of the desktop bridge for renderer tests, built from the real parts: the settings
// store on a temporary userData folder, the IPC services and handlers (sender check, zod, IpcResult)
// registered on the fake electron, and pushes sent through the contract's typed `send`. What is
// not under test is stubbed: the backend is a state a test sets (and "retry" restarts it), and
// "Test connection" reaches a pretend TaskPulse server through an injected fetch.
//
// `transport` is what the preload's ipcRenderer would be: a renderer fake wraps it with the
// contract's createDesktopApi (test/fakes/renderer/fake-desktop.ts); the Chromium test forwards it
// into the page (test/e2e/settings-desktop.test.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BackendState, Connection } from '../../../src-shared/ipc'
import {
  invokeContract,
  type BridgeTransport,
  type InvokeName,
  type PushName,
  type PushPayload,
} from '../../../src-shared/ipc-contract'
import { registerIpcHandlers } from '../../../src-main/ipc/ipc-handlers'
import { createIpcServices } from '../../../src-main/ipc/ipc-services'
import { sendPush } from '../../../src-main/ipc/typed-ipc'
import {
  createSettingsStore,
  type LaunchEnv,
  type SettingsStore,
} from '../../../src-main/settings/settings-store'
import { APP_URL, appUrlMatcher } from '../../../src-main/window/security'
import { createFakeElectron, fakeSafeStorage, type FakeElectron } from './fake-electron'

export const DEFAULT_CONNECTION: Connection = {
  url: 'http://127.0.0.1:4100',
  wsUrl: 'ws://127.0.0.1:4100/ws',
  token: 't',
  mode: 'embedded',
}

export interface DesktopMainOptions {
  /** settings.json as found at start (an object is written as JSON, a string as is). */
  settingsFile?: unknown
  safeStorage?: { available?: boolean; backend?: string }
  env?: LaunchEnv
  backend?: BackendState
  /** The page the bridge calls come from (default: the app's own page). */
  frameUrl?: string
  /** A dev-server URL trusted like the app's page (see appUrlMatcher). */
  trustedDevUrl?: string
  /** The token the pretend remote server accepts for "Test connection". */
  remoteToken?: string
  now?: () => number
}

export interface DesktopMain {
  electron: FakeElectron
  settings: SettingsStore
  /** userData of this instance. */
  dir: string
  transport: BridgeTransport
  /** Every call the renderer made, by contract name, with its first argument. */
  calls: { method: InvokeName; arg?: unknown }[]
  /** The backend state main reports; `setBackend` pushes a change as the supervisor would. */
  backend: BackendState
  setBackend(state: BackendState): void
  push<K extends PushName>(name: K, payload: PushPayload<K>): void
  /** The token the pretend remote server accepts. */
  remoteToken: string
  /** Makes the next settings writes fail for real (the temp file's path is taken). */
  breakSettingsWrites(): void
  repairSettingsWrites(): void
  dispose(): void
}

const channelNames = new Map<string, InvokeName>(
  (Object.keys(invokeContract) as InvokeName[]).map((name) => [invokeContract[name].channel, name]),
)

export function createDesktopMain(opts: DesktopMainOptions = {}): DesktopMain {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-desktop-main-'))
  if (opts.settingsFile !== undefined)
    writeFileSync(
      join(dir, 'settings.json'),
      typeof opts.settingsFile === 'string' ? opts.settingsFile : JSON.stringify(opts.settingsFile),
    )
  const safeStorage = fakeSafeStorage(opts.safeStorage)
  const electron = createFakeElectron({ userData: dir, safeStorage })
  const settings = createSettingsStore({
    dir,
    safeStorage,
    env: opts.env ?? {},
    ...(opts.now ? { now: opts.now } : {}),
  })
  // As at start in main: reading the backend config unseals the stored secrets (and warns when
  // one no longer decrypts).
  settings.backendConfig()

  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const webContents = {
    send(channel: string, payload: unknown) {
      for (const l of listeners.get(channel) ?? []) l(payload)
    },
  }
  // The pretend remote: a TaskPulse health answer, and 401 unless the token is the accepted one.
  let clock = 0
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    if (url.pathname === '/api/health')
      return Response.json({ status: 'ok', redis: 'connected', version: '0.1.0' })
    const auth = new Headers(init?.headers).get('authorization')
    return auth === `Bearer ${main.remoteToken}`
      ? Response.json({ tasks: [], next_cursor: null })
      : Response.json({ error: { code: 'unauthorized', message: 'token refused' } }, { status: 401 })
  }) as typeof fetch

  const main: DesktopMain = {
    electron,
    settings,
    dir,
    calls: [],
    backend: opts.backend ?? { status: 'running', connection: DEFAULT_CONNECTION },
    remoteToken: opts.remoteToken ?? 'team-token',
    transport: {
      async invoke(channel, args) {
        const method = channelNames.get(channel)
        if (method) main.calls.push(args.length > 0 ? { method, arg: structuredClone(args[0]) } : { method })
        return electron.ipc.invoke(method ?? (channel as InvokeName), opts.frameUrl ?? APP_URL, ...args)
      },
      subscribe(channel, listener) {
        const set = listeners.get(channel) ?? new Set()
        listeners.set(channel, set)
        set.add(listener)
        return () => {
          set.delete(listener)
        }
      },
    },
    setBackend(state) {
      main.backend = state
      main.push('onBackendStatus', state)
    },
    push(name, payload) {
      sendPush(webContents, name, structuredClone(payload))
    },
    breakSettingsWrites() {
      mkdirSync(join(dir, `settings.json.${process.pid}.tmp`), { recursive: true })
    },
    repairSettingsWrites() {
      rmSync(join(dir, `settings.json.${process.pid}.tmp`), { recursive: true, force: true })
    },
    dispose() {
      unregister()
      rmSync(dir, { recursive: true, force: true })
    },
  }

  const unregister = registerIpcHandlers({
    ipcMain: electron.ipcMain,
    isTrustedSender: appUrlMatcher(opts.trustedDevUrl),
    log: { warn() {} },
    services: createIpcServices({
      settings,
      backend: {
        connection: () => (main.backend.status === 'running' ? main.backend.connection : null),
        state: () => main.backend,
        apply: async () => {},
        // The supervisor starts over; its progress would follow as pushes.
        retry: async () => {
          main.setBackend({ status: 'starting' })
          return main.backend
        },
      },
      setLoginItem: () => {},
      fetch: fakeFetch,
      // "12 ms" between the two reads of the clock, so the message is the same on every machine.
      now: () => (clock += 12),
    }),
  })
  return main
}
