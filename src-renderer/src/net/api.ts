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

export interface Api {
  health(): Promise<Health>
  task(id: string): Promise<Task>
  taskEvents(id: string): Promise<EventList>
  tasks(query?: Record<string, string>): Promise<TaskList>
  /** 'ok' when the token is accepted, 'rejected' on 401, 'unreachable' otherwise. */
  checkAuth(): Promise<'ok' | 'rejected' | 'unreachable'>
}

export function createApi(
  getConnection: () => Connection | null,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): Api {
  async function get<T>(path: string, auth = true): Promise<T> {
    const c = getConnection()
    if (!c) throw new ApiRequestError(0, 'no_connection', 'No backend connection configured')
    let res: Response
    try {
      res = await fetchImpl(c.url + path, {
        headers: auth
          ? { Authorization: `Bearer ${c.token}`, Accept: 'application/json' }
          : { Accept: 'application/json' },
      })
    } catch (err) {
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
