// The search store with fake timers and a fake REST client whose answers the test releases in any
// order: debounce, abort of the older request, stale answers dropped, the local fallback, and
// results that follow live updates.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiRequestError, type SearchResults } from '../net/api'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'
import { createSearchStore, isKeystroke, localMatcher, queryWords, SEARCH_DEBOUNCE_MS } from './search-store'
import { createTaskStore, type TaskStore } from './task-store'
import { createUiStore, type UiStore } from './ui-store'
import type { Task } from '../../../src-shared/protocol'

interface Call {
  q: string
  signal: AbortSignal
  resolve(r: SearchResults): void
  reject(e: unknown): void
}

/** A fake `api.search` that records calls and answers only when the test says so. */
function fakeSearchApi() {
  const calls: Call[] = []
  return {
    calls,
    api: {
      search: (q: string, opts: { signal?: AbortSignal } = {}) =>
        new Promise<SearchResults>((resolve, reject) => {
          calls.push({ q, signal: opts.signal!, resolve, reject })
        }),
    },
  }
}

const answer = (q: string, ids: string[], truncated = false): SearchResults => ({
  query: q,
  results: ids.map((id) => ({ task_id: id, field: 'error', snippet: `…${id}…` })),
  truncated,
})

const iso = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s)).toISOString()

function load(tasks: TaskStore, list: Task[]): void {
  tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: list }])
}

let ui: UiStore
let tasks: TaskStore
beforeEach(() => {
  vi.useFakeTimers()
  ui = createUiStore()
  tasks = createTaskStore()
})
afterEach(() => {
  vi.useRealTimers()
})

const type = (text: string) => ui.getState().setSearch(text)

describe('search store', () => {
  it('waits for a pause in typing, then asks the server once, for the last text', async () => {
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('o')
    await vi.advanceTimersByTimeAsync(50)
    type('ou')
    await vi.advanceTimersByTimeAsync(50)
    type('out')
    expect(search.getState().pending).toBe(true)
    expect(search.getState().matches).toBeNull()
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 1)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.map((c) => c.q)).toEqual(['out'])
    calls[0]!.resolve(answer('out', ['t1', 't2', 't1']))
    await vi.advanceTimersByTimeAsync(0)
    const s = search.getState()
    expect(s.matches).toEqual(new Set(['t1', 't2']))
    expect(s.words).toEqual(['out'])
    expect(s.source).toBe('server')
    expect(s.pending).toBe(false)
    expect(s.hits.get('t1')?.field).toBe('error')
    search.dispose()
  })

  it('a newer query aborts the older request, and a late answer for the older one is ignored', async () => {
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('memory')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    type('timeout')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    expect(calls.map((c) => c.q)).toEqual(['memory', 'timeout'])
    expect(calls[0]!.signal.aborted).toBe(true)
    expect(calls[1]!.signal.aborted).toBe(false)
    // The newer answer first, then the older one (a server that ignored the abort).
    calls[1]!.resolve(answer('timeout', ['new']))
    await vi.advanceTimersByTimeAsync(0)
    calls[0]!.resolve(answer('memory', ['old']))
    await vi.advanceTimersByTimeAsync(0)
    expect(search.getState().matches).toEqual(new Set(['new']))
    expect(search.getState().query).toBe('timeout')
    search.dispose()
  })

  it('a paste asks at once, and the next key aborts that request before its own debounce', async () => {
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('java.lang.OutOfMemoryError')
    // No debounce: the request is out on the next turn of the event loop.
    await vi.advanceTimersByTimeAsync(0)
    expect(calls.map((c) => c.q)).toEqual(['java lang outofmemoryerror'])
    expect(search.getState().pending).toBe(true)
    type('java.lang.OutOfMemoryError ')
    type('java.lang.OutOfMemoryError h')
    // The key aborts the request that was out at once, not when its debounce ends.
    expect(calls[0]!.signal.aborted).toBe(true)
    expect(calls).toHaveLength(1)
    calls[0]!.resolve(answer('java lang outofmemoryerror', ['stale']))
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    expect(calls.map((c) => c.q)).toEqual(['java lang outofmemoryerror', 'java lang outofmemoryerror h'])
    expect(search.getState().matches).toBeNull()
    calls[1]!.resolve(answer('java lang outofmemoryerror h', ['oom']))
    await vi.advanceTimersByTimeAsync(0)
    expect(search.getState().matches).toEqual(new Set(['oom']))
    expect(search.getState().pending).toBe(false)
    search.dispose()
  })

  it('an older answer arriving while the newer request is out does not show', async () => {
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('alpha')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    type('beta')
    calls[0]!.resolve(answer('alpha', ['a']))
    await vi.advanceTimersByTimeAsync(0)
    expect(search.getState().matches).toBeNull()
    expect(search.getState().pending).toBe(true)
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    calls[1]!.resolve(answer('beta', ['b']))
    await vi.advanceTimersByTimeAsync(0)
    expect(search.getState().matches).toEqual(new Set(['b']))
    search.dispose()
  })

  it('an empty box is no search at once, and cancels the request that was out', async () => {
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('disk')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    calls[0]!.resolve(answer('disk', ['d']))
    await vi.advanceTimersByTimeAsync(0)
    type('disk full')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    type('')
    expect(calls[1]!.signal.aborted).toBe(true)
    const s = search.getState()
    expect(s.matches).toBeNull()
    expect(s.words).toEqual([])
    expect(s.pending).toBe(false)
    calls[1]!.resolve(answer('disk full', ['x']))
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS * 2)
    expect(search.getState().matches).toBeNull()
    // Only spaces or punctuation: nothing to search for.
    type('  -- ')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS * 2)
    expect(calls).toHaveLength(2)
    expect(search.getState().matches).toBeNull()
    search.dispose()
  })

  it('the same words again (a trailing space, another case) send no new request', async () => {
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('Disk')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    type('disk ')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    expect(calls).toHaveLength(1)
    search.dispose()
  })

  it('without the server route, matches the loaded tasks (output and error too), in slices', async () => {
    load(tasks, [
      makeTask({ task_id: 'oom', title: 'nightly build', error: 'java.lang.OutOfMemoryError: heap' }),
      makeTask({ task_id: 'log', title: 'etl', output: 'copied 10 rows\nOUTOFMEMORY warning' }),
      makeTask({ task_id: 'other', title: 'deploy', assignee: 'codex-runner-3' }),
      ...Array.from({ length: 3000 }, (_, i) => makeTask({ task_id: `filler-${i}`, title: `filler ${i}` })),
    ])
    let clock = 0
    let yields = 0
    const api = {
      search: () => Promise.reject(new ApiRequestError(404, 'not_found', 'no route')),
    }
    // Each clock read moves 10 ms on: every 256 tasks cross the slice budget, so 3,003 tasks take 12
    // slices (11 yields to the event loop between them).
    const search = createSearchStore({ ui, tasks, api, now: () => (clock += 10) })
    const realSetTimeout = globalThis.setTimeout
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation((fn: () => void, ms?: number) => {
      if (ms === 0) yields += 1
      return realSetTimeout(fn, ms)
    })
    type('outofmemory')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    await vi.runAllTimersAsync()
    spy.mockRestore()
    const s = search.getState()
    expect(s.source).toBe('local')
    expect(s.error).toBeNull()
    expect(s.matches).toEqual(new Set(['oom', 'log']))
    // 11 between slices, plus the 0 ms timer that sends a text typed in one go (no debounce).
    expect(yields).toBe(12)
    type('codex runner')
    await vi.runAllTimersAsync()
    expect(search.getState().matches).toEqual(new Set(['other']))
    search.dispose()
  })

  it('when the server fails, shows local matches and says why', async () => {
    load(tasks, [makeTask({ task_id: 'a', title: 'disk full' })])
    const api = { search: () => Promise.reject(new ApiRequestError(500, 'internal', 'index broken')) }
    const search = createSearchStore({ ui, tasks, api })
    type('disk')
    await vi.runAllTimersAsync()
    expect(search.getState().matches).toEqual(new Set(['a']))
    expect(search.getState().error).toBe('index broken')
    search.dispose()
  })

  it('adds tasks updated after the query when they match, and asks again after a new snapshot', async () => {
    load(tasks, [makeTask({ task_id: 'a', title: 'x', updated_at: iso(1) })])
    const { api, calls } = fakeSearchApi()
    const search = createSearchStore({ ui, tasks, api })
    type('OutOfMemory')
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    // An update lands while the request is out: it is matched when the answer comes.
    tasks.getState().applyBatch([
      {
        kind: 'update',
        msg: updateMsg(makeTask({ task_id: 'b', error: 'OutOfMemoryError', updated_at: iso(2) }), 2),
      },
    ])
    calls[0]!.resolve(answer('outofmemory', ['a']))
    await vi.advanceTimersByTimeAsync(0)
    expect(search.getState().matches).toEqual(new Set(['a', 'b']))
    tasks.getState().applyBatch([
      {
        kind: 'update',
        msg: updateMsg(makeTask({ task_id: 'c', error: 'outofmemory again', updated_at: iso(3) }), 3),
      },
      { kind: 'update', msg: updateMsg(makeTask({ task_id: 'd', error: 'disk', updated_at: iso(4) }), 4) },
    ])
    expect(search.getState().matches).toEqual(new Set(['a', 'b', 'c']))
    // A reconnect's snapshot replaces the tasks: the server is asked again.
    load(tasks, [makeTask({ task_id: 'z', updated_at: iso(9) })])
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS)
    expect(calls.map((c) => c.q)).toEqual(['outofmemory', 'outofmemory'])
    search.dispose()
  })
})

describe('queryWords and the local matcher', () => {
  it('a keystroke changes the box by one character; a paste or a cleared selection by more', () => {
    expect(isKeystroke('', 'o')).toBe(true)
    expect(isKeystroke('out', 'ou')).toBe(true)
    expect(isKeystroke('out', 'oux')).toBe(true)
    expect(isKeystroke('ab', 'ab😀')).toBe(true)
    expect(isKeystroke('', 'OutOfMemory')).toBe(false)
    expect(isKeystroke('disk full', '')).toBe(false)
  })

  it('split like FTS5 unicode61: letters and digits, lower case, no duplicates', () => {
    expect(queryWords('java.lang.OutOfMemory  Java')).toEqual(['java', 'lang', 'outofmemory'])
    expect(queryWords('task-12 (ÉTÉ)')).toEqual(['task', '12', 'été'])
    expect(queryWords('*** "" ')).toEqual([])
    // The route's 1,000 characters: a pasted log stops at the word that would pass them.
    const long = queryWords(Array.from({ length: 300 }, (_, i) => `word${i}`).join(' '))
    expect(long.join(' ').length).toBeLessThanOrEqual(1000)
    expect(long.length).toBeGreaterThan(100)
  })

  it('needs every word somewhere in the task', () => {
    const m = localMatcher(['disk', 'nightly'])
    expect(m(makeTask({ task_id: 'a', title: 'Disk full', assignee: 'nightly-etl' }))).toBe(true)
    expect(m(makeTask({ task_id: 'b', title: 'Disk full' }))).toBe(false)
  })
})
