// The tray controller with the real tray model and tray service on the fake electron, and a manual
// clock: redraws coalesced under a flood, one more when do-not-disturb ends, "Acknowledge all" sent to the backend.
import { describe, expect, it } from 'vitest'
import { createFakeElectron } from '../../test/fakes/main/fake-electron'
import { makeUpdate, manualClock } from '../../test/fakes/main/fixtures'
import { createTrayController, trayActions, TRAY_RENDER_COALESCE_MS } from './tray-controller'
import { createTrayService } from './tray-service'
import { createTrayState } from './tray-state'

function setup() {
  const electron = createFakeElectron({ userData: '/nonexistent' })
  const clock = manualClock()
  const model = createTrayState()
  let pausedUntil: number | null = null
  let settingsListener: (() => void) | null = null
  const actions: string[] = []
  const acked: string[][] = []
  let renders = 0
  const tray = createTrayController({
    model,
    createView: (onAction) => {
      const view = createTrayService({
        Tray: electron.Tray,
        Menu: electron.Menu,
        app: electron.app,
        resourcesDir: '/res',
        platform: 'linux',
        onAction,
      })
      return {
        render: (m) => {
          renders += 1
          view.render(m)
        },
        destroy: () => view.destroy(),
      }
    },
    onAction: (id) => actions.push(id),
    acknowledge: (ids) => acked.push(ids),
    pausedUntil: () => pausedUntil,
    onSettingsChange: (l) => {
      settingsListener = l
      return () => (settingsListener = null)
    },
    now: clock.now,
    setTimer: clock.setTimer,
  })
  return {
    electron,
    clock,
    model,
    tray,
    actions,
    acked,
    renders: () => renders,
    pause: (until: number | null) => {
      pausedUntil = until
      settingsListener?.()
    },
    subscribed: () => settingsListener !== null,
  }
}

describe('tray controller', () => {
  it('a flood of updates redraws once per coalescing window', () => {
    const t = setup()
    t.model.setLink('connected')
    t.tray.start()
    const before = t.renders()
    for (let i = 0; i < 50; i += 1) {
      t.model.applyUpdate(makeUpdate({ task_id: `t${i}`, status: 'running' }))
      t.tray.scheduleRender()
    }
    expect(t.renders()).toBe(before)
    t.clock.advance(TRAY_RENDER_COALESCE_MS)
    expect(t.renders()).toBe(before + 1)
    expect(t.electron.trays()[0]?.toolTip).toContain('50 running')
  })

  it('redraws when do-not-disturb ends, so the tooltip stops saying paused', () => {
    const t = setup()
    t.tray.start()
    t.pause(t.clock.now() + 60_000)
    expect(t.electron.trays()[0]?.toolTip).toContain('notifications paused')
    t.clock.advance(60_000 + 50)
    expect(t.electron.trays()[0]?.toolTip).not.toContain('notifications paused')
  })

  it('"Acknowledge all" asks the backend for the unacknowledged failures and stale tasks; other items go to the actions', () => {
    const t = setup()
    t.model.setLink('connected')
    t.tray.start()
    t.model.applyUpdate(makeUpdate({ task_id: 'f1', status: 'failed' }))
    t.model.applyUpdate(
      makeUpdate({ task_id: 's1', status: 'running', stale_since: '2026-01-01T00:30:00.000Z' }),
    )
    t.model.applyUpdate(makeUpdate({ task_id: 'w1', status: 'waiting' }))
    t.tray.render()
    t.electron.trays()[0]?.clickItem('ack')
    expect(t.acked).toEqual([['f1', 's1']])
    // Nothing changes until the backend's update frames arrive.
    expect(t.model.model(t.clock.now()).badgeCount).toBe(3)
    t.electron.trays()[0]?.clickItem('open')
    t.electron.trays()[0]?.clickItem('attention:w1')
    expect(t.actions).toEqual(['open', 'attention:w1'])
  })

  it('stop cancels pending redraws, unsubscribes and removes the icon; idempotent', () => {
    const t = setup()
    t.tray.start()
    t.tray.scheduleRender()
    t.tray.stop()
    t.tray.stop()
    const renders = t.renders()
    t.clock.advance(TRAY_RENDER_COALESCE_MS)
    expect(t.renders()).toBe(renders)
    expect(t.clock.pending()).toBe(0)
    expect(t.subscribed()).toBe(false)
    expect(t.electron.trays()[0]?.destroyed).toBe(true)
  })
})

describe('tray actions', () => {
  it('maps menu ids to what they do', () => {
    const got: string[] = []
    const route = trayActions({
      open: () => got.push('open'),
      showTask: (id) => got.push(`task ${id}`),
      pause: (c) => got.push(`pause ${c}`),
      retry: () => got.push('retry'),
      quit: () => got.push('quit'),
    })
    for (const id of [
      'open',
      'task:t-1',
      'attention:t-2',
      'attention:header',
      'pause:1h',
      'retry',
      'quit',
      'unknown',
    ])
      route(id)
    expect(got).toEqual(['open', 'task t-1', 'task t-2', 'pause 1h', 'retry', 'quit'])
  })
})
