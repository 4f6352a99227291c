import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSocketClient, type SocketClient } from './socket-client'
import type { ConnEvent } from './conn-state'
import type { Incoming } from '../stores/task-store'
import { FakeSocket, makeTask, snapshotMsg, updateMsg } from '../../../test/fakes/renderer/fake-socket'

describe('socket client', () => {
  let client: SocketClient
  let incoming: Incoming[]
  let conn: ConnEvent[]
  let auth: 'ok' | 'rejected' | 'unreachable'

  beforeEach(() => {
    FakeSocket.reset()
    incoming = []
    conn = []
    auth = 'ok'
    client = createSocketClient({
      url: async () => 'ws://backend.test/ws?token=t',
      onIncoming: (i) => incoming.push(i),
      onConn: (e) => conn.push(e),
      checkAuth: async () => auth,
      WebSocketImpl: FakeSocket,
      minReconnectDelayMs: 1,
      maxReconnectDelayMs: 2,
    })
    client.start()
  })
  afterEach(() => client.stop())

  const nextSocket = async (n: number) => {
    await vi.waitFor(() => expect(FakeSocket.instances.length).toBe(n))
    return FakeSocket.last()
  }

  it('asks for a snapshot on first connect, then applies live updates', async () => {
    const ws = await nextSocket(1)
    expect(ws.url).toBe('ws://backend.test/ws?token=t')
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 7 })
    expect(ws.sent).toEqual([{ type: 'resume', epoch: 'none', seq: 0 }])
    const a = makeTask({ task_id: 'a' })
    ws.serverSend(snapshotMsg(7, [a]))
    ws.serverSend(updateMsg({ ...a, status: 'running' }, 9))
    expect(incoming.map((i) => i.kind)).toEqual(['snapshot', 'update'])
    expect(conn.map((e) => e.type)).toEqual(['synced'])
    expect(client.cursor()).toEqual({ epoch: 'E1', seq: 9 })
  })

  it("measures delivery only on frames of a task's latest update, not on acks or stale marks", async () => {
    const ws = await nextSocket(1)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 0 })
    ws.serverSend(snapshotMsg(0, []))
    const old = makeTask({ task_id: 'a', updated_at: new Date(Date.now() - 3_600_000).toISOString() })
    // An ack of a task last updated an hour ago: its frame's event is not the task's latest.
    ws.serverSend({
      ...updateMsg({ ...old, acknowledged_at: new Date().toISOString() }, 1),
      event_id: 'ack-1',
    })
    expect(client.sample().deliveryLatencyMs).toBeNull()
    ws.serverSend(updateMsg({ ...old, updated_at: new Date().toISOString(), last_event_id: 'e2' }, 2))
    expect(client.sample().deliveryLatencyMs).toBeLessThan(3_600_000)
  })

  it('resumes from the last (epoch, seq) after a drop and drops duplicates', async () => {
    let ws = await nextSocket(1)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 3 })
    ws.serverSend(snapshotMsg(3, []))
    ws.serverSend(updateMsg(makeTask({ task_id: 'a' }), 5))
    ws.serverDrop()
    expect(conn.map((e) => e.type)).toEqual(['synced', 'closed'])
    ws = await nextSocket(2)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 8 })
    expect(ws.sent).toEqual([{ type: 'resume', epoch: 'E1', seq: 5 }])
    ws.serverSend(updateMsg(makeTask({ task_id: 'a' }), 5)) // duplicate: ignored
    ws.serverSend(updateMsg(makeTask({ task_id: 'b' }), 8))
    ws.serverSend({ type: 'resumed', seq: 8 })
    expect(incoming.map((i) => i.kind)).toEqual(['snapshot', 'update', 'update', 'synced'])
    expect(conn.at(-1)!.type).toBe('synced')
    expect(client.cursor()).toEqual({ epoch: 'E1', seq: 8 })
  })

  it('takes the snapshot of a new epoch (backend replaced its database)', async () => {
    let ws = await nextSocket(1)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 3 })
    ws.serverSend(snapshotMsg(3, []))
    ws.serverDrop()
    ws = await nextSocket(2)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E2', seq: 1 })
    expect(ws.sent).toEqual([{ type: 'resume', epoch: 'E1', seq: 3 }])
    ws.serverSend(snapshotMsg(1, [makeTask({ task_id: 'z' })]))
    ws.serverSend(updateMsg(makeTask({ task_id: 'z' }), 2))
    expect(client.cursor()).toEqual({ epoch: 'E2', seq: 2 })
    expect(incoming.filter((i) => i.kind === 'update')).toHaveLength(1)
  })

  it('hands a paged snapshot over page by page; synced and the cursor only at the last page', async () => {
    let ws = await nextSocket(1)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 4 })
    ws.serverSend(snapshotMsg(4, [makeTask({ task_id: 'old' })]))
    ws.serverDrop()
    ws = await nextSocket(2)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E2', seq: 20 })
    const excerpt = { output: 'tail', output_bytes: 70_000, excerpt: true }
    ws.serverSend(snapshotMsg(20, [makeTask({ task_id: 'a', ...excerpt })], true))
    expect(conn.map((e) => e.type)).toEqual(['synced', 'closed'])
    expect(client.cursor()).toEqual({ epoch: null, seq: 0 }) // a partial state has no cursor
    ws.serverSend(snapshotMsg(20, [makeTask({ task_id: 'b' })], true))
    ws.serverSend(snapshotMsg(20, [makeTask({ task_id: 'c' })], false))
    ws.serverSend(updateMsg(makeTask({ task_id: 'a' }), 21)) // committed while paging
    const pages = incoming.slice(1).flatMap((i) => (i.kind === 'snapshot' ? [i] : []))
    expect(pages.map((p) => [p.tasks.map((t) => t.task_id).join(), p.first, p.more])).toEqual([
      ['a', true, true],
      ['b', false, true],
      ['c', false, false],
    ])
    expect(pages[0]!.tasks[0]).toMatchObject({ excerpt: true, output_bytes: 70_000 })
    expect(conn.map((e) => e.type)).toEqual(['synced', 'closed', 'synced'])
    expect(client.cursor()).toEqual({ epoch: 'E2', seq: 21 })
    expect(incoming.at(-1)!.kind).toBe('update')
  })

  it('a drop in the middle of a snapshot asks for a snapshot again, which starts over', async () => {
    let ws = await nextSocket(1)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 4 })
    ws.serverSend(snapshotMsg(4, [makeTask({ task_id: 'a' })], true))
    ws.serverDrop()
    ws = await nextSocket(2)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 5 })
    expect(ws.sent).toEqual([{ type: 'resume', epoch: 'none', seq: 0 }])
    ws.serverSend(snapshotMsg(5, [makeTask({ task_id: 'b' })], false))
    const pages = incoming.flatMap((i) => (i.kind === 'snapshot' ? [i] : []))
    expect(pages.map((p) => p.first)).toEqual([true, true])
  })

  it('reports a rejected token when the socket closes before hello', async () => {
    auth = 'rejected'
    const ws = await nextSocket(1)
    ws.serverRefuse()
    await vi.waitFor(() => expect(conn.some((e) => e.type === 'auth_rejected')).toBe(true))
  })

  it('connects again on request after the token was rejected (new token pasted)', async () => {
    let release!: () => void
    auth = 'rejected'
    const gate = new Promise<void>((r) => (release = r))
    client.stop()
    client = createSocketClient({
      url: async () => 'ws://backend.test/ws?token=t',
      onIncoming: (i) => incoming.push(i),
      onConn: (e) => conn.push(e),
      // The verdict arrives while the next attempt is already waiting out its backoff.
      checkAuth: async () => {
        await gate
        return auth
      },
      WebSocketImpl: FakeSocket,
      minReconnectDelayMs: 1,
      maxReconnectDelayMs: 2,
    })
    FakeSocket.reset()
    client.start()
    ;(await nextSocket(1)).serverRefuse()
    release()
    await vi.waitFor(() => expect(conn.some((e) => e.type === 'auth_rejected')).toBe(true))
    const before = FakeSocket.instances.length
    auth = 'ok'
    client.reconnect()
    const ws = await nextSocket(before + 1)
    ws.serverOpen()
    ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 0 })
    expect(ws.sent).toEqual([{ type: 'resume', epoch: 'none', seq: 0 }])
  })

  it('keeps retrying when the backend is unreachable', async () => {
    auth = 'unreachable'
    ;(await nextSocket(1)).serverRefuse()
    ;(await nextSocket(2)).serverRefuse()
    await nextSocket(3)
    expect(conn.filter((e) => e.type === 'closed').length).toBeGreaterThanOrEqual(2)
    expect(conn.some((e) => e.type === 'auth_rejected')).toBe(false)
  })
})
