// Builds the app's parts for a component test: real stores, a fake REST client, no socket.
import type { ReactNode } from 'react'
import { AppPartsProvider, type AppParts } from '../../../src-renderer/src/stores/context'
import { createTaskStore } from '../../../src-renderer/src/stores/task-store'
import { createUiStore } from '../../../src-renderer/src/stores/ui-store'
import { createClockStore, createStatusStore } from '../../../src-renderer/src/stores/status-store'
import { ApiRequestError, type Api } from '../../../src-renderer/src/net/api'
import type { ConnectionSource } from '../../../src-renderer/src/net/connection'
import type { SchedulesApi, ScheduleView } from '../../../src-renderer/src/net/schedules-api'

/** Schedules kept in memory, as the server would keep them (no validation: tests pass their own api for that). */
export function fakeSchedulesApi(initial: ScheduleView[] = []): SchedulesApi & { items: ScheduleView[] } {
  const items = [...initial]
  return {
    items,
    list: () => Promise.resolve([...items]),
    put: (id, body) => {
      const view: ScheduleView = { schedule_id: id, ...body, next_occurrences: [], state: 'never_run' }
      const i = items.findIndex((s) => s.schedule_id === id)
      if (i >= 0) items[i] = view
      else items.push(view)
      return Promise.resolve(view)
    },
    remove: (id) => {
      const i = items.findIndex((s) => s.schedule_id === id)
      if (i >= 0) items.splice(i, 1)
      return Promise.resolve()
    },
    // Every schedule's next_occurrences inside [from, to), as the server lists them (grace 60 s).
    occurrences: (fromMs, toMs) =>
      Promise.resolve({
        occurrences: items
          .flatMap((s) =>
            s.next_occurrences.map((at) => ({
              schedule_id: s.schedule_id,
              title: s.title,
              assignee: s.assignee,
              project_id: s.project_id,
              at,
              deadline: new Date(Date.parse(at) + s.grace_seconds * 1000).toISOString(),
            })),
          )
          .filter((o) => Date.parse(o.at) >= fromMs && Date.parse(o.at) < toMs)
          .sort((a, b) => (a.at < b.at ? -1 : 1)),
        truncated: false,
      }),
  }
}

export function makeParts(over: Partial<AppParts> = {}): AppParts {
  const conn = {
    url: 'http://127.0.0.1:8080',
    wsUrl: 'ws://127.0.0.1:8080/ws',
    token: 'tok',
    mode: 'remote' as const,
  }
  const connection: ConnectionSource = {
    resolve: async () => conn,
    current: () => conn,
    setToken: () => {},
    onChange: () => () => {},
    isDesktop: false,
  }
  const api: Api = {
    health: async () => ({
      status: 'ok',
      redis: 'connected',
      epoch: 'E',
      seq: 0,
      clients: 1,
      outbox_pending: 0,
      dropped_messages: 0,
      storage: 'ok',
      uptime_s: 1,
      version: '0.1.0',
    }),
    task: async (id) => {
      throw new Error(`no task ${id}`)
    },
    taskEvents: async () => ({ events: [], next_cursor: null }),
    tasks: async () => ({ tasks: [], next_cursor: null }),
    // As a backend without the search route: the search store matches the loaded tasks instead.
    search: async () => {
      throw new ApiRequestError(404, 'not_found', 'No route GET /api/search')
    },
    checkAuth: async () => 'ok',
    ack: async () => {},
  }
  return {
    tasks: createTaskStore(),
    ui: createUiStore(),
    status: createStatusStore(Date.now()),
    clock: createClockStore(Date.now()),
    api,
    connection,
    reconnect: () => {},
    schedules: fakeSchedulesApi(),
    ...over,
  }
}

export function withParts(parts: AppParts, node: ReactNode) {
  return <AppPartsProvider parts={parts}>{node}</AppPartsProvider>
}

/** happy-dom lays nothing out; give scroll containers a size so virtual lists render rows. */
export function fakeLayout(height = 900, width = 1200): () => void {
  const proto = HTMLElement.prototype
  const oh = Object.getOwnPropertyDescriptor(proto, 'clientHeight')
  const ow = Object.getOwnPropertyDescriptor(proto, 'clientWidth')
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get: () => height })
  Object.defineProperty(proto, 'clientWidth', { configurable: true, get: () => width })
  return () => {
    if (oh) Object.defineProperty(proto, 'clientHeight', oh)
    if (ow) Object.defineProperty(proto, 'clientWidth', ow)
  }
}
