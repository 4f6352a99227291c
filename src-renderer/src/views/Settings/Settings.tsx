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

/**
 * Every key the app handles, where it works: App.tsx (global), TaskDetail (j/k/a), the agents'
 * rows (a), the calendar's Timeline and MonthView, the Projects time window. Keep in step with
 * those handlers.
 */
const KEYBOARD: readonly { where: string; keys: readonly (readonly [string, string])[] }[] = [
  {
    where: 'Anywhere',
    keys: [
      ['/ or Ctrl+K', 'Focus search'],
      ['1 – 4', 'Agents, Calendar, Projects, Settings'],
      ['Esc', 'Close task detail; in the search box, clear the search, then leave the box'],
    ],
  },
  {
    where: 'Task detail open',
    keys: [
      ['j or ↓', 'Next task in the list'],
      ['k or ↑', 'Previous task in the list'],
      ['a', 'Acknowledge the failure shown'],
    ],
  },
  {
    where: 'Agents',
    keys: [['a', "On an agent's or a task's row: acknowledge its failures"]],
  },
  {
    where: 'Calendar timeline',
    keys: [
      ['+ / −', 'Zoom in / out'],
      ['← / →', 'Move the time window; on a task bar, the previous / next bar'],
      ['↑ / ↓', 'On a task bar: the nearest bar in the row above / below'],
      ['Enter or Space', 'On a task bar: open the task'],
    ],
  },
  {
    where: 'Calendar month',
    keys: [['← → ↑ ↓', 'Move between days']],
  },
  {
    where: 'Projects',
    keys: [['← → ↑ ↓, Home, End', 'In the time window: choose 24 h, 7 days, 30 days']],
  },
]

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
      {KEYBOARD.map((g) => (
        <div key={g.where} className="keys-group">
          <h3>{g.where}</h3>
          <dl className="fields keys">
            {g.keys.map(([k, what]) => (
              <div key={k} className="keys-row">
                <dt>{k}</dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </div>
      ))}
    </section>
  )
}
