// Settings. In the desktop app (window.desktop present) it edits everything the shell exposes:
// backend mode, Redis, remote server, notification rules, do-not-disturb, tray and login, with the
// backend's status (DesktopSettings). Everywhere it shows where the UI is connected; in a plain
// browser a new token can be pasted here.
import { useMemo } from 'react'
import { useParts, useStatus } from '../../stores/context'
import { DesktopSettings } from './DesktopSettings'
import { SchedulesSettings } from './SchedulesSettings'
import { desktopBridge } from '../../net/desktop-bridge'
import { TokenForm } from '../../components/TokenForm'
import './Settings.css'

export function Settings() {
  const { connection } = useParts()
  const health = useStatus((s) => s.health)
  const c = connection.current()
  const desktop = useMemo(() => desktopBridge(), [])
  return (
    <section className={`settings${desktop ? ' settings-desktop' : ''}`} aria-label="Settings">
      {desktop ? (
        <>
          <h1 className="settings-title">Settings</h1>
          <DesktopSettings api={desktop} />
        </>
      ) : null}
      <h2>Connection</h2>
      <dl className="fields">
        <dt>Backend</dt>
        <dd className="mono">{c?.url ?? '—'}</dd>
        <dt>Mode</dt>
        <dd>{connection.isDesktop ? (c?.mode ?? '—') : 'browser'}</dd>
        <dt>Token</dt>
        <dd className="mono">{c?.token ? `${'•'.repeat(8)}${c.token.slice(-4)}` : '—'}</dd>
        <dt>Backend version</dt>
        <dd>{health?.version ?? '—'}</dd>
        <dt>Redis</dt>
        <dd>{health?.redis ?? '—'}</dd>
        <dt>Theme</dt>
        <dd>Follows the operating system (light or dark).</dd>
      </dl>
      {!connection.isDesktop ? (
        <TokenForm inputLabel="New token" visibleLabel="Use another token" />
      ) : desktop ? null : (
        <p className="muted">
          Backend mode, Redis URL and notification rules are set in the desktop app's settings.
        </p>
      )}
      <SchedulesSettings />
      <h2>Keyboard</h2>
      <dl className="fields">
        <dt>/ or Ctrl+K</dt>
        <dd>Focus search</dd>
        <dt>1 – 4</dt>
        <dd>Agents, Calendar, Projects, Settings</dd>
        <dt>Esc</dt>
        <dd>Close task detail</dd>
      </dl>
    </section>
  )
}
