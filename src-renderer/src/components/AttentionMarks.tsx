// The attention marks, each a glyph and words with its own colour pairing (never colour alone):
// stale (the backend's `stale_since` on a running task), an unacknowledged failure, waiting.
import { memo } from 'react'
import { useNow } from '../stores/context'
import { formatDuration, formatShortDuration } from '../stores/agent-rows'
import './status.css'

/** "◷ stale 23m": a running task with no update past its threshold, since `since`. */
export const StaleMark = memo(function StaleMark({
  since,
  short = false,
}: {
  since: string
  short?: boolean
}) {
  const now = useNow(1000)
  const ms = Math.max(0, now - Date.parse(since))
  const fmt = short ? formatShortDuration : formatDuration
  return (
    <span
      className="mark mark-stale"
      data-mark="stale"
      title={`No update past its threshold for ${formatDuration(ms)}`}
    >
      <span aria-hidden="true">◷ </span>stale {fmt(ms)}
    </span>
  )
})

/** "✕ unacknowledged" on a task, "✕ 3 failures" on an agent. */
export function UnackedMark({ count, compact = false }: { count?: number; compact?: boolean }) {
  const words =
    count === undefined
      ? 'unacknowledged'
      : compact
        ? `${count} failed`
        : `${count} unacknowledged ${count === 1 ? 'failure' : 'failures'}`
  return (
    <span
      className="mark mark-unacked"
      data-mark="unacked"
      title={`${count === undefined ? 'A failure' : `${count} failures`} not acknowledged yet (press a to acknowledge)`}
    >
      <span aria-hidden="true">✕ </span>
      {words}
    </span>
  )
}

/**
 * "? waiting 5m": a task waiting for a person's input, since its last update. `short` ("? wait 5m")
 * fits the agent row's attention column, whose status column already says "Waiting".
 */
export function WaitingMark({ since, short = false }: { since: string; short?: boolean }) {
  const now = useNow(1000)
  const ms = Math.max(0, now - Date.parse(since))
  return (
    <span
      className="mark mark-waiting"
      data-mark="waiting"
      title={`Waiting for input for ${formatDuration(ms)}`}
    >
      <span aria-hidden="true">? </span>
      {short ? `wait ${formatShortDuration(ms)}` : `waiting ${formatDuration(ms)}`}
    </span>
  )
}
