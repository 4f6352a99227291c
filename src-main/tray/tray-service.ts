// Renders the pure TrayModel (tray-state.ts) onto Electron: tray icon per overall state, tooltip,
// context menu, dock/taskbar badge. Only what changed is pushed to Electron. Also the native
// notification sink for the notifier.
import { join } from 'node:path'
import type { NoteSpec } from '../notifications/notifier'
import type {
  AppLike,
  MenuItemOptionsLike,
  MenuStatic,
  NotificationLike,
  NotificationStatic,
  TrayLike,
  TrayStatic,
} from '../electron-types'
import type { MenuItemSpec, OverallState, TrayModel } from './tray-state'

/** Icon file for a state: macOS gets template images (monochrome, follow the menu bar), except
 * the failure icon, which stays red so it is noticed. */
export function trayIconPath(resourcesDir: string, state: OverallState, platform: NodeJS.Platform): string {
  if (platform === 'darwin' && state !== 'failure')
    return join(resourcesDir, 'tray', `tray-${state}Template.png`)
  return join(resourcesDir, 'tray', `tray-${state}.png`)
}

export function toMenuTemplate(items: MenuItemSpec[], onAction: (id: string) => void): MenuItemOptionsLike[] {
  return items.map((item): MenuItemOptionsLike => {
    if (item.type === 'separator') return { id: item.id, type: 'separator' }
    if (item.type === 'submenu') {
      return {
        id: item.id,
        label: item.label,
        type: 'submenu',
        submenu: toMenuTemplate(item.submenu ?? [], onAction),
      }
    }
    return {
      id: item.id,
      label: item.label,
      enabled: item.enabled ?? true,
      ...(item.type === 'checkbox' ? { type: 'checkbox' as const, checked: item.checked ?? false } : {}),
      click: () => onAction(item.id),
    }
  })
}

export interface TrayService {
  render(model: TrayModel): void
  destroy(): void
}

export function createTrayService(deps: {
  Tray: TrayStatic
  Menu: MenuStatic
  app: Pick<AppLike, 'setBadgeCount'>
  resourcesDir: string
  platform: NodeJS.Platform
  onAction: (id: string) => void
  /** Where the OS has no app badge API (Windows): show the count another way. */
  setOverlay?: (count: number) => void
}): TrayService {
  let tray: TrayLike | null = null
  let last: { icon: string; tooltip: string; menu: string; badge: number } | null = null

  return {
    render(model) {
      const icon = trayIconPath(deps.resourcesDir, model.overall, deps.platform)
      const menuKey = JSON.stringify(model.menu)
      if (!tray) {
        tray = new deps.Tray(icon)
        // Windows and Linux: a left click opens the window; macOS shows the menu.
        tray.on('click', () => {
          if (deps.platform !== 'darwin') deps.onAction('open')
        })
      } else if (last?.icon !== icon) {
        tray.setImage(icon)
      }
      if (last?.tooltip !== model.tooltip) tray.setToolTip(model.tooltip)
      if (last?.menu !== menuKey)
        tray.setContextMenu(deps.Menu.buildFromTemplate(toMenuTemplate(model.menu, deps.onAction)))
      if (last?.badge !== model.badgeCount) {
        deps.app.setBadgeCount(model.badgeCount)
        deps.setOverlay?.(model.badgeCount)
      }
      last = { icon, tooltip: model.tooltip, menu: menuKey, badge: model.badgeCount }
    },
    destroy() {
      tray?.destroy()
      tray = null
      last = null
    },
  }
}

/**
 * Shows notifier output as native notifications. Keeps references to recent ones: a notification
 * object that is garbage-collected loses its click handler on some platforms.
 */
export function createNativeNotifications(deps: {
  Notification: NotificationStatic
  iconPath?: string
  onClick: (note: NoteSpec) => void
  log?: { warn(obj: object, msg?: string): void }
}): { show(note: NoteSpec): void } {
  const alive: NotificationLike[] = []
  let warned = false
  return {
    show(note) {
      if (!deps.Notification.isSupported()) {
        if (!warned) deps.log?.warn({}, 'native notifications are not supported on this system')
        warned = true
        return
      }
      const n = new deps.Notification({
        title: note.title,
        body: note.body,
        ...(deps.iconPath ? { icon: deps.iconPath } : {}),
      })
      n.on('click', () => deps.onClick(note))
      n.on('close', () => {
        const i = alive.indexOf(n)
        if (i >= 0) alive.splice(i, 1)
      })
      alive.push(n)
      if (alive.length > 20) alive.shift()
      n.show()
    },
  }
}
