// Everything about one task: every field, its status history (GET /api/tasks/:id/events) as a
// timeline, output and error as monospaced copyable text, opened at their END (where a failure
// is), following a running task's output, error lines marked. Long text shows its tail with
// "show all". Live: the fields follow the store, and the history reloads when a new event lands.
// Keys while open: j/k (and ↓/↑) the next/previous task of the task list, a acknowledges a
// failure, Esc closes (App.tsx) with focus back on the row. Opening an unacknowledged failure
// counts as seeing it: it is acknowledged (through the backend, like the key).
// A task the store has from a snapshot carries only the tail of its output and error (an
// excerpt): opening it fetches the full task (GET /api/tasks/:id) for the text.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { isExcerpt, type StoredEvent, type Task } from '../../../../src-shared/protocol'
import { isUnacknowledgedFailure } from '../../../../src-shared/task-model'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { useNow, useParts, useUi } from '../../stores/context'
import { useChildTaskIds, useTask, useTaskTitle } from '../../stores/task-hooks'
import { StatusBadge } from '../../components/StatusBadge'
import { CopyButton } from '../../components/CopyButton'
import { Ago } from '../../components/Ago'
import { formatDateTime } from '../../components/format'
import { findTaskOpener, useReturnFocus } from '../../components/return-focus'
import { acknowledge, isAckKey } from '../../components/ack'
import { logLines } from '../../components/log-lines'
import { StaleMark, UnackedMark } from '../../components/AttentionMarks'
import { formatDuration, runningForMs, selectTaskRows, stepTask } from '../../stores/agent-rows'
import type { AppParts } from '../../stores/context'
import { searchStoreOf } from '../../stores/search-store'
import { isTyping } from '../../components/is-typing'
import './detail.css'

/** The end of a long text shown at first (the rest behind "Show all"). */
export const TEXT_TAIL_CHARS = 16_000

export function TaskDetail() {
  const id = useUi((s) => s.selectedTaskId)
  if (id === null) return null
  return <TaskDetailPanel key={id} id={id} />
}

/**
 * Opens the task `delta` rows away in the task list's current order (filters applied). Focus goes
 * to that task's row first, so that Esc later returns there, not to the row the walk began on.
 */
export function openNeighbour(
  parts: Pick<AppParts, 'tasks' | 'ui' | 'api'>,
  id: string,
  delta: 1 | -1,
): void {
  const ui = parts.ui.getState()
  const s = parts.tasks.getState()
  const search = searchStoreOf(parts).getState()
  // The same filter as the task list (AgentMonitor useFilter), read once per key press.
  const ids = selectTaskRows(s.order, s.tasks, {
    status: ui.statusFilter,
    project: ui.projectFilter,
    agent: ui.agentFilter,
    search: search.query,
    matches: search.matches,
  })
  const next = stepTask(ids, id, delta)
  if (next === null || next === id) return
  const row = findTaskOpener(next)
  if (row) row.focus()
  else (document.activeElement as HTMLElement | null)?.blur()
  ui.openTask(next)
}

function TaskDetailPanel({ id }: { id: string }) {
  const parts = useParts()
  const { ui, api } = parts
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

  // Seeing a failure acknowledges it: once per failure (a later failure of the task is new).
  const seenFailure = useRef<string | null>(null)
  const unacked = task ? isUnacknowledgedFailure(task) : false
  const failureKey = unacked && task ? `${task.task_id}@${task.finished_at ?? task.updated_at}` : null
  useEffect(() => {
    if (failureKey === null || seenFailure.current === failureKey) return
    seenFailure.current = failureKey
    acknowledge(parts, [id])
  }, [failureKey, parts, id])

  // j/k, ↓/↑: walk the task list; a: acknowledge. Not while typing, and arrows scroll a focused
  // log box instead (it is a scrollable region).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return
      const active = document.activeElement
      if (isTyping(active)) return
      const inLog = !!active?.closest('pre')
      if (e.key === 'j' || (e.key === 'ArrowDown' && !inLog)) {
        e.preventDefault()
        openNeighbour(parts, id, 1)
      } else if (e.key === 'k' || (e.key === 'ArrowUp' && !inLog)) {
        e.preventDefault()
        openNeighbour(parts, id, -1)
      } else if (isAckKey(e)) {
        const t = parts.tasks.getState().tasks.get(id)
        if (t && isUnacknowledgedFailure(t)) {
          e.preventDefault()
          acknowledge(parts, [id])
        }
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [parts, id])

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
        {task && unacked ? (
          <button type="button" className="btn btn-small" onClick={() => acknowledge(parts, [id])}>
            Acknowledge (a)
          </button>
        ) : null}
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
          {unacked || task.stale_since ? (
            <p className="detail-marks">
              {unacked ? <UnackedMark /> : null}
              {task.stale_since ? <StaleMark since={task.stale_since} /> : null}
            </p>
          ) : null}
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
            {task.parent_id ? <ParentField parentId={task.parent_id} /> : null}
            <Field name="Created" value={formatDateTime(task.created_at)} />
            <dt>Updated</dt>
            <dd>
              {formatDateTime(task.updated_at)} (<Ago iso={task.updated_at} />)
            </dd>
            <Field name="Started" value={formatDateTime(task.started_at)} />
            <Field name="Finished" value={formatDateTime(task.finished_at)} />
            <Field name="Duration" value={duration(task)} />
            {task.status === 'running' ? <RunningForField task={task} /> : null}
            <Field name="Stale since" value={task.stale_since ? formatDateTime(task.stale_since) : null} />
            <Field
              name="Acknowledged"
              value={task.acknowledged_at ? formatDateTime(task.acknowledged_at) : null}
            />
            <Field name="Scheduled" value={formatDateTime(task.scheduled_at)} />
            <Field name="Due" value={formatDateTime(task.due_at)} />
            <Field name="Last event" mono value={task.last_event_id} />
          </dl>
          <ChildTasks parentId={task.task_id} />
          <LongText
            label="Error"
            text={text?.error ?? null}
            error
            note={excerpt && excerpt.error_bytes > utf8Bytes(excerpt.error) ? excerptNote : null}
          />
          <LongText
            label="Output"
            text={text?.output ?? null}
            follow={task.status === 'running'}
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

/** The task this one is a sub-agent of: a link that opens it (the title when the store has it). */
function ParentField({ parentId }: { parentId: string }) {
  const { ui } = useParts()
  const title = useTaskTitle(parentId)
  return (
    <>
      <dt>Parent</dt>
      <dd>
        <button
          type="button"
          className="link-button detail-parent"
          data-task-id={parentId}
          onClick={() => ui.getState().openTask(parentId)}
        >
          <span aria-hidden="true">↑ </span>
          {title ?? parentId}
        </button>
      </dd>
    </>
  )
}

/** The sub-agents of this task (tasks whose parent_id is it), each openable. */
function ChildTasks({ parentId }: { parentId: string }) {
  const ids = useChildTaskIds(parentId)
  if (ids.length === 0) return null
  return (
    <section className="detail-children" aria-label="Sub-agents">
      <h3>
        Sub-agents <span className="muted">({ids.length})</span>
      </h3>
      <ul>
        {ids.map((id) => (
          <ChildTaskItem key={id} id={id} />
        ))}
      </ul>
    </section>
  )
}

function ChildTaskItem({ id }: { id: string }) {
  const { ui } = useParts()
  const t = useTask(id)
  if (!t) return null
  return (
    <li>
      <button
        type="button"
        className="link-button detail-child"
        data-task-id={id}
        data-status={t.status}
        onClick={() => ui.getState().openTask(id)}
      >
        <StatusBadge status={t.status} compact />
        <span>{t.title || t.task_id}</span>
      </button>
    </li>
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

function RunningForField({ task }: { task: Task }) {
  const now = useNow(1000)
  const ms = runningForMs(task, now)
  return (
    <>
      <dt>Running for</dt>
      <dd>
        {ms === null ? '—' : formatDuration(ms)} (updated <Ago iso={task.updated_at} />)
      </dd>
    </>
  )
}

/** Where a tail of `text` starts: `max` characters from the end, moved to the next line start. */
export function tailStart(text: string, max: number): number {
  if (text.length <= max) return 0
  const from = text.length - max
  const nl = text.indexOf('\n', from)
  return nl >= 0 && nl < text.length - 1 ? nl + 1 : from
}

/**
 * Output or error as a log: opened scrolled to its end, following new text while the reader is
 * at the end (a running task's output), a "Jump to end" control when they scrolled up. Error
 * lines are marked with a glyph and weight as well as colour; the error field as a whole too.
 */
export function LongText({
  label,
  text,
  error = false,
  follow = false,
  note = null,
}: {
  label: string
  text: string | null
  error?: boolean
  /** New text arrives (a running task): keep the end in view unless the reader scrolled up. */
  follow?: boolean
  /** Shown above the text: e.g. that only its end is shown yet. */
  note?: string | null
}) {
  const [all, setAll] = useState(false)
  const preRef = useRef<HTMLPreElement>(null)
  // At the end until the reader scrolls away from it.
  const atEnd = useRef(true)
  const [away, setAway] = useState(false)
  const start = !text || all ? 0 : tailStart(text, TEXT_TAIL_CHARS)
  const shown = text ? text.slice(start) : ''
  const lines = useMemo(() => logLines(shown), [shown])
  useLayoutEffect(() => {
    const el = preRef.current
    if (el && atEnd.current) el.scrollTop = el.scrollHeight
  }, [shown, follow])
  if (!text) return null
  const onScroll = () => {
    const el = preRef.current
    if (!el) return
    const end = el.scrollHeight - el.scrollTop - el.clientHeight <= 8
    atEnd.current = end
    setAway(!end)
  }
  const jump = () => {
    const el = preRef.current
    if (!el) return
    atEnd.current = true
    setAway(false)
    el.scrollTop = el.scrollHeight
  }
  const errorLines = lines.reduce((n, l) => n + (l.error ? 1 : 0), 0)
  return (
    <section className={`longtext${error ? ' longtext-error' : ''}`} aria-label={label}>
      <div className="longtext-head">
        <h3>
          {error ? <span aria-hidden="true">✕ </span> : null}
          {label}
          {!error && errorLines > 0 ? (
            <span className="longtext-count">
              {' '}
              · {errorLines} error {errorLines === 1 ? 'line' : 'lines'}
            </span>
          ) : null}
        </h3>
        <CopyButton text={text} label={`Copy ${label.toLowerCase()}`} />
      </div>
      {note ? (
        <p className="muted" role="note">
          {note}
        </p>
      ) : null}
      {start > 0 ? (
        <button type="button" className="btn btn-small longtext-more" onClick={() => setAll(true)}>
          Show all ({Math.ceil(text.length / 1024)} KB; the last {Math.ceil((text.length - start) / 1024)} KB
          shown)
        </button>
      ) : null}
      {/* Scrolls: focusable, so the keyboard can scroll it, and named for what it holds. */}
      <pre
        ref={preRef}
        className="mono log"
        tabIndex={0}
        role="region"
        aria-label={`${label} text`}
        onScroll={onScroll}
        data-follow={follow && !away ? 'true' : undefined}
      >
        {lines.map((l, i) => (
          <span key={i} className={l.error || error ? 'log-line log-err' : 'log-line'}>
            {l.error && !error ? <span className="log-flag">▶ </span> : null}
            {l.text}
            {i < lines.length - 1 ? '\n' : null}
          </span>
        ))}
      </pre>
      {away ? (
        <button type="button" className="btn btn-small longtext-jump" onClick={jump}>
          ↓ Jump to end{follow ? ' (follow)' : ''}
        </button>
      ) : null}
    </section>
  )
}
