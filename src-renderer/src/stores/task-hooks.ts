// What views read from the task store, as hooks: one field or one derived list per hook, so a view
// says what it shows and re-renders when that changes, nothing else.
//
// The store keeps its indexes (task order, agent and project maps, the day index) as structures it
// mutates in place, so the work per update stays independent of the task count. A list derived
// from them is therefore memoised here on what says it changed: a revision counter, or an entry
// object that the store replaces on change, plus the `tasks` map itself (replaced by a snapshot or
// reset). Same keys → the same result object, which is what useSyncExternalStore needs of a
// snapshot, and what lets views depend on the result honestly (no revision counters in views, no
// getState() during render, react-hooks/exhaustive-deps on everywhere).
import { useCallback, useMemo } from 'react'
import type { Task } from '../../../src-shared/protocol'
import { useParts, useTasks } from './context'
import {
  agentSummary,
  selectAgentRows,
  selectTaskRows,
  type AgentFilter,
  type AgentSummary,
} from './agent-rows'
import type { AgentEntry, ProjectEntry, TaskStoreState } from './task-store'
import type { AgentSort } from './ui-store'

type Selector<T> = (s: TaskStoreState) => T

/**
 * A selector that runs `read` only when one of `keysOf(state)` changed (Object.is) since its last
 * call, and otherwise returns its last result. Create it with useMemo on the arguments `read`
 * closes over.
 */
export function memoOnKeys<T>(keysOf: Selector<readonly unknown[]>, read: Selector<T>): Selector<T> {
  let keys: readonly unknown[] | null = null
  let value: T
  return (s) => {
    const next = keysOf(s)
    if (keys === null || next.length !== keys.length || next.some((k, i) => !Object.is(k, keys![i]))) {
      keys = next
      value = read(s)
    }
    return value
  }
}

/** One task by id; re-renders only when that task changes. */
export function useTask(id: string): Task | undefined {
  return useTasks((s) => s.tasks.get(id))
}

/**
 * A lookup of the current task by id, for event handlers and effects (not for render: a value read
 * through it does not re-render anything). Stable for the store's lifetime.
 */
export function useTaskLookup(): (id: string) => Task | undefined {
  const { tasks } = useParts()
  return useCallback((id: string) => tasks.getState().tasks.get(id), [tasks])
}

export function useTaskCount(): number {
  return useTasks((s) => s.tasks.size)
}

/** A snapshot or resume has completed: an empty store means "no tasks", not "not loaded yet". */
export function useSynced(): boolean {
  return useTasks((s) => s.synced)
}

/** The last applied change cursor. */
export function useSeq(): number {
  return useTasks((s) => s.seq)
}

export function useProjectKeys(): readonly string[] {
  return useTasks((s) => s.projectKeys)
}

/** One agent's entry; replaced by the store whenever anything of that agent changes. */
export function useAgentEntry(agentKey: string): AgentEntry | undefined {
  return useTasks((s) => s.agents.get(agentKey))
}

/** One project's entry; replaced by the store whenever anything of that project changes. */
export function useProjectEntry(projectKey: string): ProjectEntry | undefined {
  return useTasks((s) => s.projects.get(projectKey))
}

/**
 * One agent's attention summary and outcome strip (stores/agent-rows.ts agentSummary): cached on
 * the agent's entry, so it is recomputed only when one of that agent's tasks changed.
 */
export function useAgentSummary(agentKey: string): AgentSummary | null {
  const select = useMemo(
    () =>
      memoOnKeys(
        (s) => [s.agents.get(agentKey), s.tasks],
        (s) => {
          const entry = s.agents.get(agentKey)
          return entry ? agentSummary(entry, s.tasks) : null
        },
      ),
    [agentKey],
  )
  return useTasks(select)
}

/**
 * The agents the monitor lists, filtered and sorted (stores/agent-rows.ts). Recomputed once per
 * applied batch, O(agents · log agents), and on a filter or sort change.
 */
export function useAgentRowKeys(filter: AgentFilter, sort: AgentSort): readonly string[] {
  const select = useMemo(() => agentRowKeysSelector(filter, sort), [filter, sort])
  return useTasks(select)
}

/** The agent rows, as the same array while the rows and their order stay the same (most batches
 * move no agent): the list then does not re-render, only the rows whose agent changed. */
function agentRowKeysSelector(filter: AgentFilter, sort: AgentSort): Selector<readonly string[]> {
  let last: readonly string[] = []
  return memoOnKeys(
    (s) => [s.version, s.tasks],
    (s) => {
      const next = selectAgentRows(s.agentKeys, s.agents, s.tasks, filter, sort)
      if (next.length === last.length && next.every((k, i) => k === last[i])) return last
      return (last = next)
    },
  )
}

/**
 * Task ids of the task list, most recently updated first, filtered. `ids` may be the store's own
 * order array (unfiltered: nothing is copied, per update cost stays O(log n)), so it changes in
 * place: the object around it is new at every revision, and that is what to depend on.
 */
export interface TaskRowIds {
  ids: readonly string[]
  revision: number
}

export function useTaskRowIds(filter: AgentFilter): TaskRowIds {
  const select = useMemo(
    () =>
      memoOnKeys(
        (s) => [s.orderRev, s.tasks],
        (s): TaskRowIds => ({ ids: selectTaskRows(s.order, s.tasks, filter), revision: s.orderRev }),
      ),
    [filter],
  )
  return useTasks(select)
}

/** The newest `ids` first, at most n; O(ids), not a full sort of them. */
export function latestFailures(
  ids: ReadonlySet<string>,
  tasks: ReadonlyMap<string, Task>,
  n: number,
): Task[] {
  const top: Task[] = []
  for (const id of ids) {
    const t = tasks.get(id)
    if (!t) continue
    top.push(t)
    if (top.length > n * 4) {
      top.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))
      top.length = n
    }
  }
  top.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))
  return top.slice(0, n)
}

/**
 * The n most recently updated failed tasks of a project. Recomputed only when the project's entry
 * is replaced (any change to one of its tasks), so a card re-renders with its own project only.
 */
export function useLatestFailures(projectKey: string, n: number): readonly Task[] {
  const select = useMemo(
    () =>
      memoOnKeys(
        (s) => [s.projects.get(projectKey)],
        (s) => {
          const p = s.projects.get(projectKey)
          return p ? latestFailures(p.failedIds, s.tasks, n) : []
        },
      ),
    [projectKey, n],
  )
  return useTasks(select)
}

const NO_CHILDREN: readonly string[] = []

/** A selector of `parentId`'s child ids that returns the same array while they and their order
 * stay the same (a child's update re-sorts, but re-renders only when the order changed). */
function childIdsSelector(parentId: string): Selector<readonly string[]> {
  let last: readonly string[] = NO_CHILDREN
  return memoOnKeys(
    (s) => [s.childrenRev, s.children],
    (s) => {
      const ids = s.children.get(parentId)
      if (!ids || ids.size === 0) return (last = NO_CHILDREN)
      const next = [...ids].sort((a, b) => {
        const x = s.tasks.get(a)!
        const y = s.tasks.get(b)!
        return x.updated_at === y.updated_at ? (a < b ? -1 : 1) : x.updated_at > y.updated_at ? -1 : 1
      })
      if (next.length === last.length && next.every((id, i) => id === last[i])) return last
      return (last = next)
    },
  )
}

/**
 * The ids of a task's child tasks (sub-agents: tasks whose `parent_id` is it), most recently
 * updated first. Read from the store's parent → children index: O(children), not O(tasks).
 */
export function useChildTaskIds(parentId: string): readonly string[] {
  const selector = useMemo(() => childIdsSelector(parentId), [parentId])
  return useTasks(selector)
}

/** The title (or id) of a task by id, or null when the store does not hold it. */
export function useTaskTitle(id: string | null): string | null {
  return useTasks((s) => {
    if (id === null) return null
    const t = s.tasks.get(id)
    return t ? t.title || t.task_id : null
  })
}
