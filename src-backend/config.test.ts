import { describe, expect, it } from 'vitest'
import { ConfigError, parseServeArgs, SERVE_OPTIONS, SERVE_USAGE, serverConfigSchema } from './config'

describe('serve config', () => {
  it('takes flags over environment over defaults', () => {
    const c = parseServeArgs(['--port', '0', '--data-dir', '/tmp/x'], {
      PORT: '9999',
      REDIS_URL: 'redis://h:1',
      TASKPULSE_TOKEN: 'envtoken123',
    })
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      dataDir: '/tmp/x',
      redisUrl: 'redis://h:1',
      token: 'envtoken123',
    })
  })
  it('makes a random token when none is given', () => {
    const c = parseServeArgs(['--data-dir', '/tmp/x'], {})
    expect(c !== 'help' && c.token.length).toBeGreaterThanOrEqual(20)
  })
  it('refuses a non-loopback bind without an explicit token', () => {
    expect(() => parseServeArgs(['--host', '0.0.0.0', '--data-dir', '/tmp/x'], {})).toThrow(
      /explicit --token/,
    )
    expect(
      parseServeArgs(['--host', '0.0.0.0', '--token', 'long-enough', '--data-dir', '/tmp/x'], {}),
    ).toMatchObject({ host: '0.0.0.0' })
  })
  it('explains bad values and unknown flags', () => {
    expect(() => parseServeArgs(['--port', 'abc'], {})).toThrow(ConfigError)
    expect(() => parseServeArgs(['--redis-url', 'http://x'], {})).toThrow(/redis:\/\//)
    expect(() => parseServeArgs(['--bogus'], {})).toThrow(ConfigError)
  })

  it('reads the stale threshold as a duration, from the flag or TASKPULSE_STALE_AFTER', () => {
    const at = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const c = parseServeArgs(['--data-dir', '/tmp/x', ...argv], env)
      return c === 'help' ? null : { after: c.staleAfter, every: c.staleCheckMs }
    }
    expect(at([])).toEqual({ after: 900, every: 5000 })
    expect(at(['--stale-after', '2h'])?.after).toBe(7200)
    expect(at(['--stale-after', '90'])?.after).toBe(90)
    expect(at([], { TASKPULSE_STALE_AFTER: '15m', TASKPULSE_STALE_CHECK_MS: '200' })).toEqual({
      after: 900,
      every: 200,
    })
    expect(() => at(['--stale-after', '0'])).toThrow(/--stale-after: must be a duration/)
    expect(() => at(['--stale-after', 'soon'])).toThrow(ConfigError)
    expect(() => at(['--stale-after', '31d'])).toThrow(ConfigError)
    expect(() => at(['--stale-check-ms', '10'])).toThrow(ConfigError)
  })

  it('serve --help lists every option the parser accepts, and every config field has a flag', () => {
    for (const [name, spec] of Object.entries(SERVE_OPTIONS)) {
      expect(SERVE_USAGE, `--${name} in serve --help`).toContain(`--${name} `)
      if ('short' in spec) expect(SERVE_USAGE).toContain(`-${spec.short},`)
    }
    // streamMaxLen is --stream-maxlen: compare without dashes and case.
    const flat = Object.keys(SERVE_OPTIONS).map((f) => f.replace(/^no-/, '').replaceAll('-', ''))
    for (const field of Object.keys(serverConfigSchema.shape)) {
      expect(flat, `config field ${field} has a flag`).toContain(field.toLowerCase())
    }
  })
})
