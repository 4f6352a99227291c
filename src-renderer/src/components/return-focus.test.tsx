import { useRef } from 'react'
import { describe, expect, it } from 'vitest'
import { render } from '@testing-library/react'
import { findTaskOpener, useReturnFocus } from './return-focus'

function Panel({ id }: { id: string }) {
  const ref = useRef<HTMLElement>(null)
  useReturnFocus(id, ref)
  return (
    <aside ref={ref}>
      <button autoFocus>close</button>
    </aside>
  )
}

describe('focus back to what opened a panel', () => {
  it('returns focus to the opener when the panel closes', () => {
    document.body.innerHTML = '<button class="task-row" data-task-id="t1">row</button><div id="root"></div>'
    const row = document.querySelector<HTMLElement>('.task-row')!
    row.focus()
    const { rerender, unmount } = render(<Panel id="t1" />, { container: document.getElementById('root')! })
    rerender(<Panel id="t1" />)
    document.querySelector<HTMLElement>('aside button')!.focus()
    unmount()
    expect(document.activeElement).toBe(row)
  })

  it('falls back to the row or event showing the same task when the opener is gone', () => {
    document.body.innerHTML =
      '<button id="old" class="task-row" data-task-id="t2">old</button><div id="root"></div>'
    document.getElementById('old')!.focus()
    const { unmount } = render(<Panel id="t2" />, { container: document.getElementById('root')! })
    // The virtual list re-rendered the row: a new node for the same task.
    document.getElementById('old')!.remove()
    const cal = document.createElement('div')
    cal.innerHTML = '<button class="tl-bar" data-task-id="t2">bar</button>'
    document.body.prepend(cal)
    unmount()
    expect(document.activeElement).toBe(cal.querySelector('.tl-bar'))
    expect(findTaskOpener('nope')).toBeNull()
  })

  it('leaves focus alone when the person moved it elsewhere (clicked another row)', () => {
    document.body.innerHTML =
      '<button class="task-row" data-task-id="t3">row</button><input id="search"><div id="root"></div>'
    document.querySelector<HTMLElement>('.task-row')!.focus()
    const { unmount } = render(<Panel id="t3" />, { container: document.getElementById('root')! })
    document.getElementById('search')!.focus()
    unmount()
    expect(document.activeElement).toBe(document.getElementById('search'))
  })
})
