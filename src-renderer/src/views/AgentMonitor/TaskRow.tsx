// One line of the task list; re-renders only when its task (or whether it is the open one) changes.
// A running task shows how long it has run and how long since its last update, under its title;
// stale and unacknowledged-failure marks sit there too. `a` acknowledges a failure on the row.
import { memo } from 'react'
import { isUnacknowledgedFailure } from '../../../../src-shared/task-model'
import { useNow, useParts, useUi } from '../../stores/context'
import { useTask, useTaskTitle } from '../../stores/task-hooks'
import { formatDuration, runningForMs } from '../../stores/agent-rows'
import { StatusBadge } from '../../components/StatusBadge'
import { StaleMark, UnackedMark, WaitingMark } from '../../components/AttentionMarks'
import { Ago } from '../../components/Ago'
import { Highlight } from '../../components/Highlight'
import { acknowledge, isAckKey } from '../../components/ack'
import type { Task } from '../../../../src-shared/protocol'

export const TaskRow = memo(function TaskRow({ id }: { id: string }) {
  const parts = useParts()
  const t = useTask(id)
  const selected = useUi((s) => s.selectedTaskId === id)
  if (!t) return null
  const unacked = isUnacknowledgedFailure(t)
  const sub = t.status === 'running' || t.status === 'waiting' || unacked || !!t.parent_id
  return (
    <button
      type="button"
      className={`task-row task-${t.status}${selected ? ' task-row-selected' : ''}${t.stale_since ? ' task-row-stale' : ''}${unacked ? ' task-row-unacked' : ''}`}
      data-task-id={t.task_id}
      data-status={t.status}
      data-stale={t.stale_since ? 'true' : undefined}
      data-unacked={unacked ? 'true' : undefined}
      data-event-id={t.last_event_id}
      aria-current={selected ? 'true' : undefined}
      onClick={() => parts.ui.getState().openTask(t.task_id)}
      onKeyDown={(e) => {
        if (isAckKey(e) && unacked) {
          e.preventDefault()
          acknowledge(parts, [t.task_id])
        }
      }}
      title={t.title || t.task_id}
    >
      <StatusBadge status={t.status} compact />
      <span className="task-row-main">
        <span className="task-row-title">
          <Highlight text={t.title || t.task_id} />
        </span>
        {sub ? (
          <span className="task-row-sub">
            {t.parent_id ? <SubAgentOf parentId={t.parent_id} /> : null}
            {unacked ? <UnackedMark /> : null}
            {t.stale_since ? <StaleMark since={t.stale_since} /> : null}
            {t.status === 'waiting' ? <WaitingMark since={t.updated_at} /> : null}
            {t.status === 'running' ? <RunTimes task={t} /> : null}
          </span>
        ) : null}
      </span>
      {/* Columns drop out by priority when the list is narrow (CSS container queries): project
          first, then agent; the title keeps a readable width. */}
      <span className="task-row-meta task-row-agent">{t.assignee ?? 'unassigned'}</span>
      <span className="task-row-meta task-row-project">{t.project_id ?? ''}</span>
      <span className="task-row-ago">
        <Ago iso={t.updated_at} />
      </span>
    </button>
  )
})

/** "running 5h 02m · updated 23m ago": both clocks of a running task. */
function RunTimes({ task }: { task: Task }) {
  const now = useNow(1000)
  const ms = runningForMs(task, now) ?? 0
  return (
    <span className="task-row-times">
      running {formatDuration(ms)} · updated {formatDuration(Math.max(0, now - Date.parse(task.updated_at)))}{' '}
      ago
    </span>
  )
}

/** "↳ sub-agent of <parent title>": a child task's row says whose it is (the id if not loaded). */
function SubAgentOf({ parentId }: { parentId: string }) {
  const title = useTaskTitle(parentId)
  return (
    <span className="task-row-parent" data-parent-id={parentId}>
      <span aria-hidden="true">↳ </span>sub-agent of {title ?? parentId}
    </span>
  )
}
