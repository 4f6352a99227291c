// Connection state, backend health and the pipeline readout, and a shared clock for "3 s ago"
// labels. Each updates at most once a second (or on a connection change), never per message.
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Health } from '../../../src-shared/protocol'
import { connReducer, initialConnState, type ConnEvent, type ConnState } from '../net/conn-state'
import type { PipelineSample } from '../net/socket-client'

export interface StatusState {
  conn: ConnState
  health: Health | null
  healthError: string | null
  pipeline: PipelineSample
  dispatch(e: ConnEvent): void
  setHealth(h: Health | null, error: string | null): void
  setPipeline(p: PipelineSample): void
}
export type StatusStore = StoreApi<StatusState>

export function createStatusStore(at: number): StatusStore {
  return createStore<StatusState>()((set, get) => ({
    conn: initialConnState(at),
    health: null,
    healthError: null,
    pipeline: { lastEventAt: null, eventsPerSecond: 0, deliveryLatencyMs: null, rttMs: null },
    dispatch(e) {
      const next = connReducer(get().conn, e)
      if (next !== get().conn) set({ conn: next })
    },
    setHealth: (health, healthError) => set({ health, healthError }),
    setPipeline(p) {
      const cur = get().pipeline
      if (
        cur.lastEventAt === p.lastEventAt &&
        cur.eventsPerSecond === p.eventsPerSecond &&
        cur.deliveryLatencyMs === p.deliveryLatencyMs &&
        cur.rttMs === p.rttMs
      )
        return
      set({ pipeline: p })
    },
  }))
}

export interface ClockState {
  now: number
}
export type ClockStore = StoreApi<ClockState>
export function createClockStore(at: number): ClockStore {
  return createStore<ClockState>()(() => ({ now: at }))
}
