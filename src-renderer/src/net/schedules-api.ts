// The schedules REST calls the Settings view makes (GET/PUT/DELETE /api/schedules), with the
// connection's bearer token. Errors keep the server's message and per-field details, so the form
// can show "cron: Invalid value for minute: 61" next to the cron field.
import type { Connection } from '../../../src-shared/ipc'
import type { ScheduleBody, ScheduleOccurrence, ScheduleState } from '../../../src-shared/schedule-shapes'

export type { ScheduleBody, ScheduleOccurrence }

/** A schedule as the Settings list shows it (GET /api/schedules answers more). */
export type ScheduleView = ScheduleBody & {
  schedule_id: string
  next_occurrences: string[]
  state: ScheduleState
}

export class ScheduleApiError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ScheduleApiError'
  }
}

export interface SchedulesApi {
  list(): Promise<ScheduleView[]>
  put(id: string, body: ScheduleBody): Promise<ScheduleView>
  remove(id: string): Promise<void>
  /** Every schedule's occurrences in [from, to), time order (the timeline's window). */
  occurrences(
    fromMs: number,
    toMs: number,
  ): Promise<{ occurrences: ScheduleOccurrence[]; truncated: boolean }>
}

export function createSchedulesApi(
  connection: () => Connection | null,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): SchedulesApi {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const c = connection()
    if (!c) throw new ScheduleApiError('No backend connection configured')
    let res: Response
    try {
      res = await fetchImpl(c.url + path, {
        method,
        headers: {
          Authorization: `Bearer ${c.token}`,
          Accept: 'application/json',
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
    } catch (err) {
      throw new ScheduleApiError(`Backend unreachable at ${c.url}: ${(err as Error).message}`)
    }
    const json = (await res.json().catch(() => null)) as unknown
    if (!res.ok) {
      const error = (
        json as { error?: { message?: string; details?: { path?: string; message?: string }[] } }
      )?.error
      const fields: Record<string, string> = {}
      for (const d of error?.details ?? []) if (d.path && d.message) fields[d.path] ??= d.message
      throw new ScheduleApiError(error?.message ?? `${res.status} ${res.statusText}`, fields)
    }
    return json as T
  }
  const path = (id: string) => `/api/schedules/${encodeURIComponent(id)}`
  return {
    list: async () => (await call<{ schedules: ScheduleView[] }>('GET', '/api/schedules')).schedules,
    put: (id, body) => call<ScheduleView>('PUT', path(id), body),
    remove: async (id) => {
      await call<unknown>('DELETE', path(id))
    },
    occurrences: (fromMs, toMs) => {
      const q = new URLSearchParams({
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        limit: '5000',
      })
      return call('GET', `/api/schedules/occurrences?${q}`)
    },
  }
}
