// Screenshots of every view in light and dark, against a real backend holding a realistic day of
// work, into test-output/screenshots/ (git-ignored). The best ones are copied to docs/ by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'
import { PAGE_CEILING_MS, launchBrowser, screenshot, type E2EBrowser, type Page } from './browser'

// Page-side code (page.evaluate / waitForFunction) runs in Chromium; the node tsconfig has no DOM
// lib, and the served CSP forbids evaluating strings, so declare the little of the DOM it uses.
interface PageElement {
  textContent: string | null
}
declare const document: { querySelector(selector: string): PageElement | null }

const AGENTS = ['claude-refactor', 'gpt-reviewer', 'etl-nightly', 'scraper-03', 'docs-writer', 'test-runner']
const PROJECTS = ['checkout-web', 'data-pipeline', 'infra', 'docs']
const TITLES = [
  'Refactor payment form validation',
  'Review PR #482: cache headers',
  'Load orders into warehouse',
  'Scrape competitor prices',
  'Write API reference for /tasks',
  'Run integration suite on main',
  'Rotate staging certificates',
  'Backfill customer segments',
  'Summarise incident 2026-11-21',
  'Migrate cron jobs to queue',
]
const ERRORS = [
  'TimeoutError: upstream did not answer within 30 s (GET https://api.partner.example/v2/orders)',
  'AssertionError: expected 200, got 502 in checkout.spec.ts:88',
  'OOMKilled: worker exceeded 2 GiB while joining orders × customers',
]
const OUTPUTS = [
  'Processed 12,480 rows in 41.2 s; 0 rejected.\nWrote warehouse.orders_2026_11_23',
  'All 214 tests passed (3 skipped) in 2m 11s',
  'Opened PR #491 with 6 files changed (+182 −97)',
  'Generated 38 pages of reference docs',
]

async function seed(be: Backend): Promise<void> {
  const now = Date.now()
  const hour = 3600_000
  const puts: [string, Record<string, unknown>][] = []
  let k = 0
  for (let i = 0; i < 72; i++) {
    const id = `task-${1000 + i}`
    const agent = i % 11 === 10 ? null : AGENTS[i % AGENTS.length]!
    const project = PROJECTS[i % PROJECTS.length]!
    const title = TITLES[i % TITLES.length]!
    const base = { title, assignee: agent, project_id: project }
    // Spread over the past week (a few per day, business-ish hours), some scheduled ahead.
    const dayStart = new Date(now - (i % 8) * 24 * hour)
    dayStart.setHours(8 + ((i * 5) % 10), (i * 13) % 60, 0, 0)
    let start = Math.min(dayStart.getTime(), now - 30 * 60_000)
    const kind = i % 9
    if (kind === 0) {
      const at = new Date(now + ((i % 20) - 4) * 26 * hour).toISOString()
      puts.push([
        id,
        {
          ...base,
          status: 'pending',
          scheduled_at: at,
          due_at: new Date(Date.parse(at) + 2 * hour).toISOString(),
          updated_at: new Date(start).toISOString(),
        },
      ])
      continue
    }
    // Still running: started within the last hour or two.
    if (kind === 1 || kind === 2) start = now - (10 + (i % 6) * 15) * 60_000
    puts.push([
      id,
      { ...base, status: 'running', updated_at: new Date(start).toISOString(), event_id: `seed-${k++}` },
    ])
    if (kind === 1 || kind === 2) continue
    const end = new Date(start + (20 + (i % 7) * 15) * 60_000).toISOString()
    if (kind === 3 || kind === 6)
      puts.push([
        id,
        { status: 'failed', error: ERRORS[i % ERRORS.length], updated_at: end, event_id: `seed-${k++}` },
      ])
    else
      puts.push([
        id,
        {
          status: 'completed',
          output: OUTPUTS[i % OUTPUTS.length],
          updated_at: end,
          event_id: `seed-${k++}`,
        },
      ])
  }
  // Recent activity: each agent's latest moment.
  puts.push([
    'task-2001',
    {
      title: 'Fix flaky checkout test',
      assignee: 'test-runner',
      project_id: 'checkout-web',
      status: 'failed',
      error: ERRORS[1],
    },
  ])
  puts.push([
    'task-2002',
    {
      title: 'Nightly orders load',
      assignee: 'etl-nightly',
      project_id: 'data-pipeline',
      status: 'running',
      output: 'batch 7/12: 8,114 rows',
    },
  ])
  puts.push([
    'task-2003',
    {
      title: 'Review PR #493: retry policy',
      assignee: 'gpt-reviewer',
      project_id: 'infra',
      status: 'completed',
      output: 'Approved with 2 comments',
    },
  ])
  puts.push([
    'task-2004',
    { title: 'Triage new issues', assignee: null, project_id: 'docs', status: 'pending' },
  ])
  // In order per task (later events after earlier ones), in parallel across tasks.
  const byTask = new Map<string, Record<string, unknown>[]>()
  for (const [id, body] of puts) byTask.set(id, [...(byTask.get(id) ?? []), body])
  await Promise.all(
    [...byTask].map(async ([id, bodies]) => {
      for (const body of bodies) {
        const res = await be.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })
        if (!res.ok) throw new Error(`seed ${id}: ${res.status} ${await res.text()}`)
      }
    }),
  )
}

describe('screenshots of each view, light and dark', () => {
  let be: Backend
  let empty: Backend
  let browser: E2EBrowser
  const taken: string[] = []

  beforeAll(async () => {
    ;[be, empty, browser] = await Promise.all([startBackend(), startBackend(), launchBrowser()])
    await seed(be)
  })
  afterAll(async () => {
    await browser?.close()
    for (const b of [be, empty]) {
      await b?.stop()
      if (b) removeDir(b.dataDir)
    }
  })

  async function open(b: Backend, scheme: 'light' | 'dark'): Promise<Page> {
    const page = await browser.newPage({ colorScheme: scheme })
    await page.goto(b.ui)
    await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
    await page.waitForSelector('[data-redis]')
    return page
  }
  async function shoot(page: Page, name: string) {
    await page.waitForTimeout(150)
    taken.push(await screenshot(page, name))
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: agents, calendar (month, timeline, agenda), projects, task detail, settings`, async () => {
      const page = await open(be, scheme)
      await page.waitForSelector('[data-agent="test-runner"]')
      // A little live traffic so the pipeline readout has something to say.
      for (let i = 0; i < 6; i++) {
        await be.api('/api/tasks/task-2002', {
          method: 'PUT',
          body: JSON.stringify({ status: 'running', output: `batch ${7 + i}/12: ${8114 + i * 977} rows` }),
        })
        await page.waitForTimeout(120)
      }
      await page.waitForFunction(() => {
        const t = document.querySelector('.statusbar')?.textContent ?? ''
        return /events\/s/.test(t) && !/RTT: —/.test(t)
      })
      await page.waitForTimeout(1100)
      await shoot(page, `agent-monitor-${scheme}`)

      await page.getByRole('button', { name: 'Calendar', exact: true }).click()
      await page.waitForSelector('.mo-counts')
      await shoot(page, `calendar-month-${scheme}`)
      await page.getByRole('button', { name: 'Timeline', exact: true }).click()
      await page.waitForSelector('.tl-bar')
      await shoot(page, `calendar-timeline-${scheme}`)
      await page.getByRole('button', { name: 'Agenda', exact: true }).click()
      await page.waitForSelector('.ag-row')
      await shoot(page, `calendar-agenda-${scheme}`)

      await page.getByRole('button', { name: 'Projects', exact: true }).click()
      await page.waitForSelector('[data-project="checkout-web"]')
      await shoot(page, `projects-${scheme}`)

      await page.getByRole('button', { name: 'Agents', exact: true }).click()
      await page.keyboard.press('/')
      await page.keyboard.type('task-1003')
      await page.locator('[data-task-id="task-1003"]').click()
      await page.waitForSelector('.tl-item + .tl-item')
      await shoot(page, `task-detail-${scheme}`)
      await page.keyboard.press('Escape')
      await expect(page.locator('[data-testid="task-detail"]').count()).resolves.toBe(0)
      await page.getByRole('searchbox').fill('')

      await page.getByRole('button', { name: 'Settings', exact: true }).click()
      await shoot(page, `settings-${scheme}`)
      await page.close()
    })

    it(`${scheme}: empty state and bad token`, async () => {
      const page = await open(empty, scheme)
      await page.getByRole('heading', { name: 'No tasks yet' }).waitFor()
      await shoot(page, `empty-state-${scheme}`)
      await page.close()
      const bad = await browser.newPage({ colorScheme: scheme })
      await bad.goto(`${be.url}/#token=wrong-token`)
      await bad.getByRole('alert').waitFor({ timeout: PAGE_CEILING_MS })
      await shoot(bad, `bad-token-${scheme}`)
      await bad.close()
    })
  }

  it('wrote them all', () => {
    expect(taken).toHaveLength(18)
  })
})
