// How many pings a client may send: a token bucket per client (control pings and app-level
// `{"type":"ping"}` alike), so a ping flood costs a bounded number of pongs. Pure, with an injected
// clock.

export interface PingBudgetOptions {
  /** Pings answered in a burst. */
  burst: number
  /** Tokens refilled per second. */
  perSecond: number
  /** Pings past the budget (left unanswered) tolerated before the socket is closed. */
  maxExcess: number
  now(): number
}

/** One client's state in the bucket. */
export interface PingAllowance {
  tokens: number
  refilledAt: number
  excess: number
}

/** answer: within budget; ignore: over it, left unanswered; close: over it too often (1008). */
export type PingVerdict = 'answer' | 'ignore' | 'close'

export function createPingBudget(opts: PingBudgetOptions) {
  return {
    /** A new client's allowance: a full burst. */
    fresh: (): PingAllowance => ({ tokens: opts.burst, refilledAt: opts.now(), excess: 0 }),

    /** Spends one ping of `a`. */
    take(a: PingAllowance): PingVerdict {
      const t = opts.now()
      a.tokens = Math.min(opts.burst, a.tokens + ((t - a.refilledAt) / 1000) * opts.perSecond)
      a.refilledAt = t
      if (a.tokens >= 1) {
        a.tokens -= 1
        return 'answer'
      }
      return ++a.excess > opts.maxExcess ? 'close' : 'ignore'
    },
  }
}
