// Attention in the browser, against a real `taskpulse serve` on a real Redis: (a) a running task
// that stops updating past its own threshold (`stale_after_seconds: 2`) is shown as stale on its
// task row and on its agent's row, and recovers with the next update; (b) a failure acknowledged
// with the `a` key in one window loses its mark in a second window (the ack goes through the
// backend and comes back to every window as an update frame; no window flips it locally).
//
// Waits are event-driven (waitForSelector) with generous ceilings; how long the mark took is
// measured and recorded (test-output/e2e/attention.json), the assertion is on what is shown and on
// the backend's own times (never marked before the threshold passed).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, REPO_ROOT, startBackend, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { launchBrowser, screenshot, type E2EBrowser, type Page } from './browser'

const CEILING_MS = 30_000
const figures: Record<string, number> = {}

describe('attention in the UI', () => {
  let redis: RedisServer
  let be: Backend
  let browser: E2EBrowser

  beforeAll(async () => {
    redis = await startRedis()
    // Stale checks every 200 ms (the default is 5 s), so a 2 s threshold is "one threshold" away.
    ;[be, browser] = await Promise.all([
      startBackend({ redisUrl: redis.url, extraArgs: ['--stale-check-ms', '200'] }),
      launchBrowser(),
    ])
  }, 120_000)

  afterAll(async () => {
    mkdirSync(join(REPO_ROOT, 'test-output', 'e2e'), { recursive: true })
    writeFileSync(join(REPO_ROOT, 'test-output', 'e2e', 'attention.json'), JSON.stringify(figures, null, 2))
    await browser?.close()
    await be?.stop()
    if (be) removeDir(be.dataDir)
    await redis?.close()
  })

  async function put(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await be.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })
    expect(res.ok, `PUT ${id}: ${res.status} ${await res.clone().text()}`).toBe(true)
    return (await res.json()) as Record<string, unknown>
  }
  async function get(id: string): Promise<Record<string, string | null>> {
    const res = await be.api(`/api/tasks/${id}`)
    expect(res.ok).toBe(true)
    return (await res.json()) as Record<string, string | null>
  }
  async function openPage(): Promise<Page> {
    const page = await browser.newPage()
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto(be.ui)
    await page.waitForSelector('.conn-live', { timeout: 60_000 })
    return page
  }

  it('a running task past its threshold is stale on its row and its agent, and recovers on update', async () => {
    // A neighbour with an hour's threshold: it does not go stale while the test runs (the
    // threshold is per task; opening the page alone may take a minute on a loaded machine).
    await put('busy-1', {
      status: 'running',
      title: 'Busy neighbour',
      assignee: 'busy-agent',
      stale_after_seconds: 3600,
    })
    const page = await openPage()
    await page.waitForSelector('.task-row[data-task-id="busy-1"]')
    // First with an hour's threshold, so the row is surely not stale when it shows (with 2 s, a
    // loaded machine could take that long to show it); then the last update lowers it to 2 s.
    await put('quiet-1', {
      status: 'running',
      title: 'Quiet after this update',
      assignee: 'quiet-agent',
      output: 'step 1/3 started',
      stale_after_seconds: 3600,
    })
    await page.waitForSelector('.task-row[data-task-id="quiet-1"]')
    expect(await page.locator('.task-row[data-task-id="quiet-1"]').getAttribute('data-stale')).toBeNull()
    const last = await put('quiet-1', { output: 'step 1/3 done', stale_after_seconds: 2 })
    const t0 = Date.now()
    await page.waitForSelector('.task-row[data-task-id="quiet-1"][data-stale="true"]', {
      timeout: CEILING_MS,
    })
    figures.staleShownAfterMs = Date.now() - t0
    await page.waitForSelector('[data-agent="quiet-agent"][data-stale="true"]', { timeout: CEILING_MS })
    figures.staleOnAgentAfterMs = Date.now() - t0
    // glyph and words, not colour alone
    expect(await page.locator('.task-row[data-task-id="quiet-1"] [data-mark="stale"]').textContent()).toMatch(
      /^◷ stale \d+s$/,
    )
    expect(await page.locator('[data-agent="quiet-agent"] [data-mark="stale"]').textContent()).toMatch(
      /stale/,
    )
    expect(await page.locator('[data-agent="busy-agent"]').getAttribute('data-stale')).toBeNull()
    // The backend decided, and not before the threshold: stale_since ≥ last update + 2 s.
    const stored = await get('quiet-1')
    expect(stored.stale_since).toBeTruthy()
    const markedAfter = Date.parse(stored.stale_since!) - Date.parse(String(last.updated_at))
    figures.staleSinceMinusUpdateMs = markedAfter
    expect(markedAfter).toBeGreaterThanOrEqual(2000)
    // Needs attention: the stale agent sorts above the merely running one.
    const agents = await page
      .locator('[data-agent]')
      .evaluateAll((els: { getAttribute(n: string): string | null }[]) =>
        els.map((e) => e.getAttribute('data-agent')),
      )
    expect(agents.indexOf('quiet-agent')).toBeLessThan(agents.indexOf('busy-agent'))
    await screenshot(page, 'attention-stale')

    // The next update clears it, on both rows.
    await put('quiet-1', { output: 'step 2/3 done' })
    await page.waitForSelector('.task-row[data-task-id="quiet-1"]:not([data-stale])', { timeout: CEILING_MS })
    await page.waitForSelector('[data-agent="quiet-agent"]:not([data-stale])', { timeout: CEILING_MS })
    await put('quiet-1', { status: 'completed' })
    await page.close()
  }, 120_000)

  it('a failure acknowledged with the key in one window is unmarked in a second window', async () => {
    await put('boom-1', {
      status: 'failed',
      title: 'Load invoices into the warehouse',
      assignee: 'etl-agent',
      error: 'java.lang.OutOfMemoryError: Java heap space',
    })
    const [one, two] = [await openPage(), await openPage()]
    for (const p of [one, two]) {
      await p.waitForSelector('.task-row[data-task-id="boom-1"][data-unacked="true"]', {
        timeout: CEILING_MS,
      })
      await p.waitForSelector('[data-agent="etl-agent"][data-unacked]', { timeout: CEILING_MS })
    }
    expect(await two.locator('.task-row[data-task-id="boom-1"] [data-mark="unacked"]').textContent()).toBe(
      '✕ unacknowledged',
    )
    await screenshot(two, 'attention-unacked')
    // Window one: focus the row, press a (no detail opened).
    await one.locator('.task-row[data-task-id="boom-1"]').focus()
    const t0 = Date.now()
    await one.keyboard.press('a')
    // Window two loses the mark, on the task and on its agent.
    await two.waitForSelector('.task-row[data-task-id="boom-1"]:not([data-unacked])', { timeout: CEILING_MS })
    figures.ackSeenInSecondWindowMs = Date.now() - t0
    await two.waitForSelector('[data-agent="etl-agent"]:not([data-unacked])', { timeout: CEILING_MS })
    await one.waitForSelector('.task-row[data-task-id="boom-1"]:not([data-unacked])', { timeout: CEILING_MS })
    expect((await get('boom-1')).acknowledged_at).toBeTruthy()
    // The row is still there and still says it failed: an ack is not a status change.
    expect(await two.locator('.task-row[data-task-id="boom-1"]').getAttribute('data-status')).toBe('failed')
    // Nothing refused: no notice.
    expect(await one.locator('.notice').count()).toBe(0)
    await one.close()
    await two.close()
  }, 120_000)

  it('opening the detail of an unacknowledged failure acknowledges it for every window', async () => {
    await put('boom-2', {
      status: 'failed',
      title: 'Rotate staging certificates',
      assignee: 'cert-agent',
      error: 'x509: expired',
    })
    const [one, two] = [await openPage(), await openPage()]
    await two.waitForSelector('.task-row[data-task-id="boom-2"][data-unacked="true"]', {
      timeout: CEILING_MS,
    })
    await one.locator('.task-row[data-task-id="boom-2"]').click()
    await one.waitForSelector('[data-testid="task-detail"]')
    await two.waitForSelector('.task-row[data-task-id="boom-2"]:not([data-unacked])', { timeout: CEILING_MS })
    // The detail's Acknowledge button goes once the update is back.
    await one
      .getByRole('button', { name: 'Acknowledge (a)' })
      .waitFor({ state: 'detached', timeout: CEILING_MS })
    await one.close()
    await two.close()
  }, 120_000)
})
