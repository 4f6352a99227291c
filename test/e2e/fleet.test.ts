// The fleet at the three window sizes people use, in light and dark: a real `taskpulse serve` on a
// real Redis holding 5,000 tasks from 40 agents (test/e2e/fleet-fixture.ts), the built UI in
// Debian's Chromium. For every view: a screenshot (test-output/screenshots/fleet-*.png), axe-core
// run in the page (no serious or critical violation), and nothing wider or taller than the window
// unless it sits in a scroll container that fits (so everything can be reached).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, REPO_ROOT, startBackend, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { launchBrowser, screenshot, type E2EBrowser, type Page } from './browser'
import { buildFleet, FLEET_NEEDLE, loadFleet, type Fleet } from './fleet-fixture'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
] as const
const SCHEMES = ['light', 'dark'] as const

/** One serious or critical axe violation, cut down to what a failure message needs. */
interface AxeFinding {
  id: string
  impact: string
  nodes: number
  help: string
  samples: string[]
}

interface ViewResult {
  view: string
  size: string
  scheme: string
  axe: AxeFinding[]
  overflow: string[]
  /** Time to show the view, and to run axe on it. */
  showMs: number
  axeMs: number
  /** Agents view: rows wholly visible. */
  agentRows?: number
}

// Page-side code runs in Chromium. The node tsconfig has no DOM lib, so the little it uses is
// declared here; these functions are serialised by playwright and never run under node.
interface PageRect {
  left: number
  right: number
  top: number
  bottom: number
  width: number
  height: number
}
interface PageEl {
  tagName: string
  id: string
  className: unknown
  parentElement: PageEl | null
  getBoundingClientRect(): PageRect
}
declare const document: {
  documentElement: PageEl & {
    clientWidth: number
    clientHeight: number
    scrollWidth: number
    scrollHeight: number
  }
  body: PageEl
  querySelectorAll(sel: string): Iterable<PageEl>
}
declare const window: { innerWidth: number; innerHeight: number }
declare function getComputedStyle(el: PageEl): { overflowX: string; overflowY: string; visibility: string }
interface AxeResults {
  violations: {
    id: string
    impact?: string | null
    help: string
    nodes: { target: unknown[]; failureSummary?: string }[]
  }[]
}
declare const axe: { run(ctx: unknown, opts: unknown): Promise<AxeResults> }

/**
 * Elements that stick out of the window (right or bottom) and are not inside a scroll container
 * that itself fits: those are clipped or unreachable. Also the document's own scroll size.
 */
function findOverflow(): string[] {
  const vw = document.documentElement.clientWidth
  const vh = document.documentElement.clientHeight
  const out: string[] = []
  const de = document.documentElement
  if (de.scrollWidth > window.innerWidth)
    out.push(`document scrollWidth ${de.scrollWidth} > ${window.innerWidth}`)
  if (de.scrollHeight > window.innerHeight)
    out.push(`document scrollHeight ${de.scrollHeight} > ${window.innerHeight}`)
  const name = (el: PageEl) =>
    `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : ''}`
  const fits = (r: PageRect) => r.right <= vw + 0.5 && r.left >= -0.5 && r.bottom <= vh + 0.5 && r.top >= -0.5
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect()
    if (r.width === 0 || r.height === 0 || fits(r)) continue
    if (getComputedStyle(el).visibility === 'hidden') continue
    const wide = r.right > vw + 0.5 || r.left < -0.5
    const tall = r.bottom > vh + 0.5 || r.top < -0.5
    let reachable = false
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const cs = getComputedStyle(p)
      const scrollsX = /auto|scroll/.test(cs.overflowX)
      const scrollsY = /auto|scroll/.test(cs.overflowY)
      if ((!wide || scrollsX) && (!tall || scrollsY) && fits(p.getBoundingClientRect())) {
        reachable = true
        break
      }
    }
    if (!reachable)
      out.push(
        `${name(el)} [${Math.round(r.left)}, ${Math.round(r.top)}, ${Math.round(r.right)}, ${Math.round(r.bottom)}] in ${vw}×${vh}`,
      )
    if (out.length >= 12) break
  }
  return out
}

/** Titles squeezed below a readable width (the task list once cut them to one letter at 1024 px). */
function findSqueezedTitles(): string[] {
  const out: string[] = []
  for (const el of document.querySelectorAll('.task-row-title, .agent-task-title')) {
    const r = el.getBoundingClientRect()
    if (r.height > 0 && r.width < 140) out.push(`${String(el.className)} only ${Math.round(r.width)} px wide`)
  }
  return out.slice(0, 5)
}

/** Agent rows wholly inside the agent list's visible box (the dense default must fit a fleet). */
function countVisibleAgentRows(): number {
  const list = [...document.querySelectorAll('[data-testid="agent-list"]')][0]
  if (!list) return 0
  const box = list.getBoundingClientRect()
  let n = 0
  for (const el of document.querySelectorAll('[data-testid="agent-list"] [data-agent]')) {
    const r = el.getBoundingClientRect()
    if (r.height > 0 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5) n++
  }
  return n
}

async function runAxe(): Promise<AxeFinding[]> {
  const r = await axe.run(document, { resultTypes: ['violations'] })
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: String(v.impact),
      help: v.help,
      nodes: v.nodes.length,
      samples: v.nodes
        .slice(0, 3)
        .map(
          (n) =>
            `${n.target.map(String).join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 240)}`,
        ),
    }))
}

/** Acknowledges (POST /api/tasks/ack) every task whose last fleet update failed before `beforeMs`. */
async function acknowledgeOlderFailures(be: Backend, fleet: Fleet, beforeMs: number): Promise<number> {
  const last = new Map<string, { status: string; at: string }>()
  for (const u of fleet.updates) last.set(u.task_id, { status: u.status, at: u.updated_at })
  const ids = [...last]
    .filter(([, l]) => l.status === 'failed' && Date.parse(l.at) < beforeMs)
    .map(([id]) => id)
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await be.api('/api/tasks/ack', {
      method: 'POST',
      body: JSON.stringify({ task_ids: ids.slice(i, i + 1000) }),
    })
    if (!res.ok) throw new Error(`POST /api/tasks/ack: ${res.status} ${await res.text()}`)
  }
  return ids.length
}

describe('the fleet: every view at 1024×700, 1440×900 and 1920×1080, light and dark', () => {
  let redis: RedisServer
  let be: Backend
  let browser: E2EBrowser
  let page: Page
  let fleet: Fleet
  const results: ViewResult[] = []
  const started = Date.now()
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    redis = await startRedis()
    ;[be, browser] = await Promise.all([startBackend({ redisUrl: redis.url }), launchBrowser()])
    fleet = buildFleet(Date.now())
    const t0 = Date.now()
    await loadFleet(redis.url, be, fleet)
    timings.loadFleetMs = Date.now() - t0
    // A fleet in use: someone has worked through the failures before yesterday (acknowledged
    // through the backend's bulk route); the last 24 h's are still marked. Without this, eight
    // weeks of never-acknowledged failures would mark every agent.
    const acked = await acknowledgeOlderFailures(be, fleet, Date.now() - 24 * 3600_000)
    timings.acknowledgedOlderFailures = acked
    const t1 = Date.now()
    page = await browser.newPage()
    await page.goto(be.ui)
    await page.waitForSelector('.conn-live', { timeout: 60_000 })
    // The whole fleet is in the window: the status bar counts every task.
    await page.waitForFunction(
      (n) => (document as unknown as { body: { textContent: string } }).body.textContent.includes(n),
      `${fleet.taskCount.toLocaleString('en-US')} tasks`,
      { timeout: 60_000 },
    )
    timings.firstLoadMs = Date.now() - t1
  }, 240_000)

  afterAll(async () => {
    timings.totalMs = Date.now() - started
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true })
    writeFileSync(
      join(REPO_ROOT, 'test-output', 'fleet-results.json'),
      JSON.stringify({ timings, results }, null, 2),
    )
    await browser?.close()
    await be?.stop()
    if (be) removeDir(be.dataDir)
    await redis?.close()
  })

  /** axe-core into the page (again after a reload). The served CSP refuses inline scripts, so
   * addScriptTag cannot; an evaluate from the driver is not subject to the page's CSP. */
  async function injectAxe() {
    if (await page.evaluate(() => typeof axe === 'undefined')) await page.evaluate(AXE_SOURCE)
  }

  const search = () => page.getByRole('searchbox', { name: 'Search tasks and agents' })
  const tab = (name: string) => page.getByRole('button', { name, exact: true })

  /** The views in the order a person would walk them; each step leaves the view on screen. */
  const VIEWS: { name: string; show: () => Promise<void> }[] = [
    {
      name: 'agents',
      show: async () => {
        await tab('Agents').click()
        await page.waitForSelector('[data-agent]')
      },
    },
    {
      name: 'calendar-month',
      show: async () => {
        await tab('Calendar').click()
        await page.getByRole('button', { name: 'Month', exact: true }).click()
        await page.waitForSelector('.rbc-month-view .rbc-event')
      },
    },
    {
      // The busiest day's "+N more" popup (portalled outside the calendar: checked on its own).
      name: 'calendar-month-more',
      show: async () => {
        await page.locator('.rbc-show-more').first().click()
        await page.waitForSelector('.rbc-overlay .rbc-event')
      },
    },
    {
      name: 'calendar-week',
      show: async () => {
        await page.keyboard.press('Escape')
        await page.waitForSelector('.rbc-overlay', { state: 'detached' })
        await page.getByRole('button', { name: 'Week', exact: true }).click()
        await page.waitForSelector('.rbc-time-view')
      },
    },
    {
      name: 'calendar-day',
      show: async () => {
        await page.getByRole('button', { name: 'Day', exact: true }).click()
        await page.waitForSelector('.rbc-time-view')
      },
    },
    {
      name: 'calendar-agenda',
      show: async () => {
        await page.getByRole('button', { name: 'Agenda', exact: true }).click()
        await page.waitForSelector('.rbc-agenda-view')
      },
    },
    {
      name: 'projects',
      show: async () => {
        await tab('Projects').click()
        await page.waitForSelector('[data-project]')
      },
    },
    {
      // A search on Projects: only the projects with matches, each listing them, the words marked.
      name: 'projects-search',
      show: async () => {
        await search().fill('OutOfMemory')
        await page.waitForSelector('.project-matches mark')
      },
    },
    {
      name: 'task-detail',
      show: async () => {
        await tab('Agents').click()
        await search().fill(fleet.detailTaskId)
        // The search is debounced and answered by the server: click once the list has settled
        // on its matches, not while rows are still moving under the pointer.
        await page.waitForSelector('#search-status:text-matches("[0-9][+]? match")')
        await page.locator(`.task-row[data-task-id="${fleet.detailTaskId}"]`).click()
        await page.waitForSelector('[data-testid="task-detail"] .tl-item')
      },
    },
    {
      name: 'settings',
      show: async () => {
        await page.keyboard.press('Escape')
        await page.waitForSelector('[data-testid="task-detail"]', { state: 'detached' })
        await search().fill('')
        await tab('Settings').click()
        await page.waitForSelector('.settings')
      },
    },
  ]

  it('keyboard: skip link to the first task, focus back on close, month events and "+N more"', async () => {
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 1440, height: 900 })
    await tab('Agents').click()
    await search().fill('')
    // A fresh page: the first Tabs are the skip links; the second lands on the first task row.
    await page.reload()
    await page.waitForSelector('.conn-live', { timeout: 60_000 })
    await page.waitForSelector('.task-row')
    const focused = page.locator(':focus')
    await page.keyboard.press('Tab')
    expect(await focused.textContent()).toBe('Skip to agents')
    await page.keyboard.press('Tab')
    expect(await focused.textContent()).toBe('Skip to the task list')
    await page.keyboard.press('Enter')
    const rowId = await focused.getAttribute('data-task-id')
    expect(await focused.getAttribute('class')).toContain('task-row')
    expect(rowId).toBeTruthy()

    // Enter opens the detail on its close button; Esc closes it and focus is back on the row.
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid="task-detail"]')
    expect(await focused.getAttribute('aria-label')).toBe('Close task detail (Esc)')
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="task-detail"]', { state: 'detached' })
    expect(await focused.getAttribute('data-task-id')).toBe(rowId)

    // Month events are buttons in the Tab order; Enter opens one, Esc returns to it.
    await page.keyboard.press('2')
    await page.getByRole('button', { name: 'Month', exact: true }).click()
    await page.getByRole('button', { name: 'Previous', exact: true }).click()
    const event = page.locator('.rbc-month-view .rbc-event').first()
    expect(await event.getAttribute('tabindex')).toBe('0')
    expect(await event.getAttribute('role')).toBe('button')
    const eventId = await event.locator('[data-task-id]').getAttribute('data-task-id')
    await event.focus()
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid="task-detail"]')
    expect(await page.locator('[data-testid="task-detail"] dd.mono').first().textContent()).toBe(eventId)
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="task-detail"]', { state: 'detached' })
    expect(await focused.locator('[data-task-id]').getAttribute('data-task-id')).toBe(eventId)

    // "+N more" opens its popup from the keyboard, and Esc closes it.
    await page.locator('.rbc-show-more').first().focus()
    await page.keyboard.press('Enter')
    await page.waitForSelector('.rbc-overlay')
    await page.keyboard.press('Escape')
    await page.waitForSelector('.rbc-overlay', { state: 'detached' })
    await page.waitForFunction(() => {
      const el = (document as unknown as { activeElement: { className: string } | null }).activeElement
      return !!el && String(el.className).includes('rbc-show-more')
    })

    // The README's pictures: the fleet with a little live traffic, and last month's calendar.
    for (let i = 0; i < 6; i++) {
      const res = await be.api('/api/tasks/fleet-now-2', {
        method: 'PUT',
        body: JSON.stringify({
          status: 'running',
          output: `verified ${i + 1}/12 tables (orders, invoices, …)`,
        }),
      })
      expect(res.ok).toBe(true)
      await page.waitForTimeout(150)
    }
    await page.locator(':focus').blur()
    await page.mouse.move(700, 880) // off the toolbar's hover styles
    await screenshot(page, 'fleet-readme-calendar')
    await tab('Agents').click()
    await page.waitForSelector('[data-agent]')
    await page.waitForTimeout(300)
    await screenshot(page, 'fleet-readme-agents')
  }, 120_000)

  it('search finds a word that is only in the start of a long output, in Agents and Projects', async () => {
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 1440, height: 900 })
    await tab('Agents').click()
    await page.waitForSelector('[data-agent]')
    try {
      await searchEverywhere()
    } finally {
      // Whatever happened, the views after this one start without a search.
      await search().fill('')
    }
  }, 120_000)

  async function searchEverywhere() {
    // The snapshot carries each output's tail, so the window alone cannot find the word: the
    // server's full-text index does.
    await search().fill(FLEET_NEEDLE)
    await tab('Projects').click()
    const row = page.locator('[data-project="data-pipeline"] .project-matches [data-task-id="fleet-needle"]')
    await row.waitFor({ timeout: 30_000 })
    expect(await page.locator('[data-project]').count()).toBe(1)
    expect(await row.locator('mark').first().textContent()).toBe(FLEET_NEEDLE)
    expect(await page.locator('#search-status').textContent()).toBe('1 match')
    expect(await page.locator('#search-status').getAttribute('data-query')).toBe(FLEET_NEEDLE.toLowerCase())
    await screenshot(page, 'fleet-projects-needle-1440x900-light')

    // A word of the error text: the Java OOM failures, by prefix ("OutOfMemoryError").
    await search().fill('OutOfMemory')
    await page.waitForFunction(() => {
      const marks = (
        document as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string }> }
      ).querySelectorAll('.project-matches mark')
      return marks.length > 0 && marks[0]!.textContent.toLowerCase() === 'outofmemory'
    })
    // Esc in the box clears the search; every project is back.
    await search().focus()
    await page.keyboard.press('Escape')
    expect(await search().inputValue()).toBe('')
    await page.waitForSelector('.project-matches', { state: 'detached' })
    expect(await page.locator('[data-project]').count()).toBe(8)

    // The same word in the agents view: only that task's row (the agents view filters with
    // useSearchMatches()).
    await search().fill(FLEET_NEEDLE)
    await tab('Agents').click()
    await page.waitForSelector('.task-row[data-task-id="fleet-needle"]', { timeout: 30_000 })
    await page.waitForSelector('.task-row[data-task-id="fleet-now-2"]', { state: 'detached' })
    expect(await page.locator('.task-row').count()).toBe(1)
  }

  for (const scheme of SCHEMES)
    for (const size of SIZES) {
      const label = `${size.width}x${size.height}-${scheme}`
      it(`${label}: every view fits, passes axe, is screenshotted`, async () => {
        await page.emulateMedia({ colorScheme: scheme })
        await page.setViewportSize(size)
        await injectAxe()
        const mine: ViewResult[] = []
        for (const v of VIEWS) {
          const t0 = Date.now()
          await v.show()
          const showMs = Date.now() - t0
          // Let the layout settle (the calendar sizes itself after a resize).
          await page.waitForTimeout(200)
          await screenshot(page, `fleet-${v.name}-${label}`)
          const overflow = [
            ...(await page.evaluate(findOverflow)),
            ...(await page.evaluate(findSqueezedTitles)),
          ]
          const t1 = Date.now()
          const found = await page.evaluate(runAxe)
          const axeMs = Date.now() - t1
          const agentRows = v.name === 'agents' ? await page.evaluate(countVisibleAgentRows) : undefined
          // The dense rows are the default at fleet size: at least 25 agents on a 1440×900 screen.
          if (agentRows !== undefined && size.width === 1440)
            expect(agentRows, 'agent rows visible at 1440×900').toBeGreaterThanOrEqual(25)
          mine.push({
            view: v.name,
            size: `${size.width}x${size.height}`,
            scheme,
            axe: found,
            overflow,
            showMs,
            axeMs,
            agentRows,
          })
        }
        results.push(...mine)
        const problems = mine.filter((r) => r.axe.length > 0 || r.overflow.length > 0)
        expect(problems).toEqual([])
      }, 240_000)
    }
})
