// The window: header (views, search, connection), the current view, task detail, status bar.
import { lazy, Suspense, useEffect, useRef } from 'react'
import { useParts, useStatus, useUi } from './stores/context'
import { VIEWS, type View } from './stores/ui-store'
import { useSearchState } from './stores/search-store'
import { ConnectionPill } from './components/ConnectionPill'
import { StatusBar } from './components/StatusBar'
import { AgentMonitor } from './views/AgentMonitor/AgentMonitor'
import { Projects } from './views/Projects/Projects'
import { TaskDetail } from './views/TaskDetail/TaskDetail'
import { Settings } from './views/Settings/Settings'
import { isTyping } from './components/is-typing'
import { TokenForm } from './components/TokenForm'

// The calendar (its views and date-fns) loads on first use, keeping the first paint lean.
const CalendarView = lazy(() =>
  import('./views/Calendar/Calendar').then((m) => ({ default: m.CalendarView })),
)

const VIEW_LABELS: Record<View, string> = {
  agents: 'Agents',
  calendar: 'Calendar',
  projects: 'Projects',
  settings: 'Settings',
}

export function App() {
  const { ui, connection } = useParts()
  const view = useUi((s) => s.view)
  const conn = useStatus((s) => s.conn.status)
  const searchRef = useRef<HTMLInputElement>(null)

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.key === 'k' || e.key === 'K') && (e.ctrlKey || e.metaKey)) {
        e.preventDefault()
        searchRef.current?.focus()
        searchRef.current?.select()
        return
      }
      if (e.key === 'Escape') {
        if (ui.getState().selectedTaskId !== null) {
          e.preventDefault()
          ui.getState().openTask(null)
        } else if (document.activeElement === searchRef.current) {
          // Esc in the box: first clears the search, then leaves the box.
          e.preventDefault()
          if (ui.getState().search !== '') ui.getState().setSearch('')
          else searchRef.current?.blur()
        }
        return
      }
      if (isTyping(document.activeElement) || e.ctrlKey || e.metaKey || e.altKey) return
      if (e.key === '/') {
        e.preventDefault()
        searchRef.current?.focus()
        return
      }
      const n = Number(e.key)
      if (n >= 1 && n <= VIEWS.length) ui.getState().setView(VIEWS[n - 1]!)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [ui])

  // In the desktop app the way out of a refused token is the Settings view: keep it reachable.
  const gated =
    (conn === 'unauthorized' || conn === 'no-token') && !(connection.isDesktop && view === 'settings')
  return (
    <div className="app">
      <SkipLinks view={view} />
      <header className="topbar">
        <div className="brand" aria-label="TaskPulse">
          <span className="brand-mark" aria-hidden="true">
            ◉
          </span>{' '}
          TaskPulse
        </div>
        <nav className="tabs" aria-label="Views">
          {VIEWS.map((v, i) => (
            <button
              key={v}
              type="button"
              className={`tab${view === v ? ' tab-on' : ''}`}
              aria-current={view === v ? 'page' : undefined}
              onClick={() => ui.getState().setView(v)}
              title={`${VIEW_LABELS[v]} (${i + 1})`}
            >
              {VIEW_LABELS[v]}
            </button>
          ))}
        </nav>
        <SearchBox inputRef={searchRef} />
        <ConnectionPill />
      </header>
      <main className="main" id="main" tabIndex={-1}>
        {gated ? (
          <AuthGate />
        ) : view === 'agents' ? (
          <AgentMonitor />
        ) : view === 'calendar' ? (
          <Suspense fallback={<p className="muted pad">Loading calendar…</p>}>
            <CalendarView />
          </Suspense>
        ) : view === 'projects' ? (
          <Projects />
        ) : (
          <Settings />
        )}
      </main>
      {gated ? null : <TaskDetail />}
      <StatusBar />
    </div>
  )
}

/**
 * The first Tab stops: straight to the view (past the header), and on the agent monitor straight
 * to the first task row (otherwise some 40 Tabs away, past the filters and every agent card).
 * Visible only when focused.
 */
function SkipLinks({ view }: { view: View }) {
  const focus = (selector: string) => (e: React.MouseEvent) => {
    e.preventDefault()
    const el = document.querySelector<HTMLElement>(selector) ?? document.getElementById('main')
    el?.focus()
  }
  return (
    <nav className="skip-links" aria-label="Skip links">
      <a className="skip-link" href="#main" onClick={focus('#main')}>
        Skip to {VIEW_LABELS[view].toLowerCase()}
      </a>
      {view === 'agents' ? (
        <a className="skip-link" href="#main" onClick={focus('.task-row')}>
          Skip to the task list
        </a>
      ) : null}
    </nav>
  )
}

function SearchBox({ inputRef }: { inputRef: React.RefObject<HTMLInputElement | null> }) {
  const { ui } = useParts()
  const search = useUi((s) => s.search)
  return (
    <div className="search-wrap" role="search">
      <input
        ref={inputRef}
        className="search"
        type="search"
        placeholder="Search tasks, logs, errors  ( / or Ctrl+K )"
        aria-label="Search tasks and agents"
        aria-describedby="search-status"
        value={search}
        onChange={(e) => ui.getState().setSearch(e.target.value)}
      />
      <SearchStatus />
    </div>
  )
}

/** How many tasks match, or that the search is still running; read out politely. */
function SearchStatus() {
  const matches = useSearchState((s) => s.matches)
  const pending = useSearchState((s) => s.pending)
  const truncated = useSearchState((s) => s.truncated)
  const source = useSearchState((s) => s.source)
  const error = useSearchState((s) => s.error)
  const query = useSearchState((s) => s.query)
  let text = ''
  let title: string | undefined
  if (pending && matches === null) text = 'Searching…'
  else if (matches !== null) {
    text = `${matches.size.toLocaleString()}${truncated ? '+' : ''} ${matches.size === 1 ? 'match' : 'matches'}`
    if (pending) text += ' …'
    if (truncated) title = 'More tasks match; the newest are shown. Add a word to narrow the search.'
    else if (source === 'local')
      title = error
        ? `The server search failed (${error}); matched in the tasks loaded here.`
        : 'This backend has no full-text search; matched in the tasks loaded here.'
  }
  return (
    // data-query / data-pending: what the count answers, for the UI bench and tests.
    <span
      id="search-status"
      className="search-status"
      aria-live="polite"
      title={title}
      data-query={query}
      data-pending={pending}
    >
      {text}
    </span>
  )
}

/** Instead of a blank page: says why there is no connection and how to get one. */
function AuthGate() {
  const { connection, ui } = useParts()
  const conn = useStatus((s) => s.conn)
  const rejected = conn.status === 'unauthorized'
  return (
    <section className="gate" role="alert" aria-labelledby="gate-title">
      <h2 id="gate-title">{rejected ? 'The backend rejected the token' : 'No token'}</h2>
      <p>
        {rejected
          ? `${connection.current()?.url ?? 'The backend'} answered 401 Unauthorized: the token this page holds is not the backend's token.`
          : 'This page was opened without a token, so it cannot read tasks from the backend.'}
      </p>
      {connection.isDesktop ? null : (
        <p>
          Open the <code>ui</code> URL that <code>taskpulse serve</code> prints in its ready line (it ends in{' '}
          <code>#token=…</code>), or paste the token (the <code>--token</code> value or{' '}
          <code>TASKPULSE_TOKEN</code>):
        </p>
      )}
      {connection.isDesktop ? (
        <p>
          <button type="button" className="btn" onClick={() => ui.getState().setView('settings')}>
            Open Settings
          </button>{' '}
          to change the backend: mode, remote server and token.
        </p>
      ) : (
        <TokenForm inputLabel="Token" />
      )}
    </section>
  )
}
