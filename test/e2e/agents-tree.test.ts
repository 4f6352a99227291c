// Issue 11's UI in the browser, against a real `taskpulse serve` on a real Redis: a task waiting
// for input (violet, "?" glyph, "Waiting" label), a session with a sub-agent child (the child's row
// names its parent; the detail links the parent and lists the child), and a schedule whose
// upcoming occurrences are outlined on its assignee's timeline row. Each view is screenshotted at
// 1440×900 in light and dark (test-output/screenshots/agents-tree-*.png) and checked with axe-core
// (no serious or critical violation).
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { launchBrowser, screenshot, type E2EBrowser, type Page } from './browser'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const CEILING_MS = 30_000

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: unknown[]; failureSummary?: string }[]
}
// The browser's globals used inside page.evaluate (the e2e project has no DOM types): declared
// here; these functions are serialised by playwright and never run under node.
declare function getComputedStyle(el: unknown): { borderTopStyle: string; backgroundColor: string }
declare const document: unknown
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> }

async function seriousAxeFindings(page: Page): Promise<string[]> {
  if (await page.evaluate(() => typeof axe === 'undefined')) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const r = await axe.run(document, { resultTypes: ['violations'] })
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help}: ${v.nodes
            .slice(0, 3)
            .map((n) => `${n.target.map(String).join(' ')} ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`)
            .join(' | ')}`,
      )
  })
  return violations
}

describe('waiting, the sub-agent tree and schedules in the UI', () => {
  let redis: RedisServer
  let be: Backend
  let browser: E2EBrowser

  beforeAll(async () => {
    redis = await startRedis()
    ;[be, browser] = await Promise.all([startBackend({ redisUrl: redis.url }), launchBrowser()])
    const put = async (path: string, body: Record<string, unknown>) => {
      const res = await be.api(path, { method: 'PUT', body: JSON.stringify(body) })
      expect(res.ok, `PUT ${path}: ${res.status} ${await res.clone().text()}`).toBe(true)
    }
    await put('/api/tasks/sess-1', {
      status: 'running',
      title: 'Fix the flaky login test',
      assignee: 'claude-code@webapp',
      project_id: 'webapp',
      output: 'Bash: npm test\nEdit src/login.ts',
    })
    await put('/api/tasks/sess-1.agent-1', {
      status: 'running',
      title: 'Explore the auth module',
      assignee: 'claude-code@webapp',
      project_id: 'webapp',
      parent_id: 'sess-1',
      output: 'Read src/auth.ts',
    })
    await put('/api/tasks/wait-1', {
      status: 'waiting',
      title: 'Migrate the billing schema',
      assignee: 'codex@billing',
      project_id: 'billing',
      output: 'Permission needed: Bash(rm -rf build/)',
    })
    // A near cron: every 30 minutes, so the next few fall inside the timeline's first window.
    await put('/api/schedules/nightly-etl', {
      cron: '*/30 * * * *',
      timezone: 'UTC',
      grace_seconds: 600,
      title: 'Warehouse ETL',
      assignee: 'etl-bot',
      project_id: 'data',
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await be?.stop()
    if (be) removeDir(be.dataDir)
    await redis?.close()
  })

  async function openPage(scheme: 'light' | 'dark'): Promise<Page> {
    const page = await browser.newPage({ colorScheme: scheme })
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto(be.ui)
    await page.waitForSelector('.conn-live', { timeout: 60_000 })
    return page
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: agents view, task detail tree, timeline with schedules; axe clean`, async () => {
      const page = await openPage(scheme)
      const findings: Record<string, string[]> = {}

      // Agents view: the waiting task by glyph and label, the child row naming its parent.
      const waiting = page.locator('.task-row[data-task-id="wait-1"]')
      await waiting.waitFor({ timeout: CEILING_MS })
      expect(await waiting.getAttribute('data-status')).toBe('waiting')
      expect(await waiting.locator('[data-mark="waiting"]').textContent()).toMatch(/^\? waiting /)
      const badge = waiting.locator('.badge-waiting')
      expect(await badge.getAttribute('aria-label')).toBe('Status: Waiting')
      expect(await badge.locator('.badge-icon').textContent()).toBe('?')
      const child = page.locator('.task-row[data-task-id="sess-1.agent-1"]')
      await child.waitFor({ timeout: CEILING_MS })
      expect(await child.locator('.task-row-parent').textContent()).toBe(
        '↳ sub-agent of Fix the flaky login test',
      )
      expect(await page.locator('.task-row[data-task-id="sess-1"] .task-row-parent').count()).toBe(0)
      await screenshot(page, `agents-tree-agents-${scheme}`)
      findings.agents = await seriousAxeFindings(page)

      // Task detail of the parent: the child listed, openable; the child's detail links back.
      await page.locator('.task-row[data-task-id="sess-1"]').click()
      const kids = page.getByRole('region', { name: 'Sub-agents' })
      await kids.waitFor({ timeout: CEILING_MS })
      const link = kids.locator('.detail-child[data-task-id="sess-1.agent-1"]')
      expect(await link.textContent()).toContain('Explore the auth module')
      expect(await link.getAttribute('data-status')).toBe('running')
      await screenshot(page, `agents-tree-detail-parent-${scheme}`)
      findings.detailParent = await seriousAxeFindings(page)
      await link.click()
      const parentLink = page.locator('.detail-parent[data-task-id="sess-1"]')
      await parentLink.waitFor({ timeout: CEILING_MS })
      expect(await page.locator('#detail-title').textContent()).toBe('Explore the auth module')
      expect(await parentLink.textContent()).toContain('Fix the flaky login test')
      await screenshot(page, `agents-tree-detail-child-${scheme}`)
      findings.detailChild = await seriousAxeFindings(page)
      await parentLink.click()
      await page
        .locator('#detail-title')
        .filter({ hasText: /^Fix the flaky login test$/ })
        .waitFor({ timeout: CEILING_MS })
      await page.keyboard.press('Escape')

      // Timeline: the schedule's next runs outlined on etl-bot's row (which has no task yet).
      await page.getByRole('button', { name: 'Calendar', exact: true }).click()
      await page.getByRole('button', { name: 'Timeline', exact: true }).click()
      await page.waitForSelector('.tl-row[data-agent="etl-bot"] .tl-occ[data-schedule-id="nightly-etl"]', {
        timeout: CEILING_MS,
      })
      const marks = page.locator('.tl-row[data-agent="etl-bot"] .tl-occ')
      const n = await marks.count()
      // The first window shows 6 hours ahead: 12 half-hours (11–13 by where now falls).
      expect(n).toBeGreaterThanOrEqual(10)
      expect(await marks.first().getAttribute('aria-label')).toMatch(
        /^Warehouse ETL: scheduled .* \(schedule nightly-etl\)$/,
      )
      const style = await marks.first().evaluate((el) => getComputedStyle(el).borderTopStyle)
      expect(style).toBe('dashed')
      // Occurrences are upcoming: none starts before now minus the grace.
      const ats: number[] = []
      for (let i = 0; i < n; i++) ats.push(Date.parse((await marks.nth(i).getAttribute('data-at')) ?? ''))
      expect(Math.min(...ats)).toBeGreaterThan(Date.now() - 601_000)
      // The waiting bar carries its glyph on the timeline too.
      expect(await page.locator('.tl-bar[data-task-id="wait-1"] .tl-glyph').textContent()).toBe('?')
      // ...in the violet of the waiting status (#8B5CF6), as the issue gives it.
      expect(
        await page
          .locator('.tl-bar[data-task-id="wait-1"]')
          .evaluate((el) => getComputedStyle(el).backgroundColor),
      ).toBe('rgb(139, 92, 246)')
      await screenshot(page, `agents-tree-timeline-${scheme}`)
      findings.timeline = await seriousAxeFindings(page)

      expect(findings).toEqual({ agents: [], detailParent: [], detailChild: [], timeline: [] })
      await page.close()
    }, 120_000)
  }
})
