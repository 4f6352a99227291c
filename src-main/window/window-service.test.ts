// The window service on the fake electron: one window, reopened after it really closed; pushes by
// contract name; the page reloaded only when its CSP does not let it reach the new backend.
import { describe, expect, it } from 'vitest'
import { pushContract } from '../../src-shared/ipc-contract'
import { createFakeElectron } from '../../test/fakes/main/fake-electron'
import { buildCsp } from './security'
import { createWindowService } from './window-service'

function setup() {
  const electron = createFakeElectron({ userData: '/nonexistent' })
  const service = createWindowService({
    window: {
      BrowserWindow: electron.BrowserWindow,
      displays: () => electron.screen.getAllDisplays(),
      preloadPath: '/preload.cjs',
      url: 'app://taskpulse/index.html',
      saveBounds: () => {},
      openExternal: async () => {},
      isAppUrl: () => true,
      hideOnClose: () => false,
    },
    savedBounds: () => null,
  })
  return { electron, service }
}
const conn = (port: number) => ({
  url: `http://127.0.0.1:${port}`,
  wsUrl: `ws://127.0.0.1:${port}/ws`,
  token: 't',
  mode: 'embedded' as const,
})

describe('window service', () => {
  it('keeps one window and opens a new one after it really closed', () => {
    const { electron, service } = setup()
    service.start()
    expect(service.open()).toBe(electron.windows()[0])
    electron.windows()[0]?.userClose()
    expect(service.current()).toBeNull()
    service.reveal()
    expect(electron.windows()).toHaveLength(2)
    expect(electron.windows()[1]?.visible).toBe(true)
  })

  it('showTask brings the window up and sends the push of the contract', () => {
    const { electron, service } = setup()
    service.start()
    electron.windows()[0]?.hide()
    service.showTask('t-9')
    service.showList({ status: 'failed' })
    const win = electron.windows()[0]
    expect(win?.visible).toBe(true)
    expect(win?.webContents.sent).toEqual([
      { channel: pushContract.onNavigateToTask.channel, args: ['t-9'] },
      { channel: pushContract.onNavigateToList.channel, args: [{ status: 'failed' }] },
    ])
  })

  it('a new backend origin reloads a page whose CSP does not allow it; the same origin does not', () => {
    const { electron, service } = setup()
    service.start()
    const wc = electron.windows()[0]!.webContents
    service.noteServedCsp(buildCsp(null))
    service.setConnection(conn(4000), null)
    expect(wc.reloads).toBe(1)
    service.noteServedCsp(buildCsp(conn(4000).url))
    service.setConnection({ ...conn(4000), token: 'other' }, conn(4000))
    expect(wc.reloads).toBe(1)
    expect(wc.sent.filter((m) => m.channel === pushContract.onConnectionChanged.channel)).toHaveLength(2)
  })
})
