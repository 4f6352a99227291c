import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { memoOnKeys, useLatestFailures, useTaskRowIds } from './task-hooks'
import type { TaskStoreState } from './task-store'
import { makeParts, withParts } from '../../../test/fakes/renderer/parts'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'

const ALL = { status: 'all', project: 'all', search: '' } as const

function setup() {
  const parts = makeParts()
  parts.tasks.getState().applyBatch([
    {
      kind: 'snapshot',
      seq: 1,
      tasks: [
        makeTask({
          task_id: 'a1',
          project_id: 'A',
          status: 'failed',
          updated_at: '2026-01-01T10:00:00.000Z',
        }),
        makeTask({
          task_id: 'a2',
          project_id: 'A',
          status: 'failed',
          updated_at: '2026-01-01T11:00:00.000Z',
        }),
        makeTask({
          task_id: 'b1',
          project_id: 'B',
          status: 'running',
          updated_at: '2026-01-01T12:00:00.000Z',
        }),
      ],
    },
  ])
  const wrapper = ({ children }: { children: ReactNode }) => withParts(parts, children)
  return { parts, wrapper }
}

afterEach(cleanup)

describe('memoOnKeys', () => {
  it('returns the same result while its keys are the same, and reads again when one changes', () => {
    let reads = 0
    const select = memoOnKeys(
      (s) => [s.version],
      () => ({ read: ++reads }),
    )
    const s = { version: 1 } as TaskStoreState
    const first = select(s)
    expect(select({ ...s })).toBe(first)
    expect(reads).toBe(1)
    expect(select({ ...s, version: 2 })).not.toBe(first)
    expect(reads).toBe(2)
  })
})

describe('task store hooks', () => {
  it('useTaskRowIds gives a new object per order revision, even when the ids array is the same', () => {
    const { parts, wrapper } = setup()
    const { result } = renderHook(() => useTaskRowIds(ALL), { wrapper })
    const before = result.current
    expect(before.ids).toEqual(['b1', 'a2', 'a1'])
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(makeTask({ task_id: 'a1', updated_at: '2026-01-01T13:00:00.000Z' }), 2),
        },
      ])
    })
    expect(result.current).not.toBe(before)
    expect(result.current.ids).toEqual(['a1', 'b1', 'a2'])
  })

  it('useLatestFailures keeps its result when another project changes, and follows its own', () => {
    const { parts, wrapper } = setup()
    const { result } = renderHook(() => useLatestFailures('A', 3), { wrapper })
    const before = result.current
    expect(before.map((t) => t.task_id)).toEqual(['a2', 'a1'])
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(
            makeTask({
              task_id: 'b1',
              project_id: 'B',
              status: 'failed',
              updated_at: '2026-01-01T13:00:00.000Z',
            }),
            2,
          ),
        },
      ])
    })
    expect(result.current).toBe(before)
    act(() => {
      parts.tasks.getState().applyBatch([
        {
          kind: 'update',
          msg: updateMsg(
            makeTask({
              task_id: 'a1',
              project_id: 'A',
              status: 'failed',
              updated_at: '2026-01-01T14:00:00.000Z',
            }),
            3,
          ),
        },
      ])
    })
    expect(result.current.map((t) => t.task_id)).toEqual(['a1', 'a2'])
  })
})
