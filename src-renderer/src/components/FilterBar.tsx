// The filter bar: the status / project (/ agent) filters every view honours (ui-store), in a
// labelled toolbar with the view's own controls around them. One component so the views cannot
// drift apart (labels, option texts, the "(no project)" key). Each control subscribes to its own
// slice of the stores, so a new project re-renders the project select, not the view's toolbar.
import type { ReactNode } from 'react'
import { STATUS_STYLES } from '../../../src-shared/status-colors'
import type { TaskStatus } from '../../../src-shared/protocol'
import { STATUSES } from '../stores/statuses'
import { useParts, useTasks, useUi } from '../stores/context'
import { useProjectKeys } from '../stores/task-hooks'

export interface FilterBarProps {
  /** The toolbar's accessible name. */
  label: string
  className?: string
  /** Status as a segmented radio group (one click; the agents view) or a select (compact). */
  status: 'radios' | 'select'
  /** Also filter by agent, and offer "Clear filters" while any filter is on. */
  agentAndClear?: boolean
  /** The view's controls before the filters (e.g. the projects' time window). */
  before?: ReactNode
  /** The view's controls after the filters (e.g. the agents' sort and layout). */
  children?: ReactNode
}

export function FilterBar({
  label,
  className,
  status,
  agentAndClear = false,
  before,
  children,
}: FilterBarProps) {
  return (
    <div className={className ? `toolbar ${className}` : 'toolbar'} role="toolbar" aria-label={label}>
      {before}
      {status === 'radios' ? <StatusRadios /> : <StatusSelect />}
      <ProjectSelect />
      {agentAndClear ? (
        <>
          <AgentSelect />
          <ClearFilters />
        </>
      ) : null}
      {children}
    </div>
  )
}

function StatusRadios() {
  const { ui } = useParts()
  const status = useUi((s) => s.statusFilter)
  return (
    <div className="seg" role="radiogroup" aria-label="Filter by status">
      {(['all', ...STATUSES] as const).map((st) => (
        <button
          key={st}
          type="button"
          role="radio"
          aria-checked={status === st}
          className={`seg-btn${status === st ? ' seg-on' : ''}`}
          onClick={() => ui.getState().setStatusFilter(st)}
        >
          {st === 'all' ? 'All' : `${STATUS_STYLES[st].icon} ${STATUS_STYLES[st].label}`}
        </button>
      ))}
    </div>
  )
}

function StatusSelect() {
  const { ui } = useParts()
  const status = useUi((s) => s.statusFilter)
  return (
    <label className="field">
      <span>Status</span>
      <select
        aria-label="Filter by status"
        value={status}
        onChange={(e) => ui.getState().setStatusFilter(e.target.value as TaskStatus | 'all')}
      >
        <option value="all">All statuses</option>
        {STATUSES.map((st) => (
          <option key={st} value={st}>
            {STATUS_STYLES[st].label}
          </option>
        ))}
      </select>
    </label>
  )
}

function ProjectSelect() {
  const { ui } = useParts()
  return (
    <KeySelect
      field="Project"
      value={useUi((s) => s.projectFilter)}
      keys={useProjectKeys()}
      allText="All projects"
      noneText="(no project)"
      onChange={(p) => ui.getState().setProjectFilter(p)}
    />
  )
}

function AgentSelect() {
  const { ui } = useParts()
  return (
    <KeySelect
      field="Agent"
      value={useUi((s) => s.agentFilter)}
      keys={useTasks((s) => s.agentKeys)}
      allText="All agents"
      noneText="(unassigned)"
      onChange={(a) => ui.getState().setAgentFilter(a)}
    />
  )
}

/** A select over the store's keys of one field ('' = none of it), named "Filter by <field>". */
function KeySelect(props: {
  field: string
  value: string
  keys: readonly string[]
  allText: string
  noneText: string
  onChange: (key: string) => void
}) {
  return (
    <label className="field">
      <span>{props.field}</span>
      <select
        aria-label={`Filter by ${props.field.toLowerCase()}`}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <option value="all">{props.allText}</option>
        {props.keys.map((k) => (
          <option key={k} value={k}>
            {k === '' ? props.noneText : k}
          </option>
        ))}
      </select>
    </label>
  )
}

function ClearFilters() {
  const { ui } = useParts()
  const filtered = useUi(
    (s) => s.statusFilter !== 'all' || s.projectFilter !== 'all' || s.agentFilter !== 'all',
  )
  if (!filtered) return null
  return (
    <button type="button" className="btn btn-small" onClick={() => ui.getState().clearFilters()}>
      Clear filters
    </button>
  )
}
