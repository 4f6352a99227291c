import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WindowBounds } from '../../src-shared/ipc'
import {
  APP_URL,
  appUrlMatcher,
  buildCsp,
  createAppProtocolHandler,
  denyAllPermissions,
  registerAppScheme,
} from './security'
import {
  createFakeElectron,
  fakeEvent,
  type FakeBrowserWindow,
  type FakeElectron,
} from '../../test/fakes/main/fake-electron'
import { manualClock } from '../../test/fakes/main/fixtures'
import { createMainWindow, visibleBounds } from './window'

let dir: string
let electron: FakeElectron
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskpulse-window-'))
  electron = createFakeElectron({ userData: dir })
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function open(opts: { saved?: WindowBounds | null; hideOnClose?: () => boolean } = {}) {
  const clock = manualClock()
  const saved: WindowBounds[] = []
  const win = createMainWindow({
    BrowserWindow: electron.BrowserWindow,
    displays: () => electron.screen.getAllDisplays(),
    preloadPath: '/app/out/preload/index.cjs',
    url: APP_URL,
    savedBounds: opts.saved ?? null,
    saveBounds: (b) => saved.push(b),
    openExternal: (url) => electron.shell.openExternal(url),
    isAppUrl: appUrlMatcher(undefined),
    hideOnClose: opts.hideOnClose ?? (() => false),
    setTimer: clock.setTimer,
  }) as FakeBrowserWindow
  return { win, saved, clock }
}

describe('main window', () => {
  it('is created with the secure web preferences', () => {
    const { win } = open()
    expect(win.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    })
    expect(win.options.show).toBe(false)
    expect(win.webContents.url).toBe('app://taskpulse/index.html')
  })

  it('denies navigation away from the app and opens http(s) links in the OS browser', () => {
    const { win } = open()
    const away = fakeEvent()
    win.webContents.emit('will-navigate', away, 'https://evil.example.com/')
    expect(away.defaultPrevented).toBe(true)
    const file = fakeEvent()
    win.webContents.emit('will-navigate', file, 'file:///etc/passwd')
    expect(file.defaultPrevented).toBe(true)
    const redirect = fakeEvent()
    win.webContents.emit('will-redirect', redirect, 'http://127.0.0.1:9/')
    expect(redirect.defaultPrevented).toBe(true)
    const inApp = fakeEvent()
    win.webContents.emit('will-navigate', inApp, 'app://taskpulse/index.html#/tasks/1')
    expect(inApp.defaultPrevented).toBe(false)
    expect(electron.openedExternal).toEqual(['https://evil.example.com/', 'http://127.0.0.1:9/'])
  })

  it('denies window.open, sending http(s) to the OS browser and nothing else', () => {
    const { win } = open()
    expect(win.webContents.windowOpenHandler?.({ url: 'https://docs.example.com/x' })).toEqual({
      action: 'deny',
    })
    expect(win.webContents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(win.webContents.windowOpenHandler?.({ url: 'app://taskpulse/index.html' })).toEqual({
      action: 'deny',
    })
    expect(electron.openedExternal).toEqual(['https://docs.example.com/x'])
  })

  it('refuses webviews', () => {
    const { win } = open()
    const e = fakeEvent()
    win.webContents.emit('will-attach-webview', e)
    expect(e.defaultPrevented).toBe(true)
  })

  it('denies every permission request and check', () => {
    denyAllPermissions(electron.defaultSession)
    const answers: boolean[] = []
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read'])
      electron.defaultSession.requestHandler?.({}, p, (g) => answers.push(g))
    expect(answers).toEqual([false, false, false, false])
    expect(electron.defaultSession.checkHandler?.({}, 'media')).toBe(false)
  })

  it('restores remembered bounds when they are on a screen, else the default size', () => {
    const { win } = open({ saved: { x: 100, y: 80, width: 1000, height: 700, maximized: true } })
    expect(win.options).toMatchObject({ x: 100, y: 80, width: 1000, height: 700 })
    expect(win.maximized).toBe(true)
    const off = open({ saved: { x: 5000, y: 80, width: 1000, height: 700, maximized: false } }).win
    expect(off.options).toMatchObject({ width: 1280, height: 820 })
    expect(off.options.x).toBeUndefined()
    expect(visibleBounds(null, [])).toBeNull()
  })

  it('remembers size and position (debounced) and on close', () => {
    const { win, saved, clock } = open()
    win.bounds = { x: 10, y: 20, width: 900, height: 600 }
    win.emit('resize')
    win.emit('move')
    expect(saved).toEqual([])
    clock.advance(500)
    expect(saved).toEqual([{ x: 10, y: 20, width: 900, height: 600, maximized: false }])
    win.bounds = { x: 30, y: 20, width: 900, height: 600 }
    win.userClose()
    expect(saved.at(-1)).toMatchObject({ x: 30 })
  })

  it('hides instead of closing when close-to-tray applies', () => {
    let toTray = true
    const { win } = open({ hideOnClose: () => toTray })
    win.show()
    expect(win.userClose()).toBe(true)
    expect(win.visible).toBe(false)
    expect(win.destroyed).toBe(false)
    toTray = false
    expect(win.userClose()).toBe(false)
    expect(win.destroyed).toBe(true)
  })

  it('shows when ready to show', () => {
    const { win } = open()
    expect(win.visible).toBe(false)
    win.emit('ready-to-show')
    expect(win.visible).toBe(true)
  })
})

describe('app:// protocol and CSP', () => {
  it('registers app:// as a privileged standard scheme', () => {
    registerAppScheme(electron.protocol)
    expect(electron.privilegedSchemes).toEqual(['app'])
  })

  it('builds a CSP that allows only the app and the backend origin', () => {
    const csp = buildCsp('http://127.0.0.1:43123')
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:43123 ws://127.0.0.1:43123")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toMatch(/unsafe-eval|\*/)
    expect(buildCsp('https://tp.example.com')).toContain(
      "connect-src 'self' https://tp.example.com wss://tp.example.com",
    )
    expect(buildCsp(null)).toContain("connect-src 'self';")
  })

  it('serves the renderer with the CSP header and nothing outside its folder', async () => {
    const root = join(dir, 'renderer')
    mkdirSync(join(root, 'assets'), { recursive: true })
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>TaskPulse</title>')
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(dir, 'secret.txt'), 'no')
    const handler = createAppProtocolHandler({
      rendererDir: root,
      csp: () => buildCsp('http://127.0.0.1:5000'),
    })
    const index = await handler(new Request('app://taskpulse/'))
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toContain('text/html')
    expect(index.headers.get('content-security-policy')).toContain('http://127.0.0.1:5000')
    expect(await index.text()).toContain('TaskPulse')
    const js = await handler(new Request('app://taskpulse/assets/app.js'))
    expect(js.headers.get('content-type')).toContain('javascript')
    expect((await handler(new Request('app://taskpulse/tasks/42'))).status).toBe(200) // client route → index.html
    expect((await handler(new Request('app://taskpulse/%2e%2e/secret.txt'))).status).toBe(404)
    expect((await handler(new Request('app://taskpulse/assets/missing.js'))).status).toBe(404)
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404)
  })

  it('treats only app://taskpulse (and the dev server) as the app', () => {
    const prod = appUrlMatcher(undefined)
    expect(prod('app://taskpulse/index.html')).toBe(true)
    expect(prod('app://evil/index.html')).toBe(false)
    expect(prod('http://localhost:5173/')).toBe(false)
    expect(prod('not a url')).toBe(false)
    expect(appUrlMatcher('http://localhost:5173')('http://localhost:5173/#/x')).toBe(true)
  })
})
