// What the person is looking at: view, filters, search, the open task. Kept apart from task data
// so typing in the search box never touches the task store.
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { TaskStatus } from '../../../src-shared/protocol'

export const VIEWS = ['agents', 'calendar', 'projects', 'settings'] as const
export type View = (typeof VIEWS)[number]
export type AgentSort = 'attention' | 'recent' | 'name'

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
  setView(v: View): void
  openTask(id: string | null): void
  setSearch(q: string): void
  setStatusFilter(s: TaskStatus | 'all'): void
  setProjectFilter(p: string): void
  setAgentFilter(a: string): void
  clearFilters(): void
  setAgentSort(s: AgentSort): void
}

export type UiStore = StoreApi<UiState>

export function createUiStore(initial: Partial<Pick<UiState, 'view' | 'selectedTaskId'>> = {}): UiStore {
  return createStore<UiState>()((set) => ({
    view: initial.view ?? 'agents',
    selectedTaskId: initial.selectedTaskId ?? null,
    search: '',
    statusFilter: 'all',
    projectFilter: 'all',
    agentFilter: 'all',
    agentSort: 'attention',
    setView: (view) => set({ view }),
    openTask: (selectedTaskId) => set({ selectedTaskId }),
    setSearch: (search) => set({ search }),
    setStatusFilter: (statusFilter) => set({ statusFilter }),
    setProjectFilter: (projectFilter) => set({ projectFilter }),
    setAgentFilter: (agentFilter) => set({ agentFilter }),
    clearFilters: () => set({ statusFilter: 'all', projectFilter: 'all', agentFilter: 'all' }),
    setAgentSort: (agentSort) => set({ agentSort }),
  }))
}
