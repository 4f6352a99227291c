// The built main entry (out/main/index.js) run under plain Node with the fake electron: it forks
// the real backend (out/backend/child.js, through the fake utilityProcess = child_process.fork),
// connects to it as a ws client, and turns a failure published to Redis into exactly one native
// notification and the tray's failure state. A restart with the same userData does not notify
// again. Needs `npm run build` first.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IpcResult } from '../../src-shared/ipc'
import { pushContract } from '../../src-shared/ipc-contract'
import type * as MainModule from '../../src-main/index'
import { createFakeElectron, findMenuItem, type FakeElectron } from '../fakes/main/fake-electron'
import { REPO_ROOT, removeDir, startBackend, waitFor } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'

const MAIN = join(REPO_ROOT, 'out', 'main', 'index.js')
const APP_PAGE = 'app://taskpulse/index.html'

let main: typeof MainModule
let redis: RedisServer
let producer: Redis
let userData: string

beforeAll(async () => {
  for (const f of [
    MAIN,
    join(REPO_ROOT, 'out', 'backend', 'child.js'),
    join(REPO_ROOT, 'out', 'preload', 'index.cjs'),
  ]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`)
  }
  main = (await import(pathToFileURL(MAIN).href)) as typeof MainModule
  redis = await startRedis()
  producer = new Redis(redis.url)
  userData = mkdtempSync(join(tmpdir(), 'taskpulse-userdata-'))
})
afterAll(async () => {
  producer?.disconnect()
  await redis?.close()
  if (userData) rmSync(userData, { recursive: true, force: true })
})

function launch(
  extraEnv: NodeJS.ProcessEnv = {},
  dir = userData,
): { electron: FakeElectron; app: MainModule.DesktopApp } {
  const electron = createFakeElectron({ userData: dir })
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TASKPULSE_REDIS_URL: redis.url,
    // Exercise the Electron adapter (utilityProcess.fork, faked over child_process.fork).
    TASKPULSE_BACKEND_RUNTIME: 'utility',
    TASKPULSE_LOG_LEVEL: 'warn',
  }
  delete env.TASKPULSE_BACKEND_URL
  delete env.ELECTRON_RENDERER_URL
  Object.assign(env, extraEnv)
  const app = main.bootstrap(electron, { env, platform: 'linux' })
  electron.app.ready()
  return { electron, app }
}

const tray = (e: FakeElectron) => e.trays()[0]
const publish = (payload: object) => producer.publish('task_status_update', JSON.stringify(payload))
// Durable: the backend's ready message does not wait for its Redis subscription, so a PUBLISH
// right after start could be missed (at-most-once); the stream is caught up on.
const xadd = (payload: object) => producer.xadd('task_status_stream', '*', 'data', JSON.stringify(payload))

describe('desktop main entry (built, fake electron, real backend and Redis)', () => {
  it('one failure published to Redis → exactly one notification naming it, tray in failure state', async () => {
    const { electron, app } = launch()
    try {
      await app.started
      // Window: secure settings, our preload, the app:// page.
      const win = electron.windows()[0]
      expect(win?.options.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
      })
      expect(win?.options.webPreferences?.preload).toBe(join(REPO_ROOT, 'out', 'preload', 'index.cjs'))
      expect(win?.webContents.url).toBe(APP_PAGE)

      await waitFor(
        () => tray(electron)?.image.endsWith('tray-idle.png'),
        'tray idle (backend up, socket connected)',
        30_000,
      )
      expect(electron.forked).toHaveLength(1)
      const conn = await electron.ipc.invoke('getConnection', APP_PAGE)
      expect(conn.ok && conn.value.mode).toBe('embedded')
      expect(conn.ok && conn.value.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      // The page was requested before the backend was known: it has been reloaded with a CSP
      // that lets it reach the backend (as Chromium would enforce on the app:// page).
      await win?.webContents.loaded
      const origin = conn.ok ? conn.value.url : ''
      expect(win?.webContents.documentCsp).toContain(
        `connect-src 'self' ${origin} ${origin.replace('http:', 'ws:')}`,
      )

      // The same event twice on the channel and once on the stream: one notification.
      const failed = {
        task_id: 'nightly-build',
        title: 'Nightly build',
        status: 'failed',
        error: 'exit code 2',
        event_id: 'evt-nightly-1',
      }
      await publish(failed)
      await publish(failed)
      await producer.xadd('task_status_stream', '*', 'data', JSON.stringify(failed))
      // Barrier: a later event seen by the tray means everything before it was handled.
      await xadd({ task_id: 'barrier', status: 'running', event_id: 'evt-barrier-1' })
      await waitFor(
        () => tray(electron)?.toolTip.includes('1 running'),
        'tray sees the barrier event',
        15_000,
      )

      const notes = electron.notifications()
      expect(notes).toHaveLength(1)
      expect(notes[0]?.options.title).toBe('Nightly build failed')
      expect(notes[0]?.options.body).toContain('exit code 2')
      expect(tray(electron)?.image.endsWith('tray-failure.png')).toBe(true)
      expect(tray(electron)?.toolTip).toBe('TaskPulse — 1 running, 1 failed, 1 new')
      expect(electron.app.badgeCount).toBe(1)
      expect(findMenuItem(tray(electron)?.menu ?? null, 'task:nightly-build')?.label).toBe(
        '✗ Nightly build — failed',
      )

      // Clicking the notification opens the window on that task.
      notes[0]?.click()
      expect(win?.visible).toBe(true)
      expect(win?.webContents.sent).toContainEqual({
        channel: pushContract.onNavigateToTask.channel,
        args: ['nightly-build'],
      })

      // Acknowledge from the tray: the backend records it, and its update frame takes the tray
      // back to "running".
      tray(electron)?.clickItem('ack')
      await waitFor(
        () => tray(electron)?.image.endsWith('tray-running.png'),
        'the ack back from the backend',
        15_000,
      )
      expect(electron.app.badgeCount).toBe(0)
    } finally {
      await app.quit()
    }
    const child = electron.forked[0]?.child
    expect(child?.exitCode ?? child?.signalCode).not.toBeNull() // backend stopped with the app
  })

  it('after a restart with the same userData nothing is notified again', async () => {
    const { electron, app } = launch()
    try {
      await app.started
      await waitFor(
        () =>
          tray(electron)?.toolTip.startsWith('TaskPulse — ') &&
          !tray(electron)?.image.includes('disconnected'),
        'reconnected',
        30_000,
      )
      // A new event as barrier: the replay (if any) came before it.
      await xadd({ task_id: 'barrier-2', status: 'running', event_id: 'evt-barrier-2' })
      await waitFor(
        () => tray(electron)?.toolTip.includes('2 running'),
        'tray sees the second barrier',
        15_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; tooltip: ${tray(electron)?.toolTip}`)
      })
      expect(electron.notifications()).toHaveLength(0)
      // A genuinely new failure still notifies, worded as a repeat for the same task.
      await xadd({
        task_id: 'nightly-build',
        title: 'Nightly build',
        status: 'running',
        event_id: 'evt-nightly-2',
      })
      await xadd({
        task_id: 'nightly-build',
        title: 'Nightly build',
        status: 'failed',
        event_id: 'evt-nightly-3',
      })
      await waitFor(() => electron.notifications().length === 1, 'the new failure notified', 15_000)
      expect(electron.notifications()[0]?.options.title).toBe('Nightly build still failing')
    } finally {
      await app.quit()
    }
  })

  it('remote mode (TASKPULSE_BACKEND_URL + TASKPULSE_TOKEN): forks nothing and follows the remote server', async () => {
    const remote = await startBackend({ token: 'remote-token-123456' })
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-userdata-remote-'))
    const { electron, app } = launch(
      { TASKPULSE_BACKEND_URL: remote.url, TASKPULSE_TOKEN: 'remote-token-123456' },
      dir,
    )
    try {
      await app.started
      await waitFor(
        () => tray(electron)?.image.endsWith('tray-idle.png'),
        'connected to the remote backend',
        15_000,
      )
      expect(electron.forked).toHaveLength(0)
      const conn = await electron.ipc.invoke('getConnection', APP_PAGE)
      expect(conn).toEqual({
        ok: true,
        value: { url: remote.url, wsUrl: `${remote.ws}`, token: 'remote-token-123456', mode: 'remote' },
      })
      expect(findMenuItem(tray(electron)?.menu ?? null, 'backend-status')?.label).toBe(
        'Backend (remote): connected',
      )
      const res = await remote.api('/api/tasks/remote-1', {
        method: 'PUT',
        body: JSON.stringify({ status: 'completed', title: 'Remote job' }),
      })
      expect(res.status).toBe(201)
      await waitFor(() => electron.notifications().length === 1, 'completion notified', 15_000)
      expect(electron.notifications()[0]?.options.title).toBe('Remote job completed')

      // "Test connection" asks as the window does: this server was started without
      // --allowed-origins app://taskpulse, so the window would get 403 — and the probe says so.
      const probe = (await electron.ipc.invoke('testConnection', APP_PAGE, {
        url: remote.url,
        token: 'remote-token-123456',
      })) as IpcResult<unknown>
      expect(probe.ok).toBe(false)
      expect(!probe.ok && probe.error).toContain(
        '403 forbidden_origin): start the server with --allowed-origins app://taskpulse',
      )
      const allowing = await startBackend({
        token: 'remote-token-123456',
        extraArgs: ['--allowed-origins', 'app://taskpulse'],
      })
      try {
        const ok = (await electron.ipc.invoke('testConnection', APP_PAGE, {
          url: allowing.url,
          token: 'remote-token-123456',
        })) as IpcResult<{ message: string }>
        expect(ok.ok && ok.value.message).toMatch(/^Connected: TaskPulse /)
      } finally {
        await allowing.stop()
        removeDir(allowing.dataDir)
      }
    } finally {
      await app.quit()
      await remote.stop()
      removeDir(remote.dataDir)
      removeDir(dir)
    }
  })

  it('a burst of 500 failures: 2 individual notifications, then one summary of the rest', async () => {
    // Its own Redis: earlier tests' stream entries would be caught up on by the fresh database.
    const burstRedis = await startRedis()
    const burstProducer = new Redis(burstRedis.url)
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-userdata-burst-'))
    const { electron, app } = launch({ TASKPULSE_REDIS_URL: burstRedis.url }, dir)
    try {
      await app.started
      await waitFor(
        () =>
          tray(electron)?.image.endsWith('tray-idle.png') ||
          tray(electron)?.image.endsWith('tray-running.png'),
        'connected',
        30_000,
      )
      const t0 = performance.now()
      const pipeline = burstProducer.pipeline()
      for (let i = 0; i < 500; i++) {
        pipeline.xadd(
          'task_status_stream',
          '*',
          'data',
          JSON.stringify({
            task_id: `burst-${i}`,
            status: i % 10 < 7 ? 'failed' : 'completed',
            event_id: `evt-burst-${i}`,
          }),
        )
      }
      await pipeline.exec()
      const burstFailed = () => Number(/(\d+) failed/.exec(tray(electron)?.toolTip ?? '')?.[1] ?? 0)
      await waitFor(() => burstFailed() === 350, 'tray counted the burst', 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; tooltip: ${tray(electron)?.toolTip}`)
      })
      const trayMs = performance.now() - t0
      // Two alone, then the rest summed up after the 5 s window: one summary when the whole burst
      // lands inside one window (it does on a quiet machine); a slower machine may spread it over
      // more windows. Either way every update is told once, and its kind is right.
      const told = () => {
        let updates = 0
        let failed = 0
        for (const { options: n } of electron.notifications()) {
          const more = /^(\d+) more task updates$/.exec(n.title)
          if (more) {
            updates += Number(more[1])
            failed += Number(/(\d+) failed/.exec(n.body ?? '')?.[1] ?? 0)
          } else {
            updates++
            if (n.title.endsWith(' failed')) failed++
          }
        }
        return { updates, failed }
      }
      await waitFor(() => told().updates >= 500, 'every update told, summed up after the 5 s window', 30_000)
      expect(told()).toEqual({ updates: 500, failed: 350 })
      const notes = electron.notifications().map((n) => n.options)
      expect(notes.slice(0, 2).every((n) => n.title.endsWith(' failed'))).toBe(true)
      expect(notes[2]).toMatchObject({ title: expect.stringMatching(/ more task updates$/) as unknown })
      console.log(`burst of 500 through backend + main: tray updated after ${Math.round(trayMs)} ms`)
    } finally {
      await app.quit()
      removeDir(dir)
      burstProducer.disconnect()
      await burstRedis.close()
    }
  })

  it('a backend setting changed through IPC restarts the embedded backend with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-userdata-settings-'))
    const { electron, app } = launch({ TASKPULSE_REDIS_URL: '' }, dir)
    try {
      await app.started
      await waitFor(() => tray(electron)?.image.endsWith('tray-idle.png'), 'connected', 30_000)
      const before = await electron.ipc.invoke('getConnection', APP_PAGE)
      if (!before.ok) throw new Error(before.error)
      const health = async (url: string) =>
        ((await (await fetch(`${url}/api/health`)).json()) as { redis: string }).redis
      expect(await health(before.value.url)).toBe('disabled')

      const set = (await electron.ipc.invoke('setSettings', APP_PAGE, {
        backend: { redisUrl: redis.url },
      })) as IpcResult<unknown>
      expect(set.ok).toBe(true)
      await waitFor(
        () => electron.forked.length === 2 && app.backendState().status === 'running',
        'restarted',
        30_000,
      )
      expect(electron.forked[0]?.child.exitCode).toBe(0) // the old one stopped gracefully
      const after = await electron.ipc.invoke('getConnection', APP_PAGE)
      expect(after.ok && after.value.url).toBe(before.value.url) // same port
      await waitFor(
        async () => (await health(before.value.url)) === 'connected',
        'new backend on Redis',
        15_000,
      )
      const win = electron.windows()[0]
      expect(win?.webContents.sent.some((m) => m.channel === pushContract.onBackendStatus.channel)).toBe(true)
    } finally {
      await app.quit()
      removeDir(dir)
    }
  })
})
