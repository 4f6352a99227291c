// The client side of the sync protocol (docs/protocol.md "WebSocket /ws"), once for every client:
// the main process and the renderer each feed it the frames of their own socket. It owns the
// cursor (epoch, seq): on hello it asks to resume from it; a snapshot (pages) replaces the state
// and moves the cursor only at its last page; updates at or below the cursor are dropped. Frames
// in, sends and task events out through the handlers. Pure: no socket, timer, node or dom here,
// and no zod (the renderer bundles it; main validates frames before they get here).
import type { ClientMessage, ServerMessage, SnapshotTask, TaskStatusUpdateMessage } from './protocol'
import { PROTOCOL_VERSION } from './protocol-version'

export interface SyncCursor {
  epoch: string
  seq: number
}

export interface SnapshotPage {
  seq: number
  tasks: SnapshotTask[]
  /** The first page of a snapshot: replace the state with it. Later pages add to it. */
  first: boolean
  /** More pages follow; the state is partial until the page with `more: false`. */
  more: boolean
}

export interface SyncSessionHandlers {
  send(message: ClientMessage): void
  snapshotPage(page: SnapshotPage, epoch: string): void
  /** A change after the cursor. `replay`: sent to catch up (before `synced`), not live. */
  update(message: TaskStatusUpdateMessage, info: { epoch: string; replay: boolean }): void
  /** Caught up to `cursor`: after the last snapshot page, `resumed` or `subscribed`. */
  synced(cursor: SyncCursor, via: 'snapshot' | 'resumed' | 'subscribed'): void
  /** The server speaks another protocol version: nothing is asked of it. */
  incompatible(serverProtocol: number): void
}

export type SyncPhase = 'closed' | 'awaiting_hello' | 'catching_up' | 'live' | 'incompatible'

export interface SyncSession {
  /** A new socket opened (its hello is next). */
  connected(): void
  /** The socket closed. A snapshot cut short leaves no cursor, so the next hello asks for another. */
  disconnected(): void
  /** One frame; returns false for frames the session does not handle (pong, error). */
  receive(message: ServerMessage): boolean
  /** The cursor to resume from; null before the first complete sync (or mid-snapshot). */
  cursor(): SyncCursor | null
  phase(): SyncPhase
}

/** An epoch no database has (epochs are random ids): resuming with it asks for a snapshot. */
export const NO_EPOCH = 'none'

export function createSyncSession(
  handlers: SyncSessionHandlers,
  options: { initial?: SyncCursor | null } = {},
): SyncSession {
  // `epoch` null: no usable cursor (first run, or a snapshot is under way); `seq` still drops
  // stale updates within one connection.
  let epoch: string | null = options.initial?.epoch ?? null
  let seq = options.initial?.seq ?? 0
  let serverEpoch = ''
  let phase: SyncPhase = 'closed'
  /** Inside a paged snapshot: a page with more:true came, its last page has not. */
  let inSnapshot = false

  const synced = (via: 'snapshot' | 'resumed' | 'subscribed'): void => {
    phase = 'live'
    handlers.synced({ epoch: serverEpoch, seq }, via)
  }

  return {
    connected() {
      phase = 'awaiting_hello'
      inSnapshot = false
    },
    disconnected() {
      phase = 'closed'
      inSnapshot = false
    },
    receive(message) {
      switch (message.type) {
        case 'hello': {
          inSnapshot = false
          serverEpoch = message.epoch
          // A server from before versions sends none: that is protocol 1.
          const version = (message as { protocol?: number }).protocol ?? 1
          if (version !== PROTOCOL_VERSION) {
            phase = 'incompatible'
            handlers.incompatible(version)
            return true
          }
          phase = 'catching_up'
          // Another epoch than the server's (or none) gets a snapshot: the race-free first load.
          handlers.send({ type: 'resume', epoch: epoch ?? NO_EPOCH, seq: epoch === null ? 0 : seq })
          return true
        }
        case 'snapshot': {
          if (phase === 'incompatible') return true
          // Pages: the first replaces the state, the rest add to it, `more: false` ends it; a page
          // after a last page starts a new snapshot. Until the last page the cursor means nothing.
          const first = !inSnapshot
          const more = message.more === true
          inSnapshot = more
          if (first) {
            epoch = null
            seq = 0
          }
          handlers.snapshotPage({ seq: message.seq, tasks: message.tasks, first, more }, serverEpoch)
          if (more) return true
          epoch = serverEpoch
          seq = message.seq
          synced('snapshot')
          return true
        }
        case 'resumed':
        case 'subscribed':
          if (phase === 'incompatible') return true
          epoch = serverEpoch
          if (message.seq > seq) seq = message.seq
          synced(message.type)
          return true
        case 'task_status_update': {
          if (phase === 'incompatible') return true
          if (message.seq <= seq) return true // a duplicate or an old change
          seq = message.seq
          handlers.update(message, { epoch: serverEpoch, replay: phase !== 'live' })
          return true
        }
        default:
          return false
      }
    },
    cursor: () => (epoch === null ? null : { epoch, seq }),
    phase: () => phase,
  }
}
