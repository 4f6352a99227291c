// Which backend the app talks to, and how that changes: the embedded one (a child run by the
// supervisor) or a remote `taskpulse serve`. Owns the current connection and backend state and
// tells its listeners when either changes. Every change goes through the supervisor's one queue
// (apply(null) stops the embedded child for remote mode), so runs never overlap and a burst of
// settings changes ends with exactly the last one applied.
import type { BackendState, Connection } from '../../src-shared/ipc'
import type { BackendConfig } from '../settings/settings-store'
import type { BackendSupervisor, EmbeddedConfig, Logger } from './backend-supervisor'

export type BackendMode = BackendConfig['mode']

/** Why a remote backend URL cannot be used, or null when it can (http or https with a host). */
export function remoteUrlProblem(url: string, fromEnv: boolean): string | null {
  const where = fromEnv ? 'TASKPULSE_BACKEND_URL' : 'Remote server URL (Settings → Backend)'
  if (!url) return fromEnv ? `${where} is empty` : 'Remote mode: no server URL set (Settings → Backend)'
  const parsed = URL.canParse(url) ? new URL(url) : null
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.host)
    return `${where} must be an http:// or https:// URL, e.g. http://${url.replace(/^[a-z]+:\/\//i, '') || '127.0.0.1:8080'} (got "${url}")`
  return null
}

export const wsUrlOf = (url: string): string => {
  const u = new URL(url)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`
  return u.toString()
}

export interface BackendService {
  /** Subscribes to the supervisor and applies `config`. */
  start(config: BackendConfig): Promise<void>
  /** Switches to the backend `config` describes. Resolves once the old one is stopped and the new
   * one forked or connected to (not when it is ready: that arrives as states). */
  apply(config: BackendConfig): Promise<void>
  /** After the supervisor gave up (or a remote URL was refused): try again. */
  retry(): Promise<BackendState>
  connection(): Connection | null
  state(): BackendState
  onConnection(listener: (next: Connection | null, before: Connection | null) => void): () => void
  onState(listener: (state: BackendState, mode: BackendMode) => void): () => void
  /** Stops the embedded backend after what is queued; later applies do nothing. Idempotent. */
  stop(): Promise<void>
}

export function createBackendService(deps: {
  supervisor: BackendSupervisor
  /** The supervisor's config for an embedded backend with these settings. */
  embeddedConfig: (config: Extract<BackendConfig, { mode: 'embedded' }>) => EmbeddedConfig
  /** Whether the remote URL comes from TASKPULSE_BACKEND_URL (for the error message). */
  remoteFromEnv: () => boolean
  log: Logger
}): BackendService {
  const { supervisor, log } = deps
  let mode: BackendMode = 'embedded'
  let applied: BackendConfig | null = null
  let connection: Connection | null = null
  let state: BackendState = { status: 'stopped' }
  let stopped = false
  let offSupervisor: (() => void) | null = null
  const connectionListeners = new Set<(next: Connection | null, before: Connection | null) => void>()
  const stateListeners = new Set<(state: BackendState, mode: BackendMode) => void>()

  const setConnection = (next: Connection | null): void => {
    const before = connection
    connection = next
    for (const l of connectionListeners) l(next, before)
  }
  const publish = (next: BackendState): void => {
    state = next
    for (const l of stateListeners) l(next, mode)
  }

  const apply = async (config: BackendConfig): Promise<void> => {
    if (stopped) return
    applied = config
    mode = config.mode
    if (config.mode === 'embedded') {
      await supervisor.apply(deps.embeddedConfig(config))
      return
    }
    // Remote: the embedded child (if any) stops behind whatever is queued; its last states
    // (stopping) are not this backend's, so they are not published (see onState below).
    const stopping = supervisor.apply(null)
    const problem = remoteUrlProblem(config.url, deps.remoteFromEnv())
    if (problem) {
      log.error({ url: config.url }, problem)
      publish({ status: 'failed', error: problem })
      setConnection(null)
    } else {
      const remote: Connection = {
        url: config.url.replace(/\/+$/, ''),
        wsUrl: wsUrlOf(config.url),
        token: config.token,
        mode: 'remote',
      }
      publish({ status: 'running', connection: remote })
      setConnection(remote)
    }
    await stopping
  }

  return {
    async start(config) {
      offSupervisor ??= supervisor.onState((next) => {
        if (mode !== 'embedded') return
        publish(next)
        if (next.status === 'running') setConnection(next.connection)
      })
      await apply(config)
    },
    apply: (config) =>
      apply(config).catch((err: Error) =>
        log.error({ err: err.message }, 'applying the backend settings failed'),
      ),
    async retry() {
      if (mode === 'embedded' && applied) await supervisor.retry().catch(() => {})
      else if (applied) await apply(applied)
      return state
    },
    connection: () => connection,
    state: () => state,
    onConnection(listener) {
      connectionListeners.add(listener)
      return () => connectionListeners.delete(listener)
    },
    onState(listener) {
      stateListeners.add(listener)
      return () => stateListeners.delete(listener)
    },
    async stop() {
      stopped = true
      // After anything queued, so nothing a settings change forks outlives the app.
      await supervisor.stop()
      offSupervisor?.()
      offSupervisor = null
    },
  }
}
