// Request guards shared by every HTTP route and the WebSocket upgrade: the Host allowlist (DNS
// rebinding), the Origin check, and the bearer token compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export interface GuardOptions {
  /** True when bound to a loopback address: only loopback Host values are served. */
  loopback: boolean
  /** The bound address as it appears in a Host header (e.g. 127.0.0.2, [::1]): served too. */
  bindHost?: string
  /** Filled once listening (the port is known then). */
  port: () => number
  /** Host header values served on a non-loopback bind; empty: any. */
  allowedHosts: readonly string[]
  /** Browser origins allowed besides the server's own (e.g. the Electron window's). */
  allowedOrigins: readonly string[]
  token: string
}

/**
 * The request-target as a URL, or null when it is not one. Total: `new URL()` throws on targets a
 * client can send at will (`//`, `//[`, `http://[`), and a throw in the upgrade handler ends the
 * process. Absolute-form targets (`http://host/ws`) parse as themselves.
 */
export function requestUrlOf(req: Pick<IncomingMessage, 'url'>): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://x')
  } catch {
    return null
  }
}

export type GuardVerdict = { ok: true } | { ok: false; status: 401 | 403; code: string; message: string }

export function createGuard(opts: GuardOptions) {
  const tokenDigest = createHash('sha256').update(opts.token).digest()

  function hostAllowed(host: string | undefined): boolean {
    if (!host) return false
    const h = host.toLowerCase()
    if (opts.loopback) {
      const port = opts.port()
      return (
        h === `127.0.0.1:${port}` ||
        h === `localhost:${port}` ||
        h === `[::1]:${port}` ||
        (opts.bindHost !== undefined && h === `${opts.bindHost.toLowerCase()}:${port}`)
      )
    }
    if (opts.allowedHosts.length === 0) return true
    return opts.allowedHosts.some((a) => a.toLowerCase() === h || a.toLowerCase() === h.replace(/:\d+$/, ''))
  }

  function originAllowed(origin: string, host: string | undefined): boolean {
    if (opts.allowedOrigins.includes(origin)) return true
    try {
      const o = new URL(origin)
      // The server's own origin: same host:port as the request was addressed to.
      return (
        (o.protocol === 'http:' || o.protocol === 'https:') && o.host.toLowerCase() === host?.toLowerCase()
      )
    } catch {
      return false
    }
  }

  return {
    originAllowed,

    /** Host and Origin: applied to every request, health included. */
    checkRequest(req: IncomingMessage): GuardVerdict {
      // Node keeps the first of duplicate Host/Origin headers as a string; anything else is refused.
      if (typeof req.headers.host !== 'string' || !hostAllowed(req.headers.host)) {
        return { ok: false, status: 403, code: 'forbidden_host', message: 'Host header not allowed' }
      }
      const origin: unknown = req.headers.origin
      if (origin !== undefined && (typeof origin !== 'string' || !originAllowed(origin, req.headers.host))) {
        const shown = (typeof origin === 'string' ? origin : JSON.stringify(origin)).slice(0, 200)
        return { ok: false, status: 403, code: 'forbidden_origin', message: `Origin ${shown} not allowed` }
      }
      return { ok: true }
    },

    tokenMatches(candidate: string | undefined | null): boolean {
      if (!candidate) return false
      const digest = createHash('sha256').update(candidate).digest()
      return timingSafeEqual(digest, tokenDigest)
    },

    /** The token of a request: `Authorization: Bearer T`, or `?token=T` (WebSocket upgrades only). */
    tokenOf(req: IncomingMessage, allowQuery: boolean): string | null {
      // The auth scheme is case-insensitive (RFC 7235).
      const header: unknown = req.headers.authorization
      const auth = typeof header === 'string' ? /^bearer\s+(.+)$/i.exec(header) : null
      if (auth) return auth[1]!.trim()
      if (allowQuery) {
        const t = requestUrlOf(req)?.searchParams.get('token')
        if (t) return t
      }
      return null
    },
  }
}

export type Guard = ReturnType<typeof createGuard>
