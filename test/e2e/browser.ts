// End-to-end helpers: Debian's Chromium through playwright-core (never a downloaded browser), and
// the real backend (`node bin/taskpulse.js serve`, test/helpers/backend-process.ts) with real Redis.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { CHROMIUM_PATH, launchChromium } from '../../bench/lib/chromium.mjs'
import { REPO_ROOT } from '../helpers/backend-process'

/** The same Chromium and flags the UI benches use (bench/lib/chromium.mjs). */
export const CHROMIUM = CHROMIUM_PATH
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots')
/**
 * How long a page may take to go live, reconnect or show what it was sent, on a loaded 2-core
 * machine (the e2e project runs two files at a time beside the backend and Redis). A ceiling for
 * a hung page, never a speed verdict: figures are measured and printed apart.
 */
export const PAGE_CEILING_MS = 60_000

export interface E2EBrowser {
  browser: BrowserContext
  newPage(opts?: { colorScheme?: 'light' | 'dark' }): Promise<Page>
  close(): Promise<void>
}

/** Fails loudly when Chromium is missing: the e2e suite never skips itself. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the e2e tests need it (Debian: apt-get install chromium), or set TASKPULSE_CHROMIUM`,
    )
  if (
    !existsSync(join(REPO_ROOT, 'out', 'renderer', 'index.html')) ||
    !existsSync(join(REPO_ROOT, 'out', 'backend', 'cli.js'))
  )
    throw new Error('The app is not built: run `npm run build` before the e2e tests')
}

export async function launchBrowser(): Promise<E2EBrowser> {
  assertChromium()
  const userDataDir = mkdtempSync(join(tmpdir(), 'taskpulse-chromium-'))
  const context = await launchChromium(userDataDir, { viewport: { width: 1440, height: 900 } })
  return {
    browser: context,
    async newPage(opts = {}) {
      const page = await context.newPage()
      await page.emulateMedia({ colorScheme: opts.colorScheme ?? 'light' })
      return page
    },
    async close() {
      await context.close().catch(() => {})
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path })
  return path
}

export type { Browser, Page }
