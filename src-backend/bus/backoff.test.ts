import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff'

describe('backoffDelay', () => {
  it('grows exponentially from the base and stays between half and all of the step', () => {
    expect(backoffDelay(1, 100, 5_000, () => 0)).toBe(50)
    expect(backoffDelay(1, 100, 5_000, () => 1)).toBe(100)
    expect(backoffDelay(4, 100, 5_000, () => 1)).toBe(800)
  })

  it('is capped at maxMs however many attempts failed', () => {
    for (const attempt of [7, 20, 1_000, Number.MAX_SAFE_INTEGER]) {
      const d = backoffDelay(attempt, 100, 5_000)
      expect(d).toBeGreaterThanOrEqual(2_500)
      expect(d).toBeLessThanOrEqual(5_000)
    }
  })
})
