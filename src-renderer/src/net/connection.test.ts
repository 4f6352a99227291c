import { describe, expect, it } from 'vitest'
import { browserConnection, TOKEN_KEY, takeBrowserToken, unwrapConnection, wsUrlFor } from './connection'

function fakeLocation(href: string) {
  const u = new URL(href)
  return {
    hash: u.hash,
    pathname: u.pathname,
    search: u.search,
    origin: u.origin,
    protocol: u.protocol,
  } as Location
}

describe('browser connection', () => {
  it('takes #token=, keeps it for the tab and removes it from the address bar', () => {
    const storage = new Map<string, string>()
    const st = {
      setItem: (k: string, v: string) => storage.set(k, v),
      getItem: (k: string) => storage.get(k) ?? null,
    } as unknown as Storage
    const replaced: string[] = []
    const hist = {
      state: null,
      replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url),
    } as unknown as History
    expect(takeBrowserToken(fakeLocation('http://127.0.0.1:8080/?x=1#token=abc123'), st, hist)).toBe('abc123')
    expect(storage.get(TOKEN_KEY)).toBe('abc123')
    expect(replaced).toEqual(['/?x=1'])
    // A reload without the hash finds it in sessionStorage.
    expect(takeBrowserToken(fakeLocation('http://127.0.0.1:8080/#/calendar'), st, hist)).toBe('abc123')
    expect(replaced).toHaveLength(1)
  })

  it('uses the page origin for REST and WebSocket', () => {
    expect(browserConnection('t', fakeLocation('https://tp.example.com/'))).toEqual({
      url: 'https://tp.example.com',
      wsUrl: 'wss://tp.example.com/ws',
      token: 't',
      mode: 'remote',
    })
    expect(browserConnection('t', fakeLocation('file:///app/index.html'))).toBeNull()
    expect(wsUrlFor('http://127.0.0.1:9/')).toBe('ws://127.0.0.1:9/ws')
  })

  it('unwraps what the desktop bridge returns, defensively', () => {
    const c = { url: 'http://127.0.0.1:5/', wsUrl: '', token: 'k', mode: 'embedded' }
    expect(unwrapConnection({ ok: true, value: c })).toEqual({
      ...c,
      url: 'http://127.0.0.1:5',
      wsUrl: 'ws://127.0.0.1:5/ws',
    })
    expect(unwrapConnection({ ok: false, error: 'backend down' })).toBeNull()
    expect(unwrapConnection(c)).toMatchObject({ token: 'k' })
    expect(unwrapConnection(undefined)).toBeNull()
  })
})
