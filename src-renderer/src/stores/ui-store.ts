// What the person is looking at: view, filters, search, the open task. Kept apart from task data
// so typing in the search box never touches the task store.
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { TaskStatus } from '../../../src-shared/protocol'

export const VIEWS = ['agents', 'calendar', 'projects', 'settings'] as const
export type View = (typeof VIEWS)[number]
export type AgentSort = 'attention' | 'recent' | 'name'
/** The time window of the Projects view's counts, rates and failures. */
export const PROJECT_WINDOWS = ['24h', '7d', '30d'] as const
export type ProjectWindow = (typeof PROJECT_WINDOWS)[number]

/** Where choices that outlive the window are kept (localStorage in the app; absent in tests). */
export type Prefs = Pick<Storage, 'getItem' | 'setItem'>
const PROJECT_WINDOW_KEY = 'taskpulse.projects.window'

function readProjectWindow(prefs: Prefs | undefined): ProjectWindow {
  try {
    const v = prefs?.getItem(PROJECT_WINDOW_KEY)
    return (PROJECT_WINDOWS as readonly unknown[]).includes(v) ? (v as ProjectWindow) : '24h'
  } catch {
    return '24h' // storage refused (privacy mode): the default
  }
}

export interface UiState {
  view: View
  selectedTaskId: string | null
  search: string
  statusFilter: TaskStatus | 'all'
  /** A project key, or 'all'. */
  projectFilter: string
  /** An agent key ('' = unassigned), or 'all'. Every view honours the three filters. */
  agentFilter: string
  agentSort: AgentSort
  projectWindow: ProjectWindow
  setView(v: View): void
  openTask(id: string | null): void
  setSearch(q: string): void
  setStatusFilter(s: TaskStatus | 'all'): void
  setProjectFilter(p: string): void
  setAgentFilter(a: string): void
  clearFilters(): void
  setAgentSort(s: AgentSort): void
  setProjectWindow(w: ProjectWindow): void
}

export type UiStore = StoreApi<UiState>

export function createUiStore(
  initial: Partial<Pick<UiState, 'view' | 'selectedTaskId'>> = {},
  prefs?: Prefs,
): UiStore {
  return createStore<UiState>()((set) => ({
    view: initial.view ?? 'agents',
    selectedTaskId: initial.selectedTaskId ?? null,
    search: '',
    statusFilter: 'all',
    projectFilter: 'all',
    agentFilter: 'all',
    agentSort: 'attention',
    projectWindow: readProjectWindow(prefs),
    setView: (view) => set({ view }),
    openTask: (selectedTaskId) => set({ selectedTaskId }),
    setSearch: (search) => set({ search }),
    setStatusFilter: (statusFilter) => set({ statusFilter }),
    setProjectFilter: (projectFilter) => set({ projectFilter }),
    setAgentFilter: (agentFilter) => set({ agentFilter }),
    clearFilters: () => set({ statusFilter: 'all', projectFilter: 'all', agentFilter: 'all' }),
    setAgentSort: (agentSort) => set({ agentSort }),
    setProjectWindow: (projectWindow) => {
      set({ projectWindow })
      try {
        prefs?.setItem(PROJECT_WINDOW_KEY, projectWindow)
      } catch {
        // not remembered; the choice still applies to this window
      }
    },
  }))
}
