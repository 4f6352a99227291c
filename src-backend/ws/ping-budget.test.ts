import { describe, expect, it } from 'vitest'
import { createPingBudget } from './ping-budget'

describe('ping budget', () => {
  it('answers a burst, then refills at the rate, never above the burst', () => {
    let now = 0
    const budget = createPingBudget({ burst: 3, perSecond: 2, maxExcess: 100, now: () => now })
    const a = budget.fresh()
    expect([1, 2, 3, 4].map(() => budget.take(a))).toEqual(['answer', 'answer', 'answer', 'ignore'])
    now += 500 // one token back
    expect([budget.take(a), budget.take(a)]).toEqual(['answer', 'ignore'])
    now += 60_000
    expect([1, 2, 3, 4].map(() => budget.take(a))).toEqual(['answer', 'answer', 'answer', 'ignore'])
  })

  it('says close once more than maxExcess pings went over the budget', () => {
    const budget = createPingBudget({ burst: 1, perSecond: 0, maxExcess: 2, now: () => 0 })
    const a = budget.fresh()
    expect([1, 2, 3, 4].map(() => budget.take(a))).toEqual(['answer', 'ignore', 'ignore', 'close'])
  })
})
