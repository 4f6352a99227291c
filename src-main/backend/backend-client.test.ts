// Main's socket client against a small real WebSocket server (port 0) that speaks the protocol's
// opening: what the client asks for on first run and with a stored cursor, reconnecting, moving to
// a new connection, and the heartbeat cutting a server that stopped answering.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Connection } from '../../src-shared/ipc'
import type { Task } from '../../src-shared/protocol'
import { NO_EPOCH } from '../../src-shared/sync-session'
import { createBackendClient, type BackendClient, type LinkState } from './backend-client'
import type { Cursor } from '../notifications/notifier'
import { makeTask, makeUpdate } from '../../test/fakes/main/fixtures'

interface FakeServer {
  wss: WebSocketServer
  connection: Connection
  received: unknown[]
  sockets: WebSocket[]
  authHeaders: (string | undefined)[]
}

const servers: WebSocketServer[] = []
const clients: BackendClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  for (const s of servers.splice(0)) {
    for (const ws of s.clients) ws.terminate()
    await new Promise<void>((r) => s.close(() => r()))
  }
})

async function server(
  opts: { epoch?: string; autoPong?: boolean; snapshot?: unknown[] } = {},
): Promise<FakeServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: opts.autoPong ?? true })
  servers.push(wss)
  await once(wss, 'listening')
  const port = (wss.address() as AddressInfo).port
  const received: unknown[] = []
  const sockets: WebSocket[] = []
  const authHeaders: (string | undefined)[] = []
  wss.on('connection', (ws, req) => {
    sockets.push(ws)
    authHeaders.push(req.headers.authorization)
    ws.send(JSON.stringify({ type: 'hello', protocol: 2, epoch: opts.epoch ?? 'E1', seq: 10 }))
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString('utf8')) as {
        type: string
        epoch?: string
        seq?: number
      }
      received.push(msg)
      if (msg.type !== 'resume') return
      if (msg.epoch === (opts.epoch ?? 'E1')) {
        ws.send(JSON.stringify(makeUpdate({ task_id: 'replayed', status: 'failed', seq: 9 })))
        ws.send(JSON.stringify({ type: 'resumed', seq: 10 }))
      } else {
        for (const page of opts.snapshot ?? [{ type: 'snapshot', seq: 10, tasks: [] }])
          ws.send(JSON.stringify(page))
      }
    })
  })
  const url = `http://127.0.0.1:${port}`
  return {
    wss,
    received,
    sockets,
    authHeaders,
    connection: { url, wsUrl: `ws://127.0.0.1:${port}/ws`, token: 'tok', mode: 'embedded' },
  }
}

function client(cursor: Cursor | null, heartbeatMs = 15_000) {
  const links: LinkState[] = []
  const events: string[] = []
  const c = createBackendClient(
    {
      cursor: () => cursor,
      onUpdate: (u, epoch) => events.push(`update ${u.task.task_id} ${epoch}`),
      onSnapshot: (tasks, epoch, seq) => events.push(`snapshot ${tasks.length} ${epoch} ${seq}`),
      onSynced: (epoch, seq) => events.push(`synced ${epoch} ${seq}`),
      onLink: (l) => links.push(l),
    },
    { log: { info() {}, warn() {}, error() {} }, heartbeatMs, reconnect: { initialMs: 20, maxMs: 100 } },
  )
  clients.push(c)
  return { c, links, events }
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!check()) throw new Error(`never: ${what}`)
}

describe('backend client', () => {
  it('first run: asks for a snapshot (an epoch no database has) with the bearer token', async () => {
    const s = await server()
    const { c, events, links } = client(null)
    c.setConnection(s.connection)
    await until(() => events.length === 1, 'snapshot')
    expect(s.received).toEqual([{ type: 'resume', epoch: NO_EPOCH, seq: 0 }])
    expect(s.authHeaders).toEqual(['Bearer tok'])
    expect(events).toEqual(['snapshot 0 E1 10'])
    expect(links).toEqual(['connecting', 'connected'])
  })

  it('with a cursor of the same epoch: resumes from it and gets the replay', async () => {
    const s = await server()
    const { c, events } = client({ epoch: 'E1', seq: 8 })
    c.setConnection(s.connection)
    await until(() => events.length === 2, 'replay + resumed')
    expect(s.received).toEqual([{ type: 'resume', epoch: 'E1', seq: 8 }])
    expect(events).toEqual(['update replayed E1', 'synced E1 10'])
  })

  it('with a cursor of another database: gets a snapshot', async () => {
    const s = await server({ epoch: 'E2' })
    const { c, events } = client({ epoch: 'E1', seq: 8 })
    c.setConnection(s.connection)
    await until(() => events.length === 1, 'snapshot')
    // E1 is not this server's epoch: the resume is answered with a snapshot.
    expect(s.received).toEqual([{ type: 'resume', epoch: 'E1', seq: 8 }])
    expect(events).toEqual(['snapshot 0 E2 10'])
  })

  it('a paged snapshot reaches the handler once, whole, at its last page, without the texts', async () => {
    const excerpt = { output_bytes: 70_000, error_bytes: 0, excerpt: true }
    const page = (ids: string[], more: boolean) => ({
      type: 'snapshot',
      seq: 10,
      more,
      tasks: ids.map((id) => ({
        ...makeTask({ task_id: id, status: 'failed', output: '…tail' }),
        ...excerpt,
      })),
    })
    const s = await server({ snapshot: [page(['a', 'b'], true), page(['c'], true), page(['d'], false)] })
    const tasks: Task[][] = []
    const links: LinkState[] = []
    const c = createBackendClient(
      {
        cursor: () => null,
        onUpdate: () => {},
        onSnapshot: (t, epoch, seq) => {
          expect([epoch, seq, links.at(-1)]).toEqual(['E1', 10, 'connecting']) // synced after, not before
          tasks.push(t)
        },
        onSynced: () => {},
        onLink: (l) => links.push(l),
      },
      { log: { info() {}, warn() {}, error() {} }, reconnect: { initialMs: 20, maxMs: 100 } },
    )
    clients.push(c)
    c.setConnection(s.connection)
    await until(() => c.link() === 'connected', 'synced')
    expect(tasks).toHaveLength(1)
    expect(tasks[0]!.map((t) => t.task_id)).toEqual(['a', 'b', 'c', 'd'])
    expect(tasks[0]!.every((t) => t.output === null && t.status === 'failed')).toBe(true)
    expect(tasks[0]![0]).not.toHaveProperty('excerpt')
  })

  it('reconnects when the server drops the socket', async () => {
    const s = await server()
    const { c, links } = client(null)
    c.setConnection(s.connection)
    await until(() => s.sockets.length === 1 && c.link() === 'connected', 'connected')
    s.sockets[0]?.terminate()
    await until(() => s.sockets.length === 2 && c.link() === 'connected', 'reconnected')
    expect(links).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected'])
  })

  it('moves to a new connection at once and leaves the old one', async () => {
    const a = await server()
    const b = await server()
    const { c } = client(null)
    c.setConnection(a.connection)
    await until(() => c.link() === 'connected', 'on a')
    c.setConnection(b.connection)
    await until(() => b.sockets.length === 1 && c.link() === 'connected', 'on b')
    await until(() => a.wss.clients.size === 0, 'a released')
  })

  it('the heartbeat cuts a server that stopped answering pings', async () => {
    const s = await server({ autoPong: false })
    const { c, links } = client(null, 50)
    c.setConnection(s.connection)
    await until(() => links.includes('disconnected'), 'heartbeat loss')
    expect(links.slice(0, 3)).toEqual(['connecting', 'connected', 'disconnected'])
  })

  it('close() stops reconnecting', async () => {
    const s = await server()
    const { c } = client(null)
    c.setConnection(s.connection)
    await until(() => c.link() === 'connected', 'connected')
    c.close()
    s.sockets[0]?.terminate()
    await new Promise((r) => setTimeout(r, 100))
    expect(s.sockets).toHaveLength(1)
    expect(c.link()).toBe('disconnected')
  })

  it('ignores frames of another shape (and a handler that throws) instead of crashing main', async () => {
    const s = await server()
    const errors: string[] = []
    const events: string[] = []
    let throwOnce = true
    const c = createBackendClient(
      {
        cursor: () => ({ epoch: 'E1', seq: 8 }),
        onUpdate: (u) => {
          if (u.task.task_id === 'boom' && throwOnce) {
            throwOnce = false
            throw new Error('handler bug')
          }
          events.push(`update ${u.task.task_id} ${u.task.title}`)
        },
        onSnapshot: () => events.push('snapshot'),
        onSynced: () => events.push('synced'),
        onLink: () => {},
      },
      {
        log: { info() {}, warn: (_o, m) => errors.push(String(m)), error: (_o, m) => errors.push(String(m)) },
        reconnect: { initialMs: 20, maxMs: 100 },
      },
    )
    clients.push(c)
    c.setConnection(s.connection)
    await until(() => events.includes('synced'), 'resumed')
    const ws = s.sockets[0]
    for (const bad of [
      'null',
      '[1,2]',
      '"text"',
      '{"type":"snapshot","seq":1,"tasks":null}',
      '{"type":"snapshot","seq":1,"tasks":[{"task_id":"x"}]}',
      '{"type":"task_status_update","seq":11}',
      '{"type":"hello","epoch":5,"seq":1}',
      '{"type":"resumed","seq":"ten"}',
      'not json',
    ])
      ws?.send(bad)
    ws?.send(JSON.stringify(makeUpdate({ task_id: 'boom', status: 'failed', seq: 11 })))
    const whole = makeUpdate({ task_id: 'ok', status: 'failed', seq: 12 })
    const { title: _t, output: _o, ...partialTask } = whole.task
    ws?.send(JSON.stringify({ ...whole, task: partialTask })) // absent nullable fields read as null
    await until(() => events.some((e) => e.startsWith('update ok')), 'the good update after the bad frames')
    expect(events).toEqual(['update replayed null', 'synced', 'update ok null'])
    expect(errors.filter((m) => m.includes('not a TaskPulse message'))).toHaveLength(9)
    expect(errors).toContain('handling a backend message failed')
    expect(c.link()).toBe('connected')
    expect(s.sockets).toHaveLength(1)
  })

  it('a socket URL that cannot be opened marks the link disconnected instead of throwing', () => {
    const { c, links } = client(null)
    expect(() =>
      c.setConnection({ url: 'localhost:8080', wsUrl: 'localhost:8080/ws', token: 't', mode: 'remote' }),
    ).not.toThrow()
    expect(c.link()).toBe('disconnected')
    expect(links.at(-1)).toBe('disconnected')
  })
})
