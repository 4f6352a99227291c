// The search box in the header: typing shows the count of matches, Esc clears, a second Esc
// leaves the box. (The fake parts' API has no search route: the loaded tasks are matched.)
import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { App } from './App'
import { fakeLayout, makeParts, withParts } from '../../test/fakes/renderer/parts'
import { makeTask } from '../../test/fakes/renderer/fake-socket'

afterEach(cleanup)

describe('search box', () => {
  it('counts the matches; Esc clears the search, then leaves the box', async () => {
    const restore = fakeLayout()
    try {
      const parts = makeParts()
      parts.status.getState().dispatch({ type: 'synced', at: Date.now() })
      parts.tasks.getState().applyBatch([
        {
          kind: 'snapshot',
          seq: 1,
          tasks: [
            makeTask({ task_id: 'a', title: 'Load orders', error: 'java.lang.OutOfMemoryError' }),
            makeTask({ task_id: 'b', title: 'Scrape prices' }),
          ],
        },
      ])
      render(withParts(parts, <App />))
      const box = screen.getByRole('searchbox', { name: 'Search tasks and agents' })
      box.focus()
      fireEvent.change(box, { target: { value: 'outofmemory' } })
      // The box holds the text at once; the count follows the debounce.
      expect((box as HTMLInputElement).value).toBe('outofmemory')
      const status = document.getElementById('search-status')!
      await waitFor(() => expect(status.textContent).toBe('1 match'), { timeout: 10_000 })
      expect(status.getAttribute('data-query')).toBe('outofmemory')
      fireEvent.keyDown(window, { key: 'Escape' })
      expect(parts.ui.getState().search).toBe('')
      expect(document.activeElement).toBe(box)
      await waitFor(() => expect(status.textContent).toBe(''), { timeout: 10_000 })
      fireEvent.keyDown(window, { key: 'Escape' })
      expect(document.activeElement).not.toBe(box)
      act(() => parts.ui.getState().setSearch('scrape'))
      await waitFor(() => expect(status.textContent).toBe('1 match'), { timeout: 10_000 })
    } finally {
      restore()
    }
  })
})
