import { describe, expect, it } from 'vitest'
import type { ClientMessage, ServerMessage, SnapshotTask, TaskStatusUpdateMessage } from './protocol'
import { NO_EPOCH, createSyncSession, type SyncCursor } from './sync-session'
import { newTask } from './task-model'

const at = '2026-01-01T00:00:00.000Z'
const update = (seq: number, id = `t${seq}`): TaskStatusUpdateMessage => ({
  type: 'task_status_update',
  seq,
  event_id: `e${seq}`,
  previous_status: null,
  task: { ...newTask(id, `e${seq}`, at), status: 'running' },
})
const snapTask = (id: string): SnapshotTask => ({
  ...newTask(id, `e-${id}`, at),
  output_bytes: 0,
  error_bytes: 0,
  excerpt: false,
})
const hello = (epoch: string, seq = 0): ServerMessage => ({ type: 'hello', protocol: 2, epoch, seq })

function harness(initial: SyncCursor | null = null) {
  const sent: ClientMessage[] = []
  const log: string[] = []
  const session = createSyncSession(
    {
      send: (m) => sent.push(m),
      snapshotPage: (p, epoch) =>
        log.push(
          `page ${epoch}@${p.seq} ${p.tasks.map((t) => t.task_id).join(',')} first=${p.first} more=${p.more}`,
        ),
      update: (m, info) => log.push(`update ${m.seq} ${m.task.task_id} ${info.replay ? 'replay' : 'live'}`),
      synced: (c, via) => log.push(`synced ${c.epoch}@${c.seq} ${via}`),
      incompatible: (v) => log.push(`incompatible ${v}`),
    },
    { initial },
  )
  return { session, sent, log }
}

describe('sync session', () => {
  it('resumes from its cursor, passes the replay, then goes live', () => {
    const { session, sent, log } = harness({ epoch: 'E', seq: 5 })
    session.connected()
    session.receive(hello('E', 9))
    expect(sent).toEqual([{ type: 'resume', epoch: 'E', seq: 5 }])
    session.receive(update(7))
    session.receive({ type: 'resumed', seq: 9 })
    session.receive(update(10))
    expect(log).toEqual(['update 7 t7 replay', 'synced E@9 resumed', 'update 10 t10 live'])
    expect(session.cursor()).toEqual({ epoch: 'E', seq: 10 })
    expect(session.phase()).toBe('live')
  })

  it('asks for a snapshot on first run; a foreign epoch gets pages that move the cursor only at the last', () => {
    const { session, sent, log } = harness()
    session.receive(hello('E'))
    expect(sent).toEqual([{ type: 'resume', epoch: NO_EPOCH, seq: 0 }])
    session.receive({ type: 'snapshot', seq: 4, tasks: [snapTask('a'), snapTask('b')], more: true })
    expect(session.cursor()).toBeNull()
    session.receive({ type: 'snapshot', seq: 4, tasks: [snapTask('c')], more: false })
    session.receive(update(5))
    expect(log).toEqual([
      'page E@4 a,b first=true more=true',
      'page E@4 c first=false more=false',
      'synced E@4 snapshot',
      'update 5 t5 live',
    ])
    expect(session.cursor()).toEqual({ epoch: 'E', seq: 5 })
  })

  it('drops duplicate and old updates', () => {
    const { session, log } = harness({ epoch: 'E', seq: 5 })
    session.receive(hello('E'))
    session.receive({ type: 'resumed', seq: 5 })
    for (const seq of [6, 6, 3, 5, 8, 7]) session.receive(update(seq))
    expect(log.filter((l) => l.startsWith('update'))).toEqual(['update 6 t6 live', 'update 8 t8 live'])
  })

  it('after a reconnect in the middle of a snapshot asks for a new one, and its first page replaces', () => {
    const { session, sent, log } = harness({ epoch: 'OLD', seq: 50 })
    session.receive(hello('E'))
    session.receive({ type: 'snapshot', seq: 4, tasks: [snapTask('a')], more: true })
    session.disconnected()
    session.connected()
    session.receive(hello('E'))
    expect(sent.at(-1)).toEqual({ type: 'resume', epoch: NO_EPOCH, seq: 0 })
    session.receive({ type: 'snapshot', seq: 6, tasks: [snapTask('b')], more: false })
    expect(log.at(-2)).toBe('page E@6 b first=true more=false')
    expect(session.cursor()).toEqual({ epoch: 'E', seq: 6 })
  })

  it('treats a page after a last page as the first page of a new snapshot', () => {
    const { session, log } = harness()
    session.receive(hello('E'))
    session.receive({ type: 'snapshot', seq: 4, tasks: [], more: false })
    session.receive({ type: 'snapshot', seq: 9, tasks: [snapTask('z')], more: false })
    expect(log).toContain('page E@9 z first=true more=false')
    expect(session.cursor()).toEqual({ epoch: 'E', seq: 9 })
  })

  it('asks nothing of a server that speaks another protocol version (none at all is 1)', () => {
    const { session, sent, log } = harness({ epoch: 'E', seq: 1 })
    session.receive({ type: 'hello', epoch: 'E', seq: 3 } as unknown as ServerMessage)
    session.receive(update(2))
    expect(sent).toEqual([])
    expect(log).toEqual(['incompatible 1'])
    expect(session.phase()).toBe('incompatible')
  })

  it('leaves pong and error frames to the transport', () => {
    const { session } = harness()
    expect(session.receive({ type: 'pong', t: 1 })).toBe(false)
    expect(session.receive({ type: 'error', code: 'x', message: 'y' })).toBe(false)
  })
})
