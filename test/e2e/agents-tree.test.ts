// Issue 11's UI in the browser, against a real `taskpulse serve` on a real Redis: a task waiting
// for input (violet, "?" glyph, "Waiting" label), a session with a sub-agent child (the child's row
// names its parent; the detail links the parent and lists the child), a schedule whose upcoming
// occurrences are outlined on its assignee's timeline row, counted per day on the month ("↻ 48
// scheduled") and listed as outlined agenda rows, and a real missed run (a seconds-cron nothing
// runs for, judged by the server) as a failure on the month, the timeline and the agenda with its
// "no run started by …" error. Each view is screenshotted at 1440×900 in light and dark
// (test-output/screenshots/agents-tree-*.png) and checked with axe-core (no serious or critical
// violation).
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
declare function getComputedStyle(el: unknown): {
  borderTopStyle: string
  backgroundColor: string
  borderTopColor: string
}
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

/** The local calendar day of an instant, as the month keys its cells (node and Chromium share the zone). */
function localDay(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

describe('waiting, the sub-agent tree and schedules in the UI', () => {
  let redis: RedisServer
  let be: Backend
  let browser: E2EBrowser
  /** The first missed run the server raised for `backup-check`. */
  let missed: { task_id: string; scheduled_at: string; error: string }

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
    // A real missed run: a seconds-cron that nothing runs for, with a 1 s grace; the server's
    // checker raises the miss within seconds. Removed after the first, so the page sees no more.
    await put('/api/schedules/backup-check', {
      cron: '*/5 * * * * *',
      timezone: 'UTC',
      grace_seconds: 1,
      title: 'Backup check',
      assignee: 'etl-bot',
      project_id: 'data',
    })
    const until = Date.now() + 60_000
    for (;;) {
      const res = await be.api('/api/tasks?status=failed&limit=100')
      const body = (await res.json()) as { tasks: (typeof missed)[] }
      const found = body.tasks.filter((t) => t.task_id.startsWith('missed:backup-check:'))
      if (found.length) {
        missed = found.at(-1)!
        break
      }
      if (Date.now() > until) throw new Error('no missed run of backup-check within 60 s')
      await new Promise((r) => setTimeout(r, 250))
    }
    const del = await be.api('/api/schedules/backup-check', { method: 'DELETE' })
    expect(del.status).toBe(200)
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
      // The missed run: a failed bar in the failure colour, named with its error.
      const missedBar = page.locator(`.tl-bar[data-task-id="${missed.task_id}"]`)
      await missedBar.waitFor({ timeout: CEILING_MS })
      expect(await missedBar.getAttribute('data-status')).toBe('failed')
      expect(await missedBar.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(239, 68, 68)')
      expect(await missedBar.textContent()).toMatch(/, no run started by \d\d:\d\d:\d\d \(UTC; /)
      await screenshot(page, `agents-tree-timeline-${scheme}`)
      findings.timeline = await seriousAxeFindings(page)

      // Month: tomorrow (always in this month's grid) holds the half-hourly schedule's 48 runs,
      // outlined in the pending blue and not filled; the missed run is a failure of its day.
      await page.getByRole('button', { name: 'Month', exact: true }).click()
      const tomorrow = new Date()
      tomorrow.setDate(tomorrow.getDate() + 1)
      const tomorrowCell = page.locator(`.mo-day[data-day="${localDay(tomorrow.getTime())}"]`)
      const sched = tomorrowCell.locator('.mo-sched')
      await sched.waitFor({ timeout: CEILING_MS })
      // 48 half-hours in a day; 46 or 50 on a DST day of the machine's zone.
      expect(await sched.textContent()).toMatch(/^↻ (46|48|50) scheduled runs$/)
      // The day's name for a screen reader says it: "Wednesday 2 December: no tasks, 48 scheduled runs".
      const dayName = `${tomorrow.toLocaleDateString('en-US', { weekday: 'long' })} ${tomorrow.getDate()} ${tomorrow.toLocaleDateString('en-US', { month: 'long' })}`
      await page
        .getByRole('button', { name: new RegExp(`^${dayName}: no tasks, (46|48|50) scheduled runs$`) })
        .waitFor({ timeout: CEILING_MS })
      const schedStyle = await sched.evaluate((el) => {
        const cs = getComputedStyle(el)
        return [cs.borderTopStyle, cs.borderTopColor, cs.backgroundColor]
      })
      expect(schedStyle).toEqual(['dashed', 'rgb(59, 130, 246)', 'rgba(0, 0, 0, 0)'])
      const missedCell = page.locator(`.mo-day[data-day="${localDay(Date.parse(missed.scheduled_at))}"]`)
      const failedCount = missedCell.locator('.mo-count[data-status="failed"]')
      expect(await failedCount.textContent()).toMatch(/^✕ [1-9]\d* failed,$/)
      expect(await failedCount.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
        'rgb(239, 68, 68)',
      )
      await screenshot(page, `agents-tree-month-${scheme}`)
      findings.month = await seriousAxeFindings(page)

      // Tomorrow opens in the timeline, its runs outlined on etl-bot's row.
      await tomorrowCell.click()
      await page.locator('[data-testid="timeline"]').waitFor({ timeout: CEILING_MS })
      await page.locator('.tl-row[data-agent="etl-bot"] .tl-occ').nth(40).waitFor({ timeout: CEILING_MS })

      // Agenda from today: the missed run (failed, with its error) before the outlined planned rows.
      await page.getByRole('button', { name: 'Today', exact: true }).click()
      await page.getByRole('button', { name: 'Agenda', exact: true }).click()
      const plannedRows = page.locator('.ag-scheduled[data-schedule-id="nightly-etl"]')
      await plannedRows.first().waitFor({ timeout: CEILING_MS })
      expect(await plannedRows.first().locator('.badge-scheduled').textContent()).toBe('↻Scheduled')
      const agendaAts: number[] = []
      for (let i = 0; i < (await plannedRows.count()); i++)
        agendaAts.push(Date.parse((await plannedRows.nth(i).getAttribute('data-at')) ?? ''))
      expect(agendaAts.length).toBeGreaterThan(5)
      expect(agendaAts).toEqual([...agendaAts].sort((a, b) => a - b))
      const missedRow = page.locator(`.ag-row[data-task-id="${missed.task_id}"]`)
      await missedRow.waitFor({ timeout: CEILING_MS })
      expect(await missedRow.locator('.ag-error').textContent()).toMatch(/^ — no run started by /)
      await screenshot(page, `agents-tree-agenda-${scheme}`)
      findings.agenda = await seriousAxeFindings(page)

      expect(findings).toEqual({
        agents: [],
        detailParent: [],
        detailChild: [],
        timeline: [],
        month: [],
        agenda: [],
      })
      await page.close()
    }, 120_000)
  }
})
