// Pure parts of the Redis bus: backoff bounds, XREAD reply parsing, stream id order.
// The connection behaviour is covered against a real redis-server in test/integration/redis-bus.test.ts.
import { describe, expect, it } from 'vitest'
import { assertRedisUrl, backoffDelay, compareStreamIds, xreadReplyToMessages } from './redis-bus'

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

describe('xreadReplyToMessages', () => {
  it('takes the data field of each entry of our stream, null when absent', () => {
    const reply = [
      [
        's',
        [
          ['1-0', ['data', '{"a":1}', 'x', 'y']],
          ['1-1', ['x', 'data']],
          ['2-0', ['other', '1', 'data', 'z']],
        ],
      ],
      ['someone-else', [['9-0', ['data', 'ignored']]]],
    ]
    expect(xreadReplyToMessages(reply, 's')).toEqual([
      { source: 'stream', payload: '{"a":1}', streamId: '1-0' },
      { source: 'stream', payload: null, streamId: '1-1' },
      { source: 'stream', payload: 'z', streamId: '2-0' },
    ])
  })

  it('gives nothing for a timed-out read or a malformed reply', () => {
    expect(xreadReplyToMessages(null, 's')).toEqual([])
    expect(xreadReplyToMessages('junk', 's')).toEqual([])
    expect(xreadReplyToMessages([['s', 'junk']], 's')).toEqual([])
  })
})

describe('compareStreamIds', () => {
  it('orders by milliseconds, then sequence, numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1)
    expect(compareStreamIds('10-2', '10-10')).toBe(-1)
    expect(compareStreamIds('10-2', '10-2')).toBe(0)
    expect(compareStreamIds('1795460581829-2', '1795460581820-7')).toBe(1)
    expect(compareStreamIds('5', '5-0')).toBe(0)
  })
})

describe('assertRedisUrl', () => {
  it('accepts redis:// and rediss:// URLs', () => {
    expect(() => assertRedisUrl('redis://127.0.0.1:6379')).not.toThrow()
    expect(() => assertRedisUrl('rediss://:pw@cache.example:6380/1')).not.toThrow()
  })

  it('rejects anything else with BUS_BAD_URL and without the password in the message', () => {
    for (const bad of ['http://:hunter2@h:1', 'redis//:hunter2@h', 'cache:6379', '']) {
      let caught: unknown
      try {
        assertRedisUrl(bad)
      } catch (err) {
        caught = err
      }
      expect(caught).toMatchObject({ code: 'BUS_BAD_URL' })
      expect(String((caught as Error).message)).not.toContain('hunter2')
    }
  })
})
