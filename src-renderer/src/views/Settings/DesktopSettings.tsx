// The desktop app's settings (window.desktop): backend mode, Redis, remote server and token with
// "Test connection", notification rules and do-not-disturb, tray and login options, and the
// supervisor's state with Retry. Everything goes through the preload bridge; secrets only ever
// travel towards main (the view says whether one is set, never what it is).
import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react'
import type {
  BackendState,
  DesktopApi,
  IpcResult,
  PauseChoice,
  SettingsView,
} from '../../../../src-shared/ipc'
import { useNow, useParts } from '../../stores/context'
import {
  describeBackend,
  draftFrom,
  isEmptyPatch,
  patchFrom,
  pausedText,
  tokenForTest,
  validate,
  type Draft,
  type FilterMode,
} from './settings-form'

type Outcome =
  { kind: 'idle' } | { kind: 'busy' } | { kind: 'ok'; message: string } | { kind: 'error'; message: string }

/** Calls the bridge; a rejected promise (IPC failure) reads like an `{ok:false}` answer. */
async function call<T>(p: () => Promise<IpcResult<T>>): Promise<IpcResult<T>> {
  try {
    const r = await p()
    if (r && typeof r === 'object' && 'ok' in r) return r
    return { ok: false, error: 'The desktop app gave no answer' }
  } catch (e) {
    return { ok: false, error: (e as Error)?.message || String(e) }
  }
}

export function DesktopSettings({ api }: { api: DesktopApi }) {
  const [view, setView] = useState<SettingsView | null>(null)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [save, setSave] = useState<Outcome>({ kind: 'idle' })
  const [backend, setBackend] = useState<BackendState | null>(null)
  const dirtyRef = useRef(false)

  const load = useCallback(
    (resetDraft: boolean) =>
      call(() => api.getSettings()).then((r) => {
        if (!r.ok) {
          setLoadError(r.error)
          return
        }
        setLoadError(null)
        setView(r.value)
        if (resetDraft) setDraft(draftFrom(r.value))
      }),
    [api],
  )

  useEffect(() => {
    let alive = true
    void call(() => api.getSettings()).then((r) => {
      if (!alive) return
      if (!r.ok) return setLoadError(r.error)
      setView(r.value)
      setDraft(draftFrom(r.value))
    })
    void call(() => api.getBackendStatus()).then((r) => {
      if (alive && r.ok) setBackend(r.value)
    })
    const off = api.onBackendStatus((s) => setBackend(s))
    // The tray can pause notifications too: refresh when the window comes back, keeping edits.
    const onFocus = () => void load(!dirtyRef.current)
    window.addEventListener('focus', onFocus)
    return () => {
      alive = false
      off?.()
      window.removeEventListener('focus', onFocus)
    }
  }, [api, load])

  const patch = useMemo(() => (view && draft ? patchFrom(view, draft) : {}), [view, draft])
  const errors = useMemo(() => (draft ? validate(draft) : {}), [draft])
  const dirty = !isEmptyPatch(patch)
  useEffect(() => {
    dirtyRef.current = dirty
  }, [dirty])
  const invalid = Object.keys(errors).length > 0

  const edit = useCallback(<K extends keyof Draft>(k: K, value: Draft[K]) => {
    setDraft((d) => (d ? { ...d, [k]: value } : d))
    setSave((s) => (s.kind === 'busy' ? s : { kind: 'idle' }))
  }, [])

  const onSave = async () => {
    if (!view || !draft || invalid || !dirty) return
    setSave({ kind: 'busy' })
    const sent = patch
    const r = await call(() => api.setSettings(sent))
    if (!r.ok) {
      setSave({ kind: 'error', message: r.error })
      return
    }
    setView(r.value)
    setDraft(draftFrom(r.value))
    setSave({
      kind: 'ok',
      message: sent.backend || sent.secrets ? 'Saved. The backend follows the new settings.' : 'Saved.',
    })
  }

  if (loadError && !view)
    return (
      <div className="ds-error" role="alert">
        <strong>Could not read the desktop settings:</strong> {loadError}{' '}
        <button type="button" className="btn btn-small" onClick={() => void load(true)}>
          Try again
        </button>
      </div>
    )
  if (!view || !draft) return <p className="muted">Loading desktop settings…</p>

  return (
    <form
      className="ds"
      aria-label="Desktop settings"
      onSubmit={(e) => {
        e.preventDefault()
        void onSave()
      }}
    >
      <Warnings view={view} />
      <div className="ds-grid">
        <Card title="Backend">
          <BackendStatus api={api} state={backend} onState={setBackend} />
          <BackendFields view={view} draft={draft} edit={edit} errors={errors} api={api} />
        </Card>
        <Card title="Notifications">
          <NotificationFields draft={draft} edit={edit} errors={errors} />
          <DoNotDisturb api={api} view={view} onView={setView} />
        </Card>
        <Card title="App">
          <Check
            label="Close to tray"
            hint="Closing the window keeps TaskPulse running in the tray; quit from the tray menu."
            checked={draft.closeToTray}
            onChange={(v) => edit('closeToTray', v)}
          />
          <Check
            label="Start at login"
            hint="Opens TaskPulse when you log in (installed builds)."
            checked={draft.startAtLogin}
            onChange={(v) => edit('startAtLogin', v)}
          />
        </Card>
      </div>
      <div className="ds-savebar">
        <button
          type="submit"
          className="btn btn-primary"
          disabled={!dirty || invalid || save.kind === 'busy'}
        >
          {save.kind === 'busy' ? 'Saving…' : 'Save'}
        </button>
        <button
          type="button"
          className="btn"
          disabled={!dirty || save.kind === 'busy'}
          onClick={() => {
            setDraft(draftFrom(view))
            setSave({ kind: 'idle' })
          }}
        >
          Discard changes
        </button>
        <span className="ds-savestate" role="status" aria-live="polite">
          {save.kind === 'ok' ? (
            <span className="ds-ok">
              <span aria-hidden="true">✓ </span>
              {save.message}
            </span>
          ) : save.kind === 'busy' ? (
            'Saving…'
          ) : invalid ? (
            <span className="ds-bad">
              <span aria-hidden="true">⚠ </span>Fix the marked fields to save.
            </span>
          ) : dirty ? (
            'Unsaved changes.'
          ) : (
            'No changes.'
          )}
        </span>
        {save.kind === 'error' ? (
          <span className="ds-bad" role="alert">
            <span aria-hidden="true">✕ </span>Not saved: {save.message}
          </span>
        ) : null}
      </div>
    </form>
  )
}

function Warnings({ view }: { view: SettingsView }) {
  if (view.warnings.length === 0) return null
  return (
    <div className="ds-warnings" role="alert" aria-label="Warnings">
      <strong>
        <span aria-hidden="true">⚠ </span>
        {view.warnings.length === 1 ? 'Warning' : 'Warnings'}
      </strong>
      <ul>
        {view.warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  )
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  const id = useId()
  return (
    <section className="ds-card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  )
}

function Check({
  label,
  hint,
  checked,
  disabled,
  onChange,
}: {
  label: string
  hint?: string
  checked: boolean
  disabled?: boolean
  onChange: (v: boolean) => void
}) {
  const hintId = useId()
  return (
    <div className={`ds-check${disabled ? ' ds-disabled' : ''}`}>
      <label>
        <input
          type="checkbox"
          checked={checked}
          disabled={disabled}
          aria-describedby={hint ? hintId : undefined}
          onChange={(e) => onChange(e.target.checked)}
        />
        <span>{label}</span>
      </label>
      {hint ? (
        <span id={hintId} className="ds-hint">
          {hint}
        </span>
      ) : null}
    </div>
  )
}

function TextField({
  label,
  value,
  onChange,
  error,
  hint,
  type = 'text',
  placeholder,
  disabled,
}: {
  label: string
  value: string
  onChange: (v: string) => void
  error?: string
  hint?: ReactNode
  type?: 'text' | 'password' | 'url'
  placeholder?: string
  disabled?: boolean
}) {
  const id = useId()
  const describedBy =
    [error ? `${id}-err` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined
  return (
    <div className="ds-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        placeholder={placeholder}
        disabled={disabled}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      {error ? (
        <span id={`${id}-err`} className="ds-field-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </span>
      ) : null}
      {hint ? (
        <span id={`${id}-hint`} className="ds-hint">
          {hint}
        </span>
      ) : null}
    </div>
  )
}

type Edit = <K extends keyof Draft>(k: K, v: Draft[K]) => void

function SecretState({ set, what }: { set: boolean; what: string }) {
  return (
    <span className={`ds-secret ${set ? 'ds-secret-set' : 'ds-secret-unset'}`} data-secret-set={set}>
      <span aria-hidden="true">{set ? '● ' : '○ '}</span>
      {what}: {set ? 'set' : 'not set'}
    </span>
  )
}

function SecretNote({ kind }: { kind: SettingsView['secretStorage'] }) {
  if (kind === 'os') return null
  return (
    <p className="ds-note" role="note">
      <span aria-hidden="true">⚠ </span>
      {kind === 'unavailable'
        ? 'This system offers no secret store: a password or token saved here is stored unencrypted.'
        : 'No keyring is available: a password or token saved here is only obfuscated, not encrypted.'}
    </p>
  )
}

function BackendFields({
  view,
  draft,
  edit,
  errors,
  api,
}: {
  view: SettingsView
  draft: Draft
  edit: Edit
  errors: ReturnType<typeof validate>
  api: DesktopApi
}) {
  const name = useId()
  return (
    <>
      <fieldset className="ds-radios">
        <legend>Mode</legend>
        <label>
          <input
            type="radio"
            name={name}
            value="embedded"
            checked={draft.mode === 'embedded'}
            onChange={() => edit('mode', 'embedded')}
          />
          <span>
            <strong>Embedded</strong>{' '}
            <span className="ds-hint">TaskPulse runs its own backend on this computer.</span>
          </span>
        </label>
        <label>
          <input
            type="radio"
            name={name}
            value="remote"
            checked={draft.mode === 'remote'}
            onChange={() => edit('mode', 'remote')}
          />
          <span>
            <strong>Remote</strong> <span className="ds-hint">Connect to a shared taskpulse serve.</span>
          </span>
        </label>
      </fieldset>
      {view.overrides.remote ? (
        <p className="ds-note" role="note">
          <span aria-hidden="true">ℹ </span>
          <code>TASKPULSE_BACKEND_URL</code> is set: this launch uses that remote server whatever is saved
          here.
        </p>
      ) : null}
      {draft.mode === 'embedded' ? (
        <>
          {view.overrides.redisUrl ? (
            <p className="ds-note" role="note">
              <span aria-hidden="true">ℹ </span>
              <code>TASKPULSE_REDIS_URL</code> is set: this launch uses that Redis whatever is saved here.
            </p>
          ) : null}
          <TextField
            label="Redis URL"
            value={draft.redisUrl}
            onChange={(v) => edit('redisUrl', v)}
            error={errors.redisUrl}
            placeholder="redis://127.0.0.1:6379"
            hint="Empty: no Redis (SQLite and an in-process bus). A password typed into the URL is moved to the secret store."
          />
          <SecretRow
            label="Redis password"
            set={view.secrets.redisPasswordSet}
            value={draft.redisPassword}
            clear={draft.clearRedisPassword}
            error={errors.redisPassword}
            onValue={(v) => edit('redisPassword', v)}
            onClear={(v) => edit('clearRedisPassword', v)}
          />
        </>
      ) : (
        <>
          <TextField
            label="Server URL"
            type="url"
            value={draft.remoteUrl}
            onChange={(v) => edit('remoteUrl', v)}
            error={errors.remoteUrl}
            placeholder="https://taskpulse.example.com"
            hint={
              <>
                The server must allow this app's origin: <code>--allowed-origins app://taskpulse</code>.
              </>
            }
          />
          <SecretRow
            label="Token"
            set={view.secrets.remoteTokenSet}
            value={draft.remoteToken}
            clear={draft.clearRemoteToken}
            error={errors.remoteToken}
            onValue={(v) => edit('remoteToken', v)}
            onClear={(v) => edit('clearRemoteToken', v)}
          />
          <TestConnection api={api} draft={draft} tokenSet={view.secrets.remoteTokenSet} />
        </>
      )}
      <SecretNote kind={view.secretStorage} />
    </>
  )
}

function SecretRow({
  label,
  set,
  value,
  clear,
  error,
  onValue,
  onClear,
}: {
  label: string
  set: boolean
  value: string
  clear: boolean
  error?: string
  onValue: (v: string) => void
  onClear: (v: boolean) => void
}) {
  return (
    <div className="ds-secret-row">
      <SecretState set={set} what={label} />
      <TextField
        label={set ? `New ${label.toLowerCase()}` : label}
        type="password"
        value={value}
        onChange={onValue}
        error={error}
        disabled={clear}
        placeholder={set ? 'Leave empty to keep the saved one' : ''}
      />
      {set ? (
        <Check label={`Remove the saved ${label.toLowerCase()}`} checked={clear} onChange={onClear} />
      ) : null}
    </div>
  )
}

function TestConnection({ api, draft, tokenSet }: { api: DesktopApi; draft: Draft; tokenSet: boolean }) {
  const { connection } = useParts()
  const [tested, setTested] = useState<{ key: string; outcome: Outcome }>({
    key: '',
    outcome: { kind: 'idle' },
  })
  const url = draft.remoteUrl.trim()
  const urlOk = url !== '' && !validate({ ...draft, mode: 'remote' }).remoteUrl
  const token = tokenForTest(draft.remoteToken, url, connection.current())
  // A result belongs to the URL and token it was made with: edit either and it is gone.
  const key = `${url}\n${draft.remoteToken}`
  const result: Outcome = tested.key === key ? tested.outcome : { kind: 'idle' }
  const run = async () => {
    setTested({ key, outcome: { kind: 'busy' } })
    const r = await call(() => api.testConnection(token === undefined ? { url } : { url, token }))
    setTested({
      key,
      outcome: r.ok ? { kind: 'ok', message: r.value.message } : { kind: 'error', message: r.error },
    })
  }
  return (
    <div className="ds-test">
      <button
        type="button"
        className="btn"
        disabled={!urlOk || result.kind === 'busy'}
        onClick={() => void run()}
      >
        {result.kind === 'busy' ? 'Testing…' : 'Test connection'}
      </button>
      <div className="ds-test-result" role="status" aria-live="polite" data-result={result.kind}>
        {result.kind === 'ok' ? (
          <span className="ds-ok">
            <span aria-hidden="true">✓ </span>
            <strong>Connection works.</strong> {result.message}
          </span>
        ) : result.kind === 'error' ? (
          <span className="ds-bad">
            <span aria-hidden="true">✕ </span>
            <strong>Connection failed.</strong> {result.message}
          </span>
        ) : result.kind === 'busy' ? (
          `Testing ${url}…`
        ) : token === undefined && tokenSet ? (
          <span className="ds-hint">Type the token to test it with (the saved one stays in main).</span>
        ) : null}
      </div>
    </div>
  )
}

function NotificationFields({
  draft,
  edit,
  errors,
}: {
  draft: Draft
  edit: Edit
  errors: ReturnType<typeof validate>
}) {
  const off = !draft.enabled
  return (
    <>
      <Check
        label="Show notifications"
        hint="Desktop notifications when tasks fail, complete, need input or go stale."
        checked={draft.enabled}
        onChange={(v) => edit('enabled', v)}
      />
      <fieldset className="ds-group" disabled={off}>
        <legend>Notify when a task</legend>
        <Check label="fails" checked={draft.onFailed} onChange={(v) => edit('onFailed', v)} disabled={off} />
        <Check
          label="completes"
          checked={draft.onCompleted && !draft.failuresOnly}
          disabled={off || draft.failuresOnly}
          onChange={(v) => edit('onCompleted', v)}
        />
        {/* Needing input and being stuck are problems, so "Failures only" leaves them alone
            (main's notifier decides the same way). */}
        <Check
          label="needs input (waiting)"
          hint="“<agent> needs your input: <reason>”."
          checked={draft.onWaiting}
          disabled={off}
          onChange={(v) => edit('onWaiting', v)}
        />
        <Check
          label="goes stale (no update past its threshold)"
          hint="Once per stale spell of a running task."
          checked={draft.onStale}
          disabled={off}
          onChange={(v) => edit('onStale', v)}
        />
        <Check
          label="Failures only"
          hint="Completions stay quiet, whatever is ticked above (failures, input needed and stale still notify)."
          checked={draft.failuresOnly}
          disabled={off}
          onChange={(v) => edit('failuresOnly', v)}
        />
        <Check
          label="Only when the TaskPulse window is not focused"
          checked={draft.onlyWhenUnfocused}
          disabled={off}
          onChange={(v) => edit('onlyWhenUnfocused', v)}
        />
      </fieldset>
      <NameFilterFields
        label="Projects"
        what="project ids"
        mode={draft.projectsMode}
        names={draft.projectsNames}
        error={errors.projectsNames}
        disabled={off}
        onMode={(m) => edit('projectsMode', m)}
        onNames={(n) => edit('projectsNames', n)}
      />
      <NameFilterFields
        label="Agents"
        what="agent names"
        mode={draft.agentsMode}
        names={draft.agentsNames}
        error={errors.agentsNames}
        disabled={off}
        onMode={(m) => edit('agentsMode', m)}
        onNames={(n) => edit('agentsNames', n)}
      />
    </>
  )
}

function NameFilterFields({
  label,
  what,
  mode,
  names,
  error,
  disabled,
  onMode,
  onNames,
}: {
  label: string
  what: string
  mode: FilterMode
  names: string
  error?: string
  disabled: boolean
  onMode: (m: FilterMode) => void
  onNames: (n: string) => void
}) {
  const id = useId()
  return (
    <div className="ds-filter">
      <label htmlFor={`${id}-mode`}>{label}</label>
      <select
        id={`${id}-mode`}
        value={mode}
        disabled={disabled}
        onChange={(e) => onMode(e.target.value as FilterMode)}
      >
        <option value="all">All {label.toLowerCase()}</option>
        <option value="only">Only these</option>
        <option value="except">All but these</option>
      </select>
      {mode !== 'all' ? (
        <>
          <label htmlFor={`${id}-names`} className="ds-visually-hidden">
            {label}: {mode === 'only' ? 'only these' : 'all but these'} ({what})
          </label>
          <textarea
            id={`${id}-names`}
            rows={2}
            value={names}
            disabled={disabled}
            placeholder={`${what}, one per line or separated by commas`}
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-err` : undefined}
            onChange={(e) => onNames(e.target.value)}
          />
          {error ? (
            <span id={`${id}-err`} className="ds-field-error">
              <span aria-hidden="true">⚠ </span>
              {error}
            </span>
          ) : null}
        </>
      ) : null}
    </div>
  )
}

function DoNotDisturb({
  api,
  view,
  onView,
}: {
  api: DesktopApi
  view: SettingsView
  onView: (v: SettingsView) => void
}) {
  const now = useNow(15_000)
  const [state, setState] = useState<Outcome>({ kind: 'idle' })
  const paused = pausedText(view.notifications.pausedUntil, now)
  const pause = async (choice: PauseChoice) => {
    setState({ kind: 'busy' })
    const r = await call(() => api.pauseNotifications(choice))
    if (!r.ok) {
      setState({ kind: 'error', message: r.error })
      return
    }
    onView(r.value)
    setState({ kind: 'idle' })
  }
  const busy = state.kind === 'busy'
  return (
    <div className="ds-dnd" role="group" aria-label="Do not disturb">
      <h3>Do not disturb</h3>
      <p className="ds-dnd-state" role="status" aria-live="polite" data-paused={paused ? 'yes' : 'no'}>
        {paused ? (
          <>
            <span aria-hidden="true">‖ </span>
            {paused}
          </>
        ) : (
          <>
            <span aria-hidden="true">✓ </span>Notifications are on
          </>
        )}
      </p>
      <div className="ds-buttons">
        <button type="button" className="btn" disabled={busy} onClick={() => void pause('1h')}>
          Pause for 1 hour
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => void pause('tomorrow')}>
          Pause until tomorrow
        </button>
        <button type="button" className="btn" disabled={busy || !paused} onClick={() => void pause('off')}>
          Resume
        </button>
      </div>
      {state.kind === 'error' ? (
        <p className="ds-bad" role="alert">
          <span aria-hidden="true">✕ </span>
          {state.message}
        </p>
      ) : null}
    </div>
  )
}

function BackendStatus({
  api,
  state,
  onState,
}: {
  api: DesktopApi
  state: BackendState | null
  onState: (s: BackendState) => void
}) {
  const [retry, setRetry] = useState<Outcome>({ kind: 'idle' })
  if (!state) return <p className="muted">Backend status…</p>
  const d = describeBackend(state)
  const doRetry = async () => {
    setRetry({ kind: 'busy' })
    const r = await call(() => api.retryBackend())
    if (r.ok) {
      onState(r.value)
      setRetry({ kind: 'idle' })
    } else setRetry({ kind: 'error', message: r.error })
  }
  return (
    <div className={`ds-backend ds-tone-${d.tone}`} data-backend-status={state.status}>
      <div role="status" aria-live="polite" className="ds-backend-line">
        <span className="ds-backend-icon" aria-hidden="true">
          {d.icon}
        </span>
        <span>
          <strong>Backend: {d.title}</strong>
          <span className="ds-backend-detail">{d.detail}</span>
        </span>
      </div>
      {state.status === 'failed' ? (
        <button type="button" className="btn" disabled={retry.kind === 'busy'} onClick={() => void doRetry()}>
          {retry.kind === 'busy' ? 'Retrying…' : 'Retry backend'}
        </button>
      ) : null}
      {retry.kind === 'error' ? (
        <p className="ds-bad" role="alert">
          <span aria-hidden="true">✕ </span>Retry failed: {retry.message}
        </p>
      ) : null}
    </div>
  )
}
