import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff'

describe('backoffDelay', () => {
  it('doubles from the base, jitters between half and all of the step, and stops at the cap', () => {
    expect(backoffDelay(1, 100, 5_000, () => 0)).toBe(50)
    expect(backoffDelay(1, 100, 5_000, () => 1)).toBe(100)
    expect(backoffDelay(4, 100, 5_000, () => 1)).toBe(800)
    expect(backoffDelay(40, 100, 5_000, () => 1)).toBe(5_000)
    expect(backoffDelay(40, 100, 5_000, () => 0)).toBe(2_500)
    expect(backoffDelay(0, 100, 5_000, () => 1)).toBe(100)
  })
})
