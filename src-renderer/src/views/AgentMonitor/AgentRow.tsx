// One agent: its current task, status, time since last update, counts for today and the last
// 24 h, and the latest output or error. Subscribes to its own entry and task only.
import { memo } from 'react'
import { STATUSES } from '../../stores/statuses'
import { useNow, useParts } from '../../stores/context'
import { useAgentEntry, useTask } from '../../stores/task-hooks'
import { countsBetween, startOfLocalDay } from '../../stores/time-buckets'
import { StatusBadge, StatusCount } from '../../components/StatusBadge'
import { Ago } from '../../components/Ago'
import { excerpt } from '../../components/format'

export const AgentRow = memo(function AgentRow({ agentKey }: { agentKey: string }) {
  const { ui } = useParts()
  const entry = useAgentEntry(agentKey)
  const current = useTask(entry?.currentId ?? '')
  const latest = useTask(entry?.latestId ?? '')
  const now = useNow(60_000)
  if (!entry || !current || !latest) return null
  const today = countsBetween(entry.buckets, startOfLocalDay(now), now + 60_000)
  const day = countsBetween(entry.buckets, now - 24 * 3600_000, now + 60_000)
  const failed = latest.status === 'failed'
  const text =
    current.status === 'failed' || failed ? (failed ? latest.error : current.error) : current.output
  const name = agentKey === '' ? 'Unassigned' : agentKey
  const open = () => ui.getState().openTask(current.task_id)
  return (
    <article
      className={`agent agent-${current.status}${failed ? ' agent-failed' : ''}`}
      data-agent={name}
      data-status={current.status}
      data-event-id={current.last_event_id}
      aria-label={`Agent ${name}: ${current.status}${failed ? ', latest task failed' : ''}`}
    >
      <div className="agent-head">
        <StatusBadge status={current.status} />
        <h3 className={`agent-name${agentKey === '' ? ' agent-unassigned' : ''}`}>{name}</h3>
        {failed ? <span className="agent-alert">Latest task failed</span> : null}
        <span className="agent-ago">
          updated <Ago iso={entry.lastUpdatedAt} />
        </span>
      </div>
      <button
        type="button"
        className="agent-task linklike"
        onClick={open}
        title={`Open task ${current.task_id}`}
      >
        <span className="agent-task-title">{current.title || current.task_id}</span>
        <span className="agent-task-id mono">{current.task_id}</span>
        {current.project_id ? <span className="chip">{current.project_id}</span> : null}
      </button>
      <div className="agent-counts">
        <span className="counts-label">Today</span>
        {STATUSES.map((st) => (
          <StatusCount key={st} status={st} count={today[st]} />
        ))}
        <span className="counts-label">24 h</span>
        {STATUSES.map((st) => (
          <StatusCount key={st} status={st} count={day[st]} />
        ))}
        <span className="counts-total">{entry.total} total</span>
      </div>
      {text ? (
        <div className={`agent-excerpt mono${failed || current.status === 'failed' ? ' excerpt-error' : ''}`}>
          {failed && latest !== current ? `${latest.title || latest.task_id}: ` : ''}
          {excerpt(text, 180)}
        </div>
      ) : (
        <div className="agent-excerpt agent-excerpt-none">no output yet</div>
      )}
    </article>
  )
})
