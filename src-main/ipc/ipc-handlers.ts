// IPC handlers behind the preload bridge: one per entry of the contract (src-shared/ipc-contract.ts),
// each answered by the service method of the same name. Every handler first checks that the caller
// is the app's own page (sender frame URL), then parses its payload with zod (`invokeArgsSchemas`),
// and answers with an IpcResult (`{ok, value}` / `{ok:false, error}`) instead of throwing across
// the bridge (see typed-ipc.ts).
import {
  invokeArgsSchemas,
  type TestConnectionRequest,
  type TestConnectionResult,
} from '../../src-shared/ipc'
import { invokeContract, type InvokeName } from '../../src-shared/ipc-contract'
import type { IpcMainLike } from '../electron-types'
import { APP_ORIGIN } from '../window/security'
import { handleInvoke, type InvokeHandler } from './typed-ipc'

/** What answers the calls: derived from the contract, one method per call. */
export type IpcServices = { [K in InvokeName]: InvokeHandler<K> }

export function registerIpcHandlers(deps: {
  ipcMain: IpcMainLike
  isTrustedSender: (frameUrl: string) => boolean
  services: IpcServices
  log: { warn(obj: object, msg?: string): void }
}): () => void {
  const register = <K extends InvokeName>(name: K): (() => void) =>
    handleInvoke(deps, name, invokeArgsSchemas[name], deps.services[name])
  const unregister = (Object.keys(invokeContract) as InvokeName[]).map(register)
  return () => {
    for (const off of unregister) off()
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
