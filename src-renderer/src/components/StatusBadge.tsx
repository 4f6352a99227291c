// A status shown by colour, glyph and word together (never colour alone).
import { memo } from 'react'
import type { TaskStatus } from '../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../src-shared/status-colors'
import './status.css'

export const StatusBadge = memo(function StatusBadge({
  status,
  compact = false,
}: {
  status: TaskStatus
  compact?: boolean
}) {
  const st = STATUS_STYLES[status]
  return (
    <span
      className={`badge badge-${status}`}
      data-status={status}
      title={st.label}
      aria-label={`Status: ${st.label}`}
    >
      <span className="badge-icon" aria-hidden="true">
        {st.icon}
      </span>
      {compact ? null : <span className="badge-label">{st.label}</span>}
    </span>
  )
})

export function StatusCount({ status, count }: { status: TaskStatus; count: number }) {
  const st = STATUS_STYLES[status]
  return (
    <span
      className={`count count-${status}${count === 0 ? ' count-zero' : ''}`}
      title={`${st.label}: ${count}`}
      aria-label={`${st.label}: ${count}`}
    >
      <span aria-hidden="true">{st.icon}</span> {count}
    </span>
  )
}
