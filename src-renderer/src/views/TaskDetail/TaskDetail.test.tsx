import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { TaskDetail, TEXT_TAIL_CHARS } from './TaskDetail'
import { makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import { makeTask, updateMsg } from '../../../../test/fakes/renderer/fake-socket'
import type { SnapshotTask, StoredEvent } from '../../../../src-shared/protocol'

afterEach(cleanup)

describe('task detail', () => {
  it('shows every field, the history as a timeline, and long output cut with show all', async () => {
    const events: StoredEvent[] = [
      {
        seq: 1,
        event_id: 'e1',
        task_id: 'x',
        fields: { status: 'running' },
        updated_at: '2026-11-23T10:00:00.000Z',
        received_at: '2026-11-23T10:00:00.000Z',
        source: 'rest',
        changed: true,
      },
      {
        seq: 2,
        event_id: 'e2',
        task_id: 'x',
        fields: { status: 'failed', error: 'kaput' },
        updated_at: '2026-11-23T10:01:00.000Z',
        received_at: '2026-11-23T10:01:00.000Z',
        source: 'redis',
        changed: true,
      },
    ]
    const parts = makeParts()
    const taskEvents = vi.fn(async () => ({ events, next_cursor: null }))
    parts.api.taskEvents = taskEvents
    const big = 'x'.repeat(TEXT_TAIL_CHARS + 500)
    const task = makeTask({
      task_id: 'x',
      title: 'Deploy',
      assignee: 'ops',
      project_id: 'web',
      status: 'failed',
      error: 'kaput',
      output: big,
      last_event_id: 'e2',
    })
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [task] }])
    parts.ui.getState().openTask('x')
    render(withParts(parts, <TaskDetail />))
    expect(screen.getByRole('dialog', { name: 'Deploy' })).toBeTruthy()
    const text = document.body.textContent
    for (const label of [
      'Task id',
      'Assignee',
      'Project',
      'Created',
      'Updated',
      'Started',
      'Finished',
      'Scheduled',
      'Due',
      'Last event',
    ])
      expect(text).toContain(label)
    await vi.waitFor(() => expect(document.querySelectorAll('.tl-item')).toHaveLength(2))
    expect(document.querySelector('.tl-item')!.className).toContain('tl-failed')
    const output = screen.getByRole('region', { name: 'Output' })
    expect(output.querySelector('pre')!.textContent).toHaveLength(TEXT_TAIL_CHARS)
    fireEvent.click(screen.getByRole('button', { name: /Show all/ }))
    expect(output.querySelector('pre')!.textContent).toHaveLength(big.length)
    expect(screen.getByRole('button', { name: 'Copy output' })).toBeTruthy()
    // A new event on the task reloads the history.
    act(() =>
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(
            { ...task, status: 'running', last_event_id: 'e3', updated_at: '2026-11-23T12:00:00.000Z' },
            2,
          ),
        },
      ]),
    )
    await vi.waitFor(() => expect(taskEvents).toHaveBeenCalledTimes(2))
  })

  it('fetches the full text of a task held as a snapshot excerpt, and says so until it arrives', async () => {
    const parts = makeParts()
    parts.api.taskEvents = vi.fn(async () => ({ events: [], next_cursor: null }))
    const fullOutput = 'head…' + 'o'.repeat(9000) + 'TAIL'
    let answer!: (t: ReturnType<typeof makeTask>) => void
    const taskCall = vi.fn(() => new Promise<ReturnType<typeof makeTask>>((r) => (answer = r)))
    parts.api.task = taskCall
    const base = makeTask({
      task_id: 'ex',
      title: 'Long',
      status: 'failed',
      output: 'o'.repeat(2044) + 'TAIL',
    })
    const held: SnapshotTask = { ...base, error: 'short', output_bytes: 9009, error_bytes: 5, excerpt: true }
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [held] }])
    parts.ui.getState().openTask('ex')
    render(withParts(parts, <TaskDetail />))
    const output = screen.getByRole('region', { name: 'Output' })
    expect(output.textContent).toContain('Showing the end only; loading the full text')
    expect(screen.getByRole('region', { name: 'Error' }).textContent).not.toContain('Showing the end only')
    expect(taskCall).toHaveBeenCalledWith('ex')
    act(() => answer({ ...base, output: fullOutput, error: 'short' }))
    await vi.waitFor(() => expect(output.textContent).not.toContain('Showing the end only'))
    fireEvent.click(screen.getByRole('button', { name: /Show all/ }))
    expect(output.querySelector('pre')!.textContent).toBe(fullOutput)
  })

  it('a task the store holds whole is not fetched again', async () => {
    const parts = makeParts()
    const taskEvents = vi.fn(async () => ({ events: [], next_cursor: null }))
    parts.api.taskEvents = taskEvents
    const taskCall = vi.fn(async () => makeTask({ task_id: 'w' }))
    parts.api.task = taskCall
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [makeTask({ task_id: 'w', title: 'Whole', output: 'all of it' })],
      },
    ])
    parts.ui.getState().openTask('w')
    render(withParts(parts, <TaskDetail />))
    await vi.waitFor(() => expect(taskEvents).toHaveBeenCalled())
    expect(screen.getByRole('region', { name: 'Output' }).textContent).toContain('all of it')
    expect(taskCall).not.toHaveBeenCalled()
  })
})
