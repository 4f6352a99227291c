// The Projects view on real stores: the red mark follows unacknowledged failures in the window,
// the window is chosen from the keyboard and remembered, and search narrows the cards and marks
// the words.
import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import { makeTask } from '../../../../test/fakes/renderer/fake-socket'
import { createUiStore } from '../../stores/ui-store'
import type { Task } from '../../../../src-shared/task-model'
import { TaskDetail } from '../TaskDetail/TaskDetail'
import { Projects } from './Projects'

afterEach(cleanup)

const HOUR = 3600_000
const DAY = 24 * HOUR
const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
const failed = (id: string, project: string, finishedAgo: number, over: Partial<Task> = {}) =>
  makeTask({
    task_id: id,
    project_id: project,
    status: 'failed',
    title: `Task ${id}`,
    updated_at: ago(finishedAgo),
    finished_at: ago(finishedAgo),
    ...over,
  })

function memoryPrefs() {
  const m = new Map<string, string>()
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) }
}

const card = (name: string) => document.querySelector<HTMLElement>(`[data-project="${name}"]`)
const ceiling = { timeout: 10_000 }

describe('Projects', () => {
  it('marks a project red only for an unacknowledged failure in the window', async () => {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          failed('old', 'legacy', 42 * DAY),
          failed('seen', 'calm', HOUR, { acknowledged_at: ago(HOUR / 2) }),
          failed('new', 'hot', HOUR, { error: 'java.lang.OutOfMemoryError: Java heap space' }),
          makeTask({ task_id: 'ok', project_id: 'hot', status: 'completed', finished_at: ago(HOUR) }),
        ],
      },
    ])
    render(withParts(parts, <Projects />))
    await waitFor(() => expect(card('hot')).not.toBeNull(), ceiling)
    expect(card('hot')!.className).toContain('project-alert')
    expect(card('hot')!.textContent).toContain('1 unacknowledged')
    expect(card('hot')!.textContent).toContain('50%') // failure rate: 1 of 2 finished
    expect(within(card('hot')!).getByText('Task new')).toBeTruthy()
    expect(card('calm')!.className).not.toContain('project-alert')
    expect(card('calm')!.textContent).toContain('acknowledged')
    expect(card('legacy')!.className).not.toContain('project-alert')
    expect(card('legacy')!.textContent).toContain('Nothing in the last 24 h')
    // The failure's time: relative, absolute in the title.
    const time = card('hot')!.querySelector('.project-failures time')!
    expect(time.textContent).toMatch(/ago$/)
    expect(time.getAttribute('title')).toBeTruthy()
  })

  it('the window is a radio group: arrow keys choose, the choice is remembered', async () => {
    const prefs = memoryPrefs()
    const parts = makeParts({ ui: createUiStore({}, prefs) })
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [failed('w', 'p', 3 * DAY)] }])
    render(withParts(parts, <Projects />))
    await waitFor(() => expect(card('p')).not.toBeNull(), ceiling)
    expect(card('p')!.className).not.toContain('project-alert')
    const day = screen.getByRole('radio', { name: '24 h' })
    expect(day.getAttribute('aria-checked')).toBe('true')
    expect(day.tabIndex).toBe(0)
    day.focus()
    fireEvent.keyDown(day, { key: 'ArrowRight' })
    const week = screen.getByRole('radio', { name: '7 days' })
    expect(week.getAttribute('aria-checked')).toBe('true')
    expect(document.activeElement).toBe(week)
    await waitFor(() => expect(card('p')!.className).toContain('project-alert'), ceiling)
    // A new window (a reload) starts on the remembered choice.
    expect(createUiStore({}, prefs).getState().projectWindow).toBe('7d')
    fireEvent.keyDown(week, { key: 'End' })
    expect(parts.ui.getState().projectWindow).toBe('30d')
  })

  it('search narrows the projects and lists the matches with the words marked', async () => {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          failed('oom', 'data', 10 * DAY, {
            title: 'Join orders',
            error: 'at com.acme.Join.run\njava.lang.OutOfMemoryError: Java heap space',
          }),
          failed('net', 'web', HOUR, { error: 'ECONNRESET' }),
        ],
      },
    ])
    render(withParts(parts, <Projects />))
    await waitFor(() => expect(card('web')).not.toBeNull(), ceiling)
    act(() => parts.ui.getState().setSearch('OutOfMemory'))
    await waitFor(() => expect(card('web')).toBeNull(), ceiling)
    const data = card('data')!
    const row = data.querySelector('.project-matches [data-task-id="oom"]')!.closest('li')!
    expect(row.textContent).toContain('Join orders')
    expect(Array.from(row.querySelectorAll('mark')).map((m) => m.textContent)).toEqual(['OutOfMemory'])
    act(() => parts.ui.getState().setSearch(''))
    await waitFor(() => expect(card('web')).not.toBeNull(), ceiling)
    expect(document.querySelector('.project-matches')).toBeNull()
  })

  it("closing the detail gives focus back to the Projects row's button for the task shown", async () => {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          failed('gone', 'p', HOUR, { acknowledged_at: ago(HOUR / 2), title: 'Deploy webshop' }),
          failed('other', 'p', 2 * HOUR, { acknowledged_at: ago(HOUR), title: 'Build cache' }),
        ],
      },
    ])
    render(
      withParts(
        parts,
        <>
          <Projects />
          <TaskDetail />
        </>,
      ),
    )
    await waitFor(() => expect(card('p')).not.toBeNull(), ceiling)
    // Opened by its button: that button gets focus back.
    const button = within(card('p')!).getByRole('button', { name: 'Deploy webshop' })
    button.focus()
    fireEvent.click(button)
    expect(parts.ui.getState().selectedTaskId).toBe('gone')
    act(() => parts.ui.getState().openTask(null))
    expect(document.activeElement).toBe(button)
    // Opened without a row focused (j/k, the command line): the row showing it is found by its id.
    ;(document.activeElement as HTMLElement).blur()
    act(() => parts.ui.getState().openTask('other'))
    act(() => parts.ui.getState().openTask(null))
    expect(document.activeElement).toBe(within(card('p')!).getByRole('button', { name: 'Build cache' }))
  })

  it('the agent filter narrows the counts, and Clear filters brings everything back', async () => {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          failed('a1', 'p', HOUR, { assignee: 'nightly-etl' }),
          failed('a2', 'q', HOUR, { assignee: 'codex-runner-3' }),
        ],
      },
    ])
    render(withParts(parts, <Projects />))
    await waitFor(() => expect(card('q')).not.toBeNull(), ceiling)
    fireEvent.change(screen.getByRole('combobox', { name: 'Filter by agent' }), {
      target: { value: 'nightly-etl' },
    })
    await waitFor(() => expect(card('q')).toBeNull(), ceiling)
    expect(card('p')).not.toBeNull()
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }))
    await waitFor(() => expect(card('q')).not.toBeNull(), ceiling)
  })
})
