// "12s ago", ticking with the shared clock; only this label re-renders each second.
import { useMemo } from 'react'
import { useNow } from '../stores/context'
import { formatAgo, formatDateTime } from './format'

export function Ago({ iso, ms }: { iso?: string | null; ms?: number | null }) {
  const now = useNow(1000)
  const t = ms ?? (iso ? Date.parse(iso) : NaN)
  // The tooltip and the machine-readable time change with the task, not with the clock: formatted
  // once per timestamp instead of on every tick of every visible label.
  const stamp = useMemo(() => {
    if (!Number.isFinite(t)) return null
    const at = new Date(t).toISOString()
    return { at, title: formatDateTime(at) }
  }, [t])
  if (!stamp) return <span className="ago">—</span>
  return (
    <time className="ago" dateTime={stamp.at} title={stamp.title}>
      {formatAgo(now - t)}
    </time>
  )
}
