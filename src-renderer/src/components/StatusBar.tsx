// Pipeline health: Redis as the backend reports it, age of the last event, events/s, measured
// delivery latency (producer's updated_at → received here) and socket round trip.
import { useStatus } from '../stores/context'
import { useSeq, useTaskCount } from '../stores/task-hooks'
import { Ago } from './Ago'

export function StatusBar() {
  const health = useStatus((s) => s.health)
  const healthError = useStatus((s) => s.healthError)
  const p = useStatus((s) => s.pipeline)
  const count = useTaskCount()
  const seq = useSeq()
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
      <span className="sb-item">Last event: {p.lastEventAt ? <Ago ms={p.lastEventAt} /> : 'none yet'}</span>
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
