// Projects over a time window (24 h / 7 d / 30 d): per project the counts by status, the failure
// rate, "% done" over the tasks that were due, the failures with their times, and a red mark only
// while a failure in the window is unacknowledged. Search and the filters narrow every number;
// with a search, each card lists its matching tasks, the words marked.
import { memo, useRef } from 'react'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { isUnacknowledgedFailure, type Task, type TaskStatus } from '../../../../src-shared/task-model'
import { STATUSES } from '../../stores/statuses'
import { useParts, useUi } from '../../stores/context'
import { useProjectEntry, useProjectKeys, useSynced } from '../../stores/task-hooks'
import { useSearchState, useSearchWords } from '../../stores/search-store'
import { isFiltering, useViewFilter } from '../../stores/view-filter'
import { StatusCount } from '../../components/StatusBadge'
import { Ago } from '../../components/Ago'
import { EmptyState } from '../../components/EmptyState'
import { FilterBar } from '../../components/FilterBar'
import { containsWord, excerptAround, Highlight } from '../../components/Highlight'
import { LISTED, WINDOW_LABELS, WINDOWS, type ProjectWindow, type ProjectWindowStats } from './project-window'
import { useProjectWindow } from './use-project-window'
import './Projects.css'

const projectName = (key: string) => (key === '' ? '(no project)' : key)

export function Projects() {
  const keys = useProjectKeys()
  const synced = useSynced()
  const win = useUi((s) => s.projectWindow)
  const filter = useViewFilter()
  const result = useProjectWindow(win, filter)
  if (synced && keys.length === 0) return <EmptyState what="projects" />
  const filtering = isFiltering(filter)
  const stale = result !== null && (result.win !== win || result.filter !== filter)
  const cards = result ? Array.from(result.stats.values()).sort(byName) : []
  return (
    <div className="projects-view">
      <ProjectsToolbar win={win} />
      <p className="projects-scope muted" aria-live="polite">
        {result === null || stale ? 'Counting…' : scopeText(win, filtering, cards.length)}
      </p>
      <section className="projects" aria-label="Projects" aria-busy={result === null || stale}>
        {cards.map((st) => (
          <ProjectCard key={st.key} stats={st} win={win} searching={filter.matches !== null} />
        ))}
      </section>
    </div>
  )
}

function byName(a: ProjectWindowStats, b: ProjectWindowStats): number {
  // "(no project)" last; plain code-unit order (as the store sorts its keys).
  return a.key === b.key ? 0 : a.key === '' ? 1 : b.key === '' ? -1 : a.key < b.key ? -1 : 1
}

function scopeText(win: ProjectWindow, filtering: boolean, n: number): string {
  const base = `Last ${WINDOW_LABELS[win]}: tasks finished in the window and all open ones.`
  if (!filtering) return base
  return n === 0
    ? 'No project has a task that matches the search and filters.'
    : `${base} Only tasks matching the search and filters count (${n} ${n === 1 ? 'project' : 'projects'}).`
}

/** Window choice (a radio group: arrow keys move, Tab leaves) and the filters every view honours. */
function ProjectsToolbar({ win }: { win: ProjectWindow }) {
  const { ui } = useParts()
  const group = useRef<HTMLDivElement>(null)
  const choose = (w: ProjectWindow, focus: boolean) => {
    ui.getState().setProjectWindow(w)
    if (focus) group.current?.querySelector<HTMLElement>(`[data-window="${w}"]`)?.focus()
  }
  const onKey = (e: React.KeyboardEvent) => {
    const i = WINDOWS.indexOf(win)
    const step =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? 1
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? -1
          : 0
    if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault()
      choose(e.key === 'Home' ? WINDOWS[0] : WINDOWS[WINDOWS.length - 1]!, true)
    } else if (step !== 0) {
      e.preventDefault()
      choose(WINDOWS[(i + step + WINDOWS.length) % WINDOWS.length]!, true)
    }
  }
  return (
    <FilterBar
      label="Projects window and filters"
      className="projects-toolbar"
      status="select"
      agentAndClear
      before={
        <div className="seg" role="radiogroup" aria-label="Time window" ref={group} onKeyDown={onKey}>
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              role="radio"
              data-window={w}
              aria-checked={win === w}
              tabIndex={win === w ? 0 : -1}
              className={`seg-btn${win === w ? ' seg-on' : ''}`}
              onClick={() => choose(w, false)}
            >
              {WINDOW_LABELS[w]}
            </button>
          ))}
        </div>
      }
    />
  )
}

const pct = (x: number) => `${Math.round(x * 100)}%`

const ProjectCard = memo(function ProjectCard({
  stats: p,
  win,
  searching,
}: {
  stats: ProjectWindowStats
  win: ProjectWindow
  searching: boolean
}) {
  const entry = useProjectEntry(p.key)
  const name = projectName(p.key)
  const alert = p.unacknowledged > 0
  // Nothing to count: one quiet line instead of empty bars and a row of zeros.
  const idle = p.total === 0 && p.due === 0
  const headingId = `project-${cssId(p.key)}`
  return (
    <article
      className={`project${alert ? ' project-alert' : ''}`}
      data-project={name}
      data-unacknowledged={p.unacknowledged}
      aria-labelledby={headingId}
    >
      <header className="project-head">
        <h3 id={headingId}>
          <Highlight text={name} />
        </h3>
        {alert ? (
          <span className="project-alert-mark" title="Failures in this window that nobody acknowledged">
            <span aria-hidden="true">{STATUS_STYLES.failed.icon}</span> {p.unacknowledged} unacknowledged
          </span>
        ) : null}
      </header>
      <p className="project-sub muted">
        {idle ? 'Nothing' : `${p.total.toLocaleString()} ${p.total === 1 ? 'task' : 'tasks'}`} in the last{' '}
        {WINDOW_LABELS[win]} · updated {entry ? <Ago iso={entry.lastUpdatedAt} /> : '—'}
      </p>
      {idle ? null : (
        <>
          <dl className="project-metrics">
            <div>
              <dt>Failure rate</dt>
              <dd title={`${p.failed} failed of ${p.finished} finished in the last ${WINDOW_LABELS[win]}`}>
                {p.failureRate === null ? (
                  <span className="muted">nothing finished</span>
                ) : (
                  <>
                    <strong className={p.failed > 0 ? 'metric-bad' : undefined}>{pct(p.failureRate)}</strong>{' '}
                    <span className="muted">
                      {p.failed} of {p.finished.toLocaleString()}
                    </span>
                  </>
                )}
              </dd>
            </div>
            <div>
              <dt>Done when due</dt>
              <dd
                title={`${p.dueDone} of ${p.due} tasks due in the last ${WINDOW_LABELS[win]} are completed`}
              >
                {p.donePct === null ? (
                  <span className="muted">nothing due</span>
                ) : (
                  <>
                    <strong>{p.donePct}%</strong>{' '}
                    <span className="muted">
                      {p.dueDone} of {p.due} due
                    </span>
                  </>
                )}
              </dd>
            </div>
          </dl>
          <StatusBar stats={p} />
          <div className="project-counts">
            {STATUSES.map((st) => (
              <StatusCount key={st} status={st} count={p.counts[st]} />
            ))}
          </div>
        </>
      )}
      {/* While searching, the matches list shows the failures that match; one list, not two. */}
      {!searching && p.failures.length > 0 ? (
        <TaskList
          title={`Failures in the last ${WINDOW_LABELS[win]}`}
          count={p.failed}
          tasks={p.failures}
          time={(t) => t.finished_at ?? t.updated_at}
          detail={(t) => t.error}
          className="project-failures"
        />
      ) : null}
      {searching && p.matches.length > 0 ? (
        <TaskList
          title="Matching tasks"
          count={p.matchCount}
          tasks={p.matches}
          time={(t) => t.updated_at}
          detail={null}
          className="project-matches"
        />
      ) : null}
    </article>
  )
})

function cssId(key: string): string {
  return key === '' ? '-none' : key.replace(/[^A-Za-z0-9_-]/g, '_')
}

/** The project's window counts as one bar of status segments (colour, with the counts as text). */
function StatusBar({ stats: p }: { stats: ProjectWindowStats }) {
  if (p.total === 0) return <div className="progress progress-empty" aria-hidden="true" />
  return (
    <div className="progress" aria-hidden="true">
      {STATUSES.map((st) =>
        p.counts[st] > 0 ? (
          <span
            key={st}
            className={`progress-seg seg-${st}`}
            style={{ width: `${(p.counts[st] / p.total) * 100}%`, background: STATUS_STYLES[st].color }}
          />
        ) : null,
      )}
    </div>
  )
}

const TEXT_FIELDS: ReadonlySet<string> = new Set(['error', 'output', 'description'])

/** The first of error, output, description that holds a search word (null without a search). */
function matchedText(t: Task, words: readonly string[]): string | null {
  if (words.length === 0) return null
  for (const f of ['error', 'output', 'description'] as const) {
    const v = t[f]
    if (v && containsWord(v, words)) return v
  }
  return null
}

/** The status as its glyph in the status's text colour, and as words for screen readers. */
function StatusGlyph({ status }: { status: TaskStatus }) {
  const st = STATUS_STYLES[status]
  const colours = { '--st-light': st.textLight, '--st-dark': st.textDark } as React.CSSProperties
  return (
    <span className="project-glyph" style={colours} title={st.label}>
      <span aria-hidden="true">{st.icon}</span>
      <span className="visually-hidden">{st.label}:</span>
    </span>
  )
}

function TaskList({
  title,
  count,
  tasks,
  time,
  detail,
  className,
}: {
  title: string
  count: number
  tasks: readonly Task[]
  time: (t: Task) => string
  detail: ((t: Task) => string | null) | null
  className: string
}) {
  const { ui } = useParts()
  const hits = useSearchState((s) => s.hits)
  const words = useSearchWords()
  return (
    <div className={`project-list ${className}`}>
      <h4>
        {title}{' '}
        <span className="muted">
          {count > tasks.length ? `(newest ${tasks.length} of ${count.toLocaleString()})` : `(${count})`}
        </span>
      </h4>
      <ul>
        {tasks.slice(0, LISTED).map((t) => {
          const hit = hits.get(t.task_id)
          // The text that matched when searching (the server's snippet, else the first loaded field
          // that holds a word), otherwise the list's own detail (a failure's error).
          const more =
            (hit && TEXT_FIELDS.has(hit.field) ? hit.snippet : null) ??
            matchedText(t, words) ??
            (detail ? detail(t) : null)
          const unacked = isUnacknowledgedFailure(t)
          return (
            <li key={t.task_id} data-task-id={t.task_id}>
              <StatusGlyph status={t.status} />
              <button
                type="button"
                className="linklike project-task"
                onClick={() => ui.getState().openTask(t.task_id)}
              >
                <Highlight text={t.title || t.task_id} />
              </button>
              <Ago iso={time(t)} />
              {t.status === 'failed' && !unacked ? <span className="muted acked">acknowledged</span> : null}
              {more ? (
                <span className="project-task-detail mono">
                  <Highlight text={excerptAround(more, words, 160)} />
                </span>
              ) : null}
            </li>
          )
        })}
      </ul>
    </div>
  )
}
