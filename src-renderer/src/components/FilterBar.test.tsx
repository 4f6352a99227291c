// The filter bar both the agents view and Projects use: one labelled toolbar, every control named,
// each writing the shared filters of the ui store; "Clear filters" only while a filter is on.
import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { makeParts, withParts } from '../../../test/fakes/renderer/parts'
import { makeTask } from '../../../test/fakes/renderer/fake-socket'
import { FilterBar } from './FilterBar'

afterEach(cleanup)

function partsWithTasks() {
  const parts = makeParts()
  parts.tasks.getState().applyBatch([
    {
      kind: 'snapshot',
      seq: 1,
      tasks: [
        makeTask({ task_id: 'a', project_id: 'web', assignee: 'nightly-etl' }),
        makeTask({ task_id: 'b', project_id: null, assignee: null }),
      ],
    },
  ])
  return parts
}

describe('FilterBar', () => {
  it('status as radios, the project select, and the view’s own controls after them', () => {
    const parts = partsWithTasks()
    render(
      withParts(
        parts,
        <FilterBar label="Filter and sort agents" status="radios">
          <button type="button">mine</button>
        </FilterBar>,
      ),
    )
    const bar = screen.getByRole('toolbar', { name: 'Filter and sort agents' })
    expect(bar.lastElementChild!.textContent).toBe('mine')
    fireEvent.click(screen.getByRole('radio', { name: /Failed/ }))
    expect(parts.ui.getState().statusFilter).toBe('failed')
    expect(screen.getByRole('radio', { name: /Failed/ }).getAttribute('aria-checked')).toBe('true')
    const project = screen.getByRole<HTMLSelectElement>('combobox', { name: 'Filter by project' })
    expect(Array.from(project.options).map((o) => o.text)).toEqual(['All projects', '(no project)', 'web'])
    fireEvent.change(project, { target: { value: 'web' } })
    expect(parts.ui.getState().projectFilter).toBe('web')
    // No agent filter, no clear button on this variant.
    expect(screen.queryByRole('combobox', { name: 'Filter by agent' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Clear filters' })).toBeNull()
  })

  it('status as a select, the agent filter, and Clear filters while a filter is on', () => {
    const parts = partsWithTasks()
    render(withParts(parts, <FilterBar label="Projects window and filters" status="select" agentAndClear />))
    expect(screen.getByRole('toolbar', { name: 'Projects window and filters' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Clear filters' })).toBeNull()
    fireEvent.change(screen.getByRole('combobox', { name: 'Filter by status' }), {
      target: { value: 'running' },
    })
    const agent = screen.getByRole<HTMLSelectElement>('combobox', { name: 'Filter by agent' })
    expect(Array.from(agent.options).map((o) => o.text)).toEqual([
      'All agents',
      '(unassigned)',
      'nightly-etl',
    ])
    fireEvent.change(agent, { target: { value: 'nightly-etl' } })
    expect(parts.ui.getState()).toMatchObject({ statusFilter: 'running', agentFilter: 'nightly-etl' })
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }))
    expect(parts.ui.getState()).toMatchObject({
      statusFilter: 'all',
      projectFilter: 'all',
      agentFilter: 'all',
    })
    expect(screen.queryByRole('button', { name: 'Clear filters' })).toBeNull()
    act(() => parts.ui.getState().setProjectFilter('web'))
    expect(screen.getByRole('button', { name: 'Clear filters' })).toBeTruthy()
  })
})
