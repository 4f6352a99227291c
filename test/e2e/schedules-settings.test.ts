// Settings → Schedules in real Chromium against the real built server: a schedule made over REST
// is listed; one added through the form (after the form's own message and the server's) reaches
// the server; axe-core finds no serious or critical violation in the section; screenshots in
// test-output/screenshots/schedules-settings-*.png.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'
import { PAGE_CEILING_MS, launchBrowser, screenshot, type E2EBrowser } from './browser'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
interface AxeResults {
  violations: { id: string; impact?: string | null; help: string; nodes: unknown[] }[]
}
declare const axe: { run(ctx: unknown, opts: unknown): Promise<AxeResults> }
declare const document: { querySelector(sel: string): unknown }

let be: Backend
let browser: E2EBrowser

beforeAll(async () => {
  be = await startBackend()
  browser = await launchBrowser()
  const res = await be.api('/api/schedules/nightly-backup', {
    method: 'PUT',
    body: JSON.stringify({
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      grace_seconds: 900,
      title: 'Nightly backup',
      assignee: 'cron@db1',
      project_id: 'ops',
    }),
  })
  expect(res.status).toBe(201)
})
afterAll(async () => {
  await browser?.close()
  await be?.stop()
  if (be) removeDir(be.dataDir)
})

describe('Settings → Schedules in the browser', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: lists, validates, adds; no serious axe finding`, async () => {
      const page = await browser.newPage({ colorScheme: scheme })
      await page.goto(be.ui)
      await page.waitForSelector('.conn-live', { timeout: PAGE_CEILING_MS })
      await page.getByRole('button', { name: 'Settings', exact: true }).click()
      const section = page.getByRole('region', { name: 'Schedules' })
      await section.getByRole('row', { name: /nightly-backup/ }).waitFor()

      const id = `hourly-${scheme}`
      await section.getByRole('button', { name: 'New schedule' }).click()
      await section.getByLabel('Id').fill(id)
      await section.getByLabel('Cron').fill('61 * * * *')
      await section.getByLabel('Time zone').fill('UTC')
      await section.getByRole('button', { name: 'Add schedule' }).click()
      await section.getByRole('alert').waitFor()
      expect(await section.getByRole('alert').textContent()).toMatch(/invalid schedule: cron/)
      expect(await section.getByLabel('Cron').getAttribute('aria-invalid')).toBe('true')
      await screenshot(page, `schedules-settings-error-${scheme}`)

      await section.getByLabel('Cron').fill('5 * * * *')
      await section.getByRole('button', { name: 'Add schedule' }).click()
      await section.getByRole('row', { name: new RegExp(id) }).waitFor()
      const stored = await be.api(`/api/schedules/${id}`)
      expect(stored.status).toBe(200)

      await page.evaluate(AXE_SOURCE)
      const result = await page.evaluate(async () => {
        const r = await axe.run(document.querySelector('.sched'), { resultTypes: ['violations'] })
        return r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)
      })
      expect(result).toEqual([])
      await screenshot(page, `schedules-settings-${scheme}`)
      await page.close()
    })
  }
})
