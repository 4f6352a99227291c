import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultNotificationPrefs } from '../../src-shared/ipc'
import { createNotifier, describeSummary, type NoteSpec } from '../notifications/notifier'
import { createFakeElectron, findMenuItem, type FakeElectron } from '../../test/fakes/main/fake-electron'
import { makeUpdate, manualClock } from '../../test/fakes/main/fixtures'
import { createNativeNotifications, createTrayService, trayIconPath } from './tray-service'
import { createTrayState } from './tray-state'

let dir: string
let electron: FakeElectron
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskpulse-tray-'))
  electron = createFakeElectron({ userData: dir })
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const connection = {
  url: 'http://127.0.0.1:1',
  wsUrl: 'ws://127.0.0.1:1/ws',
  token: 't',
  mode: 'embedded' as const,
}

function setup(platform: NodeJS.Platform = 'linux') {
  const actions: string[] = []
  const state = createTrayState()
  const service = createTrayService({
    Tray: electron.Tray,
    Menu: electron.Menu,
    app: electron.app,
    resourcesDir: '/res',
    platform,
    onAction: (id) => actions.push(id),
  })
  const render = () => service.render(state.model(Date.UTC(2026, 0, 1)))
  return { state, service, render, actions, tray: () => electron.trays()[0] }
}

describe('tray service (fake electron)', () => {
  it('shows the disconnected icon until connected, then idle', () => {
    const { state, render, tray } = setup()
    render()
    expect(tray()?.image).toBe('/res/tray/tray-disconnected.png')
    state.setBackend({ status: 'running', connection }, 'embedded')
    state.setLink('connected')
    render()
    expect(tray()?.image).toBe('/res/tray/tray-idle.png')
    expect(tray()?.toolTip).toBe('TaskPulse — 0 running, 0 failed')
  })

  it("changes to the failure icon, tooltip and badge when a task fails; the backend's ack clears them", () => {
    const { state, render, tray, actions } = setup()
    state.setBackend({ status: 'running', connection }, 'embedded')
    state.setLink('connected')
    state.applyUpdate(makeUpdate({ task_id: 'build-7', title: 'Build #7', status: 'failed' }))
    render()
    expect(tray()?.image).toBe('/res/tray/tray-failure.png')
    expect(tray()?.toolTip).toBe('TaskPulse — 0 running, 1 failed, 1 new')
    expect(electron.app.badgeCount).toBe(1)
    expect(findMenuItem(tray()?.menu ?? null, 'task:build-7')?.label).toBe('✗ Build #7 — failed')
    tray()?.clickItem('ack')
    expect(actions).toEqual(['ack'])
    // The backend's ack comes back as an update frame.
    state.applyUpdate(
      makeUpdate({
        task_id: 'build-7',
        title: 'Build #7',
        status: 'failed',
        previous_status: 'failed',
        acknowledged_at: '2026-01-02T00:00:00.000Z',
      }),
    )
    render()
    expect(tray()?.image).toBe('/res/tray/tray-idle.png')
    expect(electron.app.badgeCount).toBe(0)
    expect(findMenuItem(tray()?.menu ?? null, 'ack')?.enabled).toBe(false)
  })

  it('the menu reflects state and its items call back with their ids', () => {
    const { state, render, tray, actions } = setup()
    state.setBackend({ status: 'failed', error: 'gave up' }, 'embedded')
    render()
    const menu = tray()?.menu ?? null
    expect(findMenuItem(menu, 'backend-status')).toMatchObject({
      label: 'Backend (embedded): stopped — gave up',
      enabled: false,
    })
    for (const id of ['open', 'pause:1h', 'pause:tomorrow', 'retry', 'quit']) tray()?.clickItem(id)
    expect(actions).toEqual(['open', 'pause:1h', 'pause:tomorrow', 'retry', 'quit'])
    expect(() => tray()?.clickItem('pause:off')).toThrow(/disabled/)
  })

  it('a left click opens the window on Windows/Linux, not on macOS', () => {
    const linux = setup('linux')
    linux.render()
    linux.tray()?.emit('click')
    expect(linux.actions).toEqual(['open'])
  })

  it('passes the failure count to a taskbar overlay where the OS has no badge (Windows)', () => {
    const overlays: number[] = []
    const state = createTrayState()
    const service = createTrayService({
      Tray: electron.Tray,
      Menu: electron.Menu,
      app: electron.app,
      resourcesDir: '/res',
      platform: 'win32',
      onAction: () => {},
      setOverlay: (n) => overlays.push(n),
    })
    state.setBackend({ status: 'running', connection }, 'embedded')
    state.setLink('connected')
    service.render(state.model(0))
    state.applyUpdate(makeUpdate({ task_id: 'x', status: 'failed' }))
    service.render(state.model(0))
    service.render(state.model(0))
    state.applyUpdate(
      makeUpdate({
        task_id: 'x',
        status: 'failed',
        previous_status: 'failed',
        acknowledged_at: '2026-01-02T00:00:00.000Z',
      }),
    )
    service.render(state.model(0))
    expect(overlays).toEqual([0, 1, 0])
  })

  it('uses template images on macOS except for failures', () => {
    expect(trayIconPath('/r', 'idle', 'darwin')).toBe('/r/tray/tray-idleTemplate.png')
    expect(trayIconPath('/r', 'failure', 'darwin')).toBe('/r/tray/tray-failure.png')
    expect(trayIconPath('/r', 'running', 'win32')).toBe('/r/tray/tray-running.png')
  })

  it('touches Electron only when something visible changed', () => {
    const { render, tray } = setup()
    render()
    const menu = tray()?.menu
    render()
    expect(tray()?.menu).toBe(menu)
    expect(tray()?.images).toHaveLength(1)
  })
})

describe('native notifications (fake electron)', () => {
  it('raises notifier output through Electron’s Notification API, clicks route back', () => {
    const clicked: NoteSpec[] = []
    const native = createNativeNotifications({
      Notification: electron.Notification,
      iconPath: '/res/icon.png',
      onClick: (n) => clicked.push(n),
    })
    const clock = manualClock()
    const notifier = createNotifier({
      show: (n) => native.show(n),
      now: clock.now,
      setTimer: clock.setTimer,
      prefs: defaultNotificationPrefs,
      isFocused: () => false,
    })
    notifier.handle(
      makeUpdate({ task_id: 'deploy', title: 'Deploy prod', status: 'failed', error: 'timeout' }),
      'e',
    )
    const shown = electron.notifications()
    expect(shown).toHaveLength(1)
    expect(shown[0]?.options).toEqual({
      title: 'Deploy prod failed',
      body: '#deploy\ntimeout',
      icon: '/res/icon.png',
    })
    shown[0]?.click()
    expect(clicked[0]).toMatchObject({ kind: 'task', taskId: 'deploy' })
  })

  it('shows a summary as one notification', () => {
    const native = createNativeNotifications({ Notification: electron.Notification, onClick: () => {} })
    native.show(describeSummary({ failed: 7, completed: 3 }))
    expect(electron.notifications()[0]?.options).toEqual({
      title: '10 more task updates',
      body: '7 failed, 3 completed',
    })
  })

  it('does nothing (and warns once) where notifications are unsupported', () => {
    const warnings: unknown[] = []
    const native = createNativeNotifications({
      Notification: electron.Notification,
      onClick: () => {},
      log: { warn: (o) => warnings.push(o) },
    })
    ;(electron.Notification as unknown as { supported: boolean }).supported = false
    native.show(describeSummary({ failed: 1, completed: 1 }))
    native.show(describeSummary({ failed: 1, completed: 1 }))
    expect(electron.notifications()).toHaveLength(0)
    expect(warnings).toHaveLength(1)
  })
})
