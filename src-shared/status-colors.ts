// Status colours from the reference design, with a text label and a glyph so that status is never
// conveyed by colour alone.
import type { TaskStatus } from './protocol'

export interface StatusStyle {
  /** Hex colour of the reference design; used for calendar events, badges, borders. */
  color: string
  label: string
  /** A glyph shown beside the colour (accessibility: not colour alone). */
  icon: string
}

export const STATUS_STYLES: Readonly<Record<TaskStatus, StatusStyle>> = {
  pending: { color: '#3B82F6', label: 'Pending', icon: '○' },
  running: { color: '#F59E0B', label: 'Running', icon: '◐' },
  completed: { color: '#10B981', label: 'Completed', icon: '✓' },
  failed: { color: '#EF4444', label: 'Failed', icon: '✕' },
}

export function statusColor(status: TaskStatus): string {
  return STATUS_STYLES[status].color
}
