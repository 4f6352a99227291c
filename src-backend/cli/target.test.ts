// Where the short-lived commands find TaskPulse: flags before the environment, a server before
// Redis, and a clear message for what is missing or malformed.
import { describe, expect, it } from 'vitest'
import { NO_TARGET, resolveTarget } from './target'

const env = (e: Record<string, string>): NodeJS.ProcessEnv => e

describe('resolveTarget', () => {
  it('takes --server and --token, else TASKPULSE_SERVER and TASKPULSE_TOKEN', () => {
    expect(resolveTarget({ server: 'http://h:1', token: 't' }, env({}))).toMatchObject({
      kind: 'http',
      url: new URL('http://h:1'),
      token: 't',
    })
    expect(resolveTarget({}, env({ TASKPULSE_SERVER: 'http://e:2', TASKPULSE_TOKEN: 'u' }))).toMatchObject({
      kind: 'http',
      token: 'u',
    })
  })

  it('prefers a server to Redis, but an explicit --redis-url to a server from the environment', () => {
    const both = env({ TASKPULSE_SERVER: 'http://e:2', TASKPULSE_TOKEN: 'u', REDIS_URL: 'redis://r:3' })
    expect(resolveTarget({}, both)).toMatchObject({ kind: 'http' })
    expect(resolveTarget({ 'redis-url': 'redis://f:4' }, both)).toMatchObject({
      kind: 'redis',
      url: 'redis://f:4',
    })
    expect(resolveTarget({ server: 'http://h:1', 'redis-url': 'redis://f:4' }, both)).toMatchObject({
      kind: 'http',
      token: 'u',
    })
  })

  it('names the Redis channel and stream from flags, then the environment, then the defaults', () => {
    expect(resolveTarget({}, env({ REDIS_URL: 'rediss://r:3' }))).toEqual({
      kind: 'redis',
      url: 'rediss://r:3',
      channel: 'task_status_update',
      stream: 'task_status_stream',
    })
    expect(
      resolveTarget(
        { channel: 'c', 'redis-url': 'redis://r' },
        env({ TASKPULSE_CHANNEL: 'x', TASKPULSE_STREAM: 's' }),
      ),
    ).toMatchObject({ channel: 'c', stream: 's' })
  })

  it('says what is missing or wrong, with credentials masked', () => {
    expect(resolveTarget({}, env({}))).toBe(NO_TARGET)
    expect(resolveTarget({ server: 'http://h:1' }, env({}))).toMatch(/--token/)
    expect(resolveTarget({ server: '127.0.0.1:8080', token: 't' }, env({}))).toMatch(/scheme is missing/)
    expect(resolveTarget({ server: 'ftp://h', token: 't' }, env({}))).toMatch(/not supported/)
    const bad = resolveTarget({ 'redis-url': 'http://user:secret@h:1' }, env({}))
    expect(bad).toMatch(/redis:\/\//)
    expect(bad).not.toContain('secret')
  })
})
