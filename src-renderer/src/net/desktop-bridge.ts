// The one place the renderer reaches the preload bridge. In the desktop app `window.desktop` is
// the DesktopApi built from the IPC contract (src-shared/ipc-contract.ts); in a plain browser it
// does not exist and this returns null. Types only from src-shared: no zod in the bundle.
import type { DesktopApi } from '../../../src-shared/ipc-contract'

export function desktopBridge(
  win: unknown = typeof window === 'undefined' ? undefined : window,
): DesktopApi | null {
  const d = (win as { desktop?: unknown } | undefined)?.desktop
  return d && typeof d === 'object' ? (d as DesktopApi) : null
}
