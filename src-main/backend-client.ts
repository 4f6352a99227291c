// Main's WebSocket client of the backend, like any other client: hello → resume from the stored
// cursor (same epoch) or get a paged snapshot (first run, other database) → replay → live updates.
// Reconnects with backoff and a heartbeat; a new Connection (backend restarted elsewhere, remote
// mode) replaces the socket at once. What it receives goes to the callbacks (notifier + tray).
import WebSocket from 'ws'
import type { Connection } from '../src-shared/ipc'
import {
  serverMessageSchema,
  type ServerMessage,
  type Task,
  type TaskStatusUpdateMessage,
} from '../src-shared/protocol'
import type { Logger } from './backend-supervisor'
import type { Cursor } from './notifier'

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
  return {
    task_id: task.task_id,
    status: task.status,
    title: task.title,
    description: null,
    assignee: task.assignee,
    project_id: task.project_id,
    output: null,
    error: null,
    scheduled_at: task.scheduled_at,
    due_at: task.due_at,
    created_at: task.created_at,
    updated_at: task.updated_at,
    started_at: task.started_at,
    finished_at: task.finished_at,
    last_event_id: task.last_event_id,
  }
}

// A cursor epoch no database has: asks the server for a snapshot (epochs are random ids).
const NO_EPOCH = 'taskpulse-desktop-first-run'

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
    if (s) {
      s.removeAllListeners()
      s.on('error', () => {})
      s.terminate()
    }
  }

  const scheduleReconnect = (): void => {
    if (closed || !connection || reconnectTimer) return
    attempt += 1
    const base = Math.min(reconnect.maxMs, reconnect.initialMs * 2 ** (attempt - 1))
    const delay = Math.round(base * (0.5 + Math.random() / 2))
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
    let epoch = ''
    let pages: { seq: number; tasks: Task[] } | null = null
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
        raw = JSON.parse(String(data))
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
        handle(parsed.data)
      } catch (err) {
        deps.log.error(
          { err: (err as Error).message, type: parsed.data.type },
          'handling a backend message failed',
        )
      }
    })
    const handle = (msg: ServerMessage): void => {
      switch (msg.type) {
        case 'hello': {
          epoch = msg.epoch
          const cursor = handlers.cursor()
          const resume =
            cursor && cursor.epoch === epoch
              ? { type: 'resume', epoch, seq: cursor.seq }
              : { type: 'resume', epoch: cursor?.epoch ?? NO_EPOCH, seq: 0 }
          ws.send(JSON.stringify(resume))
          break
        }
        case 'snapshot': {
          // Pages of one snapshot share its seq; a page after a last one (or the first ever)
          // starts a new snapshot. Main hands over the whole snapshot at the last page: the
          // tray and the cursor must not reflect half of one.
          if (!pages || pages.seq !== msg.seq) pages = { seq: msg.seq, tasks: [] }
          for (const task of msg.tasks) pages.tasks.push(statusOnly(task))
          if (msg.more) break
          const { tasks, seq } = pages
          pages = null
          handlers.onSnapshot(tasks, epoch, seq)
          markSynced()
          break
        }
        case 'resumed':
        case 'subscribed':
          handlers.onSynced(epoch, msg.seq)
          markSynced()
          break
        case 'task_status_update':
          handlers.onUpdate(msg, epoch)
          break
        case 'error':
          deps.log.warn({ code: msg.code, message: msg.message }, 'backend socket error message')
          break
        default:
          break
      }
    }
    const markSynced = (): void => {
      attempt = 0
      setLink('connected')
    }
    ws.on('error', (err) => deps.log.warn({ err: err.message, url: target.url }, 'backend socket error'))
    ws.on('close', () => {
      if (socket !== ws) return
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
