import { describe, expect, it } from 'vitest'
import { assertRedisUrl, isTlsRedisUrl, redactRedisUrl } from './redis-url'

describe('redactRedisUrl', () => {
  it('replaces the password and keeps what helps an operator', () => {
    expect(redactRedisUrl('redis://:hunter2@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379')
    expect(redactRedisUrl('rediss://app:p%40ss@cache.example:6380/2')).toBe(
      'rediss://app:***@cache.example:6380/2',
    )
    expect(redactRedisUrl('redis://cache:6379?password=hunter2&db=1')).toBe(
      'redis://cache:6379?password=***&db=1',
    )
  })

  it('leaves a URL without secrets alone and hides one it cannot parse', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379')
    expect(redactRedisUrl('not a url :hunter2@')).toBe('<unparseable redis url>')
  })
})

describe('isTlsRedisUrl', () => {
  it('is true for rediss:// only', () => {
    expect(isTlsRedisUrl('rediss://h:1')).toBe(true)
    expect(isTlsRedisUrl('REDISS://h:1')).toBe(true)
    expect(isTlsRedisUrl('redis://h:1')).toBe(false)
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
