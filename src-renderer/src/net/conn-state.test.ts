import { describe, expect, it } from 'vitest'
import { connReducer, initialConnState, OFFLINE_AFTER_MS, type ConnEvent, type ConnState } from './conn-state'

const run = (events: ConnEvent[], from: ConnState = initialConnState(0)) => events.reduce(connReducer, from)

describe('connection state machine', () => {
  it('connecting → live on sync', () => {
    expect(run([{ type: 'synced', at: 5 }])).toMatchObject({ status: 'live', since: 5, everLive: true })
  })
  it('live → reconnecting since the drop, counting attempts, → live again', () => {
    const s = run([
      { type: 'synced', at: 5 },
      { type: 'closed', at: 100 },
      { type: 'closed', at: 400 },
    ])
    expect(s).toMatchObject({ status: 'reconnecting', since: 100, attempts: 2 })
    expect(connReducer(s, { type: 'synced', at: 900 })).toMatchObject({
      status: 'live',
      since: 900,
      attempts: 0,
    })
  })
  it('reconnecting turns offline after a while, and still recovers', () => {
    const s = run([
      { type: 'synced', at: 0 },
      { type: 'closed', at: 1000 },
      { type: 'tick', at: 1000 + OFFLINE_AFTER_MS - 1 },
    ])
    expect(s.status).toBe('reconnecting')
    const off = connReducer(s, { type: 'tick', at: 1000 + OFFLINE_AFTER_MS })
    expect(off).toMatchObject({ status: 'offline', since: 1000 })
    expect(connReducer(off, { type: 'synced', at: 99_999 }).status).toBe('live')
  })
  it('a first connection that keeps failing also ends offline', () => {
    const s = run([
      { type: 'closed', at: 10 },
      { type: 'tick', at: OFFLINE_AFTER_MS + 1 },
    ])
    expect(s.status).toBe('offline')
  })
  it('the browser going offline and online', () => {
    const s = run([
      { type: 'synced', at: 0 },
      { type: 'browser_offline', at: 50 },
    ])
    expect(s).toMatchObject({ status: 'offline', since: 50 })
    expect(connReducer(s, { type: 'browser_online', at: 60 }).status).toBe('reconnecting')
  })
  it('a rejected token stays rejected until a retry', () => {
    const s = run([
      { type: 'closed', at: 1 },
      { type: 'auth_rejected', at: 2, message: 'bad' },
      { type: 'closed', at: 3 },
      { type: 'tick', at: 1e9 },
    ])
    expect(s).toMatchObject({ status: 'unauthorized', message: 'bad' })
    expect(connReducer(s, { type: 'retry', at: 5 })).toMatchObject({
      status: 'connecting',
      attempts: 0,
      message: null,
    })
  })
  it('no token until one is given', () => {
    const s = run([
      { type: 'no_token', at: 1, message: 'none' },
      { type: 'closed', at: 2 },
    ])
    expect(s.status).toBe('no-token')
    expect(connReducer(s, { type: 'retry', at: 3 }).status).toBe('connecting')
  })
})
