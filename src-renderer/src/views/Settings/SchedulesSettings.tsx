// Settings → Schedules: the expected runs TaskPulse watches (a run that does not start within the
// grace becomes a failed "missed run" task). A list with each schedule's next run and state, one
// form to add or edit (checked here for the obvious mistakes, then by the server, whose message is
// shown next to the field it names), and a two-step delete.
import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from 'react'
import { useParts } from '../../stores/context'
import {
  createSchedulesApi,
  ScheduleApiError,
  type ScheduleBody,
  type SchedulesApi,
  type ScheduleView,
} from '../../net/schedules-api'

interface Draft {
  id: string
  cron: string
  timezone: string
  grace: string
  title: string
  assignee: string
  project: string
  maxRuntime: string
}

const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

const emptyDraft = (): Draft => ({
  id: '',
  cron: '',
  timezone: localZone(),
  grace: '300',
  title: '',
  assignee: '',
  project: '',
  maxRuntime: '',
})

function draftOf(s: ScheduleView): Draft {
  return {
    id: s.schedule_id,
    cron: s.cron,
    timezone: s.timezone,
    grace: String(s.grace_seconds),
    title: s.title ?? '',
    assignee: s.assignee ?? '',
    project: s.project_id ?? '',
    maxRuntime: s.max_runtime_seconds === null ? '' : String(s.max_runtime_seconds),
  }
}

/** Field errors found without asking the server; keys are the API's field names. */
export function validateScheduleDraft(d: Draft, editing: boolean): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!editing && !ID_PATTERN.test(d.id.trim()))
    errors.id = 'Use 1–64 characters: letters, digits, dot, underscore or dash.'
  const fields = d.cron.trim().split(/\s+/).filter(Boolean)
  if (!d.cron.trim()) errors.cron = 'Enter a cron expression, e.g. 0 2 * * * (02:00 every day).'
  else if (!d.cron.trim().startsWith('@') && (fields.length < 5 || fields.length > 7))
    errors.cron = `A cron expression has 5 fields (6 with seconds first); this one has ${fields.length}.`
  if (!d.timezone.trim()) errors.timezone = 'Enter a time zone, e.g. Europe/Berlin or UTC.'
  if (!/^\d+$/.test(d.grace.trim()) || Number(d.grace) < 1)
    errors.grace_seconds = 'Enter a whole number of seconds, at least 1.'
  if (d.maxRuntime.trim() && (!/^\d+$/.test(d.maxRuntime.trim()) || Number(d.maxRuntime) < 1))
    errors.max_runtime_seconds = 'Leave empty, or enter a whole number of seconds.'
  return errors
}

function bodyOf(d: Draft): ScheduleBody {
  const text = (v: string) => (v.trim() ? v.trim() : null)
  return {
    cron: d.cron.trim(),
    timezone: d.timezone.trim(),
    grace_seconds: Number(d.grace),
    title: text(d.title),
    assignee: text(d.assignee),
    project_id: text(d.project),
    max_runtime_seconds: d.maxRuntime.trim() ? Number(d.maxRuntime) : null,
  }
}

const STATE_LABEL: Record<ScheduleView['state'], string> = {
  never_run: 'No run yet',
  running: 'Running',
  ok: 'Last run completed',
  failed: 'Last run failed',
  missed: 'Last run missed',
}

function formatNext(iso: string | undefined): string {
  if (!iso) return '—'
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

export function SchedulesSettings({ api: given }: { api?: SchedulesApi }) {
  const parts = useParts()
  const { connection } = parts
  const api = useMemo(
    () => given ?? parts.schedules ?? createSchedulesApi(() => connection.current()),
    [given, parts.schedules, connection],
  )
  const [schedules, setSchedules] = useState<ScheduleView[] | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [editing, setEditing] = useState(false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null)
  const [notice, setNotice] = useState('')
  const uid = useId()

  const reload = useCallback(async () => {
    try {
      setSchedules(await api.list())
      setLoadError(null)
    } catch (err) {
      setLoadError((err as Error).message)
    }
  }, [api])
  useEffect(() => {
    let alive = true
    api.list().then(
      (list) => {
        if (alive) setSchedules(list)
      },
      (err: unknown) => {
        if (alive) setLoadError((err as Error).message)
      },
    )
    return () => {
      alive = false
    }
  }, [api])

  const openForm = (s: ScheduleView | null) => {
    setDraft(s ? draftOf(s) : emptyDraft())
    setEditing(s !== null)
    setErrors({})
    setFormError(null)
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!draft) return
    const found = validateScheduleDraft(draft, editing)
    setErrors(found)
    setFormError(null)
    if (Object.keys(found).length > 0) return
    setBusy(true)
    try {
      const saved = await api.put(draft.id.trim(), bodyOf(draft))
      setDraft(null)
      setNotice(`Schedule ${saved.schedule_id} saved.`)
      await reload()
    } catch (err) {
      if (err instanceof ScheduleApiError && Object.keys(err.fields).length > 0) setErrors(err.fields)
      setFormError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  const remove = async (id: string) => {
    setBusy(true)
    try {
      await api.remove(id)
      setNotice(`Schedule ${id} deleted.`)
      setConfirmDelete(null)
      await reload()
    } catch (err) {
      setLoadError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  const field = (
    key: keyof Draft,
    apiName: string,
    label: string,
    opts: { hint?: string; disabled?: boolean; inputMode?: 'numeric' } = {},
  ) => {
    if (!draft) return null
    const id = `${uid}-${key}`
    const error = errors[apiName]
    const describedBy = [opts.hint ? `${id}-hint` : null, error ? `${id}-error` : null]
      .filter(Boolean)
      .join(' ')
    return (
      <div className="sched-field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          value={draft[key]}
          disabled={opts.disabled}
          inputMode={opts.inputMode}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy || undefined}
          onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
        />
        {opts.hint ? (
          <span id={`${id}-hint`} className="muted sched-hint">
            {opts.hint}
          </span>
        ) : null}
        {error ? (
          <span id={`${id}-error`} className="sched-error">
            {error}
          </span>
        ) : null}
      </div>
    )
  }

  return (
    <section className="sched" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`}>Schedules</h2>
      <p className="muted">
        Expected runs: a run (a task with the schedule's id, e.g. <code>taskpulse exec --schedule ID</code>)
        that has not started within the grace after its time becomes a failed “missed run” task.
      </p>
      <p className="sched-notice" aria-live="polite">
        {notice}
      </p>
      {loadError ? (
        <p className="sched-error" role="alert">
          Could not load schedules: {loadError}
        </p>
      ) : null}
      {schedules === null && !loadError ? <p className="muted">Loading schedules…</p> : null}
      {schedules && schedules.length === 0 ? <p className="muted">No schedules yet.</p> : null}
      {schedules && schedules.length > 0 ? (
        <table className="sched-table">
          <caption className="sched-hidden">Schedules</caption>
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Cron</th>
              <th scope="col">Next run</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sched-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((s) => (
              <tr key={s.schedule_id}>
                <th scope="row">
                  <span className="mono">{s.schedule_id}</span>
                  {s.title ? <span className="muted"> — {s.title}</span> : null}
                </th>
                <td className="mono">
                  {s.cron}{' '}
                  <span className="muted">
                    ({s.timezone}, grace {s.grace_seconds} s)
                  </span>
                </td>
                <td>{formatNext(s.next_occurrences[0])}</td>
                <td className={`sched-state sched-state-${s.state}`}>{STATE_LABEL[s.state]}</td>
                <td>
                  <div className="sched-actions">
                    {confirmDelete === s.schedule_id ? (
                      <>
                        <button
                          type="button"
                          className="btn"
                          disabled={busy}
                          onClick={() => void remove(s.schedule_id)}
                        >
                          Confirm delete {s.schedule_id}
                        </button>
                        <button type="button" className="btn" onClick={() => setConfirmDelete(null)}>
                          Cancel
                        </button>
                      </>
                    ) : (
                      <>
                        <button
                          type="button"
                          className="btn"
                          onClick={() => openForm(s)}
                          aria-label={`Edit ${s.schedule_id}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn"
                          onClick={() => setConfirmDelete(s.schedule_id)}
                          aria-label={`Delete ${s.schedule_id}`}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {draft ? (
        <form
          className="sched-form"
          aria-label={editing ? `Edit schedule ${draft.id}` : 'New schedule'}
          onSubmit={(e) => void submit(e)}
          noValidate
        >
          {field('id', 'id', 'Id', { disabled: editing, hint: 'Runs name it as their schedule_id.' })}
          {field('cron', 'cron', 'Cron', {
            hint: 'minute hour day month weekday; 6 fields put seconds first',
          })}
          {field('timezone', 'timezone', 'Time zone', { hint: 'IANA name, e.g. Europe/Berlin' })}
          {field('grace', 'grace_seconds', 'Grace (seconds)', { inputMode: 'numeric' })}
          {field('title', 'title', 'Title')}
          {field('assignee', 'assignee', 'Agent')}
          {field('project', 'project_id', 'Project')}
          {field('maxRuntime', 'max_runtime_seconds', 'Max runtime (seconds)', {
            inputMode: 'numeric',
            hint: 'Optional: a run longer than this is flagged as overrunning.',
          })}
          {formError ? (
            <p className="sched-error" role="alert">
              {formError}
            </p>
          ) : null}
          <div className="sched-buttons">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {editing ? 'Save schedule' : 'Add schedule'}
            </button>
            <button type="button" className="btn" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button type="button" className="btn sched-new" onClick={() => openForm(null)}>
          New schedule
        </button>
      )}
    </section>
  )
}
