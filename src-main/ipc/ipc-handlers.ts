// IPC handlers behind the preload bridge. Every handler first checks that the caller is the app's
// own page (sender frame URL), then parses its payload with zod, and answers with an IpcResult
// (`{ok, value}` / `{ok:false, error}`) instead of throwing across the bridge.
import { z } from 'zod'
import {
  Channel,
  pauseChoiceSchema,
  settingsPatchSchema,
  testConnectionRequestSchema,
  type BackendState,
  type Connection,
  type IpcResult,
  type PauseChoice,
  type SettingsPatch,
  type SettingsView,
  type TestConnectionRequest,
  type TestConnectionResult,
} from '../../src-shared/ipc'
import type { IpcMainInvokeEventLike, IpcMainLike } from '../electron-types'
import { APP_ORIGIN } from '../window/security'

export interface IpcServices {
  getConnection(): Connection | null
  getSettings(): SettingsView
  setSettings(patch: SettingsPatch): Promise<SettingsView> | SettingsView
  testConnection(request: TestConnectionRequest): Promise<TestConnectionResult>
  getBackendStatus(): BackendState
  retryBackend(): Promise<BackendState>
  pauseNotifications(choice: PauseChoice): SettingsView
}

const noArgs = z.tuple([])

export function registerIpcHandlers(deps: {
  ipcMain: IpcMainLike
  isTrustedSender: (frameUrl: string) => boolean
  services: IpcServices
  log: { warn(obj: object, msg?: string): void }
}): () => void {
  const channels: string[] = []

  function handle<A extends unknown[], T>(
    channel: string,
    args: z.ZodType<A>,
    fn: (...a: A) => T | Promise<T>,
  ): void {
    channels.push(channel)
    deps.ipcMain.handle(
      channel,
      async (event: IpcMainInvokeEventLike, ...raw: unknown[]): Promise<IpcResult<T>> => {
        const url = event.senderFrame?.url ?? ''
        if (!deps.isTrustedSender(url)) {
          deps.log.warn({ channel, url }, 'IPC from an untrusted sender refused')
          return { ok: false, error: 'forbidden: untrusted sender' }
        }
        const parsed = args.safeParse(raw)
        if (!parsed.success) {
          const issue = parsed.error.issues[0]
          return {
            ok: false,
            error: `invalid payload: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'rejected'}`,
          }
        }
        try {
          return { ok: true, value: await fn(...parsed.data) }
        } catch (err) {
          return { ok: false, error: (err as Error).message || 'failed' }
        }
      },
    )
  }

  const s = deps.services
  handle(Channel.getConnection, noArgs, () => {
    const c = s.getConnection()
    if (!c) throw new Error('backend not connected yet')
    return c
  })
  handle(Channel.getSettings, noArgs, () => s.getSettings())
  handle(Channel.setSettings, z.tuple([settingsPatchSchema]), (patch) => s.setSettings(patch))
  handle(Channel.testConnection, z.tuple([testConnectionRequestSchema]), (req) => s.testConnection(req))
  handle(Channel.getBackendStatus, noArgs, () => s.getBackendStatus())
  handle(Channel.retryBackend, noArgs, () => s.retryBackend())
  handle(Channel.pauseNotifications, z.tuple([pauseChoiceSchema]), (choice) => s.pauseNotifications(choice))

  return () => {
    for (const c of channels) deps.ipcMain.removeHandler(c)
  }
}

/**
 * Probes a remote backend: health without the token, then an authenticated call, so the result
 * says which of "unreachable", "not TaskPulse" and "token refused" it is.
 */
export async function testRemoteConnection(
  request: TestConnectionRequest,
  deps: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number } = {},
): Promise<TestConnectionResult> {
  const doFetch = deps.fetch ?? fetch
  const now = deps.now ?? Date.now
  const base = request.url.replace(/\/+$/, '')
  const started = now()
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 5_000)
  // Asked as the window will ask: a server that does not allow the app's origin answers the
  // window 403, so the probe must see that too.
  const originHeader = { Origin: APP_ORIGIN }
  let health: { status?: string; redis?: string; version?: string }
  try {
    const res = await doFetch(`${base}/api/health`, { signal, headers: originHeader })
    await refusedOrigin(res, base)
    if (!res.ok)
      throw new Error(
        `Reached ${base}, but /api/health answered HTTP ${res.status}: is this a TaskPulse server?`,
      )
    health = (await res.json()) as typeof health
  } catch (err) {
    const e = err as Error
    if (e.message.startsWith('Reached') || e.message.includes('--allowed-origins')) throw e
    throw new Error(
      `Cannot reach ${base}: ${e.name === 'TimeoutError' ? 'no answer within 5 s' : ((e.cause as Error | undefined)?.message ?? e.message)}`,
      {
        cause: err,
      },
    )
  }
  if (health.status !== 'ok') throw new Error(`${base} answered, but not like a TaskPulse server`)
  const latencyMs = now() - started
  const auth = await doFetch(`${base}/api/tasks?limit=1`, {
    headers: { ...originHeader, Authorization: `Bearer ${request.token ?? ''}` },
    signal,
  })
  await refusedOrigin(auth, base)
  if (auth.status === 401) throw new Error('Connected, but the token was refused (401): check the token')
  if (!auth.ok) throw new Error(`Connected, but an authenticated request failed with HTTP ${auth.status}`)
  const version = health.version ?? 'unknown'
  const redis = health.redis ?? 'unknown'
  return {
    message: `Connected: TaskPulse ${version}, Redis ${redis}, ${latencyMs} ms`,
    version,
    redis,
    latencyMs,
  }
}

/** Throws a clear message when the server refused the app's origin (403 forbidden_origin). */
async function refusedOrigin(res: Response, base: string): Promise<void> {
  if (res.status !== 403) return
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { error?: { code?: string } } | null
  if (body?.error?.code === 'forbidden_origin')
    throw new Error(
      `${base} is a TaskPulse server, but it refuses the desktop app (403 forbidden_origin): start the server with --allowed-origins ${APP_ORIGIN}`,
    )
}
