import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render } from '@testing-library/react'
import { StatusBadge } from './StatusBadge'

describe('status badge', () => {
  afterEach(() => {
    cleanup()
  })
  it('never shows status by colour alone: the badge has a glyph and a word', () => {
    const { container } = render(<StatusBadge status="failed" />)
    const badge = container.querySelector('[data-status="failed"]')!
    expect(badge.textContent).toBe('✕Failed')
    expect(badge.getAttribute('aria-label')).toBe('Status: Failed')
    expect(badge.className).toContain('badge-failed')
  })
})
