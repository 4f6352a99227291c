// Per project: counts by status, a progress bar (completed share, status segments), latest
// failures. One card per project; each subscribes to its own entry.
import { memo } from 'react'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import type { Task } from '../../../../src-shared/protocol'
import { STATUSES } from '../../stores/statuses'
import { useParts, useTasks } from '../../stores/context'
import { StatusCount } from '../../components/StatusBadge'
import { Ago } from '../../components/Ago'
import { EmptyState } from '../../components/EmptyState'
import { excerpt } from '../../components/format'

export function Projects() {
  const keys = useTasks((s) => s.projectKeys)
  const synced = useTasks((s) => s.synced)
  if (synced && keys.length === 0) return <EmptyState what="projects" />
  return (
    <section className="projects" aria-label="Projects">
      {keys.map((k) => (
        <ProjectCard key={k} projectKey={k} />
      ))}
    </section>
  )
}

export function latestFailures(
  ids: ReadonlySet<string>,
  tasks: ReadonlyMap<string, Task>,
  n: number,
): Task[] {
  const top: Task[] = []
  for (const id of ids) {
    const t = tasks.get(id)
    if (!t) continue
    top.push(t)
    if (top.length > n * 4) {
      top.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))
      top.length = n
    }
  }
  top.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))
  return top.slice(0, n)
}

const ProjectCard = memo(function ProjectCard({ projectKey }: { projectKey: string }) {
  const { tasks, ui } = useParts()
  const p = useTasks((s) => s.projects.get(projectKey))
  if (!p) return null
  const name = projectKey === '' ? '(no project)' : projectKey
  const done = p.counts.completed
  const pct = p.total ? Math.round((done / p.total) * 100) : 0
  const failures = latestFailures(p.failedIds, tasks.getState().tasks, 3)
  return (
    <article
      className={`project${p.counts.failed > 0 ? ' project-has-failed' : ''}`}
      data-project={name}
      aria-label={`Project ${name}`}
    >
      <header className="project-head">
        <h3>{name}</h3>
        <span className="muted">
          {p.total} tasks · updated <Ago iso={p.lastUpdatedAt} />
        </span>
      </header>
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-label={`${done} of ${p.total} completed`}
      >
        {STATUSES.map((st) =>
          p.counts[st] > 0 ? (
            <span
              key={st}
              className={`progress-seg seg-${st}`}
              style={{ width: `${(p.counts[st] / p.total) * 100}%`, background: STATUS_STYLES[st].color }}
              title={`${STATUS_STYLES[st].label}: ${p.counts[st]}`}
            />
          ) : null,
        )}
      </div>
      <div className="project-counts">
        <span className="pct">{pct}% done</span>
        {STATUSES.map((st) => (
          <StatusCount key={st} status={st} count={p.counts[st]} />
        ))}
      </div>
      {failures.length > 0 ? (
        <div className="project-failures">
          <h4>Latest failures</h4>
          <ul>
            {failures.map((t) => (
              <li key={t.task_id}>
                <button
                  type="button"
                  className="linklike"
                  onClick={() => ui.getState().openTask(t.task_id)}
                  title={`Open failed task ${t.task_id}`}
                >
                  <span aria-hidden="true" className="fail-icon">
                    {STATUS_STYLES.failed.icon}
                  </span>{' '}
                  {t.title || t.task_id}
                </button>{' '}
                <span className="muted mono">{excerpt(t.error, 80)}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </article>
  )
})
