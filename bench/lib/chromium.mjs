// @ts-check
// Debian's Chromium through playwright-core (never a downloaded browser), the way the UI benches
// (ui-bench, ui-scale) and the e2e suite (test/e2e/browser.ts) start it: one set of flags, so the
// frames the benches measure come from the same browser setup the e2e screenshots do.
import { cpus, loadavg } from 'node:os'
import { chromium } from 'playwright-core'

/** Where Chromium is: TASKPULSE_CHROMIUM, else Debian's. */
export const CHROMIUM_PATH = process.env.TASKPULSE_CHROMIUM ?? '/usr/bin/chromium'

/** Headless, no GPU, no sandbox (containers), and none of the background traffic (updates, sync,
 * QUIC probes) that would add work to the frames being measured. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * A persistent context (its own profile in `userDataDir`, which the caller removes) at 1× scale.
 * @param {string} userDataDir
 * @param {{ executablePath?: string, viewport: { width: number, height: number } }} opts
 */
export function launchChromium(userDataDir, { executablePath = CHROMIUM_PATH, viewport }) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    deviceScaleFactor: 1,
  })
}

/**
 * Waits up to `maxS` seconds for the 1-minute load average to fall under `limit` (the machine is
 * shared; other work skews frame times); returns the load average then.
 * @param {number} maxS 0: no wait
 * @param {{ limit?: number, log?: (msg: string) => void }} [opts] limit: the core count by default
 */
export async function quietWait(maxS, { limit = cpus().length, log = () => {} } = {}) {
  const load1 = () => +(loadavg()[0] ?? 0).toFixed(2)
  const t0 = Date.now()
  if (load1() > limit && maxS > 0) log(`waiting up to ${maxS} s for load < ${limit} (now ${load1()})`)
  while (load1() > limit && Date.now() - t0 < maxS * 1000) await new Promise((r) => setTimeout(r, 2000))
  return load1()
}
