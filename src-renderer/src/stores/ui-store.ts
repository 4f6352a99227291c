// What the person is looking at: view, filters, search, the open task. Kept apart from task data
// so typing in the search box never touches the task store.
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { TaskStatus } from '../../../src-shared/protocol'

export const VIEWS = ['agents', 'calendar', 'projects', 'settings'] as const
export type View = (typeof VIEWS)[number]
export type AgentSort = 'attention' | 'recent' | 'name'
/** The agent list: dense one-line rows (the default, made for a fleet) or the taller cards. */
export type AgentLayout = 'rows' | 'cards'
/** The time window of the Projects view's counts, rates and failures. */
export const PROJECT_WINDOWS = ['24h', '7d', '30d'] as const
export type ProjectWindow = (typeof PROJECT_WINDOWS)[number]

/** Where UI preferences outlive the window (localStorage in the app; absent in most tests). */
export type PrefStorage = Pick<Storage, 'getItem' | 'setItem'>
const LAYOUT_KEY = 'taskpulse.agentLayout'
const PROJECT_WINDOW_KEY = 'taskpulse.projects.window'

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
  agentLayout: AgentLayout
  /** A short message about an action that failed (e.g. an acknowledgement the backend refused). */
  notice: string | null
  setView(v: View): void
  openTask(id: string | null): void
  setSearch(q: string): void
  setStatusFilter(s: TaskStatus | 'all'): void
  setProjectFilter(p: string): void
  setAgentFilter(a: string): void
  clearFilters(): void
  setAgentSort(s: AgentSort): void
  setProjectWindow(w: ProjectWindow): void
  setAgentLayout(l: AgentLayout): void
  setNotice(n: string | null): void
}

export type UiStore = StoreApi<UiState>

export function createUiStore(
  initial: Partial<Pick<UiState, 'view' | 'selectedTaskId'>> = {},
  prefs: PrefStorage | null = null,
): UiStore {
  const readPref = (key: string): string | null => {
    try {
      return prefs?.getItem(key) ?? null
    } catch {
      return null // storage refused (privacy mode): defaults
    }
  }
  const writePref = (key: string, value: string): void => {
    try {
      prefs?.setItem(key, value)
    } catch {
      // not persisted; the choice still holds for this window
    }
  }
  return createStore<UiState>()((set) => ({
    view: initial.view ?? 'agents',
    selectedTaskId: initial.selectedTaskId ?? null,
    search: '',
    statusFilter: 'all',
    projectFilter: 'all',
    agentFilter: 'all',
    agentSort: 'attention',
    projectWindow: (PROJECT_WINDOWS as readonly unknown[]).includes(readPref(PROJECT_WINDOW_KEY))
      ? (readPref(PROJECT_WINDOW_KEY) as ProjectWindow)
      : '24h',
    agentLayout: readPref(LAYOUT_KEY) === 'cards' ? 'cards' : 'rows',
    setView: (view) => set({ view }),
    openTask: (selectedTaskId) => set({ selectedTaskId }),
    setSearch: (search) => set({ search }),
    setStatusFilter: (statusFilter) => set({ statusFilter }),
    setProjectFilter: (projectFilter) => set({ projectFilter }),
    setAgentFilter: (agentFilter) => set({ agentFilter }),
    clearFilters: () => set({ statusFilter: 'all', projectFilter: 'all', agentFilter: 'all' }),
    setAgentSort: (agentSort) => set({ agentSort }),
    setProjectWindow: (projectWindow) => {
      writePref(PROJECT_WINDOW_KEY, projectWindow)
      set({ projectWindow })
    },
    notice: null,
    setNotice: (notice) => set({ notice }),
    setAgentLayout: (agentLayout) => {
      writePref(LAYOUT_KEY, agentLayout)
      set({ agentLayout })
    },
  }))
}
