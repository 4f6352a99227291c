import { describe, expect, it } from 'vitest'
import { TASK_STATUSES } from './protocol'
import { contrastRatio, STATUS_STYLES } from './status-colors'

// The panel backgrounds text sits on (src-renderer/src/styles/app.css: --panel, --panel-2, --bg and
// the failed tint), light and dark.
const LIGHT_PANELS = ['#ffffff', '#f6f7f9', '#f0f2f5', '#fdecec']
const DARK_PANELS = ['#171b21', '#0f1216', '#1e242c', '#3a1719']

describe('status colours', () => {
  it('computes WCAG contrast (white on the reference blue and red is below AA)', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrastRatio('#ffffff', '#3B82F6')).toBeLessThan(4.5)
    expect(contrastRatio('#ffffff', '#EF4444')).toBeLessThan(4.5)
  })

  it.each(TASK_STATUSES)('%s: every text colour reaches 4.5:1 where it is used', (status) => {
    const st = STATUS_STYLES[status]
    expect(contrastRatio(st.onColor, st.color)).toBeGreaterThanOrEqual(4.5)
    for (const bg of LIGHT_PANELS) expect(contrastRatio(st.textLight, bg)).toBeGreaterThanOrEqual(4.5)
    for (const bg of DARK_PANELS) expect(contrastRatio(st.textDark, bg)).toBeGreaterThanOrEqual(4.5)
  })

  it('keeps the reference colours as the identity, and violet for waiting', () => {
    expect(Object.fromEntries(TASK_STATUSES.map((s) => [s, STATUS_STYLES[s].color]))).toEqual({
      pending: '#3B82F6',
      running: '#F59E0B',
      waiting: '#8B5CF6',
      completed: '#10B981',
      failed: '#EF4444',
    })
  })
})
