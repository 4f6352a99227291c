// How a calendar event looks: text colours per status (which events a range holds is
// stores/calendar-events.ts).
import type { TaskStatus } from '../../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'

/** Text colour readable (≥ 4.5:1) on each status colour: see src-shared/status-colors.ts. */
export const EVENT_TEXT: Record<TaskStatus, string> = {
  pending: STATUS_STYLES.pending.onColor,
  running: STATUS_STYLES.running.onColor,
  waiting: STATUS_STYLES.waiting.onColor,
  completed: STATUS_STYLES.completed.onColor,
  failed: STATUS_STYLES.failed.onColor,
}
