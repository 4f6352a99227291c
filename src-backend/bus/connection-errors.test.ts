import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createConnectionErrorLog } from './connection-errors'

function setup() {
  const lines: Record<string, unknown>[] = []
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  )
  let now = 1_000
  const errors = createConnectionErrorLog({ log, secret: 'hunter2', intervalMs: 30_000, now: () => now })
  return { lines, errors, advance: (ms: number) => (now += ms) }
}

describe('connection error log', () => {
  it('logs one line per kind per connection per interval, then says how many were held back', () => {
    const { lines, errors, advance } = setup()
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    errors.report('reader', refused)
    errors.report('reader', refused)
    errors.report('reader', refused)
    errors.report('publisher', refused) // another connection: news
    expect(lines.map((l) => l.conn)).toEqual(['reader', 'publisher'])
    advance(30_000)
    errors.report('reader', refused)
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatchObject({ conn: 'reader', code: 'ECONNREFUSED', repeatsSuppressed: 2 })
  })

  it('cuts the password out of messages and forgets everything on reset', () => {
    const { lines, errors } = setup()
    errors.report('subscriber', new Error('WRONGPASS for hunter2'))
    expect(lines[0]?.err).toBe('WRONGPASS for ***')
    expect(errors.scrub('a hunter2 b hunter2')).toBe('a *** b ***')
    errors.report('subscriber', new Error('WRONGPASS for hunter2'))
    expect(lines).toHaveLength(1)
    errors.reset()
    errors.report('subscriber', 'not an Error')
    errors.report('subscriber', new Error('WRONGPASS for hunter2'))
    expect(lines.map((l) => l.err)).toEqual(['WRONGPASS for ***', 'not an Error', 'WRONGPASS for ***'])
  })
})
