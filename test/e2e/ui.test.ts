// The live monitor in real Chromium against a real `taskpulse serve` and a real Redis: the ui URL
// with its token, a Redis failure reaching the agent monitor and the calendar within a second,
// a backend restart under load ending in exactly what /api/tasks holds, a bad token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'
import { PAGE_CEILING_MS, launchBrowser, type E2EBrowser, type Page } from './browser'
import type { Task } from '../../src-shared/protocol'

// Page-side code (page.evaluate / waitForFunction) runs in Chromium; the node tsconfig has no DOM
// lib, and the served CSP forbids evaluating strings, so declare the little of the DOM it uses.
interface PageElement {
  getAttribute(name: string): string | null
  closest(selector: string): PageElement | null
  textContent: string | null
}
declare const document: { querySelector(selector: string): PageElement | null }
declare function getComputedStyle(el: PageElement): { borderLeftColor: string; backgroundColor: string }

const FAILED_RGB = 'rgb(239, 68, 68)'

async function allTasks(be: Backend): Promise<Task[]> {
  const out: Task[] = []
  let cursor: string | null = null
  do {
    const res = await be.api(`/api/tasks?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    const body = (await res.json()) as { tasks: Task[]; next_cursor: string | null }
    out.push(...body.tasks)
    cursor = body.next_cursor
  } while (cursor)
  return out
}

/** id → status of every task row the task list shows (the viewport is tall enough for all). */
function uiTaskStatuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval(
    '[data-testid="task-list"] [data-task-id]',
    (rows: { getAttribute(name: string): string | null }[]) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-task-id')!, r.getAttribute('data-status')!])),
  )
}

describe('live monitor in Chromium', () => {
  let redis: RedisServer
  let be: Backend
  let browser: E2EBrowser
  let pub: Redis
  const pageErrors: string[] = []
  const cspViolations: string[] = []

  beforeAll(async () => {
    redis = await startRedis()
    ;[be, browser] = await Promise.all([startBackend({ redisUrl: redis.url }), launchBrowser()])
    pub = new Redis(redis.url)
  })
  afterAll(async () => {
    pub?.disconnect()
    await browser?.close()
    await be?.stop()
    if (be) removeDir(be.dataDir)
    await redis?.close()
  })

  async function openUi(view: 'Agents' | 'Calendar' = 'Agents'): Promise<Page> {
    const page = await browser.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    // A CSP violation is only a console message, not a page error (zod's eval probe was one).
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|-src' was not/i.test(m.text()))
        cspViolations.push(m.text())
    })
    await page.goto(be.ui)
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    if (view !== 'Agents') await page.getByRole('button', { name: view, exact: true }).click()
    return page
  }

  it('opens the ui URL with its token, forgets the token from the address, goes live', async () => {
    const page = await browser.newPage()
    await page.goto(be.ui)
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    expect(page.url()).not.toContain('token=')
    expect(await page.evaluate(() => sessionStorage.getItem('taskpulse.token'))).toBe(be.token)
    await page.waitForSelector('[data-redis="connected"]')
    // A reload keeps working from sessionStorage.
    await page.reload()
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    await page.close()
  })

  it('a failure published to Redis shows in the failure colour in the agent monitor and the timeline', async () => {
    // Something to look at first, so the agent row exists as running.
    await pub.publish(
      'task_status_update',
      JSON.stringify({ task_id: 'e2e-1', status: 'running', assignee: 'e2e-agent', title: 'Crunch numbers' }),
    )
    const monitor = await openUi()
    await monitor.waitForSelector('[data-agent="e2e-agent"][data-status="running"]')
    const calendar = await openUi('Calendar')
    await calendar.getByRole('button', { name: 'Timeline', exact: true }).click()
    await calendar.waitForSelector('.tl-bar[data-task-id="e2e-1"]')

    const sentAt = Date.now()
    await pub.publish(
      'task_status_update',
      JSON.stringify({
        task_id: 'e2e-1',
        status: 'failed',
        assignee: 'e2e-agent',
        title: 'Crunch numbers',
        error: 'OOM killed',
      }),
    )
    await Promise.all([
      monitor.waitForFunction(
        (rgb) => {
          const row = document.querySelector('[data-agent="e2e-agent"]')
          return (
            !!row &&
            row.getAttribute('data-status') === 'failed' &&
            getComputedStyle(row).borderLeftColor === rgb
          )
        },
        FAILED_RGB,
        { polling: 'raf', timeout: PAGE_CEILING_MS },
      ),
      calendar.waitForFunction(
        (rgb) => {
          const bar = document.querySelector('.tl-bar[data-task-id="e2e-1"]')
          return !!bar && getComputedStyle(bar).backgroundColor === rgb
        },
        FAILED_RGB,
        { polling: 'raf', timeout: PAGE_CEILING_MS },
      ),
    ])
    // The reference design's "within a second" is measured, not asserted: a verdict on speed would
    // depend on how busy the machine is (docs/benchmarks.md has the figures from npm run bench).
    console.log(`e2e: failure shown in both windows ${Date.now() - sentAt} ms after PUBLISH`)
    const row = monitor.locator('[data-agent="e2e-agent"]')
    // Marked until acknowledged: the agent's row counts the failure, the task row says it.
    await expect(row.getAttribute('data-unacked')).resolves.toBe('1')
    await expect(row.textContent()).resolves.toContain('✕ 1 failed')
    await expect(
      monitor.locator('.task-row[data-task-id="e2e-1"] [data-mark="unacked"]').textContent(),
    ).resolves.toBe('✕ unacknowledged')
    await Promise.all([monitor.close(), calendar.close()])
  })

  it('after a backend restart under load the UI shows exactly what /api/tasks holds', async () => {
    const page = await openUi()
    await page.setViewportSize({ width: 1440, height: 2400 })
    const statuses = ['pending', 'running', 'completed', 'failed'] as const
    let n = 0
    let producing = true
    // Durable path (XADD + PUBLISH like our own relay): the backend catches up from the stream.
    const producer = (async () => {
      while (producing) {
        const i = n++
        const msg = JSON.stringify({
          task_id: `r-${i % 30}`,
          status: statuses[i % 4],
          assignee: `restart-agent-${i % 3}`,
          title: `Restart ${i % 30}`,
          event_id: `ev-${i}`,
        })
        await pub
          .multi()
          .xadd('task_status_stream', '*', 'data', msg)
          .publish('task_status_update', msg)
          .exec()
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    await page.waitForSelector('[data-task-id="r-29"]')
    const { port, dataDir, token } = be
    await be.stop('SIGTERM')
    await page.waitForSelector('.conn-reconnecting', { timeout: PAGE_CEILING_MS })
    await new Promise((r) => setTimeout(r, 500))
    be = await startBackend({ redisUrl: redis.url, port, dataDir, token })
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    await new Promise((r) => setTimeout(r, 500))
    producing = false
    await producer
    // Converged: every task the backend holds, with its status, and nothing else.
    let expected: Record<string, string>
    let shown: Record<string, string>
    const deadline = Date.now() + PAGE_CEILING_MS
    for (;;) {
      expected = Object.fromEntries((await allTasks(be)).map((t) => [t.task_id, t.status]))
      shown = await uiTaskStatuses(page)
      if (
        JSON.stringify(Object.entries(shown).sort()) === JSON.stringify(Object.entries(expected).sort()) ||
        Date.now() > deadline
      )
        break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(31)
    expect(shown).toEqual(expected)
    await expect(page.locator('.statusbar').textContent()).resolves.toContain(
      `${Object.keys(expected).length} tasks`,
    )
    await page.close()
  })

  it('a bad token gives a clear message, not a blank page', async () => {
    const page = await browser.newPage()
    await page.goto(`${be.url}/#token=not-the-token`)
    const alert = page.getByRole('alert')
    await alert.waitFor({ timeout: PAGE_CEILING_MS })
    await expect(alert.textContent()).resolves.toContain('The backend rejected the token')
    await expect(page.locator('.conn-unauthorized').count()).resolves.toBe(1)
    // And a way out: paste the right token.
    await page.locator('input[aria-label="Token"]').fill(be.token)
    await page.getByRole('button', { name: 'Connect' }).click()
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    await page.close()
  })

  it('raised no page errors and broke no Content Security Policy rule', () => {
    expect(pageErrors).toEqual([])
    expect(cspViolations).toEqual([])
  })
})
