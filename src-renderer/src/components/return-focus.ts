// Where focus goes back to when a panel closes: the element that opened it (the task row, the
// calendar event, the agent's task button), or, when that node is gone (the virtual list
// re-rendered it, the calendar moved on), the row or event that shows the same task.
import { useEffect, useState } from 'react'

/** The focusable elements that show a task (each carries its data-task-id), in the order of
 * preference: a task row, an agent's current task, then any button (timeline bar, agenda row,
 * detail links). */
const TASK_OPENERS = ['.task-row', '.agent-task', 'button'] as const

export function findTaskOpener(taskId: string, root: ParentNode = document): HTMLElement | null {
  const id = CSS.escape(taskId)
  for (const sel of TASK_OPENERS) {
    const el = root.querySelector<HTMLElement>(`${sel}[data-task-id="${id}"]`)
    if (el) return el
  }
  return null
}

/**
 * Remembers what had focus when the component mounted and gives focus back to it on unmount,
 * unless focus has meanwhile gone somewhere else on purpose (outside the component).
 */
export function useReturnFocus(taskId: string, panel: React.RefObject<HTMLElement | null>): void {
  const [opener] = useState(() => (document.activeElement as HTMLElement | null) ?? null)
  useEffect(() => {
    const panelEl = panel.current
    return () => {
      const active = document.activeElement
      // Focus moved elsewhere in the page (a click on another row, the search box): leave it.
      if (active && active !== document.body && !panelEl?.contains(active) && active.isConnected) return
      const target =
        opener && opener.isConnected && opener !== document.body ? opener : findTaskOpener(taskId)
      target?.focus()
    }
  }, [opener, panel, taskId])
}
