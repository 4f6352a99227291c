import { describe, expect, it, vi } from 'vitest'
import { render } from '@testing-library/react'
import type { EventWrapperProps } from 'react-big-calendar'
import { FocusableEvent, openOnEnter, repairCalendarAria } from './calendar-a11y'

describe('calendar accessibility repairs', () => {
  it("strips the library's table roles from divs and spans, not from real table elements", () => {
    document.body.innerHTML = `
      <div id="cal">
        <div role="table"><div role="rowgroup"><div role="row"><button>3</button></div></div></div>
        <span role="columnheader" aria-sort="none">Mon</span>
        <div class="rbc-allday-cell" role="cell"></div>
        <table role="table"><tbody><tr role="row"><td role="cell">agenda</td></tr></tbody></table>
        <div role="button" tabindex="0">event</div>
      </div>`
    repairCalendarAria(document.getElementById('cal')!)
    const roles = [...document.querySelectorAll('[role]')].map(
      (el) => `${el.tagName}:${el.getAttribute('role')}`,
    )
    expect(roles).toEqual(['TABLE:table', 'TR:row', 'TD:cell', 'DIV:button'])
    expect(document.querySelector('[aria-sort]')).toBeNull()
  })

  it('makes an event focusable as a button, and Enter or Space opens it', () => {
    const { container } = render(
      <FocusableEvent {...({} as EventWrapperProps<object>)}>
        <div className="rbc-event">title</div>
      </FocusableEvent>,
    )
    const ev = container.querySelector('.rbc-event')!
    expect(ev.getAttribute('tabindex')).toBe('0')
    expect(ev.getAttribute('role')).toBe('button')

    const open = vi.fn()
    const onKey = openOnEnter(open)
    const key = (k: string) => ({ key: k, preventDefault: vi.fn() }) as unknown as React.KeyboardEvent
    onKey('a', key('Enter'))
    onKey('b', key(' '))
    onKey('c', key('Tab'))
    expect(open.mock.calls).toEqual([['a'], ['b']])
  })
})
