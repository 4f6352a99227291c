// Pipeline health: Redis as the backend reports it, age of the last event, events/s, measured
// delivery latency (producer's updated_at → received here) and socket round trip.
import { useStatus } from '../stores/context'
import { useNewestUpdatedAt, useSeq, useTaskCount } from '../stores/task-hooks'
import { Ago } from './Ago'

export function StatusBar() {
  const health = useStatus((s) => s.health)
  const healthError = useStatus((s) => s.healthError)
  const p = useStatus((s) => s.pipeline)
  const count = useTaskCount()
  const seq = useSeq()
  const newest = useNewestUpdatedAt()
  const redis = health?.redis
  const redisText = healthError
    ? 'backend unreachable'
    : redis === 'disabled'
      ? 'not used (embedded bus)'
      : (redis ?? '…')
  return (
    <footer className="statusbar" aria-label="Pipeline health">
      <span
        className={`sb-item redis-${healthError ? 'error' : (redis ?? 'unknown')}`}
        data-redis={redis ?? 'unknown'}
      >
        <span aria-hidden="true">
          {redis === 'connected' ? '●' : redis === 'disconnected' || healthError ? '✕' : '○'}
        </span>{' '}
        Redis: {redisText}
      </span>
      <LastEvent at={p.lastEventAt} newest={newest} />
      <span className="sb-item">{p.eventsPerSecond.toFixed(1)} events/s</span>
      <span
        className="sb-item"
        title="Median time from the producer's updated_at to arrival here (clock skew included)"
      >
        Delivery: {p.deliveryLatencyMs === null ? '—' : `${p.deliveryLatencyMs} ms`}
      </span>
      <span className="sb-item">RTT: {p.rttMs === null ? '—' : `${p.rttMs} ms`}</span>
      <span className="sb-item sb-right">
        {count.toLocaleString()} tasks · seq {seq}
        {health?.version ? ` · v${health.version}` : ''}
      </span>
    </footer>
  )
}

/**
 * The age of the last live event this window received. Before the first one (a quiet fleet, a
 * fresh window) it says when the newest loaded task was updated instead, so the bar never claims
 * "no events" over a list full of tasks; with nothing loaded either, it says so plainly.
 */
function LastEvent({ at, newest }: { at: number | null; newest: string | null }) {
  if (at !== null) {
    return (
      <span className="sb-item" data-last="event">
        Last event: <Ago ms={at} />
      </span>
    )
  }
  if (newest) {
    return (
      <span
        className="sb-item"
        data-last="task"
        title="No live event since this window connected; this is when the newest loaded task was updated"
      >
        Last update: <Ago iso={newest} />
      </span>
    )
  }
  return (
    <span className="sb-item" data-last="none">
      Last event: none since connecting
    </span>
  )
}
