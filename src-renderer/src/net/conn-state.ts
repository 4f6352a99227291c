// The connection's visible state as a pure reducer: what the status pill shows and when.
//   connecting   → first attempt, nothing synced yet
//   live         → hello received and state synced (snapshot or resume complete)
//   reconnecting → the link dropped at `since`; retrying with backoff
//   offline      → the browser is offline, or reconnecting has failed for OFFLINE_AFTER_MS
//   unauthorized → the backend rejected the token; retrying cannot help
//   no-token     → there is no token to try (opened without #token=)
export type ConnStatus = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unauthorized' | 'no-token'

export interface ConnState {
  status: ConnStatus
  /** When the current status began (for live: connected since; for reconnecting: dropped at). */
  since: number
  /** Failed attempts since the link was last live. */
  attempts: number
  everLive: boolean
  message: string | null
}

export type ConnEvent =
  | { type: 'synced'; at: number }
  | { type: 'closed'; at: number }
  | { type: 'tick'; at: number }
  | { type: 'auth_rejected'; at: number; message: string }
  | { type: 'no_token'; at: number; message: string }
  | { type: 'browser_offline'; at: number }
  | { type: 'browser_online'; at: number }
  | { type: 'retry'; at: number }

export const OFFLINE_AFTER_MS = 30_000

export function initialConnState(at: number): ConnState {
  return { status: 'connecting', since: at, attempts: 0, everLive: false, message: null }
}

export function connReducer(s: ConnState, e: ConnEvent): ConnState {
  switch (e.type) {
    case 'synced':
      if (s.status === 'live') return s
      return { status: 'live', since: e.at, attempts: 0, everLive: true, message: null }
    case 'closed':
      if (s.status === 'unauthorized' || s.status === 'no-token') return s
      if (s.status === 'live') return { ...s, status: 'reconnecting', since: e.at, attempts: 1 }
      return { ...s, attempts: s.attempts + 1 }
    case 'tick':
      if (
        (s.status === 'reconnecting' || s.status === 'connecting') &&
        s.attempts > 0 &&
        e.at - s.since >= OFFLINE_AFTER_MS
      )
        return { ...s, status: 'offline' }
      return s
    case 'auth_rejected':
      return { ...s, status: 'unauthorized', since: e.at, message: e.message }
    case 'no_token':
      return { ...s, status: 'no-token', since: e.at, message: e.message }
    case 'browser_offline':
      if (s.status === 'unauthorized' || s.status === 'no-token' || s.status === 'offline') return s
      return { ...s, status: 'offline', since: s.status === 'live' ? e.at : s.since }
    case 'browser_online':
      if (s.status !== 'offline') return s
      return { ...s, status: s.everLive ? 'reconnecting' : 'connecting' }
    case 'retry':
      // A manual retry (new token, "retry now") starts over.
      if (s.status === 'live') return s
      return {
        status: s.everLive ? 'reconnecting' : 'connecting',
        since: e.at,
        attempts: 0,
        everLive: s.everLive,
        message: null,
      }
  }
}
