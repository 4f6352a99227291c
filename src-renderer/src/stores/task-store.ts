// The renderer's task state: tasks normalised by id, with indexes by agent, project and parent,
// and an order by last update. Socket messages arrive in batches (one per animation frame)
// and are applied in one `set`, so subscribers run once per frame, not once per message.
//
// The indexes are mutable structures owned by this module; every entry object a component can
// select (a Task, an AgentEntry, a ProjectEntry) is replaced on change, so a selector for one
// task or one agent re-renders only what shows it. Collections that are mutated in place come
// with a revision number (`orderRev`, `agentsRev`, `childrenRev`) that components select instead.
// The work per update does not grow with the number of tasks: O(log n) to move a task in the
// order, O(1) for counts (see time-buckets.ts). The calendar keeps its own index
// (calendar-index.ts), fed by `changed`.
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { StatusCounts, Task, TaskStatusUpdateMessage } from '../../../src-shared/protocol'
import { addToBucket, type BucketCounts } from './time-buckets'
import { emptyCounts } from './statuses'
import { isUnacknowledgedFailure } from '../../../src-shared/task-model'

/** Key of tasks without an assignee or without a project. */
export const NONE = ''

export interface AgentEntry {
  key: string
  /** The most recently updated task of this agent. */
  latestId: string
  /** The most recently updated running task, else the latest. */
  currentId: string
  lastUpdatedAt: string
  total: number
  /** Status counts in 15-minute buckets of last update; mutated by the store, see `rev`. */
  buckets: BucketCounts
  /** This agent's task ids; mutated by the store, see `rev` (the entry is replaced whenever one
   * of these tasks changes, so a value derived from entry + tasks can be cached on the entry). */
  ids: ReadonlySet<string>
  /** What the agent row's summary needs (agent-rows.ts summarizeAgentEntry), kept as tasks change
   * so a live update costs O(the agent's running, waiting and unacknowledged tasks + 20), not a
   * pass over all of its tasks (2,500 each at 100,000 tasks). Mutated by the store, like `ids`. */
  running: ReadonlySet<string>
  waiting: ReadonlySet<string>
  /** Its unacknowledged failures (isUnacknowledgedFailure). */
  unacked: ReadonlySet<string>
  /** Its finished (completed or failed) task ids, newest first by `finishedOrder`. */
  finished: readonly string[]
  rev: number
}

/** When a task finished, for the outcome strip: `finished_at`, else its last update. */
export const finishedAt = (t: Task): string => t.finished_at ?? t.updated_at

/** The order of an agent's finished runs: newest finish first, ties by id (descending), total. */
export function finishedBefore(a: Task, b: Task): boolean {
  const x = finishedAt(a)
  const y = finishedAt(b)
  if (x !== y) return x > y
  return a.task_id > b.task_id
}

const isFinished = (t: Task) => t.status === 'completed' || t.status === 'failed'

export interface ProjectEntry {
  key: string
  counts: StatusCounts
  total: number
  lastUpdatedAt: string
  /** Failed task ids of this project; mutated by the store, see `rev`. */
  failedIds: ReadonlySet<string>
  rev: number
}

/**
 * What the socket client hands to the store, in arrival order. A snapshot comes in pages: the
 * first (`first` absent or true) replaces the state, later ones add to it, the last has `more`
 * false (absent: a whole snapshot in one). Snapshot tasks may be excerpts (see `isExcerpt`).
 */
export type Incoming =
  | { kind: 'snapshot'; seq: number; tasks: Task[]; first?: boolean; more?: boolean }
  | { kind: 'update'; msg: TaskStatusUpdateMessage }
  | { kind: 'synced'; seq: number }

export interface TaskStoreState {
  tasks: ReadonlyMap<string, Task>
  /** Task ids, most recently updated first (ties by id). Mutated in place; see orderRev. */
  order: readonly string[]
  orderRev: number
  agents: ReadonlyMap<string, AgentEntry>
  /** Agent keys, replaced when an agent appears or disappears. */
  agentKeys: readonly string[]
  projects: ReadonlyMap<string, ProjectEntry>
  projectKeys: readonly string[]
  /** Parent task id → its child tasks' ids (sub-agents, `parent_id`), so a task detail finds its
   * children without scanning 100k tasks. Mutated in place; see childrenRev. */
  children: ReadonlyMap<string, ReadonlySet<string>>
  childrenRev: number
  /** Last applied change cursor; updates at or below it are duplicates and ignored. */
  seq: number
  /** A snapshot or resume has completed at least once: the state reflects the backend. */
  synced: boolean
  /** Bumped by every applied batch that changed something. */
  version: number
  /** Ids the last applied batch added or changed (a new array per batch), or null when it
   * replaced the whole state (a snapshot's first page, a reset): lets a derived index (the
   * calendar's, stores/calendar-index.ts) follow changes in O(changed) instead of rescanning. */
  changed: readonly string[] | null
  applyBatch(items: readonly Incoming[]): void
  reset(): void
}

export type TaskStore = StoreApi<TaskStoreState>

/** Newer first; ties by id so the order is total. */
function before(a: Task, b: Task): boolean {
  if (a.updated_at !== b.updated_at) return a.updated_at > b.updated_at
  return a.task_id < b.task_id
}

export function createTaskStore(): TaskStore {
  // Mutable internals. Only this module writes them.
  let tasks = new Map<string, Task>()
  let order: string[] = []
  let agents = new Map<string, AgentEntry>()
  let agentIds = new Map<string, Set<string>>()
  let agentRunning = new Map<string, Set<string>>()
  let agentWaiting = new Map<string, Set<string>>()
  let agentUnacked = new Map<string, Set<string>>()
  let agentFinished = new Map<string, string[]>()
  let projects = new Map<string, ProjectEntry>()
  let projectFailed = new Map<string, Set<string>>()
  let children = new Map<string, Set<string>>()

  // Per batch bookkeeping.
  let dirtyAgents = new Set<string>()
  let scanAgents = new Set<string>()
  let dirtyProjects = new Set<string>()
  let membershipChanged = false
  let childrenChanged = false

  const orderIndex = (t: Task): number => {
    let lo = 0
    let hi = order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const other = tasks.get(order[mid]!)!
      if (before(other, t)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  const agentKey = (t: Task) => t.assignee ?? NONE
  const projectKey = (t: Task) => t.project_id ?? NONE

  /** Where `t` belongs in an agent's finished list (newest first): binary search, O(log n). */
  const finishedIndex = (list: readonly string[], t: Task): number => {
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (finishedBefore(tasks.get(list[mid]!)!, t)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  function unindex(t: Task, keepOrder: boolean): void {
    if (t.parent_id) {
      const siblings = children.get(t.parent_id)
      siblings?.delete(t.task_id)
      if (siblings?.size === 0) children.delete(t.parent_id)
      childrenChanged = true
    }
    if (!keepOrder) {
      const i = orderIndex(t)
      if (order[i] === t.task_id) order.splice(i, 1)
    }
    const a = agentKey(t)
    agentIds.get(a)?.delete(t.task_id)
    agentRunning.get(a)?.delete(t.task_id)
    agentWaiting.get(a)?.delete(t.task_id)
    agentUnacked.get(a)?.delete(t.task_id)
    if (isFinished(t)) {
      // `tasks` still maps every id of the list to the task it was inserted as (upsert replaces
      // the entry only after unindexing it), so the search finds `t` where it was put.
      const list = agentFinished.get(a)
      if (list) {
        const i = finishedIndex(list, t)
        if (list[i] === t.task_id) list.splice(i, 1)
      }
    }
    const entry = agents.get(a)
    if (entry) addToBucket(entry.buckets, t.updated_at, t.status, -1)
    dirtyAgents.add(a)
    const p = projectKey(t)
    const pe = projects.get(p)
    if (pe) {
      pe.counts[t.status] -= 1
      pe.total -= 1
    }
    projectFailed.get(p)?.delete(t.task_id)
    dirtyProjects.add(p)
  }

  function index(t: Task, insertInOrder: boolean): void {
    if (t.parent_id) {
      let siblings = children.get(t.parent_id)
      if (!siblings) children.set(t.parent_id, (siblings = new Set()))
      siblings.add(t.task_id)
      childrenChanged = true
    }
    if (insertInOrder) order.splice(orderIndex(t), 0, t.task_id)
    const a = agentKey(t)
    let ids = agentIds.get(a)
    if (!ids) {
      ids = new Set()
      agentIds.set(a, ids)
      agentRunning.set(a, new Set())
      agentWaiting.set(a, new Set())
      agentUnacked.set(a, new Set())
      agentFinished.set(a, [])
      membershipChanged = true
    }
    ids.add(t.task_id)
    if (t.status === 'running') agentRunning.get(a)!.add(t.task_id)
    else if (t.status === 'waiting') agentWaiting.get(a)!.add(t.task_id)
    else if (isFinished(t)) {
      const list = agentFinished.get(a)!
      // Snapshot pages come newest first: usually an append.
      const last = list.length > 0 ? tasks.get(list[list.length - 1]!) : undefined
      if (!last || finishedBefore(last, t)) list.push(t.task_id)
      else list.splice(finishedIndex(list, t), 0, t.task_id)
      if (isUnacknowledgedFailure(t)) agentUnacked.get(a)!.add(t.task_id)
    }
    let entry = agents.get(a)
    if (!entry) {
      entry = {
        key: a,
        latestId: t.task_id,
        currentId: t.task_id,
        lastUpdatedAt: t.updated_at,
        total: 0,
        buckets: new Map(),
        ids,
        running: agentRunning.get(a)!,
        waiting: agentWaiting.get(a)!,
        unacked: agentUnacked.get(a)!,
        finished: agentFinished.get(a)!,
        rev: 0,
      }
      agents.set(a, entry)
    }
    addToBucket(entry.buckets, t.updated_at, t.status, 1)
    const latest = tasks.get(entry.latestId)
    // When t is the latest itself (just updated) it stays latest; upsert() flags a rescan if it
    // got older or moved to another agent.
    if (!latest || agentKey(latest) !== a || before(t, latest)) entry.latestId = t.task_id
    dirtyAgents.add(a)

    const p = projectKey(t)
    let pe = projects.get(p)
    if (!pe) {
      const failed = new Set<string>()
      projectFailed.set(p, failed)
      pe = { key: p, counts: emptyCounts(), total: 0, lastUpdatedAt: t.updated_at, failedIds: failed, rev: 0 }
      projects.set(p, pe)
      membershipChanged = true
    }
    pe.counts[t.status] += 1
    pe.total += 1
    if (t.updated_at > pe.lastUpdatedAt) pe.lastUpdatedAt = t.updated_at
    if (t.status === 'failed') projectFailed.get(p)!.add(t.task_id)
    dirtyProjects.add(p)
  }

  function upsert(next: Task): void {
    const prev = tasks.get(next.task_id)
    if (prev) {
      // The order position only moves when the sort key does.
      const samePosition = prev.updated_at === next.updated_at
      unindex(prev, samePosition)
      const prevAgent = agentKey(prev)
      const entry = agents.get(prevAgent)
      if (entry && (entry.latestId === prev.task_id || entry.currentId === prev.task_id)) {
        if (prevAgent !== agentKey(next) || before(prev, next)) scanAgents.add(prevAgent)
      }
      tasks.set(next.task_id, next)
      index(next, !samePosition)
    } else {
      tasks.set(next.task_id, next)
      index(next, true)
    }
  }

  function finishAgents(): void {
    for (const a of dirtyAgents) {
      const old = agents.get(a)
      const ids = agentIds.get(a)
      if (!old || !ids || ids.size === 0) {
        agents.delete(a)
        agentIds.delete(a)
        agentRunning.delete(a)
        agentWaiting.delete(a)
        agentUnacked.delete(a)
        agentFinished.delete(a)
        membershipChanged = true
        continue
      }
      let latestId = old.latestId
      if (scanAgents.has(a) || !ids.has(latestId)) {
        let best: Task | undefined
        for (const id of ids) {
          const t = tasks.get(id)!
          if (!best || before(t, best)) best = t
        }
        latestId = best!.task_id
      }
      let current: Task | undefined
      for (const id of agentRunning.get(a) ?? []) {
        const t = tasks.get(id)!
        if (!current || before(t, current)) current = t
      }
      const latest = tasks.get(latestId)!
      agents.set(a, {
        ...old,
        latestId,
        currentId: current?.task_id ?? latestId,
        lastUpdatedAt: latest.updated_at,
        total: ids.size,
        rev: old.rev + 1,
      })
    }
    for (const p of dirtyProjects) {
      const old = projects.get(p)
      if (!old) continue
      if (old.total <= 0) {
        projects.delete(p)
        projectFailed.delete(p)
        membershipChanged = true
        continue
      }
      projects.set(p, { ...old, counts: { ...old.counts }, rev: old.rev + 1 })
    }
  }

  function clearAll(): void {
    tasks = new Map()
    order = []
    agents = new Map()
    agentIds = new Map()
    agentRunning = new Map()
    agentWaiting = new Map()
    agentUnacked = new Map()
    agentFinished = new Map()
    projects = new Map()
    projectFailed = new Map()
    children = new Map()
  }

  function loadSnapshot(list: readonly Task[]): void {
    clearAll()
    for (const t of list) tasks.set(t.task_id, t)
    for (const t of tasks.values()) index(t, false)
    order = Array.from(tasks.keys())
    const byId = tasks
    order.sort((x, y) => {
      const a = byId.get(x)!
      const b = byId.get(y)!
      return a === b ? 0 : before(a, b) ? -1 : 1
    })
    scanAgents = new Set(agents.keys())
  }

  /**
   * Adds a later snapshot page. Pages come newest first, so a new task normally belongs at the
   * end of the order: appended in O(1) rather than inserted (a 100,000-task snapshot in pages
   * would otherwise cost a splice per task).
   */
  function addSnapshotPage(list: readonly Task[]): void {
    for (const t of list) {
      if (tasks.has(t.task_id)) {
        upsert(t)
        continue
      }
      const last = order.length > 0 ? tasks.get(order[order.length - 1]!) : undefined
      tasks.set(t.task_id, t)
      if (!last || before(last, t)) {
        order.push(t.task_id)
        index(t, false)
      } else {
        index(t, true)
      }
    }
  }

  // The data part of the state, shared by creation and reset (the maps are cleared, not replaced).
  const initialData = () => ({
    tasks,
    order,
    orderRev: 0,
    agents,
    agentKeys: [],
    projects,
    projectKeys: [],
    children,
    childrenRev: 0,
    seq: 0,
    synced: false,
    version: 0,
    changed: null,
  })

  return createStore<TaskStoreState>()((set, get) => ({
    ...initialData(),

    applyBatch(items) {
      const s = get()
      let seq = s.seq
      let synced = s.synced
      let changed = false
      let orderTouched = false
      dirtyAgents = new Set()
      scanAgents = new Set()
      dirtyProjects = new Set()
      membershipChanged = false
      childrenChanged = false
      let changedIds: string[] | null = []
      for (const item of items) {
        if (item.kind === 'snapshot') {
          if (item.first === false) {
            addSnapshotPage(item.tasks)
            if (changedIds) for (const t of item.tasks) changedIds.push(t.task_id)
          } else {
            loadSnapshot(item.tasks)
            membershipChanged = true
            changedIds = null
          }
          seq = item.seq
          // Rows render from the first page on; "synced" (empty states may show) at the last.
          if (item.more !== true) synced = true
          changed = orderTouched = true
        } else if (item.kind === 'synced') {
          if (!synced) changed = true
          synced = true
          if (item.seq > seq) seq = item.seq
        } else {
          const msg = item.msg
          if (msg.seq <= seq) continue
          seq = msg.seq
          // Protocol 2: the update carries the whole task, nested.
          upsert(msg.task)
          changedIds?.push(msg.task.task_id)
          changed = orderTouched = true
        }
      }
      if (!changed) {
        if (seq !== s.seq) set({ seq })
        return
      }
      finishAgents()
      const sortKeys = (m: Map<string, unknown>) => Array.from(m.keys()).sort()
      set({
        tasks,
        order,
        orderRev: orderTouched ? s.orderRev + 1 : s.orderRev,
        agents,
        agentKeys: membershipChanged ? sortKeys(agents) : s.agentKeys,
        projects,
        projectKeys: membershipChanged ? sortKeys(projects) : s.projectKeys,
        children,
        childrenRev: childrenChanged ? s.childrenRev + 1 : s.childrenRev,
        seq,
        synced,
        version: s.version + 1,
        changed: changedIds,
      })
    },

    reset() {
      clearAll()
      set(initialData())
    },
  }))
}
