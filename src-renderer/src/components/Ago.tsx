// "12s ago", ticking with the shared clock; only this label re-renders each second.
import { useNow } from '../stores/context'
import { formatAgo, formatDateTime } from './format'

export function Ago({ iso, ms }: { iso?: string | null; ms?: number | null }) {
  const now = useNow(1000)
  const t = ms ?? (iso ? Date.parse(iso) : NaN)
  if (!Number.isFinite(t)) return <span className="ago">—</span>
  return (
    <time
      className="ago"
      dateTime={new Date(t).toISOString()}
      title={formatDateTime(new Date(t).toISOString())}
    >
      {formatAgo(now - t)}
    </time>
  )
}
