// What react-big-calendar (1.20) gets wrong for keyboard and screen-reader users, repaired from
// outside the library:
// - its month and time grids claim table roles (table > rowgroup > row > cell) whose rows hold
//   buttons and whose column headers sit in buttons outside any row (axe: aria-required-children
//   and aria-required-parent, critical). The grid is a visual layout, not a data table: those
//   roles are removed, so the day buttons and events are read as what they are.
// - month events are plain divs: not focusable, not announced as buttons. They get tabIndex 0 and
//   role="button"; Enter or Space opens the task (onKeyPressEvent).
// (Agenda rows are buttons of our own: see AgendaEvent in Calendar.tsx.)
import {
  cloneElement,
  isValidElement,
  useEffect,
  type ReactElement,
  type ReactNode,
  type RefObject,
} from 'react'
import type { EventWrapperProps } from 'react-big-calendar'

const TABLE_ROLES = ['table', 'rowgroup', 'row', 'cell', 'gridcell', 'columnheader', 'rowheader']
const ROLE_SELECTOR = TABLE_ROLES.map((r) => `[role="${r}"]`).join(',')

/** Strips the library's table roles (not those of real table elements, e.g. the agenda). */
export function repairCalendarAria(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>(ROLE_SELECTOR)) {
    if (/^(TABLE|THEAD|TBODY|TR|TD|TH)$/.test(el.tagName)) continue
    el.removeAttribute('role')
    el.removeAttribute('aria-sort')
  }
}

/**
 * Repairs the calendar's markup now and whenever the library renders new nodes (navigating,
 * switching views, live updates). React leaves attributes it did not change alone, so a repair
 * holds until the node is replaced, and then the observer repairs the replacement.
 */
export function useCalendarAriaRepair(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const root = ref.current
    if (!root) return
    repairCalendarAria(root)
    const observer = new MutationObserver(() => repairCalendarAria(root))
    observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['role'] })
    return () => observer.disconnect()
  }, [ref])
}

/** `components.eventWrapper`: every event (month, popup, week, day) focusable as a button. */
export function FocusableEvent<E extends object>({
  children,
}: EventWrapperProps<E> & { children?: ReactNode }) {
  if (!isValidElement(children)) return <>{children}</>
  return cloneElement(children as ReactElement<{ tabIndex?: number; role?: string }>, {
    tabIndex: 0,
    role: 'button',
  })
}

/** `onKeyPressEvent`: Enter and Space open the event, as they would a button. */
export function openOnEnter<E>(open: (event: E) => void) {
  return (event: E, e: React.SyntheticEvent) => {
    const key = (e as React.KeyboardEvent).key
    if (key === 'Enter' || key === ' ') {
      e.preventDefault()
      open(event)
    }
  }
}

/**
 * Esc closes the month's "+N more" popup and puts focus back on the "+N more" that opened it.
 * The library means to (react-overlays' rootClose), but its popup overrides the ref that feature
 * needs, so only a mousedown outside the popup closes it: that is what this sends. Not while a
 * task detail is open: then Esc closes the detail first.
 */
export function useEscapeClosesPopup(ref: RefObject<HTMLElement | null>, detailOpen: () => boolean): void {
  useEffect(() => {
    const root = ref.current
    if (!root) return
    let opener: HTMLElement | null = null
    const onClick = (e: MouseEvent) => {
      const more = (e.target as HTMLElement | null)?.closest<HTMLElement>('.rbc-show-more')
      if (more) opener = more
    }
    const onKey = (e: KeyboardEvent) => {
      // The popup is portalled to the end of <body>, outside the calendar.
      if (e.key !== 'Escape' || detailOpen() || !document.querySelector('.rbc-overlay')) return
      document.body.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }))
      const back = opener
      requestAnimationFrame(() => back?.isConnected && back.focus())
    }
    root.addEventListener('click', onClick, true)
    document.addEventListener('keydown', onKey, true)
    return () => {
      root.removeEventListener('click', onClick, true)
      document.removeEventListener('keydown', onKey, true)
    }
  }, [ref, detailOpen])
}
