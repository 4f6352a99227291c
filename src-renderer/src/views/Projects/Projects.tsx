// Per project: counts by status, a progress bar (completed share, status segments), latest
// failures. One card per project; each subscribes to its own entry.
import { memo } from 'react'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { STATUSES } from '../../stores/statuses'
import { useParts } from '../../stores/context'
import { useLatestFailures, useProjectEntry, useProjectKeys, useSynced } from '../../stores/task-hooks'
import { StatusCount } from '../../components/StatusBadge'
import { Ago } from '../../components/Ago'
import { EmptyState } from '../../components/EmptyState'
import { excerpt } from '../../components/format'

export function Projects() {
  const keys = useProjectKeys()
  const synced = useSynced()
  if (synced && keys.length === 0) return <EmptyState what="projects" />
  return (
    <section className="projects" aria-label="Projects">
      {keys.map((k) => (
        <ProjectCard key={k} projectKey={k} />
      ))}
    </section>
  )
}

const ProjectCard = memo(function ProjectCard({ projectKey }: { projectKey: string }) {
  const { ui } = useParts()
  const p = useProjectEntry(projectKey)
  const failures = useLatestFailures(projectKey, 3)
  if (!p) return null
  const name = projectKey === '' ? '(no project)' : projectKey
  const done = p.counts.completed
  const pct = p.total ? Math.round((done / p.total) * 100) : 0
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
