// The composition root from source with the fake electron, in remote mode against an address
// nobody listens on (no backend needed): lifecycle rules — single instance, second launch,
// close to tray, quit — and the IPC wiring.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IpcResult } from '../src-shared/ipc'
import { bootstrap, type DesktopApp } from './index'
import { createFakeElectron, type FakeElectron } from '../test/fakes/main/fake-electron'

let dir: string
let electron: FakeElectron
let app: DesktopApp | null
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskpulse-main-'))
  electron = createFakeElectron({ userData: dir })
  app = null
})
afterEach(async () => {
  await app?.quit()
  rmSync(dir, { recursive: true, force: true })
})

const env = {
  PATH: process.env.PATH,
  TASKPULSE_BACKEND_URL: 'http://127.0.0.1:9',
  TASKPULSE_TOKEN: 'tok',
  TASKPULSE_LOG_LEVEL: 'silent',
  XDG_CURRENT_DESKTOP: 'test',
}
const PAGE = 'app://taskpulse/index.html'
const tick = () => new Promise<void>((r) => setImmediate(r))
async function settle(times = 20) {
  for (let i = 0; i < times; i += 1) await tick()
}
async function start(platform: NodeJS.Platform = 'linux', launchEnv: NodeJS.ProcessEnv = env) {
  app = bootstrap(electron, {
    env: launchEnv,
    platform,
    paths: {
      rendererDir: join(dir, 'r'),
      resourcesDir: '/res',
      backendEntry: fileURLToPath(new URL('../test/fakes/main/quick-backend.mjs', import.meta.url)),
    },
  })
  electron.app.ready()
  await app.started
  return electron.windows()[0]
}

describe('composition root (fake electron)', () => {
  it('a second instance quits at once, without a window', async () => {
    electron.app.singleInstance = false
    app = bootstrap(electron, { env })
    expect(electron.app.quitCalls).toBe(1)
    electron.app.ready()
    await app.started
    expect(electron.windows()).toHaveLength(0)
    app = null
  })

  it('a second launch brings the window to the front', async () => {
    const win = await start()
    win?.hide()
    electron.app.emit('second-instance')
    expect(win?.visible).toBe(true)
    expect(win?.focused).toBe(true)
  })

  it('boots in order: app:// registered before ready, permissions denied, menu, tray, window', async () => {
    const win = await start()
    expect(electron.privilegedSchemes).toEqual(['app'])
    expect(electron.protocolHandlers.has('app')).toBe(true)
    expect(electron.defaultSession.requestHandler).not.toBeNull()
    expect(electron.applicationMenu).not.toBeNull()
    expect(electron.trays()).toHaveLength(1)
    expect(win?.webContents.url).toBe('app://taskpulse/index.html')
    expect(electron.forked).toHaveLength(0) // remote mode
  })

  it('closing the window hides it to the tray; quitting really closes and stops everything', async () => {
    const win = await start()
    expect(win?.userClose()).toBe(true)
    expect(win?.visible).toBe(false)
    await app?.quit()
    app = null
    expect(win?.userClose()).toBe(false)
    expect(electron.trays()[0]?.destroyed).toBe(true)
  })

  it('close to tray can be turned off in settings', async () => {
    const win = await start()
    const r = await electron.ipc.invoke('setSettings', 'app://taskpulse/index.html', {
      app: { closeToTray: false },
    })
    expect(r.ok).toBe(true)
    expect(win?.userClose()).toBe(false)
  })

  it('tray "pause for 1 hour" sets do-not-disturb in the settings and the tooltip', async () => {
    await start()
    electron.trays()[0]?.clickItem('pause:1h')
    const s = await electron.ipc.invoke('getSettings', 'app://taskpulse/index.html')
    expect(s.ok && s.value.notifications.pausedUntil).toBeGreaterThan(Date.now() + 59 * 60_000)
    expect(electron.trays()[0]?.toolTip).toContain('notifications paused')
  })

  it('the remote connection comes from the environment and is shown as such', async () => {
    await start()
    const c = await electron.ipc.invoke('getConnection', 'app://taskpulse/index.html')
    expect(c).toEqual({
      ok: true,
      value: { url: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9/ws', token: 'tok', mode: 'remote' },
    })
    const s = await electron.ipc.invoke('getSettings', 'app://taskpulse/index.html')
    expect(s.ok && s.value.overrides).toEqual({ redisUrl: false, remote: true })
    expect(electron.trays()[0]?.image).toBe('/res/tray/tray-disconnected.png')
  })

  it('the page loaded before the backend was known is reloaded with a CSP that lets it reach it', async () => {
    const win = await start()
    await settle()
    await win?.webContents.loaded
    expect(win?.webContents.reloads).toBe(1)
    expect(win?.webContents.documentCsp).toContain("connect-src 'self' http://127.0.0.1:9 ws://127.0.0.1:9")
  })

  it('remote mode without a URL, then a URL saved: the page is reloaded for that server', async () => {
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backend: { mode: 'remote' } }))
    const win = await start('linux', { ...env, TASKPULSE_BACKEND_URL: undefined })
    await settle()
    expect(app?.backendState()).toMatchObject({ status: 'failed' })
    await win?.webContents.loaded // the fake serves the page asynchronously, as Electron does
    expect(win?.webContents.documentCsp).toContain("connect-src 'self';")
    await electron.ipc.invoke('setSettings', PAGE, { backend: { remoteUrl: 'http://127.0.0.1:8' } })
    await settle()
    await win?.webContents.loaded
    expect(win?.webContents.documentCsp).toContain('http://127.0.0.1:8 ws://127.0.0.1:8')
    // Same origin again (token change): no further reload.
    const reloads = win?.webContents.reloads
    await electron.ipc.invoke('setSettings', PAGE, { secrets: { remoteToken: 'other' } })
    await settle()
    expect(win?.webContents.reloads).toBe(reloads)
  })

  it('TASKPULSE_BACKEND_URL without a scheme: a clear failed state, no crash', async () => {
    await start('linux', { ...env, TASKPULSE_BACKEND_URL: '127.0.0.1:8080' })
    await settle()
    expect(app?.backendState()).toEqual({
      status: 'failed',
      error:
        'TASKPULSE_BACKEND_URL must be an http:// or https:// URL, e.g. http://127.0.0.1:8080 (got "127.0.0.1:8080")',
    })
    const c = (await electron.ipc.invoke('getConnection', PAGE)) as IpcResult<unknown>
    expect(c.ok).toBe(false)
  })

  it('settings changed in quick succession leave exactly one backend, and none after quit', async () => {
    await start('linux', { ...env, TASKPULSE_BACKEND_URL: undefined })
    const patches = [
      { backend: { mode: 'remote', remoteUrl: 'http://127.0.0.1:9' } },
      { backend: { mode: 'embedded' } },
      { backend: { redisUrl: 'redis://127.0.0.1:1' } },
      { backend: { mode: 'remote' } },
      { backend: { mode: 'embedded' } },
      { backend: { redisUrl: '' } },
    ]
    for (const patch of patches) {
      const r = (await electron.ipc.invoke('setSettings', PAGE, patch)) as IpcResult<unknown>
      expect(r.ok).toBe(true)
    }
    const alive = () =>
      electron.forked.filter((p) => p.child.exitCode === null && p.child.signalCode === null)
    // Up to 60 s: a real backend starts here, and a busy 2-core machine took over 5 s.
    for (let i = 0; i < 2400 && app?.backendState().status !== 'running'; i += 1)
      await new Promise((r) => setTimeout(r, 25))
    await settle()
    expect(app?.backendState().status).toBe('running')
    expect(alive()).toHaveLength(1)
    await app?.quit()
    app = null
    for (let i = 0; i < 2400 && alive().length > 0; i += 1) await new Promise((r) => setTimeout(r, 25))
    expect(alive()).toHaveLength(0)
  }, 150_000)

  it('state.json is written compact on quit', async () => {
    await start()
    await app?.quit()
    app = null
    const text = readFileSync(join(dir, 'state.json'), 'utf8')
    expect(text.trim().split('\n')).toHaveLength(1)
  })
})
