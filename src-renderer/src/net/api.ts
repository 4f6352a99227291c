// REST client for the backend: bearer token on every call but health, typed errors.
import type { EventList, Health, Task, TaskList } from '../../../src-shared/protocol'
import type { Connection } from '../../../src-shared/ipc'

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiRequestError'
  }
}

/** Where a search hit was found (GET /api/search; docs/protocol.md). */
export type SearchField = 'title' | 'output' | 'error' | 'assignee' | 'project_id' | 'task_id' | 'description'

export interface SearchHit {
  task_id: string
  field: SearchField
  snippet: string
}

/** GET /api/search: newest first, full text over a task's fields (SQLite FTS5, prefix per word). */
export interface SearchResults {
  query: string
  results: SearchHit[]
  truncated: boolean
}

export interface Api {
  health(): Promise<Health>
  task(id: string): Promise<Task>
  taskEvents(id: string): Promise<EventList>
  tasks(query?: Record<string, string>): Promise<TaskList>
  /** Full-text search on the server; aborting `signal` rejects with the abort reason. */
  search(q: string, opts?: { limit?: number; signal?: AbortSignal }): Promise<SearchResults>
  /** 'ok' when the token is accepted, 'rejected' on 401, 'unreachable' otherwise. */
  checkAuth(): Promise<'ok' | 'rejected' | 'unreachable'>
  /**
   * Acknowledges failures (POST /api/tasks/:id/ack, or /api/tasks/ack for several). The views
   * change nothing themselves: the acknowledged task comes back as an ordinary update frame, so
   * every window shows the same marks.
   */
  ack(ids: readonly string[]): Promise<void>
}

export function createApi(
  getConnection: () => Connection | null,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): Api {
  async function get<T>(path: string, auth = true, signal?: AbortSignal, body?: unknown): Promise<T> {
    const c = getConnection()
    if (!c) throw new ApiRequestError(0, 'no_connection', 'No backend connection configured')
    let res: Response
    const headers: Record<string, string> = auth
      ? { Authorization: `Bearer ${c.token}`, Accept: 'application/json' }
      : { Accept: 'application/json' }
    try {
      res = await fetchImpl(
        c.url + path,
        body === undefined
          ? { headers, signal }
          : {
              method: 'POST',
              headers: { ...headers, 'Content-Type': 'application/json' },
              body: JSON.stringify(body),
              signal,
            },
      )
    } catch (err) {
      // A cancelled request is not an unreachable backend: the caller asked for it.
      if (signal?.aborted) throw err
      throw new ApiRequestError(
        0,
        'unreachable',
        `Backend unreachable at ${c.url}: ${(err as Error).message}`,
      )
    }
    if (!res.ok) {
      let code = `http_${res.status}`
      let message = `${res.status} ${res.statusText}`
      try {
        const body = (await res.json()) as { error?: { code?: string; message?: string } }
        if (body.error?.code) code = body.error.code
        if (body.error?.message) message = body.error.message
      } catch {
        // not JSON
      }
      throw new ApiRequestError(res.status, code, message)
    }
    return (await res.json()) as T
  }
  const enc = encodeURIComponent
  return {
    health: () => get<Health>('/api/health', false),
    task: (id) => get<Task>(`/api/tasks/${enc(id)}`),
    taskEvents: (id) => get<EventList>(`/api/tasks/${enc(id)}/events`),
    tasks: (query = {}) => get<TaskList>(`/api/tasks?${new URLSearchParams(query).toString()}`),
    async ack(ids) {
      if (ids.length === 0) return
      if (ids.length === 1) {
        await get<{ task: Task }>(`/api/tasks/${enc(ids[0]!)}/ack`, true, undefined, {})
        return
      }
      // The route takes at most 1000 ids a call.
      for (let i = 0; i < ids.length; i += 1000)
        await get<unknown>('/api/tasks/ack', true, undefined, { task_ids: ids.slice(i, i + 1000) })
    },
    search: (q, opts = {}) =>
      get<SearchResults>(
        `/api/search?${new URLSearchParams({ q, limit: String(opts.limit ?? 500) }).toString()}`,
        true,
        opts.signal,
      ),
    async checkAuth() {
      try {
        await get<TaskList>('/api/tasks?limit=1')
        return 'ok'
      } catch (err) {
        return err instanceof ApiRequestError && err.status === 401 ? 'rejected' : 'unreachable'
      }
    },
  }
}
