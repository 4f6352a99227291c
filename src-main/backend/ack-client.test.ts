// The tray's "Acknowledge all" client against a real HTTP server standing in for the backend's
// route: what it sends (token, body, chunks of at most 1000 ids) and how it fails.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { Connection } from '../../src-shared/ipc'
import { createAckClient } from './ack-client'

let server: Server | null = null
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let text = ''
    req.on('data', (d: Buffer) => (text += d.toString()))
    req.on('end', () => resolve(text))
  })

async function backendStandIn(status = 200) {
  const requests: { auth: string | undefined; path: string | undefined; ids: string[] }[] = []
  server = createServer((req, res) => {
    void body(req).then((text) => {
      const ids = (JSON.parse(text) as { task_ids: string[] }).task_ids
      requests.push({ auth: req.headers.authorization, path: req.url, ids })
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ acknowledged: ids, acknowledged_at: '2026-01-01T00:00:00.000Z', not_found: [] }),
      )
    })
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const connection: Connection = {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    token: 'tok-123',
    mode: 'embedded',
  }
  return { requests, connection }
}

describe('ack client', () => {
  it('posts the ids with the token, 1000 at most per request', async () => {
    const { requests, connection } = await backendStandIn()
    const client = createAckClient({ connection: () => connection })
    const ids = Array.from({ length: 2001 }, (_, i) => `t${i}`)
    expect(await client.acknowledge(ids)).toBe(2001)
    expect(requests.map((r) => r.ids.length)).toEqual([1000, 1000, 1])
    expect(requests[0]).toMatchObject({ auth: 'Bearer tok-123', path: '/api/tasks/ack' })
    expect(requests.flatMap((r) => r.ids)).toEqual(ids)
  })

  it('fails clearly without a backend or on an error answer', async () => {
    await expect(createAckClient({ connection: () => null }).acknowledge(['a'])).rejects.toThrow(/no backend/)
    const { connection } = await backendStandIn(401)
    await expect(createAckClient({ connection: () => connection }).acknowledge(['a'])).rejects.toThrow(
      /HTTP 401/,
    )
  })
})
