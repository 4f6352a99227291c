import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { LongText, TaskDetail, TEXT_TAIL_CHARS, tailStart } from './TaskDetail'
import { isErrorLine, logLines } from '../../components/log-lines'
import { tailExcerpt } from '../../components/format'
import { AgentMonitor } from '../AgentMonitor/AgentMonitor'
import { fakeLayout } from '../../../../test/fakes/renderer/parts'
import type { Task } from '../../../../src-shared/protocol'
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
    // the END of the text is shown first
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
    // 9 KB is under the tail size: the whole text, ending in its tail
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

  describe('logs as people read them', () => {
    // happy-dom lays nothing out: a log box is as tall as its line count (20 px a line), 100 px on screen.
    let restore: () => void
    beforeEach(() => {
      const proto = HTMLElement.prototype
      const sh = Object.getOwnPropertyDescriptor(proto, 'scrollHeight')
      const ch = Object.getOwnPropertyDescriptor(proto, 'clientHeight')
      Object.defineProperty(proto, 'scrollHeight', {
        configurable: true,
        get(this: HTMLElement) {
          return this.querySelectorAll('.log-line').length * 20
        },
      })
      Object.defineProperty(proto, 'clientHeight', { configurable: true, get: () => 100 })
      restore = () => {
        if (sh) Object.defineProperty(proto, 'scrollHeight', sh)
        else delete (proto as { scrollHeight?: number }).scrollHeight
        if (ch) Object.defineProperty(proto, 'clientHeight', ch)
      }
    })
    afterEach(() => restore())

    const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `line ${from + i}`).join('\n')

    it('opens scrolled to the end, follows new output, and offers "jump to end" after a scroll up', () => {
      const parts = makeParts()
      const task = makeTask({ task_id: 'run', title: 'Build', status: 'running', output: lines(50) })
      parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [task] }])
      parts.ui.getState().openTask('run')
      render(withParts(parts, <TaskDetail />))
      const pre = screen.getByRole('region', { name: 'Output text' })
      expect(pre.scrollTop).toBe(1000)
      const more = (n: number, seq: number) =>
        act(() =>
          parts.tasks.getState().applyBatch([
            {
              kind: 'update',
              msg: updateMsg({ ...task, output: lines(n), last_event_id: `e${seq}` }, seq),
            },
          ]),
        )
      more(60, 2)
      expect(pre.scrollTop).toBe(1200) // followed
      // The reader scrolls up: new output no longer moves the text; a control jumps back.
      pre.scrollTop = 300
      fireEvent.scroll(pre)
      more(70, 3)
      expect(pre.scrollTop).toBe(300)
      fireEvent.click(screen.getByRole('button', { name: /Jump to end/ }))
      expect(pre.scrollTop).toBe(1400)
      more(80, 4)
      expect(pre.scrollTop).toBe(1600)
    })

    it('marks error lines with a glyph and weight, not colour alone; the error field as a whole', () => {
      render(
        withParts(
          makeParts(),
          <LongText
            label="Output"
            text={[
              'compiling 12 modules',
              'Traceback (most recent call last):',
              '  File "etl.py", line 3',
              'java.lang.OutOfMemoryError: Java heap space',
              '12 passed, 0 failed',
              'step 4 FAILED',
              'thread main panicked at src/lib.rs',
            ].join('\n')}
          />,
        ),
      )
      const marked = [...document.querySelectorAll('.log-err')].map((e) => e.textContent)
      expect(marked).toEqual([
        '▶ Traceback (most recent call last):\n',
        '▶ java.lang.OutOfMemoryError: Java heap space\n',
        '▶ step 4 FAILED\n',
        '▶ thread main panicked at src/lib.rs',
      ])
      expect(screen.getByRole('heading', { name: /Output · 4 error lines/ })).toBeTruthy()
      cleanup()
      render(withParts(makeParts(), <LongText label="Error" error text={'exit 1\nsee above'} />))
      expect(document.querySelectorAll('.longtext-error .log-err')).toHaveLength(2)
      expect(screen.getByRole('heading', { name: 'Error' }).textContent).toBe('✕ Error')
    })

    it('line classification and tails', () => {
      expect(isErrorLine('ERROR: connection refused')).toBe(true)
      expect(isErrorLine('Exception in thread "main"')).toBe(true)
      expect(isErrorLine('0 errors, 0 failed')).toBe(false)
      expect(isErrorLine('no errors found')).toBe(false)
      expect(isErrorLine('3 failed, 0 errors')).toBe(true)
      expect(isErrorLine('loading terrain tiles')).toBe(false)
      expect(logLines('a\nerror b').map((l) => l.error)).toEqual([false, true])
      const text = 'x'.repeat(50) + '\nstart of tail\nend'
      expect(text.slice(tailStart(text, 20))).toBe('start of tail\nend')
      expect(tailStart('short', 20)).toBe(0)
      const tail = tailExcerpt('first line\n'.repeat(40) + 'FATAL: disk full', 30)
      expect(tail).toHaveLength(30)
      expect(tail).toMatch(/^….*first line FATAL: disk full$/)
      expect(tailExcerpt('all of it', 30)).toBe('all of it')
    })
  })

  describe('sub-agent tree', () => {
    let restoreLayout: () => void
    beforeEach(() => {
      restoreLayout = fakeLayout()
    })
    afterEach(() => restoreLayout())

    it('the detail links the parent and lists the children live; the task list marks a child row', () => {
      const parts = makeParts()
      const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s)).toISOString()
      const tasks: Task[] = [
        makeTask({
          task_id: 'sess',
          title: 'Fix the login bug',
          assignee: 'claude-code@web',
          updated_at: at(1),
        }),
        makeTask({
          task_id: 'sess/a1',
          title: 'Explore',
          assignee: 'claude-code@web',
          parent_id: 'sess',
          status: 'completed',
          updated_at: at(2),
        }),
        makeTask({ task_id: 'other', title: 'Unrelated', assignee: 'ops', updated_at: at(3) }),
      ]
      parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
      render(
        withParts(
          parts,
          <>
            <AgentMonitor />
            <TaskDetail />
          </>,
        ),
      )
      // The child's row says whose sub-agent it is; the others say nothing of the kind.
      const childRow = document.querySelector<HTMLElement>('.task-row[data-task-id="sess/a1"]')!
      expect(childRow.textContent).toContain('↳ sub-agent of Fix the login bug')
      expect(document.querySelector('.task-row[data-task-id="other"] .task-row-parent')).toBeNull()
      expect(document.querySelector('.task-row[data-task-id="sess"] .task-row-parent')).toBeNull()

      act(() => parts.ui.getState().openTask('sess'))
      const list = screen.getByRole('region', { name: 'Sub-agents' })
      const items = () => [...list.querySelectorAll<HTMLElement>('.detail-child')]
      expect(items().map((b) => [b.dataset.taskId, b.dataset.status, b.textContent])).toEqual([
        ['sess/a1', 'completed', expect.stringContaining('Explore')],
      ])
      // A second sub-agent arrives live, newest first; a parent has no "Parent" field.
      act(() =>
        parts.tasks.getState().applyBatch([
          {
            kind: 'update',
            msg: updateMsg(
              makeTask({
                task_id: 'sess/a2',
                title: 'Run tests',
                assignee: 'claude-code@web',
                parent_id: 'sess',
                status: 'waiting',
                updated_at: at(4),
              }),
              2,
            ),
          },
        ]),
      )
      expect(items().map((b) => [b.dataset.taskId, b.dataset.status])).toEqual([
        ['sess/a2', 'waiting'],
        ['sess/a1', 'completed'],
      ])
      expect(document.querySelector('.detail-parent')).toBeNull()

      // A child opens from the list, and its detail links back to the parent by title.
      fireEvent.click(items()[1]!)
      expect(parts.ui.getState().selectedTaskId).toBe('sess/a1')
      const parent = document.querySelector<HTMLElement>('.detail-parent')!
      expect(parent.textContent).toContain('Fix the login bug')
      expect(screen.queryByRole('region', { name: 'Sub-agents' })).toBeNull()
      fireEvent.click(parent)
      expect(parts.ui.getState().selectedTaskId).toBe('sess')
    })

    it('the parent -> children index follows a child that changes parent or leaves', () => {
      const parts = makeParts()
      const store = parts.tasks
      const child = makeTask({ task_id: 'c', parent_id: 'p1', updated_at: '2026-11-23T12:00:00.000Z' })
      store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [makeTask({ task_id: 'p1' }), child] }])
      expect([...(store.getState().children.get('p1') ?? [])]).toEqual(['c'])
      const rev = store.getState().childrenRev
      store.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg({ ...child, parent_id: 'p2', updated_at: '2026-11-23T12:01:00.000Z' }, 2),
        },
      ])
      expect(store.getState().children.has('p1')).toBe(false)
      expect([...(store.getState().children.get('p2') ?? [])]).toEqual(['c'])
      expect(store.getState().childrenRev).toBeGreaterThan(rev)
      store.getState().reset()
      expect(store.getState().children.size).toBe(0)
    })
  })

  describe('keys and acknowledgement', () => {
    let restoreLayout: () => void
    beforeEach(() => {
      restoreLayout = fakeLayout()
    })
    afterEach(() => restoreLayout())

    function setup() {
      const parts = makeParts()
      const acked: string[][] = []
      parts.api.ack = vi.fn(async (ids: readonly string[]) => void acked.push([...ids]))
      const at = (i: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, 10 - i)).toISOString()
      const tasks: Task[] = [
        makeTask({ task_id: 't0', title: 'zero', status: 'running', updated_at: at(0) }),
        makeTask({ task_id: 't1', title: 'one', status: 'failed', updated_at: at(1), finished_at: at(1) }),
        makeTask({ task_id: 't2', title: 'two', status: 'completed', updated_at: at(2) }),
      ]
      parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
      render(
        withParts(
          parts,
          <>
            <AgentMonitor />
            <TaskDetail />
          </>,
        ),
      )
      return { parts, acked, tasks }
    }
    const open = (parts: ReturnType<typeof makeParts>) => parts.ui.getState().selectedTaskId

    it('j/k and ↓/↑ walk the task list in its order; Esc-close returns focus to the row of the task shown', () => {
      const { parts } = setup()
      const row0 = document.querySelector<HTMLElement>('.task-row[data-task-id="t0"]')!
      row0.focus()
      fireEvent.click(row0)
      expect(open(parts)).toBe('t0')
      act(() => void fireEvent.keyDown(window, { key: 'j' }))
      expect(open(parts)).toBe('t1')
      act(() => void fireEvent.keyDown(window, { key: 'ArrowDown' }))
      expect(open(parts)).toBe('t2')
      act(() => void fireEvent.keyDown(window, { key: 'j' })) // the end: stays
      expect(open(parts)).toBe('t2')
      act(() => void fireEvent.keyDown(window, { key: 'k' }))
      act(() => void fireEvent.keyDown(window, { key: 'ArrowUp' }))
      expect(open(parts)).toBe('t0')
      act(() => void fireEvent.keyDown(window, { key: 'j' }))
      expect(open(parts)).toBe('t1')
      expect(document.querySelector('.task-row[data-task-id="t1"]')!.getAttribute('aria-current')).toBe(
        'true',
      )
      act(() => parts.ui.getState().openTask(null))
      expect(document.activeElement?.getAttribute('data-task-id')).toBe('t1')
    })

    it('opening an unacknowledged failure acknowledges it (once); the button and a do too, through the backend', async () => {
      const { parts, acked, tasks } = setup()
      act(() => parts.ui.getState().openTask('t1'))
      await vi.waitFor(() => expect(acked).toEqual([['t1']]))
      // Still marked: the change comes back from the backend as an update, never locally.
      expect(document.querySelector('.task-row[data-task-id="t1"]')!.getAttribute('data-unacked')).toBe(
        'true',
      )
      fireEvent.click(screen.getByRole('button', { name: 'Acknowledge (a)' }))
      act(() => void fireEvent.keyDown(window, { key: 'a' }))
      expect(acked).toEqual([['t1'], ['t1'], ['t1']])
      act(() =>
        parts.tasks.getState().applyBatch([
          {
            kind: 'update',
            msg: updateMsg(
              { ...tasks[1]!, acknowledged_at: '2026-11-23T12:05:00.000Z', last_event_id: 'ack' },
              2,
            ),
          },
        ]),
      )
      expect(screen.queryByRole('button', { name: 'Acknowledge (a)' })).toBeNull()
      expect(document.querySelector('.task-row[data-task-id="t1"]')!.getAttribute('data-unacked')).toBeNull()
      // Nothing more to acknowledge: a is a no-op; a task that did not fail is never acknowledged.
      act(() => void fireEvent.keyDown(window, { key: 'a' }))
      act(() => parts.ui.getState().openTask('t2'))
      act(() => void fireEvent.keyDown(window, { key: 'a' }))
      expect(acked).toHaveLength(3)
    })
  })
})
