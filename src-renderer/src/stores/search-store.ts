// Search state for every view: which tasks match the text in the search box, and the words to
// highlight. The box itself (ui-store `search`) updates on every keystroke; this store follows it
// off the typing path:
//
//   keystroke → ui.search (the input repaints at once)
//            → 70 ms quiet (none for a paste) → GET /api/search (SQLite FTS5 over title, description, output, error,
//              agent, project, id) with an AbortController; a newer query aborts the older request,
//              and a result that still arrives for an older query is dropped (generation counter)
//            → `matches` (a Set of task ids) that views filter with, `words` that <Highlight> marks.
//
// Against a backend without the route (404, e.g. an older remote server) or when the request
// fails, the loaded tasks are matched here instead, in slices of a few milliseconds so no frame
// blocks even at 100,000 tasks. Results are kept live: a task updated after the query was sent is
// matched locally and added, so a new failure mentioning "OutOfMemory" appears without retyping.
import { useStore } from 'zustand'
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Task } from '../../../src-shared/protocol'
import { ApiRequestError, type Api, type SearchHit } from '../net/api'
import { useParts, type AppParts } from './context'
import type { TaskStore } from './task-store'
import type { UiStore } from './ui-store'

export interface SearchState {
  /** The query the current `matches` answer (normalised), '' when no search is active. */
  query: string
  /** The query's words, as the server tokenises them: what <Highlight> marks. */
  words: readonly string[]
  /** Matching task ids; null = no search active (show everything). */
  matches: ReadonlySet<string> | null
  /** The first hit per task (field and snippet) when the server answered. */
  hits: ReadonlyMap<string, SearchHit>
  /** A newer query than `query` is waiting for its debounce or its answer. */
  pending: boolean
  /** Who answered: the server's full-text index, or the tasks loaded in this window. */
  source: 'server' | 'local' | null
  /** The server had more matches than `SEARCH_LIMIT`; the newest are shown. */
  truncated: boolean
  /** Why the server did not answer (the local matches are shown instead). */
  error: string | null
}

export type SearchStore = StoreApi<SearchState>

/**
 * Quiet time after a keystroke before the server is asked. Issue 10's budget is 150 ms from the
 * last key to results at 100,000 tasks; the request takes ~20–60 ms there (docs/benchmarks.md
 * "Search"), so the wait is what is left: long enough that a word typed at a steady ~8 keys/s (one
 * key every ~120 ms… faster typists ~60 ms) sends a request per pause rather than per key, and
 * every request a newer key overtakes is aborted anyway.
 */
export const SEARCH_DEBOUNCE_MS = 70
/**
 * How many matches (newest first) views filter with. Each result costs the server a row read and a
 * snippet (~20 µs): 5,000 (the route's maximum) took 300 ms of CPU for a common word at 100,000
 * tasks, 1,000 keeps the request well inside the 150 ms budget (docs/benchmarks.md "Search"). A
 * word found in more tasks than this shows the newest, and the box says there were more.
 */
export const SEARCH_LIMIT = 1000
/** GET /api/search's longest `q`. */
export const MAX_QUERY_CHARS = 1000
/** Local matching yields to the event loop after this much work, keeping frames under 16 ms. */
const SLICE_BUDGET_MS = 6

const IDLE: SearchState = {
  query: '',
  words: [],
  matches: null,
  hits: new Map(),
  pending: false,
  source: null,
  truncated: false,
  error: null,
}

/**
 * The words of a query the way SQLite FTS5's unicode61 tokenizer splits text: runs of letters
 * and digits; everything else separates. Lower-cased, duplicates dropped.
 */
export function queryWords(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  const out: string[] = []
  let length = 0
  for (const w of new Set(words)) {
    // The route takes up to 1,000 characters of query; a pasted log stops at the word that would
    // pass it.
    length += w.length + (out.length > 0 ? 1 : 0)
    if (length > MAX_QUERY_CHARS) break
    out.push(w)
  }
  return out
}

/** Fields the local fallback matches (what the loaded task carries; outputs may be excerpts). */
const LOCAL_FIELDS = ['task_id', 'title', 'description', 'assignee', 'project_id', 'output', 'error'] as const

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A matcher for the local fallback: every word appears (case-insensitive) in some field. */
export function localMatcher(words: readonly string[]): (t: Task) => boolean {
  const res = words.map((w) => new RegExp(escapeRegExp(w), 'iu'))
  return (t) =>
    res.every((re) =>
      LOCAL_FIELDS.some((f) => {
        const v = t[f]
        return v !== null && re.test(v)
      }),
    )
}

/**
 * Whether the box changed the way one key changes it (one character in or out, or one replaced).
 * A larger jump (a paste, a replaced selection, a query restored from history) is not followed by
 * more keys, so it is asked at once (leading edge) instead of after the debounce.
 */
export function isKeystroke(previous: string, next: string): boolean {
  return Math.abs(Array.from(next).length - Array.from(previous).length) <= 1
}

export interface SearchStoreOptions {
  ui: UiStore
  tasks: TaskStore
  api: Pick<Api, 'search'>
  debounceMs?: number
  /** Clock for slicing local work (tests may pin it). */
  now?: () => number
}

export function createSearchStore(opts: SearchStoreOptions): SearchStore & { dispose(): void } {
  const { ui, tasks, api } = opts
  const debounceMs = opts.debounceMs ?? SEARCH_DEBOUNCE_MS
  const now = opts.now ?? (() => performance.now())
  const store = createStore<SearchState>()(() => IDLE)

  let timer: ReturnType<typeof setTimeout> | null = null
  let inflight: AbortController | null = null
  // Bumped by every new query or clear: work for an older generation is discarded.
  let generation = 0
  // Tasks updated after this (updated_at) are matched locally and added to the results.
  let watermark = ''
  let activeWords: readonly string[] = []
  let wanted = ''

  const newestUpdatedAt = (): string => {
    const s = tasks.getState()
    const id = s.order[0]
    return (id !== undefined && s.tasks.get(id)?.updated_at) || ''
  }

  function cancel(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
    inflight?.abort()
    inflight = null
    generation += 1
  }

  /** `now`: ask without the debounce (nothing more is coming, see `isKeystroke`). */
  function onInput(text: string, now: boolean): void {
    const words = queryWords(text)
    const q = words.join(' ')
    if (q === wanted) return // e.g. a trailing space: the same query, no new request
    wanted = q
    cancel()
    if (words.length === 0) {
      activeWords = []
      store.setState(IDLE, true)
      return
    }
    store.setState({ pending: true })
    // `now` still goes through a 0 ms timer: the request leaves after the code that changed the box
    // has run (a paste handler, a test swapping the client), not inside its setState.
    timer = setTimeout(
      () => {
        timer = null
        void run(q, words)
      },
      now ? 0 : debounceMs,
    )
  }

  async function run(q: string, words: string[]): Promise<void> {
    const gen = generation
    const ctl = new AbortController()
    inflight = ctl
    const since = newestUpdatedAt()
    try {
      const res = await api.search(q, { limit: SEARCH_LIMIT, signal: ctl.signal })
      if (gen !== generation) return
      inflight = null
      const hits = new Map<string, SearchHit>()
      for (const h of res.results) if (!hits.has(h.task_id)) hits.set(h.task_id, h)
      apply(q, words, new Set(hits.keys()), hits, 'server', res.truncated, null, since)
    } catch (err) {
      if (gen !== generation || ctl.signal.aborted) return
      inflight = null
      const missing = err instanceof ApiRequestError && err.status === 404
      await runLocal(q, words, gen, missing ? null : (err as Error).message)
    }
  }

  async function runLocal(q: string, words: string[], gen: number, error: string | null): Promise<void> {
    const since = newestUpdatedAt()
    const { order, tasks: byId } = tasks.getState()
    const ids = order.slice()
    const matches = localMatcher(words)
    const found = new Set<string>()
    let i = 0
    while (i < ids.length) {
      const start = now()
      // Check the clock every 256 tasks: reading it per task would cost more than the matching.
      do {
        const end = Math.min(i + 256, ids.length)
        for (; i < end; i++) {
          const t = byId.get(ids[i]!)
          if (t && matches(t)) found.add(t.task_id)
        }
      } while (i < ids.length && now() - start < SLICE_BUDGET_MS)
      if (i < ids.length) {
        await new Promise<void>((resolve) => setTimeout(resolve, 0))
        if (gen !== generation) return
      }
    }
    if (gen !== generation) return
    apply(q, words, found, new Map(), 'local', false, error, since)
  }

  function apply(
    q: string,
    words: string[],
    found: Set<string>,
    hits: Map<string, SearchHit>,
    source: 'server' | 'local',
    truncated: boolean,
    error: string | null,
    since: string,
  ): void {
    activeWords = words
    watermark = since
    store.setState({ query: q, words, matches: found, hits, pending: false, source, truncated, error }, true)
    // Tasks that changed while the request was out.
    addLiveMatches()
  }

  /** Matches tasks updated after the watermark (the head of the store's order) into the results. */
  function addLiveMatches(): void {
    const cur = store.getState()
    if (cur.matches === null) return
    const { order, tasks: byId } = tasks.getState()
    const matches = localMatcher(activeWords)
    let added: Set<string> | null = null
    let newest = watermark
    for (const id of order) {
      const t = byId.get(id)
      if (!t || t.updated_at <= watermark) break
      if (t.updated_at > newest) newest = t.updated_at
      if (!cur.matches.has(id) && matches(t)) (added ??= new Set(cur.matches)).add(id)
    }
    watermark = newest
    if (added) store.setState({ matches: added })
  }

  const offUi = ui.subscribe((s, prev) => {
    if (s.search !== prev.search) onInput(s.search, !isKeystroke(prev.search, s.search))
  })
  const offTasks = tasks.subscribe((s, prev) => {
    if (wanted === '') return
    // A new snapshot (reconnect) or the end of the first load: ask again, the set may be stale.
    if (s.tasks !== prev.tasks || (s.synced && !prev.synced)) {
      const q = wanted
      wanted = ''
      // Debounced: the pages of a first load each replace the tasks; one request for all of them.
      onInput(q, false)
      return
    }
    if (s.orderRev !== prev.orderRev) addLiveMatches()
  })
  // The box may already hold text (a store created after the first keystroke).
  if (ui.getState().search) onInput(ui.getState().search, true)

  return Object.assign(store, {
    dispose() {
      cancel()
      offUi()
      offTasks()
    },
  })
}

// One search store per app (per set of parts), created on first use. Keyed by the parts' UI store
// so tests that build fresh parts get a fresh search, and AppParts stays as it is.
const stores = new WeakMap<UiStore, SearchStore>()

export function searchStoreOf(parts: Pick<AppParts, 'ui' | 'tasks' | 'api'>): SearchStore {
  let s = stores.get(parts.ui)
  if (!s) {
    s = createSearchStore({ ui: parts.ui, tasks: parts.tasks, api: parts.api })
    stores.set(parts.ui, s)
  }
  return s
}

export function useSearchState<T>(selector: (s: SearchState) => T): T {
  return useStore(searchStoreOf(useParts()), selector)
}

/**
 * The ids of the tasks that match the search box, or null when no search is active. Views show a
 * task only if `matches === null || matches.has(task.task_id)`.
 */
export function useSearchMatches(): ReadonlySet<string> | null {
  return useSearchState((s) => s.matches)
}

/** The words <Highlight> marks (those of the query the current matches answer). */
export function useSearchWords(): readonly string[] {
  return useSearchState((s) => s.words)
}
