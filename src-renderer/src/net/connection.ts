// Where the backend is. In Electron the preload bridge (`window.desktop`) tells us, and may tell
// us again when the embedded backend restarts on another port. In a browser the page's own origin
// serves the API, and the token comes once in the address (`#token=…`): it is then kept in
// sessionStorage (this tab only) and removed from the address bar so it is not bookmarked,
// shared in a screenshot or sent as a referrer.
import type { Connection } from '../../../src-shared/ipc'
import { desktopBridge } from './desktop-bridge'

export const TOKEN_KEY = 'taskpulse.token'

function isConnection(v: unknown): v is Connection {
  if (!v || typeof v !== 'object') return false
  const c = v as Record<string, unknown>
  return typeof c.url === 'string' && typeof c.token === 'string'
}

/** Accepts `Connection` or `IpcResult<Connection>` (the bridge returns the latter). */
export function unwrapConnection(v: unknown): Connection | null {
  if (v && typeof v === 'object' && 'ok' in v) {
    const r = v as { ok: boolean; value?: unknown }
    return r.ok && isConnection(r.value) ? withWsUrl(r.value) : null
  }
  return isConnection(v) ? withWsUrl(v) : null
}

function withWsUrl(c: Connection): Connection {
  const url = c.url.replace(/\/+$/, '')
  return { ...c, url, wsUrl: c.wsUrl || wsUrlFor(url) }
}

export function wsUrlFor(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + '/ws'
}

/** Reads `#token=` (then forgets the hash) or the token kept for this tab. */
export function takeBrowserToken(
  loc: Location,
  storage: Storage | null,
  history: History | null,
): string | null {
  const hash = loc.hash.startsWith('#') ? loc.hash.slice(1) : loc.hash
  const params = new URLSearchParams(hash)
  const fromHash = params.get('token')
  if (fromHash) {
    try {
      storage?.setItem(TOKEN_KEY, fromHash)
    } catch {
      // Storage may be disabled; the token then lives for this page load only.
    }
    params.delete('token')
    const rest = params.toString()
    history?.replaceState(history.state, '', loc.pathname + loc.search + (rest ? `#${rest}` : ''))
    return fromHash
  }
  try {
    return storage?.getItem(TOKEN_KEY) ?? null
  } catch {
    return null
  }
}

export function browserConnection(token: string, loc: Location): Connection | null {
  if (!/^https?:$/.test(loc.protocol)) return null
  return { url: loc.origin, wsUrl: wsUrlFor(loc.origin), token, mode: 'remote' }
}

export interface ConnectionSource {
  /** The connection to use now (refreshed from the bridge in Electron). */
  resolve(): Promise<Connection | null>
  current(): Connection | null
  /** Replaces the token (a person pasted a new one). */
  setToken(token: string): void
  onChange(cb: (c: Connection) => void): () => void
  isDesktop: boolean
}

export function createConnectionSource(win: Window = window): ConnectionSource {
  const bridge = desktopBridge(win)
  let current: Connection | null = null
  const listeners = new Set<(c: Connection) => void>()
  const emit = (c: Connection) => {
    for (const l of listeners) l(c)
  }
  let storage: Storage | null = null
  try {
    storage = win.sessionStorage
  } catch {
    storage = null
  }

  if (bridge) {
    bridge.onConnectionChanged((v) => {
      const c = unwrapConnection(v)
      if (c) {
        current = c
        emit(c)
      }
    })
  } else {
    const token = takeBrowserToken(win.location, storage, win.history)
    current = token ? browserConnection(token, win.location) : null
  }

  return {
    isDesktop: bridge !== null,
    current: () => current,
    async resolve() {
      if (bridge) {
        try {
          const c = unwrapConnection(await bridge.getConnection())
          if (c) current = c
        } catch {
          // Keep the last known connection; the socket retries.
        }
      }
      return current
    },
    setToken(token) {
      try {
        storage?.setItem(TOKEN_KEY, token)
      } catch {
        // ignore
      }
      const base = current ?? browserConnection(token, win.location)
      if (base) {
        current = { ...base, token }
        emit(current)
      }
    },
    onChange(cb) {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
  }
}
