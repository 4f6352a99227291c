// Main's WebSocket client of the backend, like any other client. The sync protocol (hello →
// resume from the stored cursor or a paged snapshot → replay → live, dedupe) is the shared
// sync session's (src-shared/sync-session.ts); this module owns the socket: it validates frames,
// reconnects with the shared backoff, keeps a heartbeat, and a new Connection (backend restarted
// elsewhere, remote mode) replaces the socket at once. What it receives goes to the callbacks
// (notifier + tray).
import WebSocket from 'ws'
import { backoffDelay } from '../../src-shared/backoff'
import type { Connection } from '../../src-shared/ipc'
import {
  serverMessageSchema,
  PROTOCOL_VERSION,
  type Task,
  type TaskStatusUpdateMessage,
} from '../../src-shared/protocol'
import { pickTask } from '../../src-shared/task-model'
import { createSyncSession, type SyncSession } from '../../src-shared/sync-session'
import type { Logger } from './backend-supervisor'
import type { Cursor } from '../notifications/notifier'

export type LinkState = 'connecting' | 'connected' | 'disconnected'

export interface BackendClientHandlers {
  cursor(): Cursor | null
  onUpdate(update: TaskStatusUpdateMessage, epoch: string): void
  onSnapshot(tasks: Task[], epoch: string, seq: number): void
  /** `resumed` / `subscribed`: caught up to `seq`; live from here. */
  onSynced(epoch: string, seq: number): void
  onLink(state: LinkState): void
}

export interface BackendClient {
  /** Connects (or moves) to `connection`; null disconnects. */
  setConnection(connection: Connection | null): void
  close(): void
  link(): LinkState
}

/**
 * What main keeps of a snapshot task: notifications and the tray need status, names and times,
 * not the text (a snapshot of many tasks would otherwise sit in main's memory whole).
 */
function statusOnly(task: Task): Task {
  return { ...pickTask(task), description: null, output: null, error: null }
}

export function createBackendClient(
  handlers: BackendClientHandlers,
  deps: { log: Logger; heartbeatMs?: number; reconnect?: { initialMs: number; maxMs: number } },
): BackendClient {
  const heartbeatMs = deps.heartbeatMs ?? 15_000
  const reconnect = deps.reconnect ?? { initialMs: 250, maxMs: 5_000 }
  let connection: Connection | null = null
  let socket: WebSocket | null = null
  let link: LinkState = 'disconnected'
  let attempt = 0
  let reconnectTimer: NodeJS.Timeout | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let closed = false
  /** Snapshot pages so far (status-only tasks), handed over at the last page. */
  let pages: Task[] = []
  let sync: SyncSession | null = null
  // Created at first use so that it starts from the cursor the handlers have persisted.
  const session = (): SyncSession =>
    (sync ??= createSyncSession(
      {
        send: (message) => socket?.send(JSON.stringify(message)),
        snapshotPage(page, epoch) {
          if (page.first) pages = []
          for (const task of page.tasks) pages.push(statusOnly(task))
          if (page.more) return
          const tasks = pages
          pages = []
          handlers.onSnapshot(tasks, epoch, page.seq)
        },
        update: (message, { epoch }) => handlers.onUpdate(message, epoch),
        synced(cursor, via) {
          if (via !== 'snapshot') handlers.onSynced(cursor.epoch, cursor.seq)
          attempt = 0
          setLink('connected')
        },
        incompatible(serverProtocol) {
          deps.log.error(
            { serverProtocol, protocol: PROTOCOL_VERSION },
            'the backend speaks another protocol version; use the same TaskPulse version on both ends',
          )
        },
      },
      { initial: handlers.cursor() },
    ))

  const setLink = (next: LinkState): void => {
    if (next === link) return
    link = next
    handlers.onLink(next)
  }

  const teardown = (): void => {
    if (reconnectTimer) clearTimeout(reconnectTimer)
    reconnectTimer = null
    if (heartbeat) clearInterval(heartbeat)
    heartbeat = null
    const s = socket
    socket = null
    sync?.disconnected()
    if (s) {
      s.removeAllListeners()
      s.on('error', () => {})
      s.terminate()
    }
  }

  const scheduleReconnect = (): void => {
    if (closed || !connection || reconnectTimer) return
    attempt += 1
    const delay = backoffDelay(attempt, reconnect.initialMs, reconnect.maxMs)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      open()
    }, delay)
  }

  // Bad frames are logged, but a misbehaving server sending thousands must not flood the log.
  let badFrames = 0
  const warnBadFrame = (why: string): void => {
    badFrames += 1
    if (badFrames <= 10 || badFrames % 1000 === 0)
      deps.log.warn(
        { why, count: badFrames },
        'backend sent a frame that is not a TaskPulse message; ignored',
      )
  }

  const open = (): void => {
    if (closed || !connection) return
    const target = connection
    setLink('connecting')
    let ws: WebSocket
    try {
      ws = new WebSocket(target.wsUrl, {
        headers: { Authorization: `Bearer ${target.token}` },
        // Snapshot pages are ≤ 1 MiB and updates ~200 KiB; an older server sent one whole snapshot.
        maxPayload: 64 * 1024 * 1024,
        handshakeTimeout: 10_000,
      })
    } catch (err) {
      // An unusable URL (no ws/wss scheme, …): retrying cannot help; the state says disconnected.
      deps.log.error({ err: (err as Error).message, url: target.wsUrl }, 'cannot open the backend socket')
      setLink('disconnected')
      return
    }
    socket = ws
    // Pages of one snapshot are handed over whole at the last page: the tray and the cursor must
    // not reflect half of one.
    pages = []
    const protocol = session()
    protocol.connected()
    let alive = true

    ws.on('open', () => {
      heartbeat = setInterval(() => {
        if (!alive) {
          deps.log.warn({}, 'backend socket heartbeat lost')
          ws.terminate()
          return
        }
        alive = false
        ws.ping()
      }, heartbeatMs)
    })
    ws.on('pong', () => (alive = true))
    ws.on('message', (data) => {
      alive = true
      let raw: unknown
      try {
        // Text frames arrive as one Buffer (binaryType nodebuffer).
        raw = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : '')
      } catch {
        warnBadFrame('not JSON')
        return
      }
      const parsed = serverMessageSchema.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        warnBadFrame(
          `unexpected shape (${issue ? `${issue.path.join('.') || 'type'}: ${issue.message}` : 'rejected'})`,
        )
        return
      }
      // A handler that throws must not become an uncaught exception in main.
      try {
        if (protocol.receive(parsed.data)) return
        if (parsed.data.type === 'error')
          deps.log.warn(
            { code: parsed.data.code, message: parsed.data.message },
            'backend socket error message',
          )
      } catch (err) {
        deps.log.error(
          { err: (err as Error).message, type: parsed.data.type },
          'handling a backend message failed',
        )
      }
    })
    ws.on('error', (err) => deps.log.warn({ err: err.message, url: target.url }, 'backend socket error'))
    ws.on('close', () => {
      if (socket !== ws) return
      protocol.disconnected()
      if (heartbeat) clearInterval(heartbeat)
      heartbeat = null
      socket = null
      setLink('disconnected')
      scheduleReconnect()
    })
  }

  return {
    setConnection(next) {
      if (closed) return
      const same = connection && next && connection.wsUrl === next.wsUrl && connection.token === next.token
      if (same && socket) return
      connection = next
      teardown()
      attempt = 0
      if (next) open()
      else setLink('disconnected')
    },
    close() {
      closed = true
      teardown()
      setLink('disconnected')
    },
    link: () => link,
  }
}
