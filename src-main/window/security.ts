// Window hardening: the renderer is served from a private `app://taskpulse` origin with a strict
// Content-Security-Policy (only the app itself and the backend origin), navigation and new windows
// are denied (http(s) links go to the OS browser), webviews and permission requests are refused.
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { BrowserWindowLike, PermissionHandlers, ProtocolLike } from '../electron-types'

export const APP_SCHEME = 'app'
export const APP_HOST = 'taskpulse'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const APP_URL = `${APP_ORIGIN}/index.html`

/** http(s) origin of the backend plus its ws(s) twin; [] when unknown. */
export function backendOrigins(url: string | null): string[] {
  if (!url) return []
  try {
    const u = new URL(url)
    const wsProtocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
    return [u.origin, `${wsProtocol}//${u.host}`]
  } catch {
    return []
  }
}

/** Whether a page served with `csp` may fetch from and open a socket to the backend at `url`. */
export function cspAllowsBackend(csp: string, url: string): boolean {
  const connect = csp
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find((d) => d[0] === 'connect-src')
  const origins = backendOrigins(url)
  return origins.length > 0 && origins.every((o) => connect?.includes(o) === true)
}

export function buildCsp(backendUrl: string | null): string {
  const connect = ["'self'", ...backendOrigins(backendUrl)].join(' ')
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React style attributes are CSSOM (allowed); library stylesheets may inject <style>.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Must run before app `ready`: makes app:// a standard, secure origin that may use fetch. */
export function registerAppScheme(protocol: ProtocolLike): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ])
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json',
}

/**
 * Serves the built renderer (out/renderer) at app://taskpulse/, every response with the CSP for
 * the current backend. Unknown paths without an extension get index.html (client-side routes);
 * anything resolving outside the folder is 404.
 */
export function createAppProtocolHandler(opts: {
  rendererDir: string
  csp: () => string
  /** Told the CSP a page (a document: index.html or a client-side route) is served with, at the
   * moment it is chosen, so main knows which backend origins that page may reach. */
  onDocument?: (csp: string) => void
}): (request: Request) => Promise<Response> {
  const root = normalize(opts.rendererDir)
  return async (request) => {
    const url = new URL(request.url)
    const csp = opts.csp()
    const ext = extname(url.pathname).toLowerCase()
    if (url.host === APP_HOST && (ext === '' || ext === '.html')) opts.onDocument?.(csp)
    const headers = {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Opener-Policy': 'same-origin',
    }
    if (url.host !== APP_HOST) return new Response('not found', { status: 404, headers })
    let rel = decodeURIComponent(url.pathname)
    if (rel === '/' || rel === '') rel = '/index.html'
    const file = normalize(join(root, rel))
    if (file !== root && !file.startsWith(root + sep))
      return new Response('not found', { status: 404, headers })
    const type = CONTENT_TYPES[extname(file).toLowerCase()]
    try {
      const body = await readFile(file)
      return new Response(body, {
        status: 200,
        headers: { ...headers, 'Content-Type': type ?? 'application/octet-stream' },
      })
    } catch {
      if (extname(rel) === '') {
        const index = await readFile(join(root, 'index.html')).catch(() => null)
        if (index)
          return new Response(index, {
            status: 200,
            headers: { ...headers, 'Content-Type': CONTENT_TYPES['.html'] as string },
          })
      }
      return new Response('not found', { status: 404, headers })
    }
  }
}

const isWebLink = (url: string): boolean => {
  try {
    const p = new URL(url).protocol
    return p === 'http:' || p === 'https:'
  } catch {
    return false
  }
}

/**
 * Denies navigation away from the app and every new window; http(s) targets open in the OS
 * browser instead. `isAppUrl` says which URLs are the app itself (its own pages may reload).
 */
export function hardenWindow(
  win: BrowserWindowLike,
  deps: {
    openExternal: (url: string) => Promise<void>
    isAppUrl: (url: string) => boolean
    onBlocked?: (what: string, url: string) => void
  },
): void {
  const external = (url: string): void => {
    if (isWebLink(url)) void deps.openExternal(url).catch(() => {})
  }
  const guard = (what: string) => (event: { preventDefault(): void }, url: string) => {
    if (deps.isAppUrl(url)) return
    event.preventDefault()
    deps.onBlocked?.(what, url)
    external(url)
  }
  win.webContents.on('will-navigate', guard('navigation'))
  win.webContents.on('will-redirect', guard('redirect'))
  win.webContents.on('will-attach-webview', (event) => {
    event.preventDefault()
    deps.onBlocked?.('webview', '')
  })
  win.webContents.setWindowOpenHandler(({ url }) => {
    deps.onBlocked?.('window.open', url)
    external(url)
    return { action: 'deny' }
  })
}

/** No camera, microphone, geolocation, notifications-from-the-page, … for the renderer. */
export function denyAllPermissions(session: PermissionHandlers): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}

/** The app's own URL space: app://taskpulse/… (and the electron-vite dev server in development). */
export function appUrlMatcher(devServerUrl: string | undefined): (url: string) => boolean {
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : null
  return (url) => {
    try {
      const u = new URL(url)
      if (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST) return true
      return devOrigin !== null && u.origin === devOrigin
    } catch {
      return false
    }
  }
}
