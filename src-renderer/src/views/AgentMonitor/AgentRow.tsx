// One agent, as a dense one-line row (the default: a fleet of 40 fits on screen) or as a card.
// Both subscribe to their own entry, tasks and summary only, so a live update re-renders the rows
// of the agents it touched. `a` on a row acknowledges that agent's failures (through the backend).
import { memo, type KeyboardEvent } from 'react'
import type { Task } from '../../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { STATUSES } from '../../stores/statuses'
import { useNow, useParts } from '../../stores/context'
import { useAgentEntry, useAgentSummary, useTask } from '../../stores/task-hooks'
import { countsBetween, startOfLocalDay } from '../../stores/time-buckets'
import {
  failureRate,
  formatDuration,
  formatRate,
  outcomeText,
  runningForMs,
  type AgentColumn,
  type AgentSummary,
} from '../../stores/agent-rows'
import type { AgentLayout } from '../../stores/ui-store'
import { StatusBadge, StatusCount } from '../../components/StatusBadge'
import { StaleMark, UnackedMark, WaitingMark } from '../../components/AttentionMarks'
import { Ago } from '../../components/Ago'
import { Highlight } from '../../components/Highlight'
import { tailExcerpt } from '../../components/format'
import { acknowledge, isAckKey } from '../../components/ack'

const DAY_MS = 24 * 3600_000

export const AgentRow = memo(function AgentRow({
  agentKey,
  layout = 'rows',
  columns = '',
}: {
  agentKey: string
  layout?: AgentLayout
  /** The compact columns shown, comma-separated (a string, so memo compares it by value). */
  columns?: string
}) {
  return layout === 'cards' ? (
    <AgentCard agentKey={agentKey} />
  ) : (
    <AgentLine agentKey={agentKey} columns={columns} />
  )
})

/** The task a row shows: the stale one when the agent has one (that is what needs a look),
 * else the agent's current task (its latest running one, else its latest). */
function useShownTask(agentKey: string) {
  const entry = useAgentEntry(agentKey)
  const summary = useAgentSummary(agentKey)
  const current = useTask(entry?.currentId ?? '')
  const shown = summary?.stale ?? current
  return { entry, summary, current, shown }
}

function useAckAgent(summary: AgentSummary | null) {
  const parts = useParts()
  return (e: KeyboardEvent) => {
    if (!isAckKey(e) || !summary || summary.unacked.length === 0) return
    e.preventDefault()
    acknowledge(parts, summary.unacked)
  }
}

function Marks({ summary, compact }: { summary: AgentSummary; compact: boolean }) {
  return (
    <>
      {summary.unacked.length > 0 ? <UnackedMark count={summary.unacked.length} compact={compact} /> : null}
      {summary.stale?.stale_since ? <StaleMark since={summary.stale.stale_since} short={compact} /> : null}
      {summary.waiting && !summary.stale ? (
        <WaitingMark since={summary.waiting.updated_at} short={compact} />
      ) : null}
    </>
  )
}

function OutcomeStrip({ outcomes }: { outcomes: AgentSummary['outcomes'] }) {
  const text = outcomeText(outcomes)
  return (
    <span className="strip" title={text}>
      <span className="sr-only">{text}</span>
      {outcomes.map((o, i) => (
        <span key={i} className={`strip-mark strip-${o}`} aria-hidden="true" />
      ))}
    </span>
  )
}

const AgentLine = memo(function AgentLine({ agentKey, columns }: { agentKey: string; columns: string }) {
  const { ui } = useParts()
  const { entry, summary, shown } = useShownTask(agentKey)
  const now = useNow(60_000)
  const onKeyDown = useAckAgent(summary)
  if (!entry || !summary || !shown) return null
  const show = new Set(columns.split(',') as AgentColumn[])
  const all = columns === ''
  const has = (c: AgentColumn) => all || show.has(c)
  const st = STATUS_STYLES[shown.status]
  const name = agentKey === '' ? 'Unassigned' : agentKey
  const rate = failureRate(countsBetween(entry.buckets, now - DAY_MS, now + 60_000))
  const unacked = summary.unacked.length > 0
  return (
    <button
      type="button"
      className={`aline aline-${shown.status}${unacked ? ' aline-failed' : ''}${summary.stale ? ' aline-stale' : ''}`}
      data-agent={name}
      data-status={shown.status}
      data-stale={summary.stale ? 'true' : undefined}
      data-unacked={unacked ? summary.unacked.length : undefined}
      data-event-id={shown.last_event_id}
      onClick={() => ui.getState().openTask(shown.task_id)}
      onKeyDown={onKeyDown}
      title={`${name}: ${shown.title || shown.task_id}`}
    >
      <span className={`aline-glyph badge badge-${shown.status}`} aria-hidden="true">
        {st.icon}
      </span>
      <span className={has('statusLabel') ? 'aline-status' : 'sr-only'}>{st.label}</span>
      <AgentName name={name} unassigned={agentKey === ''} />
      <span className="aline-title">
        <Highlight text={shown.title || shown.task_id} />
      </span>
      <span className="aline-attn">
        <Marks summary={summary} compact />
      </span>
      {has('running') ? <RunningFor task={shown} /> : null}
      {has('age') ? (
        <span className="aline-age">
          <span className="sr-only">updated </span>
          <Ago iso={shown.updated_at} />
        </span>
      ) : null}
      {has('strip') ? <OutcomeStrip outcomes={summary.outcomes} /> : null}
      {has('rate') ? (
        <span className="aline-rate" title="Failure rate over the last 24 h">
          <span className="sr-only">failure rate 24 h </span>
          {formatRate(rate)}
        </span>
      ) : null}
    </button>
  )
})

/**
 * The agent's name in a row: when it must be cut, the part before '@' gives way first, so
 * "claude-code@webshop" reads "clau…@webshop" — the '@repo' part is what tells agents apart.
 * Both parts stay in the DOM (the cut is CSS), so the accessible name and title carry it whole.
 */
function AgentName({ name, unassigned }: { name: string; unassigned: boolean }) {
  const at = name.indexOf('@')
  const cls = `aline-name${unassigned ? ' agent-unassigned' : ''}`
  if (at <= 0) {
    return (
      <span className={cls} title={name}>
        <span className="aline-name-head">
          <Highlight text={name} />
        </span>
      </span>
    )
  }
  return (
    <span className={cls} title={name}>
      <span className="aline-name-head">
        <Highlight text={name.slice(0, at)} />
      </span>
      <span className="aline-name-tail">
        <Highlight text={name.slice(at)} />
      </span>
    </span>
  )
}

/** "run 5h 02m" for a running task; empty otherwise (the column keeps its place). */
function RunningFor({ task }: { task: Task }) {
  const now = useNow(1000)
  const ms = runningForMs(task, now)
  return (
    <span className="aline-run" title={ms === null ? undefined : 'Running for'}>
      {ms === null ? null : (
        <>
          <span aria-hidden="true">run </span>
          <span className="sr-only">running for </span>
          {formatDuration(ms)}
        </>
      )}
    </span>
  )
}

const AgentCard = memo(function AgentCard({ agentKey }: { agentKey: string }) {
  const { ui } = useParts()
  const { entry, summary, current, shown } = useShownTask(agentKey)
  const latest = useTask(entry?.latestId ?? '')
  const now = useNow(60_000)
  const onKeyDown = useAckAgent(summary)
  if (!entry || !current || !latest || !summary || !shown) return null
  const today = countsBetween(entry.buckets, startOfLocalDay(now), now + 60_000)
  const day = countsBetween(entry.buckets, now - DAY_MS, now + 60_000)
  const unacked = summary.unacked.length > 0
  const failedLatest = latest.status === 'failed'
  const text = shown.status === 'failed' ? shown.error : failedLatest ? latest.error : shown.output
  const name = agentKey === '' ? 'Unassigned' : agentKey
  const open = () => ui.getState().openTask(shown.task_id)
  return (
    <article
      className={`agent agent-${shown.status}${unacked ? ' agent-failed' : ''}${summary.stale ? ' agent-stale' : ''}`}
      data-agent={name}
      data-status={shown.status}
      data-stale={summary.stale ? 'true' : undefined}
      data-unacked={unacked ? summary.unacked.length : undefined}
      data-event-id={shown.last_event_id}
      aria-label={`Agent ${name}: ${shown.status}${unacked ? `, ${summary.unacked.length} unacknowledged failures` : ''}${summary.stale ? ', stale' : ''}`}
      onKeyDown={onKeyDown}
    >
      <div className="agent-head">
        <StatusBadge status={shown.status} />
        <h3 className={`agent-name${agentKey === '' ? ' agent-unassigned' : ''}`}>{name}</h3>
        <Marks summary={summary} compact={false} />
        <span className="agent-ago">
          {shown.status === 'running' ? <RunningFor task={shown} /> : null} updated{' '}
          <Ago iso={shown.updated_at} />
        </span>
      </div>
      <button
        type="button"
        className="agent-task linklike"
        onClick={open}
        data-task-id={shown.task_id}
        title={`Open task ${shown.task_id}`}
      >
        <span className="agent-task-title">
          <Highlight text={shown.title || shown.task_id} />
        </span>
        <span className="agent-task-id mono">{shown.task_id}</span>
        {shown.project_id ? <span className="chip">{shown.project_id}</span> : null}
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
        <OutcomeStrip outcomes={summary.outcomes} />
      </div>
      {text ? (
        <div
          className={`agent-excerpt mono${shown.status === 'failed' || failedLatest ? ' excerpt-error' : ''}`}
        >
          {failedLatest && latest !== shown ? `${latest.title || latest.task_id}: ` : ''}
          {tailExcerpt(text, 180)}
        </div>
      ) : (
        <div className="agent-excerpt agent-excerpt-none">no output yet</div>
      )}
    </article>
  )
})
