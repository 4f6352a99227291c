// The desktop settings view in real Chromium: the built UI served by a real `taskpulse serve`,
// with a fake `window.desktop` injected before the app loads (as the preload would expose it). It
// connects through the fake's getConnection, opens Settings, changes notification rules, saves,
// and the fake must have received exactly that patch. Screenshots in light and dark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'
import { launchBrowser, screenshot, type E2EBrowser, type Page } from './browser'

// Page-side code runs in Chromium; the node tsconfig has no DOM lib, so declare what it touches.
interface FakeCall {
  method: string
  arg?: unknown
}
interface PageWindow {
  desktop?: unknown
  __desktopCalls?: FakeCall[]
  __emitBackend?: (s: unknown) => void
}
declare const window: PageWindow
declare const document: { activeElement: { textContent: string | null } | null }

interface FakeInit {
  url: string
  wsUrl: string
  token: string
}

/** Runs in the page before any of its scripts: a DesktopApi that records calls. Self-contained. */
function installFakeDesktop(init: FakeInit): void {
  const calls: FakeCall[] = []
  const statusSubs: ((s: unknown) => void)[] = []
  const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T
  const view = {
    backend: { mode: 'embedded', redisUrl: 'redis://127.0.0.1:6379', remoteUrl: '' },
    notifications: {
      enabled: true,
      onFailed: true,
      onCompleted: true,
      failuresOnly: false,
      onlyWhenUnfocused: false,
      projects: { mode: 'all', names: [] as string[] },
      agents: { mode: 'all', names: [] as string[] },
      pausedUntil: null as number | null,
    },
    app: { closeToTray: true, startAtLogin: false },
    secrets: { redisPasswordSet: true, remoteTokenSet: false },
    secretStorage: 'weak',
    overrides: { redisUrl: false, remote: false },
    warnings: [
      'The stored Redis password could not be decrypted (the OS secret store changed?); enter it again',
    ],
  }
  const connection = { url: init.url, wsUrl: init.wsUrl, token: init.token, mode: 'embedded' }
  let backend: unknown = { status: 'running', connection }
  const ok = (value: unknown) => Promise.resolve({ ok: true, value: clone(value) })
  const record = (method: string, arg?: unknown) =>
    calls.push(arg === undefined ? { method } : { method, arg: clone(arg) })
  window.__desktopCalls = calls
  window.__emitBackend = (s) => {
    backend = s
    for (const cb of statusSubs) cb(s)
  }
  window.desktop = {
    getConnection: () => (record('getConnection'), ok(connection)),
    onConnectionChanged: () => () => {},
    onNavigateToTask: () => () => {},
    onNavigateToList: () => () => {},
    getSettings: () => (record('getSettings'), ok(view)),
    setSettings(patch: Record<string, Record<string, unknown>>) {
      record('setSettings', patch)
      Object.assign(view.backend, patch.backend ?? {})
      Object.assign(view.notifications, patch.notifications ?? {})
      Object.assign(view.app, patch.app ?? {})
      return ok(view)
    },
    testConnection: (req: unknown) => (
      record('testConnection', req),
      ok({
        message: 'Connected: TaskPulse 0.1.0, Redis connected, 3 ms',
        version: '0.1.0',
        redis: 'connected',
        latencyMs: 3,
      })
    ),
    getBackendStatus: () => (record('getBackendStatus'), ok(backend)),
    onBackendStatus(cb: (s: unknown) => void) {
      statusSubs.push(cb)
      return () => statusSubs.splice(statusSubs.indexOf(cb), 1)
    },
    retryBackend() {
      record('retryBackend')
      window.__emitBackend!({ status: 'starting' })
      return ok(backend)
    },
    pauseNotifications(choice: string) {
      record('pauseNotifications', choice)
      view.notifications.pausedUntil = choice === 'off' ? null : Date.now() + 3_600_000
      return ok(view)
    },
  }
}

describe('desktop settings view in Chromium (fake window.desktop)', () => {
  let be: Backend
  let browser: E2EBrowser
  const pageErrors: string[] = []

  beforeAll(async () => {
    ;[be, browser] = await Promise.all([startBackend(), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await be?.stop()
    if (be) removeDir(be.dataDir)
  })

  async function openSettings(scheme: 'light' | 'dark'): Promise<Page> {
    const page = await browser.newPage({ colorScheme: scheme })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.addInitScript(installFakeDesktop, { url: be.url, wsUrl: be.ws, token: be.token })
    // No #token=: in the desktop app the connection comes from the bridge.
    await page.goto(`${be.url}/#/settings`)
    await page.waitForSelector('.conn-live', { timeout: 20_000 })
    await page.getByRole('form', { name: 'Desktop settings' }).waitFor()
    await page.getByText('Backend: Running').waitFor()
    return page
  }
  const calls = (page: Page) => page.evaluate(() => window.__desktopCalls ?? [])

  it('light: edits notification rules, saves, the bridge receives the patch', async () => {
    const page = await openSettings('light')
    expect((await calls(page)).map((c) => c.method)).toEqual(
      expect.arrayContaining(['getConnection', 'getSettings', 'getBackendStatus']),
    )
    await page.getByRole('checkbox', { name: 'Failures only' }).check()
    await page.getByLabel('Agents', { exact: true }).selectOption('only')
    await page.getByLabel(/Agents: only these/).fill('etl-nightly\ntest-runner')
    // Keyboard: Tab from the names field reaches the next control.
    await page.getByLabel(/Agents: only these/).focus()
    await page.keyboard.press('Tab')
    await page.getByRole('button', { name: 'Pause for 1 hour' }).waitFor()
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Pause for 1 hour')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText('✓ Saved.', { exact: true }).waitFor()
    const saved = (await calls(page)).filter((c) => c.method === 'setSettings')
    expect(saved).toEqual([
      {
        method: 'setSettings',
        arg: {
          notifications: {
            failuresOnly: true,
            agents: { mode: 'only', names: ['etl-nightly', 'test-runner'] },
          },
        },
      },
    ])
    // A state worth looking at: remote mode tested, and the supervisor gave up.
    await page.getByRole('radio', { name: /Remote/ }).check()
    await page.getByLabel('Server URL').fill('https://pulse.example.com')
    await page.getByLabel('Token', { exact: true }).fill('team-token')
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByText('Connection works.').waitFor()
    await page.evaluate(() =>
      window.__emitBackend!({ status: 'failed', error: '5 crashes within 60 s: exit code 1' }),
    )
    await page.getByRole('button', { name: 'Retry backend' }).waitFor()
    await page.waitForTimeout(100)
    await screenshot(page, 'settings-desktop-light')
    await page.getByRole('button', { name: 'Retry backend' }).click()
    await page.getByText('Backend: Starting').waitFor()
    expect((await calls(page)).filter((c) => c.method === 'testConnection')).toEqual([
      { method: 'testConnection', arg: { url: 'https://pulse.example.com', token: 'team-token' } },
    ])
    expect((await calls(page)).filter((c) => c.method === 'retryBackend')).toHaveLength(1)
    await page.close()
  })

  it('dark: same view, paused notifications', async () => {
    const page = await openSettings('dark')
    await page.getByRole('button', { name: 'Pause for 1 hour' }).click()
    await page.getByText(/Paused until/).waitFor()
    await page.getByLabel('Redis URL').fill('localhost:6379')
    await page.getByText(/Use a redis:\/\/ or rediss:\/\/ URL/).waitFor()
    await page.waitForTimeout(100)
    await screenshot(page, 'settings-desktop-dark')
    expect((await calls(page)).filter((c) => c.method === 'pauseNotifications')).toEqual([
      { method: 'pauseNotifications', arg: '1h' },
    ])
    await page.close()
    expect(pageErrors).toEqual([])
  })
})
