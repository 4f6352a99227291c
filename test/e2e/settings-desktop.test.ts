// The desktop settings view in real Chromium: the built UI served by a real `taskpulse serve`,
// with `window.desktop` injected before the app loads. The bridge in the page is the contract's
// own createDesktopApi (as the preload builds it), bundled with esbuild; its calls cross into this
// process to main's real settings store and IPC handlers (test/fakes/main/desktop-main.ts), and
// main's pushes go back into the page. It connects through getConnection, opens Settings,
// changes notification rules, saves, and main must have received exactly that patch.
// Screenshots in light and dark.
import { build } from 'esbuild'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { pushContract, type InvokeChannel, type PushName } from '../../src-shared/ipc-contract'
import { createDesktopMain, type DesktopMain } from '../fakes/main/desktop-main'
import { REPO_ROOT, removeDir, startBackend, type Backend } from '../helpers/backend-process'
import { PAGE_CEILING_MS, launchBrowser, screenshot, type E2EBrowser, type Page } from './browser'

// Page-side code runs in Chromium; the node tsconfig has no DOM lib, so declare what it touches.
declare const document: { activeElement: { textContent: string | null } | null }
interface PageBridge {
  __desktopPush(channel: string, payload: unknown): void
}

/** The page's bridge: createDesktopApi over two functions this test exposes to the page. */
async function bridgeScript(): Promise<string> {
  const out = await build({
    stdin: {
      contents: `
        import { createDesktopApi } from './src-shared/ipc-contract'
        const listeners = new Map()
        window.__desktopPush = (channel, payload) => {
          for (const l of listeners.get(channel) ?? []) l(payload)
        }
        window.desktop = createDesktopApi({
          invoke: (channel, args) => window.__desktopInvoke(channel, args),
          subscribe(channel, listener) {
            if (!listeners.has(channel)) listeners.set(channel, new Set())
            listeners.get(channel).add(listener)
            return () => listeners.get(channel).delete(listener)
          },
        })`,
      resolveDir: REPO_ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

describe("desktop settings view in Chromium (bridge over main's real settings and IPC handlers)", () => {
  let be: Backend
  let browser: E2EBrowser
  let bridge: string
  const mains: DesktopMain[] = []
  const pageErrors: string[] = []

  beforeAll(async () => {
    ;[be, browser, bridge] = await Promise.all([startBackend(), launchBrowser(), bridgeScript()])
  })
  afterEach(() => {
    for (const m of mains.splice(0)) m.dispose()
  })
  afterAll(async () => {
    await browser?.close()
    await be?.stop()
    if (be) removeDir(be.dataDir)
  })

  /** Main with a Redis URL whose stored password no longer decrypts, on a weak secret store. */
  function startMain(): DesktopMain {
    const main = createDesktopMain({
      settingsFile: {
        backend: { redisUrl: 'redis://127.0.0.1:6379' },
        secrets: { redisPassword: Buffer.from('not a ciphertext').toString('base64') },
      },
      safeStorage: { backend: 'basic_text' },
      backend: {
        status: 'running',
        connection: { url: be.url, wsUrl: be.ws, token: be.token, mode: 'embedded' },
      },
      // The page is served by the test backend: main trusts that origin as it would a dev server.
      frameUrl: `${be.url}/`,
      trustedDevUrl: be.url,
    })
    mains.push(main)
    return main
  }

  async function openSettings(scheme: 'light' | 'dark'): Promise<{ page: Page; main: DesktopMain }> {
    const main = startMain()
    const page = await browser.newPage({ colorScheme: scheme })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.exposeFunction('__desktopInvoke', (channel: InvokeChannel, args: unknown[]) =>
      main.transport.invoke(channel, args),
    )
    for (const name of Object.keys(pushContract) as PushName[]) {
      const { channel } = pushContract[name]
      main.transport.subscribe(channel, (payload) => {
        void page
          .evaluate(([c, p]) => (globalThis as unknown as PageBridge).__desktopPush(c, p), [
            channel,
            payload,
          ] as const)
          .catch(() => {})
      })
    }
    await page.addInitScript({ content: bridge })
    // No #token=: in the desktop app the connection comes from the bridge.
    await page.goto(`${be.url}/#/settings`)
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    await page.getByRole('form', { name: 'Desktop settings' }).waitFor()
    await page.getByText('Backend: Running').waitFor()
    return { page, main }
  }

  it('light: edits notification rules, saves, the bridge receives the patch', async () => {
    const { page, main } = await openSettings('light')
    expect(main.calls.map((c) => c.method)).toEqual(
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
    const saved = main.calls.filter((c) => c.method === 'setSettings')
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
    // Main's real settings store took it.
    expect(main.settings.get().notifications).toMatchObject({
      failuresOnly: true,
      agents: { mode: 'only', names: ['etl-nightly', 'test-runner'] },
    })
    // A state worth looking at: remote mode tested, and the supervisor gave up.
    await page.getByRole('radio', { name: /Remote/ }).check()
    await page.getByLabel('Server URL').fill('https://pulse.example.com')
    await page.getByLabel('Token', { exact: true }).fill('team-token')
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByText('Connection works.').waitFor()
    main.setBackend({ status: 'failed', error: '5 crashes within 60 s: exit code 1' })
    await page.getByRole('button', { name: 'Retry backend' }).waitFor()
    await page.waitForTimeout(100)
    await screenshot(page, 'settings-desktop-light')
    await page.getByRole('button', { name: 'Retry backend' }).click()
    await page.getByText('Backend: Starting').waitFor()
    expect(main.calls.filter((c) => c.method === 'testConnection')).toEqual([
      { method: 'testConnection', arg: { url: 'https://pulse.example.com', token: 'team-token' } },
    ])
    expect(main.calls.filter((c) => c.method === 'retryBackend')).toHaveLength(1)
    await page.close()
  })

  it('dark: same view, paused notifications', async () => {
    const { page, main } = await openSettings('dark')
    await page.getByRole('button', { name: 'Pause for 1 hour' }).click()
    await page.getByText(/Paused until/).waitFor()
    await page.getByLabel('Redis URL').fill('localhost:6379')
    await page.getByText(/Use a redis:\/\/ or rediss:\/\/ URL/).waitFor()
    await page.waitForTimeout(100)
    await screenshot(page, 'settings-desktop-dark')
    expect(main.calls.filter((c) => c.method === 'pauseNotifications')).toEqual([
      { method: 'pauseNotifications', arg: '1h' },
    ])
    await page.close()
    expect(pageErrors).toEqual([])
  })
})
