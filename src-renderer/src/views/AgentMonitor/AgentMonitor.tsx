// The agent monitor: one row per agent (assignee; unassigned tasks get their own row) and, beside
// it, every task by last update. Both lists are virtualised, so 10,000 tasks cost the DOM of the
// rows on screen. Agents are dense one-line rows by default (40 fit on a laptop screen), cards on
// request; sorted by what needs attention (stores/agent-rows.ts).
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type RefObject,
} from 'react'
import { useVirtualizer, type Virtualizer } from '@tanstack/react-virtual'
import type { Task } from '../../../../src-shared/protocol'
import { useParts, useUi } from '../../stores/context'
import {
  useAgentRowKeys,
  useSynced,
  useTaskCount,
  useTaskLookup,
  useTaskRowIds,
} from '../../stores/task-hooks'
import type { AgentLayout, AgentSort } from '../../stores/ui-store'
import { compactColumns, type AgentFilter } from '../../stores/agent-rows'
import { useSearchMatches, useSearchState } from '../../stores/search-store'
import { EmptyState } from '../../components/EmptyState'
import { FilterBar } from '../../components/FilterBar'
import { AgentRow } from './AgentRow'
import { TaskRow } from './TaskRow'
import './agents.css'

/** Row heights, fixed so the virtualiser never measures (a forced layout per row per frame). */
const AGENT_CARD_PX = 132
const AGENT_LINE_PX = 28
const TASK_ROW_PX = 40

/**
 * The visible window of a virtual list, laid out in normal flow between two paddings: a task
 * moving to the top inserts one node and the browser shifts the rest, instead of React rewriting
 * a transform on every visible row each frame.
 */
function VirtualRows({
  v,
  keyOf,
  className,
  children,
}: {
  v: Virtualizer<HTMLDivElement, Element>
  keyOf: (index: number) => string
  className: string
  children: (index: number) => ReactNode
}) {
  const items = v.getVirtualItems()
  const top = items[0]?.start ?? 0
  const bottom = Math.max(0, v.getTotalSize() - (items.at(-1)?.end ?? 0))
  return (
    <div style={{ paddingTop: top, paddingBottom: bottom }}>
      {items.map((item) => (
        <div key={keyOf(item.index)} className={className}>
          {children(item.index)}
        </div>
      ))}
    </div>
  )
}

export function AgentMonitor() {
  const synced = useSynced()
  const count = useTaskCount()
  if (synced && count === 0) return <EmptyState />
  return (
    <div className="monitor">
      <MonitorToolbar />
      <Notice />
      <div className="monitor-body">
        <AgentList />
        <TaskList />
      </div>
    </div>
  )
}

/** Says when an action failed (an acknowledgement the backend refused); polite, dismissable. */
function Notice() {
  const { ui } = useParts()
  const notice = useUi((s) => s.notice)
  return (
    <div className="notice-slot">
      {notice ? (
        <p className="notice" role="alert">
          {notice}{' '}
          <button type="button" className="btn btn-small" onClick={() => ui.getState().setNotice(null)}>
            Dismiss
          </button>
        </p>
      ) : null}
    </div>
  )
}

function MonitorToolbar() {
  const { ui } = useParts()
  const sort = useUi((s) => s.agentSort)
  const layout = useUi((s) => s.agentLayout)
  return (
    <FilterBar label="Filter and sort agents" status="radios">
      <label className="field">
        <span>Sort</span>
        <select
          aria-label="Sort agents"
          value={sort}
          onChange={(e) => ui.getState().setAgentSort(e.target.value as AgentSort)}
        >
          <option value="attention">Needs attention</option>
          <option value="recent">Recently updated</option>
          <option value="name">Name</option>
        </select>
      </label>
      <div className="seg" role="radiogroup" aria-label="Agent layout">
        {(
          [
            ['rows', '☰ Rows'],
            ['cards', '▦ Cards'],
          ] as const
        ).map(([l, text]) => (
          <button
            key={l}
            type="button"
            role="radio"
            aria-checked={layout === l}
            className={`seg-btn${layout === l ? ' seg-on' : ''}`}
            onClick={() => ui.getState().setAgentLayout(l)}
          >
            {text}
          </button>
        ))}
      </div>
    </FilterBar>
  )
}

/** The filters and the search's matches (search-store: debounced, server-side full text). The
 * query text is the one the matches answer, not the box's: typing alone recomputes nothing. */
function useFilter(): AgentFilter {
  const status = useUi((s) => s.statusFilter)
  const project = useUi((s) => s.projectFilter)
  const agent = useUi((s) => s.agentFilter)
  const search = useSearchState((s) => s.query)
  const matches = useSearchMatches()
  return useMemo(
    () => ({ status, project, agent, search, matches }),
    [status, project, agent, search, matches],
  )
}

/** The width of an element, followed as it resizes (one ResizeObserver; no layout reads per frame). */
function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0)
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    setWidth(el.clientWidth)
    if (typeof ResizeObserver === 'undefined') return
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width
      if (w !== undefined) setWidth(Math.round(w))
    })
    ro.observe(el)
    return () => ro.disconnect()
  }, [ref])
  return width
}

function AgentList() {
  const f = useFilter()
  const sort = useUi((s) => s.agentSort)
  const layout: AgentLayout = useUi((s) => s.agentLayout)
  // Recomputed once per applied batch (not per message): O(agents · log agents).
  const keys = useAgentRowKeys(f, sort)
  const parentRef = useRef<HTMLDivElement>(null)
  const rowPx = layout === 'cards' ? AGENT_CARD_PX : AGENT_LINE_PX
  const v = useVirtualizer({
    count: keys.length,
    getScrollElement: () => parentRef.current,
    // Fixed row height (CSS .agent-slot / .aline-slot): measuring rows would force a layout per
    // row per frame.
    estimateSize: () => rowPx,
    overscan: 4,
  })
  // Compact columns drop out by priority as the pane narrows (agent-rows.ts compactColumns).
  const width = useWidth(parentRef)
  const cols = useMemo(() => compactColumns(width || 1200), [width])
  const columns = cols.columns.join(',')
  return (
    <section className="pane agents-pane" aria-label="Agents">
      <h2 className="pane-title">
        Agents <span className="pane-count">{keys.length}</span>
      </h2>
      <div
        ref={parentRef}
        className={`scroller agents-${layout}`}
        data-testid="agent-list"
        data-columns={layout === 'rows' ? columns : undefined}
        style={{ ['--aline-cols' as string]: cols.template }}
      >
        {keys.length === 0 ? <p className="muted pad">No agent matches the filters.</p> : null}
        <VirtualRows
          v={v}
          keyOf={(i) => keys[i]!}
          className={layout === 'cards' ? 'agent-slot' : 'aline-slot'}
        >
          {(i) => <AgentRow agentKey={keys[i]!} layout={layout} columns={columns} />}
        </VirtualRows>
      </div>
    </section>
  )
}

/** Where the user is in the task list: the rows on screen (and the task each showed), so rows
 * inserted or removed above them can be compensated. Null when at the top (follow new rows). */
interface ScrollAnchor {
  scrollTop: number
  /** The list's height when recorded (re-anchoring in place reads no layout). */
  height: number
  filter: object
  rows: { id: string; index: number; task: Task | undefined }[]
}

/** Index of `id` in `rows`, searched outward from where it was (it moves by a few rows a frame). */
export function findNear(rows: readonly string[], id: string, hint: number, reach = 64): number {
  for (let d = 0; d <= reach; d++) {
    if (rows[hint + d] === id) return hint + d
    if (d > 0 && rows[hint - d] === id) return hint - d
  }
  return rows.indexOf(id)
}

function TaskList() {
  const f = useFilter()
  const taskById = useTaskLookup()
  // A fresh object per store revision around ids that may be the store's own order array.
  const taskRows = useTaskRowIds(f)
  const ids = taskRows.ids
  const parentRef = useRef<HTMLDivElement>(null)
  const v = useVirtualizer({
    count: ids.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => TASK_ROW_PX,
    overscan: 8,
  })

  // Newest first means new rows land above the ones a scrolled-down reader is looking at. Keep
  // those rows where they are on screen (move scrollTop by the rows inserted or removed above);
  // at the top, follow the newest instead. The browser's own scroll anchoring is off for this
  // list (overflow-anchor) so the two never fight.
  const anchor = useRef<ScrollAnchor | null>(null)
  /** What the DOM shows since the last commit (the scroll handler reads it). */
  const current = useRef({ rows: ids, f })
  /** Anchors on the rows shown at `top` in a list `height` px tall (no layout read here). */
  const anchorAt = useCallback(
    (top: number, height: number) => {
      const { rows, f: filter } = current.current
      const first = Math.floor(top / TASK_ROW_PX)
      const last = Math.min(rows.length, first + Math.ceil(height / TASK_ROW_PX) + 1)
      const onScreen: ScrollAnchor['rows'] = []
      for (let i = first; i < last; i++) onScreen.push({ id: rows[i]!, index: i, task: taskById(rows[i]!) })
      anchor.current = { scrollTop: top, height, filter, rows: onScreen }
    },
    [taskById],
  )
  const record = useCallback(() => {
    const el = parentRef.current
    if (!el) return
    const top = el.scrollTop
    if (top <= 0) {
      anchor.current = null
      return
    }
    anchorAt(top, el.clientHeight)
  }, [anchorAt])
  // Runs after every commit of the list (one per applied batch). It reads layout (scrollTop) only
  // when the user is scrolled down AND rows moved above the ones on screen, where the scroll
  // position must be written anyway: reading it in every commit forced a synchronous layout in
  // the middle of each batch's commit, the largest single cost of the view under live updates
  // (docs/benchmarks.md, "The Agents view under live updates").
  useLayoutEffect(() => {
    const el = parentRef.current
    const a = anchor.current
    current.current = { rows: taskRows.ids, f }
    // At the top (the live view): nothing to hold; a scroll event re-anchors when the user scrolls.
    if (!el || !a) return
    if (a.filter !== f) {
      record()
      return
    }
    let shift = 0
    for (const r of a.rows) {
      // A row whose task changed has moved to the top itself: anchor on one that did not.
      if (taskById(r.id) !== r.task) continue
      const now = findNear(taskRows.ids, r.id, r.index)
      if (now < 0) continue
      shift = now - r.index
      break
    }
    if (shift === 0) {
      // Same rows on screen: refresh the anchor's tasks from what it knew, no layout read.
      anchorAt(a.scrollTop, a.height)
      return
    }
    // Unless the user scrolled since (their scroll wins), keep the rows being read in place.
    if (el.scrollTop === a.scrollTop) el.scrollTop = Math.max(0, a.scrollTop + shift * TASK_ROW_PX)
    record()
  }, [taskRows, f, taskById, record, anchorAt])

  // The open task (j/k in the detail walk this list) stays in view.
  const selected = useUi((s) => s.selectedTaskId)
  useEffect(() => {
    if (selected === null) return
    const i = findNear(taskRows.ids, selected, 0, 0)
    if (i >= 0) v.scrollToIndex(i, { align: 'auto' })
    // Only when the selection moves, not on every update while it is open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected])

  return (
    <section className="pane tasks-pane" aria-label="Tasks">
      <h2 className="pane-title">
        Tasks <span className="pane-count">{ids.length.toLocaleString()}</span>
      </h2>
      <div
        ref={parentRef}
        className="scroller"
        data-testid="task-list"
        style={{ overflowAnchor: 'none' }}
        onScroll={record}
      >
        {ids.length === 0 ? <p className="muted pad">No task matches the filters.</p> : null}
        <VirtualRows v={v} keyOf={(i) => ids[i]!} className="task-slot">
          {(i) => <TaskRow id={ids[i]!} />}
        </VirtualRows>
      </div>
    </section>
  )
}
