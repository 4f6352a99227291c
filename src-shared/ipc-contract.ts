// The IPC contract between the Electron main process and the renderer, in one place: every call
// the renderer can make (name → channel, argument tuple, result) and every event main pushes to
// the window (name → channel, payload). Main's typed `handle`/`send` (src-main/ipc/typed-ipc.ts),
// the preload's bridge (`createDesktopApi` below) and the renderer's `DesktopApi` are all derived
// from these two maps, so a new call is one entry here, its zod argument schema in ipc.ts (the
// compiler asks for it) and the service method that answers it.
//
// No runtime import of zod or anything else: the sandboxed preload bundles this file and may
// require nothing but 'electron'. The argument and result types ride along as phantom types.
import type {
  BackendState,
  Connection,
  PauseChoice,
  SettingsPatch,
  SettingsView,
  TestConnectionRequest,
  TestConnectionResult,
} from './ipc'

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: string }

/** One invoke channel; `types` exists only for the compiler. */
export interface InvokeSpec<C extends string, Args extends unknown[], Result> {
  readonly channel: C
  readonly types?: { args: Args; result: Result }
}
/** One push channel (main → window); `types` exists only for the compiler. */
export interface PushSpec<C extends string, Payload> {
  readonly channel: C
  readonly types?: { payload: Payload }
}
// Curried so the types are written and the channel's literal is inferred.
const call =
  <Args extends unknown[], Result>() =>
  <C extends string>(channel: C): InvokeSpec<C, Args, Result> => ({ channel })
const push =
  <Payload>() =>
  <C extends string>(channel: C): PushSpec<C, Payload> => ({ channel })

/** Calls the renderer makes; main answers each with an IpcResult. Channels namespaced `area:verb`. */
export const invokeContract = {
  getConnection: call<[], Connection>()('backend:get-connection'),
  getSettings: call<[], SettingsView>()('settings:get'),
  setSettings: call<[patch: SettingsPatch], SettingsView>()('settings:set'),
  testConnection: call<[request: TestConnectionRequest], TestConnectionResult>()('backend:test-connection'),
  getBackendStatus: call<[], BackendState>()('backend:get-status'),
  retryBackend: call<[], BackendState>()('backend:retry'),
  pauseNotifications: call<[choice: PauseChoice], SettingsView>()('notifications:pause'),
}

/** What main sends to the window, keyed by the bridge member that subscribes to it. */
export const pushContract = {
  /** The backend moved (restart on a new port, mode change). */
  onConnectionChanged: push<Connection>()('backend:connection-changed'),
  /** A notification (or the tray) asks to show one task. */
  onNavigateToTask: push<string>()('ui:navigate-to-task'),
  /** A summary notification was clicked: show the task list (optionally one status). */
  onNavigateToList: push<{ status?: 'failed' | 'completed' }>()('ui:navigate-to-list'),
  onBackendStatus: push<BackendState>()('backend:status-changed'),
}

export type InvokeName = keyof typeof invokeContract
export type PushName = keyof typeof pushContract
type TypesOf<S> = NonNullable<S extends { readonly types?: infer T } ? T : never>
export type InvokeArgs<K extends InvokeName> = TypesOf<(typeof invokeContract)[K]>['args']
export type InvokeResult<K extends InvokeName> = TypesOf<(typeof invokeContract)[K]>['result']
export type PushPayload<K extends PushName> = TypesOf<(typeof pushContract)[K]>['payload']
/** The channel names themselves: no other string is a channel. */
export type InvokeChannel = (typeof invokeContract)[InvokeName]['channel']
export type PushChannel = (typeof pushContract)[PushName]['channel']

/** `window.desktop`, exposed by src-main/preload/index.ts: one member per entry of the two maps.
 * Calls resolve to an IpcResult (never throw across the bridge); subscriptions return the
 * unsubscribe. In a plain browser there is no `window.desktop`. */
export type DesktopApi = {
  [K in InvokeName]: (...args: InvokeArgs<K>) => Promise<IpcResult<InvokeResult<K>>>
} & {
  [K in PushName]: (listener: (payload: PushPayload<K>) => void) => () => void
}

/** How a bridge reaches main: the preload passes ipcRenderer, test fakes pass their own. */
export interface BridgeTransport {
  invoke(channel: InvokeChannel, args: unknown[]): Promise<unknown>
  subscribe(channel: PushChannel, listener: (payload: unknown) => void): () => void
}

const names = <T extends object>(o: T) => Object.keys(o) as (keyof T)[]

/** Builds `window.desktop` from the contract. The one cast is sound by construction: every
 * member is made from its own contract entry, and main's handlers are typed from the same entry. */
export function createDesktopApi(transport: BridgeTransport): DesktopApi {
  const api: Record<string, unknown> = {}
  for (const name of names(invokeContract)) {
    const { channel } = invokeContract[name]
    api[name] = (...args: unknown[]) => transport.invoke(channel, args)
  }
  for (const name of names(pushContract)) {
    const { channel } = pushContract[name]
    api[name] = (listener: (payload: unknown) => void) => transport.subscribe(channel, listener)
  }
  return api as DesktopApi
}
