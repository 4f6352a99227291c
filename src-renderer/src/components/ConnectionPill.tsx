// Says honestly whether the UI is live: connecting, live, reconnecting (since when), offline.
import { useParts, useStatus } from '../stores/context'
import { formatClock } from './format'

const LABELS = {
  connecting: { icon: '◌', text: 'Connecting…' },
  live: { icon: '●', text: 'Live' },
  reconnecting: { icon: '↻', text: 'Reconnecting' },
  offline: { icon: '✕', text: 'Offline' },
  unauthorized: { icon: '⚠', text: 'Token rejected' },
  'no-token': { icon: '⚠', text: 'No token' },
} as const

export function ConnectionPill() {
  const conn = useStatus((s) => s.conn)
  const { reconnect } = useParts()
  const l = LABELS[conn.status]
  const detail =
    conn.status === 'reconnecting' || conn.status === 'offline'
      ? ` since ${formatClock(conn.since)}${conn.attempts > 1 ? ` · attempt ${conn.attempts}` : ''}`
      : conn.status === 'live'
        ? ''
        : ''
  return (
    <div className="conn" data-conn={conn.status}>
      <span
        className={`conn-pill conn-${conn.status}`}
        role="status"
        aria-live="polite"
        title={conn.status === 'live' ? `Live since ${formatClock(conn.since)}` : undefined}
      >
        <span aria-hidden="true" className="conn-icon">
          {l.icon}
        </span>{' '}
        {l.text}
        {detail}
      </span>
      {conn.status === 'reconnecting' || conn.status === 'offline' ? (
        <button type="button" className="btn btn-small" onClick={reconnect} aria-label="Retry connecting now">
          Retry now
        </button>
      ) : null}
    </div>
  )
}
