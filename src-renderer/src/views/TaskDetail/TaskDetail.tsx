// Everything about one task: every field, its status history (GET /api/tasks/:id/events) as a
// timeline, output and error as monospaced copyable text. Long text is cut with "show all".
// Live: the fields follow the store, and the history reloads when a new event lands.
// A task the store has from a snapshot carries only the tail of its output and error (an
// excerpt): opening it fetches the full task (GET /api/tasks/:id) for the text.
import { useEffect, useRef, useState } from 'react'
import { isExcerpt, type StoredEvent, type Task } from '../../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { useParts, useUi } from '../../stores/context'
import { useTask } from '../../stores/task-hooks'
import { StatusBadge } from '../../components/StatusBadge'
import { CopyButton } from '../../components/CopyButton'
import { Ago } from '../../components/Ago'
import { formatDateTime } from '../../components/format'
import { useReturnFocus } from '../../components/return-focus'

export const TEXT_PREVIEW_CHARS = 4000

export function TaskDetail() {
  const id = useUi((s) => s.selectedTaskId)
  if (id === null) return null
  return <TaskDetailPanel key={id} id={id} />
}

function TaskDetailPanel({ id }: { id: string }) {
  const { ui, api } = useParts()
  const live = useTask(id)
  const [fetched, setFetched] = useState<Task | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [events, setEvents] = useState<StoredEvent[] | null>(null)
  const [eventsError, setEventsError] = useState<string | null>(null)
  const closeRef = useRef<HTMLButtonElement>(null)
  const panelRef = useRef<HTMLElement>(null)
  const task = live ?? fetched
  // Closing (Esc, ✕) puts focus back on the row or event that opened the task.
  useReturnFocus(id, panelRef)
  // The full text of a task held as an excerpt; a live update replaces the excerpt anyway.
  const [full, setFull] = useState<Task | null>(null)
  const [fullError, setFullError] = useState<string | null>(null)
  const excerpt = live !== undefined && isExcerpt(live) ? live : null

  useEffect(() => {
    closeRef.current?.focus()
  }, [])

  // A task opened before it reached the store (e.g. from a desktop notification): ask REST.
  useEffect(() => {
    if (live) return
    let cancelled = false
    api.task(id).then(
      (t) => !cancelled && setFetched(t),
      (e: Error) => !cancelled && setLoadError(e.message),
    )
    return () => {
      cancelled = true
    }
  }, [api, id, live])

  const excerptOf = excerpt?.last_event_id ?? null
  useEffect(() => {
    if (excerptOf === null) return
    let cancelled = false
    api.task(id).then(
      (t) => !cancelled && setFull(t),
      (e: Error) => !cancelled && setFullError(e.message),
    )
    return () => {
      cancelled = true
    }
  }, [api, id, excerptOf])
  const fullText = full && excerpt && full.updated_at >= excerpt.updated_at ? full : null
  const text: Pick<Task, 'output' | 'error'> | null = excerpt ? (fullText ?? excerpt) : task
  const excerptNote =
    excerpt && !fullText
      ? fullError
        ? `Showing the end only; could not load the full text: ${fullError}`
        : 'Showing the end only; loading the full text…'
      : null

  const lastEvent = task?.last_event_id
  useEffect(() => {
    let cancelled = false
    api.taskEvents(id).then(
      (r) => {
        if (cancelled) return
        setEvents(r.events)
        setEventsError(null)
      },
      (e: Error) => !cancelled && setEventsError(e.message),
    )
    return () => {
      cancelled = true
    }
  }, [api, id, lastEvent])

  const close = () => ui.getState().openTask(null)
  return (
    <aside
      ref={panelRef}
      className="detail"
      role="dialog"
      aria-modal="false"
      aria-labelledby="detail-title"
      data-testid="task-detail"
    >
      <header className="detail-head">
        {task ? <StatusBadge status={task.status} /> : null}
        <h2 id="detail-title">{task?.title || id}</h2>
        <button
          ref={closeRef}
          type="button"
          className="btn btn-icon"
          onClick={close}
          aria-label="Close task detail (Esc)"
        >
          ✕
        </button>
      </header>
      {!task ? (
        <p className="muted pad">{loadError ? `Could not load task ${id}: ${loadError}` : 'Loading…'}</p>
      ) : (
        <div className="detail-body">
          <dl className="fields">
            <Field name="Task id" mono value={task.task_id} />
            <Field
              name="Status"
              value={`${STATUS_STYLES[task.status].icon} ${STATUS_STYLES[task.status].label}`}
            />
            <Field name="Title" value={task.title} />
            <Field name="Description" value={task.description} />
            <Field name="Assignee" value={task.assignee} />
            <Field name="Project" value={task.project_id} />
            <Field name="Created" value={formatDateTime(task.created_at)} />
            <dt>Updated</dt>
            <dd>
              {formatDateTime(task.updated_at)} (<Ago iso={task.updated_at} />)
            </dd>
            <Field name="Started" value={formatDateTime(task.started_at)} />
            <Field name="Finished" value={formatDateTime(task.finished_at)} />
            <Field name="Duration" value={duration(task)} />
            <Field name="Scheduled" value={formatDateTime(task.scheduled_at)} />
            <Field name="Due" value={formatDateTime(task.due_at)} />
            <Field name="Last event" mono value={task.last_event_id} />
          </dl>
          <LongText
            label="Error"
            text={text?.error ?? null}
            error
            note={excerpt && excerpt.error_bytes > utf8Bytes(excerpt.error) ? excerptNote : null}
          />
          <LongText
            label="Output"
            text={text?.output ?? null}
            note={excerpt && excerpt.output_bytes > utf8Bytes(excerpt.output) ? excerptNote : null}
          />
          <section className="timeline-wrap" aria-label="Status history">
            <h3>History</h3>
            {eventsError ? <p className="error-text">Could not load history: {eventsError}</p> : null}
            {events === null && !eventsError ? <p className="muted">Loading…</p> : null}
            {events && events.length === 0 ? <p className="muted">No events recorded.</p> : null}
            {events && events.length > 0 ? (
              <ol className="timeline">
                {[...events].reverse().map((e) => (
                  <li
                    key={e.event_id}
                    className={`tl-item${e.fields.status ? ` tl-${e.fields.status}` : ''}${e.changed ? '' : ' tl-nochange'}`}
                  >
                    <div className="tl-head">
                      {e.fields.status ? (
                        <StatusBadge status={e.fields.status} />
                      ) : (
                        <span className="muted">fields</span>
                      )}
                      <time dateTime={e.updated_at}>{formatDateTime(e.updated_at)}</time>
                      <span className="chip">{e.source}</span>
                      {e.changed ? null : <span className="muted">no change</span>}
                    </div>
                    <div className="tl-fields mono">
                      {Object.entries(e.fields)
                        .filter(([k]) => k !== 'status')
                        .map(
                          ([k, v]) =>
                            `${k}: ${typeof v === 'string' ? (v.length > 120 ? v.slice(0, 119) + '…' : v) : String(v)}`,
                        )
                        .join(' · ')}
                    </div>
                  </li>
                ))}
              </ol>
            ) : null}
          </section>
        </div>
      )}
    </aside>
  )
}

function Field({ name, value, mono }: { name: string; value: string | null; mono?: boolean }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className={mono ? 'mono' : undefined}>{value ?? '—'}</dd>
    </>
  )
}

function duration(t: Task): string | null {
  if (!t.started_at) return null
  const end = t.finished_at ? Date.parse(t.finished_at) : Date.now()
  const s = Math.round((end - Date.parse(t.started_at)) / 1000)
  if (s < 60) return `${s}s${t.finished_at ? '' : ' (running)'}`
  return `${Math.floor(s / 60)}m ${s % 60}s${t.finished_at ? '' : ' (running)'}`
}

const encoder = new TextEncoder()
/** UTF-8 size of a text (the sizes a snapshot gives are in bytes). */
function utf8Bytes(text: string | null): number {
  return text ? encoder.encode(text).length : 0
}

export function LongText({
  label,
  text,
  error = false,
  note = null,
}: {
  label: string
  text: string | null
  error?: boolean
  /** Shown above the text: e.g. that only its end is shown yet. */
  note?: string | null
}) {
  const [all, setAll] = useState(false)
  if (!text) return null
  const cut = !all && text.length > TEXT_PREVIEW_CHARS
  return (
    <section className={`longtext${error ? ' longtext-error' : ''}`} aria-label={label}>
      <div className="longtext-head">
        <h3>{label}</h3>
        <CopyButton text={text} label={`Copy ${label.toLowerCase()}`} />
      </div>
      {note ? (
        <p className="muted" role="note">
          {note}
        </p>
      ) : null}
      {/* Scrolls: focusable, so the keyboard can scroll it, and named for what it holds. */}
      <pre className="mono" tabIndex={0} role="region" aria-label={`${label} text`}>
        {cut ? text.slice(0, TEXT_PREVIEW_CHARS) : text}
      </pre>
      {cut ? (
        <button type="button" className="btn btn-small" onClick={() => setAll(true)}>
          Show all ({Math.ceil(text.length / 1024)} KB)
        </button>
      ) : null}
    </section>
  )
}
