// Which staleness threshold applies to a running task: its own `stale_after_seconds`, else what
// its agent's own history says is unusually long (a high percentile of the gaps between the
// updates of that agent's running tasks, times a factor, clamped), else the global default.
// Pure apart from the injected history reader and clock, so every rule is unit-tested.
import type { StaleThreshold, Task } from '../../src-shared/protocol'

export interface AgentHistoryPolicy {
  /** Which percentile of the gaps counts as "the agent's usual longest gap" (0..1). */
  percentile: number
  /** How far past that usual gap a task must be silent to be stale. */
  factor: number
  /** Fewer gaps than this say nothing about the agent: the global default applies. */
  minSamples: number
  /** Bounds of a threshold taken from history, in seconds. */
  minSeconds: number
  maxSeconds: number
}

export const DEFAULT_AGENT_POLICY: AgentHistoryPolicy = {
  percentile: 0.95,
  factor: 3,
  minSamples: 20,
  // An agent that reports every second must still be allowed a minute's silence (a long tool
  // call, a slow test run) before it is called stuck.
  minSeconds: 60,
  maxSeconds: 24 * 3600,
}

/** One event of a task's history, as the gap computation needs it. */
export interface HistoryEvent {
  task_id: string
  /** The status the event set, or null when it set none. */
  status: string | null
  updated_at: string
}

/**
 * Gaps (ms) between consecutive updates of a task while it was running: the time from an update
 * after which the task was running to the task's next update. Events may come in any order; they
 * are ordered by time per task. Gaps before the first status event are not counted (unknown state).
 */
export function gapsWhileRunning(events: readonly HistoryEvent[]): number[] {
  const byTask = new Map<string, HistoryEvent[]>()
  for (const e of events) {
    let list = byTask.get(e.task_id)
    if (!list) byTask.set(e.task_id, (list = []))
    list.push(e)
  }
  const gaps: number[] = []
  for (const list of byTask.values()) {
    list.sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : 0))
    let status: string | null = null
    let previous: number | null = null
    for (const e of list) {
      const t = Date.parse(e.updated_at)
      if (status === 'running' && previous !== null && t > previous) gaps.push(t - previous)
      if (e.status !== null) status = e.status
      previous = t
    }
  }
  return gaps
}

/** The nearest-rank percentile of `values` (0 < p <= 1); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)))
  return sorted[rank - 1]!
}

/** The threshold (whole seconds) a history of gaps gives, or null when it has too few samples. */
export function thresholdFromGaps(
  gapsMs: readonly number[],
  policy: AgentHistoryPolicy = DEFAULT_AGENT_POLICY,
): number | null {
  if (gapsMs.length < policy.minSamples) return null
  const usual = percentile(gapsMs, policy.percentile)
  if (usual === null) return null
  const seconds = Math.ceil((usual * policy.factor) / 1000)
  return Math.min(policy.maxSeconds, Math.max(policy.minSeconds, seconds))
}

export interface ThresholdResolver {
  thresholdFor(task: Pick<Task, 'assignee' | 'stale_after_seconds'>): StaleThreshold
  /** The smallest threshold a task without its own can get (the monitor's query cut-off). */
  floorSeconds(): number
}

export function createThresholdResolver(deps: {
  /** The recent events of the agent's tasks (bounded by the reader). */
  historyOfAgent: (assignee: string) => readonly HistoryEvent[]
  defaultSeconds: number
  now: () => number
  /** An agent's threshold is recomputed at most this often (default one minute). */
  recomputeMs?: number
  policy?: AgentHistoryPolicy
  /** Agents remembered at most (the least recently computed go first). */
  maxAgents?: number
  /**
   * Recomputations of known agents per second at most (default 4). Each reads an agent's recent
   * history (a few ms at 100,000 tasks); without a budget every agent computed in one check
   * would fall due in the same later check, a stall of the event loop once a minute. Past the
   * budget the previous value serves a little longer. An agent seen for the first time is
   * always computed.
   */
  maxRecomputesPerSecond?: number
}): ThresholdResolver {
  const recomputeMs = deps.recomputeMs ?? 60_000
  const policy = deps.policy ?? DEFAULT_AGENT_POLICY
  const maxAgents = deps.maxAgents ?? 10_000
  const budget = deps.maxRecomputesPerSecond ?? 4
  const cache = new Map<string, { seconds: number | null; at: number }>()
  let recomputes: number[] = []

  const ofAgent = (assignee: string): number | null => {
    const t = deps.now()
    const hit = cache.get(assignee)
    if (hit && t - hit.at < recomputeMs) return hit.seconds
    if (hit) {
      recomputes = recomputes.filter((at) => at > t - 1000)
      if (recomputes.length >= budget) return hit.seconds
      recomputes.push(t)
    }
    const seconds = thresholdFromGaps(gapsWhileRunning(deps.historyOfAgent(assignee)), policy)
    cache.delete(assignee)
    cache.set(assignee, { seconds, at: t })
    if (cache.size > maxAgents) cache.delete(cache.keys().next().value as string)
    return seconds
  }

  return {
    thresholdFor(task) {
      if (task.stale_after_seconds !== null) return { seconds: task.stale_after_seconds, source: 'task' }
      if (task.assignee !== null) {
        const seconds = ofAgent(task.assignee)
        if (seconds !== null) return { seconds, source: 'agent' }
      }
      return { seconds: deps.defaultSeconds, source: 'default' }
    },
    floorSeconds: () => Math.min(policy.minSeconds, deps.defaultSeconds),
  }
}
