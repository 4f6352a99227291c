// The app's parts, built once in main.tsx (or a test) and handed down by context: no module-level
// singletons, so every test gets fresh stores.
import { createContext, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { Api } from '../net/api'
import type { ConnectionSource } from '../net/connection'
import type { SchedulesApi } from '../net/schedules-api'
import type { TaskStore, TaskStoreState } from './task-store'
import type { UiState, UiStore } from './ui-store'
import type { ClockStore, StatusState, StatusStore } from './status-store'

export interface AppParts {
  tasks: TaskStore
  ui: UiStore
  status: StatusStore
  clock: ClockStore
  api: Api
  connection: ConnectionSource
  /** Schedules REST (Settings → Schedules); absent: built from the connection on first use. */
  schedules?: SchedulesApi
  /** Connect again now (after a new token, or "retry now"). */
  reconnect: () => void
}

const PartsContext = createContext<AppParts | null>(null)

export function AppPartsProvider({ parts, children }: { parts: AppParts; children: ReactNode }) {
  return <PartsContext.Provider value={parts}>{children}</PartsContext.Provider>
}

export function useParts(): AppParts {
  const p = useContext(PartsContext)
  if (!p) throw new Error('AppPartsProvider missing')
  return p
}

export function useTasks<T>(selector: (s: TaskStoreState) => T): T {
  return useStore(useParts().tasks, selector)
}
export function useUi<T>(selector: (s: UiState) => T): T {
  return useStore(useParts().ui, selector)
}
export function useStatus<T>(selector: (s: StatusState) => T): T {
  return useStore(useParts().status, selector)
}
/** The current time, ticking once a second (or `granularityMs`), shared by every label. */
export function useNow(granularityMs = 1000): number {
  return useStore(useParts().clock, (s) => Math.floor(s.now / granularityMs) * granularityMs)
}
