// `window.desktop` for renderer tests: the contract's own bridge (createDesktopApi, as the preload
// builds it) over main's real settings store and IPC handlers (test/fakes/main/desktop-main.ts).
// Nothing of main's settings semantics is re-implemented here.
import { createDesktopApi, type DesktopApi } from '../../../src-shared/ipc-contract'
import type { BackendState, SettingsPatch } from '../../../src-shared/ipc'
import { createDesktopMain, type DesktopMain, type DesktopMainOptions } from '../main/desktop-main'

export interface FakeDesktop extends DesktopApi {
  /** Main's side: settings store, fake electron, recorded calls. */
  main: DesktopMain
  calls: DesktopMain['calls']
  /** The patches setSettings was called with, in order (including refused ones). */
  readonly patches: SettingsPatch[]
  /** Pushes a backend status to the window, as main does when the supervisor reports one. */
  emitBackend(state: BackendState): void
}

const live = new Set<DesktopMain>()

export function createFakeDesktop(opts: DesktopMainOptions = {}): FakeDesktop {
  const main = createDesktopMain(opts)
  live.add(main)
  const fake = Object.assign(createDesktopApi(main.transport), {
    main,
    calls: main.calls,
    emitBackend: (state: BackendState) => main.setBackend(state),
  })
  Object.defineProperty(fake, 'patches', {
    get: () => main.calls.filter((c) => c.method === 'setSettings').map((c) => c.arg as SettingsPatch),
  })
  return fake as FakeDesktop
}

/** Removes every fake's temporary userData (call in afterEach). */
export function disposeFakeDesktops(): void {
  for (const main of live) main.dispose()
  live.clear()
}
