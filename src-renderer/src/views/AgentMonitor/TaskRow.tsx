// One line of the task list; re-renders only when its task changes.
import { memo } from 'react'
import { useParts } from '../../stores/context'
import { useTask } from '../../stores/task-hooks'
import { StatusBadge } from '../../components/StatusBadge'
import { Ago } from '../../components/Ago'

export const TaskRow = memo(function TaskRow({ id }: { id: string }) {
  const { ui } = useParts()
  const t = useTask(id)
  if (!t) return null
  return (
    <button
      type="button"
      className={`task-row task-${t.status}`}
      data-task-id={t.task_id}
      data-status={t.status}
      data-event-id={t.last_event_id}
      onClick={() => ui.getState().openTask(t.task_id)}
      title={t.title || t.task_id}
    >
      <StatusBadge status={t.status} compact />
      <span className="task-row-title">{t.title || t.task_id}</span>
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
