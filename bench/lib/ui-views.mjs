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
 * Reaches `view` as a user would. Resolves `{ ok: true }` or `{ ok: false, reason }`.
 * @param {import('playwright-core').Page} page
 */
export async function goToView(page, view, { stepTimeoutMs = 10_000 } = {}) {
  for (const step of view.steps) {
    try {
      if (step.key) {
        await page.keyboard.press(step.key)
        continue
      }
      const loc = step.tab
        ? page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: step.tab, exact: true })
        : await firstVisible(page, step.control, stepTimeoutMs)
      if (!loc) return { ok: false, reason: `no control named "${step.control}"` }
      await loc.first().click({ timeout: stepTimeoutMs })
    } catch (err) {
      return { ok: false, reason: `step ${JSON.stringify(step)}: ${err.message.split('\n')[0]}` }
    }
  }
  try {
    await page.locator(view.ready).first().waitFor({ state: 'visible', timeout: stepTimeoutMs })
  } catch {
    return { ok: false, reason: `not shown: none of ${view.ready} became visible` }
  }
  return { ok: true }
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
