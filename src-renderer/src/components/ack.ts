// Acknowledging failures from any view: through the backend only (POST /api/tasks/:id/ack); the
// mark goes away when the acknowledged task comes back as an update frame, in every window at
// once, so no window ever shows a local state the others do not. A refusal is said, not swallowed.
import type { AppParts } from '../stores/context'

export function acknowledge(parts: Pick<AppParts, 'api' | 'ui'>, ids: readonly string[]): void {
  if (ids.length === 0) return
  parts.ui.getState().setNotice(null)
  parts.api.ack(ids).catch((e: Error) => {
    parts.ui
      .getState()
      .setNotice(
        `Could not acknowledge ${ids.length === 1 ? 'the failure' : `${ids.length} failures`}: ${e.message}`,
      )
  })
}

/** A plain `a` (no modifier): the acknowledge key. */
export function isAckKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): boolean {
  return (e.key === 'a' || e.key === 'A') && !e.ctrlKey && !e.metaKey && !e.altKey
}
