// Status colours from the reference design, with a text label and a glyph so that status is never
// conveyed by colour alone. The reference colours are the identity (bars, borders, icons, calendar
// fills); text never sits in them at a contrast below WCAG AA (4.5:1), so each status also names
// the text colours that do: on its own fill, and as coloured text on the light and dark panels.
import type { TaskStatus } from './protocol'

export interface StatusStyle {
  /** Hex colour of the reference design; used for calendar events, badges, borders. */
  color: string
  /** Text on a `color` fill (white on the pending blue is 3.7:1, on the failed red 3.8:1). */
  onColor: string
  /** Status-coloured text on the light theme's panels. */
  textLight: string
  /** Status-coloured text on the dark theme's panels. */
  textDark: string
  label: string
  /** A glyph shown beside the colour (accessibility: not colour alone). */
  icon: string
}

export const STATUS_STYLES: Readonly<Record<TaskStatus, StatusStyle>> = {
  pending: {
    color: '#3B82F6',
    onColor: '#0B1220',
    textLight: '#1D4ED8',
    textDark: '#93C5FD',
    label: 'Pending',
    icon: '○',
  },
  running: {
    color: '#F59E0B',
    onColor: '#0B1220',
    textLight: '#92400E',
    textDark: '#FCD34D',
    label: 'Running',
    icon: '◐',
  },
  // TaskPulse's own fifth status (not in the reference design): a task waiting for a person's input.
  waiting: {
    color: '#8B5CF6',
    // The violet sits mid-luminance: the near-black of the others reaches only 4.4:1, black 5:1.
    onColor: '#000000',
    textLight: '#6D28D9',
    textDark: '#C4B5FD',
    label: 'Waiting',
    icon: '?',
  },
  completed: {
    color: '#10B981',
    onColor: '#0B1220',
    textLight: '#047857',
    textDark: '#6EE7B7',
    label: 'Completed',
    icon: '✓',
  },
  failed: {
    color: '#EF4444',
    onColor: '#0B1220',
    textLight: '#B91C1C',
    textDark: '#FCA5A5',
    label: 'Failed',
    icon: '✕',
  },
}

export function statusColor(status: TaskStatus): string {
  return STATUS_STYLES[status].color
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const v = parseInt(hex.slice(i, i + 2), 16) / 255
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
    }) as [number, number, number]
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl
  }
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}
