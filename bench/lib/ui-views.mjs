// The views the ui-scale bench measures, and how a person reaches each: the steps click controls
// by their accessible role and name (never a CSS class a redesign renames), or press keys. A view
// whose control or ready marker does not appear is reported as "missing", and the run goes on.
//
// Data, not code: change a selector here (or pass --views-file FILE with the same shape as JSON)
// when a view lands or moves. Step kinds:
//   { tab: 'Calendar' }          the button of that name in the "Views" navigation
//   { control: 'Timeline' }      the first visible button / tab / radio / link of that exact name
//   { key: '2' }                 a key press on the page (focus on the body)
// `ready`: CSS selectors (comma = any), one visible element means the view is shown.

export const UI_VIEWS = [
  {
    name: 'agents',
    steps: [{ tab: 'Agents' }],
    ready: '.monitor, [data-testid="agent-list"]',
  },
  {
    // The fleet timeline (issue 10, item 4): a view switch inside Calendar.
    name: 'timeline',
    steps: [{ tab: 'Calendar' }, { control: 'Timeline' }],
    ready: '[data-testid="timeline"], .timeline',
  },
  {
    name: 'month',
    steps: [{ tab: 'Calendar' }, { control: 'Month' }],
    ready: '.rbc-month-view, [data-testid="month"], .cal-month, .month-view',
  },
  {
    name: 'projects',
    steps: [{ tab: 'Projects' }],
    ready: '.projects, [data-testid="projects"]',
  },
]

/** Where the measurements look in the page (see ui-probe.mjs). */
export const PAGE_MARKERS = {
  /** A task row (the agents view's list, where search results show). */
  rowSelector: '[data-task-id][data-event-id]',
  /** The task count of the agents view: the whole snapshot is applied when it shows every task. */
  countSelector: '.tasks-pane .pane-count',
  /** The view area; mutations outside it (header, status bar) are not the view reacting. */
  mainSelector: 'main, #main',
  /** The search box (focused with "/", as a person does). */
  searchKey: '/',
  searchSelector: 'input[type="search"]',
}

const ROLES = ['button', 'tab', 'radio', 'link', 'menuitem', 'option']

/**
 * Reaches `view` as a user would. Resolves `{ ok: true, switch_ms }` (the last step's click →
 * the view's ready marker visible), or `{ ok: false, blocked, reason }`: `blocked` when the page's
 * main thread was too busy to answer (the view exists but did not render in time), else missing.
 * @param {import('playwright-core').Page} page
 */
/**
 * `stepTimeoutMs`: how long a view's control may take to appear (a view without one is missing);
 * `readyTimeoutMs`: how long a click and the view's ready marker may take once it is there (a
 * loaded machine renders slowly; that is not a missing view). Both 30 s unless given.
 */
export async function goToView(page, view, { stepTimeoutMs = 30_000, readyTimeoutMs = 30_000 } = {}) {
  let clickedAt = Date.now()
  const fail = async (reason, control = null) => {
    const busy = await mainThreadBusy(page, clickedAt)
    if (busy === null) return { ok: false, blocked: false, reason }
    // Busy: a control may be absent only because the page has not rendered it yet. Give the page
    // up to a minute to answer again, then look once more.
    const answered = await waitResponsive(page, 60_000)
    if (answered && control !== null && !(await firstVisible(page, control, 2000)))
      return {
        ok: false,
        blocked: false,
        reason: `${reason}; ${busy}; still absent once the page answered again`,
      }
    return {
      ok: false,
      blocked: true,
      reason: `${reason}; ${busy}${answered ? '' : '; the page did not answer for 60 s'}`,
    }
  }
  for (const step of view.steps) {
    try {
      clickedAt = Date.now()
      if (step.key) {
        await page.keyboard.press(step.key)
        continue
      }
      const loc = step.tab
        ? page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: step.tab, exact: true })
        : await firstVisible(page, step.control, stepTimeoutMs)
      if (!loc)
        return await fail(`no control named "${step.control}" within ${stepTimeoutMs / 1000} s`, step.control)
      clickedAt = Date.now()
      await loc.first().click({ timeout: readyTimeoutMs })
    } catch (err) {
      return await fail(`step ${JSON.stringify(step)}: ${err.message.split('\n')[0]}`)
    }
  }
  try {
    await page.locator(view.ready).first().waitFor({ state: 'visible', timeout: readyTimeoutMs })
  } catch {
    return await fail(`not shown: none of ${view.ready} became visible within ${readyTimeoutMs / 1000} s`)
  }
  return { ok: true, switch_ms: Date.now() - clickedAt }
}

/** Null when the page answers promptly and had no long task since `sinceEpochMs`; else why not. */
async function mainThreadBusy(page, sinceEpochMs) {
  const answer = page.evaluate((since) => {
    const from = since - performance.timeOrigin
    const long = (window.__uiScale?.longTasks ?? []).filter((l) => l.start >= from)
    return { n: long.length, max: Math.max(0, ...long.map((l) => l.duration)) }
  }, sinceEpochMs)
  const r = await Promise.race([answer, new Promise((res) => setTimeout(() => res(null), 5000))])
  if (r === null) return 'the page did not answer for 5 s (main thread blocked)'
  if (r.max > 1000) return `main thread busy: ${r.n} long tasks, longest ${Math.round(r.max)} ms`
  return null
}

async function waitResponsive(page, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await Promise.race([
      page.evaluate(() => true).catch(() => false),
      new Promise((res) => setTimeout(() => res(false), 5000)),
    ])
    if (ok) return true
  }
  return false
}

async function firstVisible(page, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const role of ROLES) {
      const loc = page.getByRole(role, { name, exact: true })
      const n = await loc.count()
      for (let i = 0; i < n; i++) if (await loc.nth(i).isVisible()) return loc.nth(i)
    }
    await page.waitForTimeout(250)
  }
  return null
}
