// Main process (from source, on the fake electron) against the real built server: a task entering
// `waiting` raises one notification whose click opens it, a stale task notifies once, the tray
// counts both as attention, and "Acknowledge all" in the tray acknowledges on the backend, after
// which the tray clears from the backend's own update frames.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { bootstrap, type DesktopApp } from '../../src-main/index'
import { createFakeElectron, type FakeElectron } from '../fakes/main/fake-electron'
import { removeDir, startBackend, waitFor, type Backend } from '../helpers/backend-process'

const CEILING_MS = 30_000

let backend: Backend
let electron: FakeElectron
let app: DesktopApp
let userData: string

beforeAll(async () => {
  backend = await startBackend({ extraArgs: ['--stale-check-ms', '200'] })
  userData = mkdtempSync(join(tmpdir(), 'taskpulse-main-attention-'))
  electron = createFakeElectron({ userData })
  app = bootstrap(electron, {
    env: {
      PATH: process.env.PATH,
      TASKPULSE_BACKEND_URL: backend.url,
      TASKPULSE_TOKEN: backend.token,
      TASKPULSE_LOG_LEVEL: 'silent',
      XDG_CURRENT_DESKTOP: 'test',
    },
    platform: 'linux',
    paths: {
      rendererDir: join(userData, 'r'),
      resourcesDir: '/res',
      backendEntry: fileURLToPath(new URL('../fakes/main/quick-backend.mjs', import.meta.url)),
    },
  })
  electron.app.ready()
  await app.started
  // Main is live once its socket synced: the tray leaves "disconnected".
  await waitFor(() => electron.trays()[0]?.toolTip.includes('running'), 'the tray connected', CEILING_MS)
})
afterAll(async () => {
  await app?.quit()
  await backend?.stop()
  removeDir(backend.dataDir)
  rmSync(userData, { recursive: true, force: true })
})

const put = (id: string, body: object) =>
  backend.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })
const tray = () => electron.trays()[0]!
const notes = () => electron.notifications().map((n) => n.options)

describe('desktop attention (real backend)', () => {
  it('a waiting task raises one notification; its click opens the task; the tray counts it', async () => {
    await put('sess-1', { status: 'running', title: 'Refactor parser', assignee: 'claude-code@repo-x' })
    await put('sess-1', { status: 'waiting', output: 'Edit src/x.ts\nAllow Bash(rm -rf dist)?' })
    await waitFor(
      () => notes().some((n) => n.title.includes('needs your input')),
      'the waiting notification',
      CEILING_MS,
    )
    await put('sess-1', { output: 'Edit src/x.ts\nAllow Bash(rm -rf dist)? (still asking)' })
    // Frames arrive in order: once this one shows in the tray, the update above was handled too.
    await put('marker-1', { status: 'running' })
    await waitFor(
      () => tray().toolTip.includes('1 running') && tray().toolTip.includes('1 waiting'),
      'the tray counting it',
      CEILING_MS,
    )
    const waiting = notes().filter((n) => n.title.includes('needs your input'))
    expect(waiting).toEqual([
      expect.objectContaining({
        title: 'claude-code@repo-x needs your input: Allow Bash(rm -rf dist)?',
        body: 'Refactor parser',
      }),
    ])
    expect(electron.app.badgeCount).toBe(1)

    electron
      .notifications()
      .find((n) => n.options.title.includes('needs your input'))!
      .click()
    const win = electron.windows()[0]!
    expect(win.webContents.sent).toContainEqual({ channel: 'ui:navigate-to-task', args: ['sess-1'] })
    await put('sess-1', { status: 'running' })
    await waitFor(() => !tray().toolTip.includes('waiting'), 'the tray clearing it', CEILING_MS)
  })

  it('a stale task notifies once, and Acknowledge all acknowledges it and a failure on the backend', async () => {
    await put('etl-1', {
      status: 'running',
      title: 'Nightly ETL',
      assignee: 'nightly-etl',
      stale_after_seconds: 1,
    })
    await put('build-7', { status: 'failed', title: 'Build #7', error: 'exit 2' })
    await waitFor(
      () => notes().some((n) => n.title.startsWith('nightly-etl: Nightly ETL — no update for')),
      'the stale notification',
      CEILING_MS,
    )
    await waitFor(
      () => tray().toolTip.includes('1 stale') && tray().toolTip.includes('1 new'),
      'the tray counting both',
      CEILING_MS,
    )
    expect(notes().filter((n) => n.title.includes('Nightly ETL'))).toHaveLength(1)
    expect(electron.app.badgeCount).toBe(2)

    tray().clickItem('ack')
    await waitFor(() => electron.app.badgeCount === 0, 'the tray cleared by the ack frames', CEILING_MS)
    for (const id of ['etl-1', 'build-7']) {
      const task = (await (await backend.api(`/api/tasks/${id}`)).json()) as Task
      expect(task.acknowledged_at).not.toBeNull()
    }
    // Still stale on the backend (an ack is no sign of life), but no longer the tray's business.
    expect(tray().toolTip).toContain('1 failed')
    expect(tray().toolTip).not.toContain('stale')
  })
})
