// A WebSocket stand-in for happy-dom tests: records what the client sends, lets the test play the
// server. reconnecting-websocket accepts it through its `WebSocket` option.
import type {
  ServerMessage,
  SnapshotMessage,
  SnapshotTask,
  Task,
  TaskStatus,
  TaskStatusUpdateMessage,
} from '../../../src-shared/protocol'

type Listener = (ev: unknown) => void

export class FakeSocket {
  static CONNECTING = 0
  static OPEN = 1
  static CLOSING = 2
  static CLOSED = 3
  static instances: FakeSocket[] = []
  readonly CONNECTING = 0
  readonly OPEN = 1
  readonly CLOSING = 2
  readonly CLOSED = 3
  readyState = 0
  binaryType = 'blob'
  sent: unknown[] = []
  private listeners = new Map<string, Set<Listener>>()
  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }
  static reset(): void {
    FakeSocket.instances = []
  }
  static last(): FakeSocket {
    const s = FakeSocket.instances.at(-1)
    if (!s) throw new Error('no socket opened yet')
    return s
  }
  addEventListener(type: string, l: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set())
    this.listeners.get(type)!.add(l)
  }
  removeEventListener(type: string, l: Listener): void {
    this.listeners.get(type)?.delete(l)
  }
  private emit(type: string, ev: unknown): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) l(ev)
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return
    this.readyState = 3
    this.emit('close', { type: 'close', code, reason, wasClean: true })
  }
  // ---- server side ----
  serverOpen(): void {
    this.readyState = 1
    this.emit('open', { type: 'open' })
  }
  serverSend(msg: ServerMessage): void {
    this.emit('message', { type: 'message', data: JSON.stringify(msg) })
  }
  serverDrop(): void {
    this.readyState = 3
    this.emit('close', { type: 'close', code: 1006, reason: '', wasClean: false })
  }
  serverRefuse(): void {
    this.readyState = 3
    this.emit('error', { type: 'error', message: 'refused' })
  }
}

let counter = 0
export function makeTask(over: Partial<Task> & { task_id: string }): Task {
  const at = over.updated_at ?? new Date(Date.UTC(2026, 10, 23, 12, 0, counter++)).toISOString()
  return {
    status: 'pending',
    title: null,
    description: null,
    assignee: null,
    project_id: null,
    output: null,
    error: null,
    scheduled_at: null,
    due_at: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    finished_at: null,
    last_event_id: `ev-${over.task_id}-${counter}`,
    ...over,
  }
}

export function updateMsg(
  task: Task,
  seq: number,
  previous: TaskStatus | null = null,
): TaskStatusUpdateMessage {
  return { type: 'task_status_update', seq, event_id: task.last_event_id, previous_status: previous, ...task }
}

/** One snapshot page as the server sends it: whole (short) texts unless `excerpt` fields are given. */
export function snapshotMsg(
  seq: number,
  tasks: (Task & Partial<Pick<SnapshotTask, 'output_bytes' | 'error_bytes' | 'excerpt'>>)[],
  more = false,
): SnapshotMessage {
  return {
    type: 'snapshot',
    seq,
    more,
    tasks: tasks.map((t) => ({
      output_bytes: new TextEncoder().encode(t.output ?? '').length,
      error_bytes: new TextEncoder().encode(t.error ?? '').length,
      excerpt: false,
      ...t,
    })),
  }
}
